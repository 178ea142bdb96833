# Le pupitre de l’opérateur, les corrections d’entrées publiées, et les nouveaux refus de l’API de l’opérateur.

desk-title = Pupitre de l’opérateur
desk-home-title = Pupitre
desk-sign-in-title = Connexion au pupitre de l’opérateur
desk-sign-in-intro = Collez votre jeton d’opérateur. Chaque action faite ici est enregistrée sous votre nom ; le public ne voit que « l’opérateur ».
desk-sign-in-note = Les essais manqués sont ralentis par adresse. La session prend fin après 8 heures sans usage, ou après 24 heures.
desk-token = Jeton d’opérateur
desk-sign-in = Se connecter
desk-sign-out = Se déconnecter
desk-signed-in-as = Connecté en tant que
desk-closed = Aucun opérateur ne peut se connecter : définissez BANKSTATUS_ADMIN_TOKEN, ou déclarez [[operators]] dans le fichier de configuration.
desk-nav-home = Pupitre
desk-nav-window = Annoncer une maintenance
desk-nav-incident = Panne ou alerte
desk-nav-statement = Ce que la banque a dit
desk-nav-reports = Signalements
desk-back = Retour au pupitre
desk-none = Aucun.

desk-attention = À surveiller
desk-storage = Registre :
desk-storage-ok = écrit normalement.
desk-storage-failing = non écrit depuis { $since } ({ $minutes } min, { $cause }) ; les pages le disent.
desk-failing-probes = Vérifications en échec
desk-no-failing-probes = Aucune vérification n’échoue en ce moment.
desk-quarantined = Destinataires d’alertes mis de côté
desk-no-quarantined = Aucun destinataire d’alertes n’est mis de côté.
desk-alerts-unread = La file des alertes n’a pas pu être lue.
desk-open-incidents = Incidents et alertes en cours
desk-open-windows = Maintenances annoncées
desk-latest-actions = Dernières actions
desk-names-private = Les noms des opérateurs ne sont montrés qu’ici, jamais au public.
desk-new-advisory = Publier une alerte de sécurité
desk-new-outage = Déclarer une panne

desk-action-create_incident = Incident ou alerte publié
desk-action-add_update = Mise à jour publiée
desk-action-create_maintenance = Maintenance annoncée
desk-action-change_maintenance = Maintenance modifiée
desk-action-delete_report = Signalement supprimé
desk-action-delete_reporter_reports = Signalements d’un auteur supprimés
desk-action-withdraw_incident = Fausse alerte retirée
desk-action-correct_update = Correction publiée
desk-action-create_statement = Déclaration de la banque enregistrée
desk-action-sign_in = Connexion
desk-action-sign_out = Déconnexion
desk-done-title = C’est fait

desk-bank-is = Banque :
desk-time-format = Format :
desk-bank = Banque
desk-banks = Banques
desk-all-banks = Toutes les banques
desk-channels = Services
desk-channels-optional = Services (aucun coché : tous)
desk-all-services = tous les services
desk-title-field = Titre
desk-message = Message
desk-source = Source (lien vers l’annonce)
desk-starts = Début
desk-ends = Fin
desk-zone-hint = Heures telles que les horloges les affichent en { $zone } ({ $tz }). Le changement d’heure du ramadan est pris en compte : écrivez l’heure que l’on lit ce jour-là.
desk-publish = Publier
desk-show = Afficher

desk-window-new-title = Annoncer une maintenance
desk-window-edit-title = Maintenance : { $title }
desk-window-announce = Annoncer
desk-window-save = Annoncer la modification
desk-window-begun = Cette maintenance a commencé : ce qui a été annoncé reste au registre. Publiez une mise à jour, ou terminez-la ci-dessous.
desk-window-cancel-title = Terminer ou annuler la maintenance
desk-window-cancel-reason = Pourquoi (facultatif)
desk-window-cancel = Terminer la maintenance maintenant

desk-kind = Nature
desk-kind-advisory = Alerte de sécurité
desk-kind-outage = Panne
desk-advisory-source = Source (obligatoire pour une alerte)
desk-advisory-source-hint = Là où elle a été annoncée : Bank Al-Maghrib, le CERT national (maCERT), la banque elle-même.
desk-fakes = Faux domaines, numéros ou comptes
desk-fakes-hint = Un par ligne. Les domaines sont écrits avec un point brisé (bmce-secure[.]com) pour qu’aucune application n’en fasse un lien.
desk-err-advisory-source = Une alerte a besoin du lien vers l’endroit où elle a été annoncée.

desk-post-update = Publier une mise à jour
desk-state = État
desk-ready-texts = Texte prêt pour :
desk-new-title = Nouveau titre (facultatif)
desk-preview = Aperçu
desk-preview-note = Tel que la page de l’incident montrera l’entrée, dans chaque langue.
desk-preview-button = Aperçu
desk-public-page = Page publique
desk-correct = Corriger cette entrée
desk-withdraw = Retirer comme fausse alerte
desk-withdraw-note = L’incident quitte les pages en direct et les chiffres ; le registre le garde comme retiré, avec votre raison. Les abonnés qui en ont été avertis sont prévenus.
desk-withdrawn-note = Retiré comme fausse alerte : plus de mise à jour. Ses entrées peuvent encore être corrigées.
desk-withdraw-reason = Raison

desk-ready-investigating = Des clients de { $bank } signalent des problèmes : { $channels }. Nous vérifions ce qui se passe.
desk-ready-identified = La cause du problème ({ $channels }, { $bank }) est connue. Le service n’est pas encore rétabli.
desk-ready-monitoring = Chez { $bank }, le service fonctionne de nouveau pour la plupart des clients ({ $channels }). Nous vérifions que cela dure.
desk-ready-resolved = Chez { $bank }, le service fonctionne de nouveau normalement ({ $channels }).
desk-ready-scheduled = { $bank } a annoncé une maintenance : { $channels }.
desk-ready-in_progress = La maintenance est en cours chez { $bank } : { $channels } indisponibles.
desk-ready-completed = La maintenance chez { $bank } est terminée : { $channels } de nouveau disponibles.

desk-correct-title = Corriger une entrée publiée
desk-published = Publiée
desk-published-text = Texte tel que publié
desk-correct-note = La correction s’ajoute après l’entrée, avec son heure ; l’entrée garde son texte publié, et les lecteurs voient les deux.
desk-corrected-text = Texte corrigé (les langues laissées telles quelles gardent leur texte)
desk-correct-publish = Publier la correction

desk-statement-intro = Les mots de la banque tels qu’elle les a écrits, dans les langues qu’elle a employées ; vos propres traductions à part.
desk-statement-incident = Numéro d’incident (facultatif : sinon les pannes de la banque en cours quand elle a parlé)
desk-statement-words = Les mots de la banque
desk-statement-translations = Traductions faites ici
desk-source-kind = Où elle l’a dit
desk-said-at = Dit le
desk-expected-back = Retour promis pour (facultatif)

desk-activity = D’où viennent les signalements en ce moment
desk-busiest-channels = Services les plus signalés
desk-busiest-networks = Réseaux les plus actifs
desk-networks = Réseaux : { $count }
desk-reports-word = Signalements :
desk-reporters-word = Auteurs :
desk-no-reports = Aucun signalement.
desk-latest-reports = Derniers signalements
desk-works = ça marche pour eux
desk-not-counted = non compté
desk-reporter = Auteur
desk-delete = Supprimer
desk-delete-reporter = Tout supprimer de cet auteur
desk-watch = Suivre : recharger toutes les 10 secondes
desk-watch-stop = Arrêter de recharger

desk-err-origin = Ce formulaire ne vient pas du pupitre de ce site : rien n’a été fait.
desk-err-csrf = Ce formulaire a expiré ou ne vient pas du pupitre : rien n’a été fait. Revenez en arrière, rechargez la page et envoyez-le de nouveau.
desk-err-key = Il manque à ce formulaire sa clé unique : rechargez la page et envoyez-le de nouveau.
desk-err-signed-out = Vous n’êtes pas connecté, ou votre session a pris fin : rien n’a été fait. Reconnectez-vous sur /desk.
desk-err-token = Ce jeton n’est pas celui d’un opérateur.
desk-err-throttled = Trop de jetons erronés depuis votre adresse : réessayez dans { $seconds } s.
desk-err-no-action = Aucune action n’a été faite sous cette clé.

correction-at = Corrigé le
correction-earlier = Le texte précédent disait :
correction-title = Correction

advisory-source = Source : { $url }
advisory-impersonators = Fausses adresses et faux numéros, ne leur faites pas confiance : { $list }

window-changed = La maintenance a été annoncée de nouveau : du { $starts } au { $ends }, { $channels }.

err-request-repeated = Cette requête (clé { $key }) a déjà été exécutée ; rien n’a été refait.
err-idempotency-key = L’en-tête Idempotency-Key doit faire de 1 à { $max } caractères ASCII imprimables.
err-impersonators-too-many = Une alerte liste au plus { $max } faux domaines ou numéros.
err-impersonator = « { $value } » ne peut pas être listé : 200 caractères au plus, sans caractère de contrôle ni invisible.
err-impersonators-advisory-only = Seule une alerte liste de faux domaines ou numéros.
err-no-window = Aucune maintenance n’a l’identifiant « { $id } ».
err-window-bank = La banque d’une maintenance ne change pas (c’est { $bank }) : annulez celle-ci et annoncez-en une autre.
err-window-begun = La maintenance { $id } a commencé, est terminée ou a été annulée : ce qui a été annoncé reste au registre. Publiez une mise à jour, ou terminez-la.
err-window-from-config = La maintenance { $id } vient du fichier de configuration : modifiez-la là.
err-incident-withdrawn = L’incident { $id } a été retiré comme fausse alerte : il ne prend plus de mise à jour ; ses entrées peuvent encore être corrigées.
err-no-update = L’incident { $id } n’a pas d’entrée « { $update } ».
err-correct-operator-only = Seules les entrées de l’opérateur se corrigent ici ; celles du suivi disent ce qu’il a vu.
err-correction-unchanged = Le texte corrigé est le même que le texte actuel : rien à corriger.
