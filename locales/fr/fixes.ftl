## Words of the pages' small fixes: the push button's script.

push-working = Activation des notifications…
push-done = C’est fait : ce navigateur sera prévenu dès que quelque chose change.
push-denied = Les notifications sont bloquées pour ce site dans les réglages de votre navigateur : autorisez-les, puis réessayez.
push-failed = Les notifications n’ont pas pu être activées dans ce navigateur. L’e-mail ou un lecteur de flux fonctionnent partout.
sub-confirm-title = Confirmez vos alertes
sub-confirm-body = Dernière étape : appuyez sur le bouton pour recevoir ces alertes à cette adresse. Si vous ne les avez pas demandées, fermez cette page et rien ne sera envoyé.
sub-confirm-button = Confirmer
sub-intro-no-email = Soyez prévenu quand les services d’une banque s’arrêtent et quand ils remarchent : par un webhook pour vos systèmes, ou par une notification dans ce navigateur. Sans compte.

## La fraîcheur d’une page.

fresh-checked = Vérifié à { $time }, prochaine vérification dans environ { $duration }.
fresh-checked-due = Vérifié à { $time }, prochaine vérification imminente.
fresh-none = Aucune vérification n’est encore arrivée.
fresh-refresh-offer = Recharger chaque minute
fresh-refreshing = Cette page se recharge toutes les { $duration }.
fresh-refresh-stop = Arrêter le rechargement
fresh-stale-title = Cette page n’est peut-être plus à jour
fresh-stale-body = La vérification la plus récente date de { $time }, il y a plus de deux intervalles : les vérifications n’arrivent plus, ce qu’elle montre a pu changer depuis.
fresh-stale-none = Aucune vérification n’est arrivée depuis plus de deux intervalles : ce que montre cette page n’est peut-être pas à jour.
fresh-err-refresh = La page peut se recharger toutes les { $min } à { $max } secondes, en nombre entier ; « { $value } » n’en est pas un.

## Les connexions sécurisées, dites comme elles ont échoué ; un incident pas encore résolu.

class-tls-plain = l’adresse répond sans chiffrement (HTTP simple là où HTTPS est attendu)
class-tls-handshake = la connexion sécurisée échoue
incident-not-yet = pas encore
preview-bank-trouble = { $bank } : { $channels }
score-by-channel = Par canal
