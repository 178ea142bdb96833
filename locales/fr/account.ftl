## Un seul compte du temps d'un incident, et les pannes de plusieurs banques à la fois
incident-spans-label = Périodes de panne
incident-span = de { $from } à { $to } ({ $duration })
incident-span-open = depuis { $from } ({ $duration }, en cours)
shared-incident = { $channel } en panne dans { $count } banques en { $minutes } min, à partir de { $at }.
shared-others = Les autres :
shared-incident-link = { $banks } (incident n° { $id })
