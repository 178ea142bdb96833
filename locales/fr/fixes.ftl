## Words of the pages' small fixes: the push button's script.

push-working = Activation des notifications…
push-done = C’est fait : ce navigateur sera prévenu dès que quelque chose change.
push-denied = Les notifications sont bloquées pour ce site dans les réglages de votre navigateur : autorisez-les, puis réessayez.
push-failed = Les notifications n’ont pas pu être activées dans ce navigateur. L’e-mail ou un lecteur de flux fonctionnent partout.
sub-confirm-title = Confirmez vos alertes
sub-confirm-body = Dernière étape : appuyez sur le bouton pour recevoir ces alertes à cette adresse. Si vous ne les avez pas demandées, fermez cette page et rien ne sera envoyé.
sub-confirm-button = Confirmer
sub-intro-no-email = Soyez prévenu quand les services d’une banque s’arrêtent et quand ils remarchent : par un webhook pour vos systèmes, ou par une notification dans ce navigateur. Sans compte.
