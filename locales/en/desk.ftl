# The operator's desk, corrections of published entries, and the operator API's new refusals.

desk-title = Operator desk
desk-home-title = Desk
desk-sign-in-title = Sign in to the operator desk
desk-sign-in-intro = Paste your operator token. Every action you take here is recorded under your name; the public sees only "the operator".
desk-sign-in-note = Failed attempts are slowed down per address. The session ends after 8 hours without use, or after 24 hours.
desk-token = Operator token
desk-sign-in = Sign in
desk-sign-out = Sign out
desk-signed-in-as = Signed in as
desk-closed = No operator can sign in: set BANKSTATUS_ADMIN_TOKEN, or declare [[operators]] in the config file.
desk-nav-home = Desk
desk-nav-window = Announce a window
desk-nav-incident = Outage or advisory
desk-nav-statement = What the bank said
desk-nav-reports = Reports
desk-back = Back to the desk
desk-none = None.

desk-attention = Needs attention
desk-storage = Record:
desk-storage-ok = written normally.
desk-storage-failing = not written since { $since } ({ $minutes } min, { $cause }); pages say so.
desk-failing-probes = Checks failing now
desk-no-failing-probes = No check is failing now.
desk-quarantined = Alert targets put aside
desk-no-quarantined = No alert target is put aside.
desk-alerts-unread = The alert queue could not be read.
desk-open-incidents = Open incidents and advisories
desk-open-windows = Announced maintenance
desk-latest-actions = Latest actions
desk-names-private = Operator names are shown here only, never to the public.
desk-new-advisory = Post an advisory
desk-new-outage = Declare an outage

desk-action-create_incident = Incident or advisory posted
desk-action-add_update = Update posted
desk-action-create_maintenance = Window announced
desk-action-change_maintenance = Window changed
desk-action-delete_report = Report deleted
desk-action-delete_reporter_reports = A reporter's reports deleted
desk-action-withdraw_incident = False alarm withdrawn
desk-action-correct_update = Correction published
desk-action-create_statement = Bank statement recorded
desk-action-sign_in = Signed in
desk-action-sign_out = Signed out
desk-done-title = Done

desk-bank-is = Bank:
desk-time-format = Written as:
desk-bank = Bank
desk-banks = Banks
desk-all-banks = All banks
desk-channels = Services
desk-channels-optional = Services (none ticked: all of them)
desk-all-services = all services
desk-title-field = Title
desk-message = Message
desk-source = Source (link to the announcement)
desk-starts = Starts
desk-ends = Ends
desk-zone-hint = Times as clocks show them in { $zone } ({ $tz }). The Ramadan clock change is taken into account: write the time people read on their clocks that day.
desk-publish = Publish
desk-show = Show

desk-window-new-title = Announce a maintenance window
desk-window-edit-title = Window: { $title }
desk-window-announce = Announce
desk-window-save = Announce the change
desk-window-begun = This window has begun: what was announced stays on the record. Post an update, or end it below.
desk-window-cancel-title = End or call off the window
desk-window-cancel-reason = Why (optional)
desk-window-cancel = End the window now

desk-kind = Kind
desk-kind-advisory = Security advisory
desk-kind-outage = Outage
desk-advisory-source = Source (required for an advisory)
desk-advisory-source-hint = Where it was announced: Bank Al-Maghrib, the national CERT (maCERT), the bank itself.
desk-fakes = Fake domains, numbers or accounts
desk-fakes-hint = One per line. Domains are written with a broken dot (bmce-secure[.]com) so no app turns them into links.
desk-err-advisory-source = An advisory needs the link to where it was announced.

desk-post-update = Post an update
desk-state = State
desk-ready-texts = Ready text for:
desk-new-title = New title (optional)
desk-preview = Preview
desk-preview-note = As the incident page will show the entry, in each language.
desk-preview-button = Preview
desk-public-page = Public page
desk-correct = Correct this entry
desk-withdraw = Withdraw as a false alarm
desk-withdraw-note = The incident leaves the live pages and the figures; the record keeps it as withdrawn, with your reason. Subscribers who heard of it are told.
desk-withdrawn-note = Withdrawn as a false alarm: no more updates. Its entries can still be corrected.
desk-withdraw-reason = Reason

desk-ready-investigating = Customers of { $bank } report problems with { $channels }. We are checking what is happening.
desk-ready-identified = The cause of the problem with { $channels } at { $bank } is known. Service is not back yet.
desk-ready-monitoring = At { $bank }, { $channels }: working again for most customers. We are watching that it lasts.
desk-ready-resolved = At { $bank }, { $channels }: working normally again.
desk-ready-scheduled = { $bank } has announced maintenance of { $channels }.
desk-ready-in_progress = The maintenance of { $channels } at { $bank } is under way: these services are unavailable.
desk-ready-completed = The maintenance of { $channels } at { $bank } is over; the services are available again.

desk-correct-title = Correct a published entry
desk-published = Published
desk-published-text = Text as published
desk-correct-note = The correction is added after the entry, with its time; the entry keeps its published text, and readers see both.
desk-corrected-text = Corrected text (languages left as they are keep their text)
desk-correct-publish = Publish the correction

desk-statement-intro = The bank's words exactly as it wrote them, in the languages it used; your own translations go apart.
desk-statement-incident = Incident number (optional: otherwise the bank's outages open when it spoke)
desk-statement-words = The bank's words
desk-statement-translations = Translations made here
desk-source-kind = Where it said it
desk-said-at = Said at
desk-expected-back = Promised back at (optional)

desk-activity = Where reports come from now
desk-busiest-channels = Busiest services
desk-busiest-networks = Busiest networks
desk-networks = Networks: { $count }
desk-reports-word = Reports:
desk-reporters-word = Reporters:
desk-no-reports = No report.
desk-latest-reports = Latest reports
desk-works = works for them
desk-not-counted = not counted
desk-reporter = Reporter
desk-delete = Delete
desk-delete-reporter = Delete all from this reporter
desk-watch = Watch: reload every 10 seconds
desk-watch-stop = Stop reloading

desk-err-origin = This form did not come from the desk of this site: nothing was done.
desk-err-csrf = This form has expired or did not come from the desk: nothing was done. Go back, reload the page and send it again.
desk-err-key = This form lacks its one-time key: reload the page and send it again.
desk-err-signed-out = You are not signed in, or your session ended: nothing was done. Sign in again at /desk.
desk-err-token = This token is not an operator's.
desk-err-throttled = Too many wrong tokens from your address: try again in { $seconds } s.
desk-err-no-action = No action was carried out under this key.

correction-at = Corrected at
correction-earlier = The earlier text said:
correction-title = Correction

advisory-source = Source: { $url }
advisory-impersonators = Fake addresses and numbers; do not trust them: { $list }

window-changed = The window was announced anew: from { $starts } to { $ends }, { $channels }.

err-request-repeated = This request (key { $key }) was already carried out; nothing was done again.
err-idempotency-key = The Idempotency-Key header must be 1 to { $max } printable ASCII characters.
err-impersonators-too-many = An advisory lists at most { $max } fake domains or numbers.
err-impersonator = `{ $value }` cannot be listed: at most 200 characters, without control or invisible characters.
err-impersonators-advisory-only = Only an advisory lists fake domains or numbers.
err-no-window = No maintenance window has the id `{ $id }`.
err-window-bank = A window's bank cannot change (it is { $bank }): call this one off and announce another.
err-window-begun = Window { $id } has begun, ended or been called off: what was announced stays on the record. Post an update, or end it.
err-window-from-config = Window { $id } comes from the config file: change it there.
err-incident-withdrawn = Incident { $id } was withdrawn as a false alarm: it takes no more updates; a correction of its entries is still possible.
err-no-update = Incident { $id } has no entry `{ $update }`.
err-correct-operator-only = Only the operator's own entries are corrected here; the tracker's entries state what it saw.
err-correction-unchanged = The corrected text is the same as the text now: nothing to correct.
