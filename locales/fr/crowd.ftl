## Ce que signalent les clients : symptômes, villes, « ça marche pour moi », les règles
## qui les pèsent, et les fausses alertes retirées.

symptom-no_cash = pas d’argent
symptom-card_retained = carte avalée
symptom-out_of_service = hors service
symptom-refused_in_store = carte refusée en magasin
symptom-refused_online = carte refusée en ligne
symptom-terminal_down = terminal de paiement en panne
symptom-not_sent = virement impossible à envoyer
symptom-not_received = virement non reçu
symptom-delayed = virement en retard
symptom-cannot_log_in = connexion impossible
symptom-error = message d’erreur
symptom-wrong_balance = solde erroné
symptom-operation_fails = les opérations échouent
symptom-system_down = système en panne au guichet
symptom-cheque_refused = chèque refusé
symptom-other = autre chose

report-symptom = Ce qui ne marche pas (facultatif)
report-symptom-none = Non précisé
report-city = Où êtes-vous ? (facultatif)
report-city-none = Non précisé
report-works-title = Ça marche pour moi
report-works-intro = Dites aux autres que ce service fonctionne pour vous en ce moment : cela pèse contre les signalements de problème.
report-works-submit = Ça marche pour moi
report-confirm = Merci de confirmer votre signalement avec le bouton ci-dessous.
report-privacy-city = La ville est celle que vous choisissez ; elle n’est jamais déduite de votre adresse. Votre adresse n’est gardée que sous forme d’un code chiffré qui ne peut plus être relié à vous après deux jours.
methodology-link = Comment les signalements sont comptés

tap-me-too = J’ai aussi ce problème
tap-works = Ça marche pour moi
tap-details = Signaler avec des détails

crowd-now = { $count } signalements ces { $minutes } dernières minutes, depuis { $networks } réseaux (niveau habituel : { $usual }).
crowd-share = { $percent } % { $what }
crowd-problems = Les plus signalés sur 24 h : { $list }.
crowd-city-share = { $city } { $percent } %
crowd-cities = Signalé depuis { $count } villes : { $list }.
crowd-works = { $count } ont dit que ça marche pour eux sur 24 h.
crowd-note-checks-pass = Des clients signalent des problèmes ; nos vérifications de ce service réussissent.
crowd-note-unchecked = Des clients signalent des problèmes ; ce service ne peut pas être vérifié de l’extérieur, leurs signalements sont donc son seul signal.
crowd-note-waiting = Des clients signalent des problèmes ici et sur plusieurs autres services à la fois ; l’opérateur vérifie avant toute publication.

surge-message-networks = { $count } personnes ont signalé un problème sur « { $channel } » en { $minutes } min, depuis { $networks } réseaux (niveau habituel : { $baseline }).
reports-lasting = Des clients signalent des problèmes sur « { $channel } » depuis { $lasted } : les abonnés sont prévenus maintenant.
channel-back-reports-still = « { $channel } » { $channel-agree ->
        [many-m] fonctionnent
        [many-f] fonctionnent
       *[one] fonctionne
    } de nouveau selon nos vérifications, même si des clients signalent encore des problèmes.
withdrawn-entry = Retiré : il s’agissait d’une fausse alerte. { $reason }
alert-withdrawn = retiré, fausse alerte
term-reported = Signalé par des clients, non confirmé
term-withdrawn = Retiré

err-unknown-symptom = « { $value } » n’est pas un symptôme de { $channel } ; utilisez l’un de : { $allowed }.
err-works-with-symptom = Un signalement « ça marche pour moi » ne peut pas indiquer de symptôme.
err-unknown-city = « { $value } » n’est pas une ville connue de ce suivi ; utilisez l’une de : { $known }.
err-withdraw-by-action = Un incident se retire avec POST /api/v1/incidents/{"{"}id{"}"}/withdraw et une raison, pas par une mise à jour.
err-not-withdrawable = L’incident { $id } ne peut pas être retiré : c’est une fenêtre de maintenance, ou il a déjà été retiré.

methodology-title = Comment ça marche
methodology-contents = Sommaire
method-surge-title = Quand les signalements des clients font une panne
method-surge = Les signalements sont comptés sur une fenêtre glissante de { $minutes } minutes, chaque personne une fois par service. Un pic demande au moins { $floor } personnes, pesées comme ci-dessous, venant d’au moins { $networks } réseaux différents, et nettement plus que le niveau habituel : le niveau habituel plus quatre fois sa racine carrée, plus un. Il prend fin quand le compte retombe à la moitié du plancher ({ $calm }) ou au niveau habituel plus sa racine carrée, ou quand autant de personnes disent que ça marche que de personnes disent que ça ne marche pas.
method-networks-title = Ce que quelques adresses ne peuvent pas acheter
method-networks = Les personnes sont regroupées par réseau (un /24 en IPv4 ou un /48 en IPv6 : un foyer ou un bureau, quel que soit son nombre d’adresses). Plusieurs personnes derrière une même adresse, comme sur les réseaux mobiles, comptent pour plusieurs, jusqu’à { $browsers }, quand chacune utilise les boutons de signalement du site depuis son propre navigateur, qui reçoit un jeton signé la première fois qu’une page avec ces boutons s’affiche ; un signalement envoyé moins de { $seconds } secondes après cette page ne compte que pour son adresse. Un réseau compte au plus pour { $per_network } personnes, quel que soit le nombre de ses adresses qui signalent.
method-channels = Sur { $minutes } minutes, une adresse compte pour au plus { $per_address } services et un réseau pour au plus { $per_network }, si bien que quelques adresses ne peuvent pas mettre beaucoup de services en panne à la fois. Une adresse peut envoyer { $per_hour } signalements par heure.
method-usual-title = Le niveau habituel
method-usual = Le niveau habituel d’un service est la médiane des personnes pesées sur la même fenêtre, au même moment de la semaine, au cours de chacune des { $weeks } dernières semaines (une semaine sans signalement compte pour zéro) : une semaine inhabituelle ne change rien. Il peut croître au plus de { $growth } fois le niveau de la semaine précédente, plus { $slack } : signaler chaque jour à la même heure ne relève pas la barre en une semaine. Les graphiques de chaque page de banque montrent le niveau habituel de chaque heure de la même façon.
method-evidence-title = Les contre-preuves et nos propres vérifications
method-works = Chacun peut aussi dire qu’un service marche pour lui. Ces réponses sont pesées comme les signalements de problème : un pic demande moins de la moitié de personnes disant que ça marche, et il prend fin dès qu’autant disent que ça marche que disent que ça ne marche pas.
method-probes = Là où nos vérifications surveillent un service, des signalements contre des vérifications qui réussissent ne font jamais de panne : le service garde l’état donné par les vérifications, avec une note disant que des clients signalent des problèmes, et les chiffres. Des vérifications qui échouent pendant que des clients signalent se confirment mutuellement.
method-reported = Là où rien ne peut vérifier un service de l’extérieur (guichets, paiements par carte, agences, ou un service sans vérification), un pic ouvre un incident marqué comme signalé par des clients et non encore confirmé. Les abonnés sont prévenus quand il a duré { $minutes } minutes, ou dès que l’opérateur ou une vérification le confirme. Au plus { $most } incidents de ce type sont ouverts à la fois ; au-delà, les pics suivants sont montrés à côté du service et attendent l’opérateur.
method-confidence-title = Le degré de certitude
method-confidence = Confirmé : l’opérateur le dit, ou nos vérifications et les signalements des clients concordent. Probable : nos vérifications seules. Signalé : les clients seuls, pas encore confirmé. Annoncé : la banque l’a annoncé. Chaque service indique combien de personnes ont signalé, depuis combien de réseaux et de villes, et combien ont dit que ça marche pour elles.
method-withdrawal-title = Les fausses alertes
method-withdrawal = L’opérateur peut retirer un incident comme fausse alerte, avec une raison. Il quitte les pages en direct, les chiffres du bilan et les documents Statuspage ; les flux gardent ce que les lecteurs ont déjà reçu et ajoutent une entrée disant qu’il a été retiré ; les abonnés qui en avaient été prévenus sont prévenus du retrait. L’historique le liste comme retiré, avec la raison. Rien n’est jamais effacé du bilan.
method-privacy-title = Ce qui est gardé sur une personne qui signale
method-privacy = Un signalement garde la banque, le service, ce qui ne marche pas, la ville et le commentaire que vous avez choisi de donner, et l’heure. Votre adresse, son réseau et le jeton de votre navigateur ne sont gardés que sous forme de codes chiffrés, faits avec une clé qui change chaque jour ; la clé de chaque jour est effacée deux jours plus tard, après quoi aucun code gardé ne peut être relié à une adresse. Le commentaire est public : n’y écrivez pas d’informations personnelles. L’opérateur peut supprimer tout signalement.
method-privacy-city = La ville est celle que vous choisissez dans le formulaire ; elle n’est jamais déduite de votre adresse. Cela suit la loi marocaine 09-08 sur les données personnelles : seulement ce dont les règles ont besoin, et seulement aussi longtemps.
