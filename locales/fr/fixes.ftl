## Words of the pages' small fixes: the push button's script.

push-working = Activation des notifications…
push-done = C’est fait : ce navigateur sera prévenu dès que quelque chose change.
push-denied = Les notifications sont bloquées pour ce site dans les réglages de votre navigateur : autorisez-les, puis réessayez.
push-failed = Les notifications n’ont pas pu être activées dans ce navigateur. L’e-mail ou un lecteur de flux fonctionnent partout.
