## Ce qu'une vérification a trouvé sur la page d'une banque, et comment l'historique le dit

class-blocked = un refus de la protection de la banque
note-blocked = Nos vérifications sont refusées par la protection de la banque (son pare-feu ou son CDN) : nous ne pouvons pas voir ce canal pour le moment. Cela ne dit rien de son fonctionnement pour les clients.
preview-refused = { $bank } : nos vérifications sont refusées par la protection de la banque
unknown-refused = Statut inconnu : nos vérifications sont refusées par la protection de la banque.
seen-maintenance-words = Mots d'une page de maintenance : { $words }
probe-failing-overrun-at-end = La maintenance déborde : les vérifications de « { $channel } » échouent encore à la fin annoncée ({ $end }) : { $detail }
channel-back-overran-briefly = « { $channel } » { $channel-agree ->
        [many-m] fonctionnent
        [many-f] fonctionnent
       *[one] fonctionne
    } de nouveau normalement. La maintenance a débordé de moins d'une seconde sur sa fin annoncée.
under-a-second = moins d'une seconde
channel-intermittent = « { $channel } » ne { $channel-agree ->
        [many-m] fonctionnent
        [many-f] fonctionnent
       *[one] fonctionne
    } que par intermittence : la panne reste ouverte jusqu’au retour d’un fonctionnement stable.
