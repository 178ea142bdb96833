## One account of an incident's time, and failures at several banks at once
incident-spans-label = Open spans
incident-span = { $from } to { $to } ({ $duration })
incident-span-open = since { $from } ({ $duration }, ongoing)
shared-incident = { $channel } failed at { $count } banks within { $minutes } min, from { $at }.
shared-others = The others:
shared-incident-link = { $banks } (incident #{ $id })
