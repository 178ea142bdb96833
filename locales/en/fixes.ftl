## Words of the pages' small fixes: the push button's script.

push-working = Turning notifications on…
push-done = Done: this browser will be told when something changes.
push-denied = Notifications are blocked for this site in your browser's settings: allow them there, then try again.
push-failed = Notifications could not be turned on in this browser. Email or a feed reader work everywhere.
sub-confirm-title = Confirm your alerts
sub-confirm-body = One last step: press the button to start receiving these alerts at this address. If you did not ask for them, close this page and nothing will be sent.
sub-confirm-button = Confirm
sub-intro-no-email = Be told when a bank's services stop and when they work again: by a webhook for your systems, or by a notification in this browser. No account needed.
