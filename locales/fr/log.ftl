# Le journal des faits publiés : ses fichiers, sa place sur les pages d’incident, les bilans et les flux.
err-log-no-checkpoint = Le journal n’a pas encore de point de contrôle signé ; réessayez dans quelques secondes.
err-log-no-tile = Le journal n’a pas de tuile « { $path } ».
log-heading = Dans le journal public
log-rests-on = Cette page repose sur ces entrées du journal public : { $entries }.
log-checked = Chacune a été vérifiée par rapport au point de contrôle signé le { $at } (entrées du journal : { $size }).
log-root = Empreinte racine de ce point de contrôle :
log-entry-fails = L’entrée { $index } ne correspond plus au journal : elle a été modifiée après son inscription.
log-pending = Entrées pas encore dans un point de contrôle : { $count }. Elles y seront d’ici quelques secondes.
log-evidence-pack = Dossier de preuves (JSON), à conserver et à vérifier hors ligne
log-checkpoint-link = Dernier point de contrôle
log-key-link = Clé publique du journal
log-scorecard = Chiffres des pannes et des maintenances calculés à partir du journal public jusqu’à son point de contrôle signé le { $at } (entrées du journal : { $size } ; empreinte racine { $root }).
log-feed-title = Point de contrôle du journal public (entrées : { $size })
log-feed-body = Le journal public de cette page d’état tel que signé le { $at } : entrées { $size }, empreinte racine { $root }. Conservez cette entrée : grâce à elle, chacun pourra montrer plus tard que le bilan n’a pas été réécrit depuis (bankstatus verify --since).
health-log-refused = le journal ne signe plus rien : { $why }
