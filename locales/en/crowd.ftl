## What customers report: symptoms, cities, "it works for me", the rules that weigh them,
## and false alarms withdrawn.

symptom-no_cash = no cash
symptom-card_retained = card retained
symptom-out_of_service = out of service
symptom-refused_in_store = card refused in stores
symptom-refused_online = card refused online
symptom-terminal_down = payment terminal down
symptom-not_sent = transfer cannot be sent
symptom-not_received = transfer not received
symptom-delayed = transfer delayed
symptom-cannot_log_in = cannot log in
symptom-error = error message
symptom-wrong_balance = wrong balance shown
symptom-operation_fails = operations fail
symptom-system_down = system down at the counter
symptom-cheque_refused = cheque refused
symptom-other = something else

report-symptom = What fails (optional)
report-symptom-none = Not said
report-city = Where are you? (optional)
report-city-none = Not said
report-works-title = It works for me
report-works-intro = Tell others that this service works for you right now: it weighs against reports of a problem.
report-works-submit = It works for me
report-confirm = Please confirm your report with the button below.
report-privacy-city = The city is the one you choose; it is never guessed from your address. Your address is kept only as a keyed code that cannot be traced back to you after two days.
methodology-link = How reports are counted

tap-me-too = I have this problem too
tap-works = It works for me
tap-details = Report with details

crowd-now = { $count } reporting over the last { $minutes } min, from { $networks } networks (usual level: { $usual }).
crowd-share = { $percent } % { $what }
crowd-problems = Most reported over 24 h: { $list }.
crowd-city-share = { $city } { $percent } %
crowd-cities = Reported from { $count } cities: { $list }.
crowd-works = { $count } said it works for them over 24 h.
crowd-note-checks-pass = Customers report problems; our checks of this service pass.
crowd-note-unchecked = Customers report problems; this service cannot be checked from outside, so their reports are its only signal.
crowd-note-waiting = Customers report problems here and on several other services at once; the operator is checking before anything is published.

surge-message-networks = { $count } people reported a problem with { $channel } in { $minutes } min, from { $networks } networks (usual level: { $baseline }).
reports-lasting = Customers have been reporting problems with { $channel } for { $lasted }: subscribers are told now.
channel-back-reports-still = { $channel } { $channel-agree ->
        [many] work
       *[one] works
    } normally again by our checks, though some customers still report problems.
withdrawn-entry = Withdrawn: this was a false alarm. { $reason }
alert-withdrawn = withdrawn as a false alarm
term-reported = Reported by customers, not confirmed
term-withdrawn = Withdrawn

err-unknown-symptom = `{ $value }` is not a symptom of { $channel }; use one of: { $allowed }.
err-works-with-symptom = A report that it works for you cannot name a symptom.
err-unknown-city = `{ $value }` is not a city this tracker knows; use one of: { $known }.
err-withdraw-by-action = An incident is withdrawn with POST /api/v1/incidents/{"{"}id{"}"}/withdraw and a reason, not by an update.
err-not-withdrawable = Incident { $id } cannot be withdrawn: it is a maintenance window, or it was withdrawn already.

methodology-title = How it works
methodology-contents = Contents
method-surge-title = When customers' reports make an outage
method-surge = Reports are counted over a sliding window of { $minutes } minutes, each reporter once per service. A surge needs at least { $floor } reporters, weighed as below, coming from at least { $networks } different networks, and more than the usual level by a clear margin: the usual level plus four times its square root, plus one. It ends when the count falls to half the floor ({ $calm }) or to the usual level plus its square root, or when as many people say it works as say it fails.
method-networks-title = What a few addresses cannot buy
method-networks = Reporters are grouped by network (an IPv4 /24 or an IPv6 /48: one home or office, whatever its number of addresses). Several people behind one address, as on mobile networks, count as several reporters, up to { $browsers }, when each uses the report buttons of this site from their own browser, which gets a signed token the first time a page with report buttons is shown; a report sent less than { $seconds } seconds after that page counts as its address alone. A network counts for at most { $per_network } reporters, however many of its addresses report.
method-channels = Within { $minutes } minutes an address counts towards at most { $per_address } services and a network towards at most { $per_network }, so a few addresses cannot put many services in outage at once. An address may send { $per_hour } reports an hour.
method-usual-title = The usual level
method-usual = The usual level of a service is the median of the weighed reporters over the same window at the same time of the week on each of the last { $weeks } weeks (a week without reports counts as zero), so one unusual week moves nothing. It may grow at most { $growth } times the level a week before, plus { $slack }: reporting every day at one hour cannot lift the bar within a week. The charts on each bank page show the usual level of every hour the same way.
method-evidence-title = Counter-evidence and our own checks
method-works = People may also say that a service works for them. They are weighed like reports of a problem: a surge needs fewer than half as many saying it works, and it ends once as many say it works as say it fails.
method-probes = Where our checks watch a service, reports against checks that pass never make an outage: the service keeps the status of the checks, with a note that customers report problems, and the figures. Checks that fail while customers report confirm each other.
method-reported = Where nothing can check a service from outside (ATMs, card payments, branches, or a service without checks), a surge opens an incident marked as reported by customers and not yet confirmed. Subscribers are told once it has lasted { $minutes } minutes, or as soon as the operator or a check confirms it. At most { $most } such incidents are open at once; past that, further surges are shown beside the service and wait for the operator.
method-confidence-title = How sure the page is
method-confidence = Confirmed: the operator says so, or our checks and customers' reports agree. Likely: our checks alone. Reported: customers alone, not yet confirmed. Announced: the bank announced it. Each service says how many reported, from how many networks and cities, and how many said it works for them.
method-withdrawal-title = False alarms
method-withdrawal = The operator can withdraw an incident as a false alarm, with a reason. It leaves the live pages, the figures of the record and the Statuspage documents; the feeds keep what readers already received and add an entry saying it was withdrawn; subscribers who were told of it are told it was withdrawn. The history lists it as withdrawn, with the reason. Nothing is ever deleted from the record.
method-privacy-title = What is kept about a reporter
method-privacy = A report keeps the bank, the service, what fails, the city and the comment you chose to give, and the time. Your address, its network and your browser's token are kept only as keyed codes, made with a key that changes every day; each day's key is deleted two days later, after which no stored code can be traced back to an address. The comment is shown publicly; do not write personal information in it. The operator may delete any report.
method-privacy-city = The city is the one you choose in the form; it is never derived from your address. This follows Morocco's law 09-08 on personal data: only what the rules need, for as long as they need it.
