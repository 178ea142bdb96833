## Words of the pages' small fixes: the push button's script.

push-working = Turning notifications on…
push-done = Done: this browser will be told when something changes.
push-denied = Notifications are blocked for this site in your browser's settings: allow them there, then try again.
push-failed = Notifications could not be turned on in this browser. Email or a feed reader work everywhere.
