## Words of the pages' small fixes: the push button's script.

push-working = Turning notifications on…
push-done = Done: this browser will be told when something changes.
push-denied = Notifications are blocked for this site in your browser's settings: allow them there, then try again.
push-failed = Notifications could not be turned on in this browser. Email or a feed reader work everywhere.
sub-confirm-title = Confirm your alerts
sub-confirm-body = One last step: press the button to start receiving these alerts at this address. If you did not ask for them, close this page and nothing will be sent.
sub-confirm-button = Confirm
sub-intro-no-email = Be told when a bank's services stop and when they work again: by a webhook for your systems, or by a notification in this browser. No account needed.

## How fresh a page is.

fresh-checked = Checked at { $time }, next check in about { $duration }.
fresh-checked-due = Checked at { $time }, next check due now.
fresh-none = No check has come in yet.
fresh-refresh-offer = Reload every minute
fresh-refreshing = This page reloads every { $duration }.
fresh-refresh-stop = Stop reloading
fresh-stale-title = This page may be out of date
fresh-stale-body = The newest check is from { $time }, more than two check intervals ago: checks have stopped coming in, so what it shows may have changed since.
fresh-stale-none = No check has come in for more than two check intervals: what this page shows may not be current.
fresh-err-refresh = The page can reload every { $min } to { $max } seconds, as a whole number; “{ $value }” is not one of those.

## Secure connections, said as they failed; an incident not resolved yet.

class-tls-plain = the address answers without encryption (plain HTTP where HTTPS is expected)
class-tls-handshake = the secure connection fails
incident-not-yet = not yet
preview-bank-trouble = { $bank }: { $channels }
score-by-channel = By channel
