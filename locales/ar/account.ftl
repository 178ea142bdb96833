## حساب واحد لمدة الحادث، والأعطال التي تصيب عدة بنوك في آن واحد
incident-spans-label = فترات الانقطاع
incident-span = من { $from } إلى { $to } ({ $duration })
incident-span-open = منذ { $from } ({ $duration }، مستمر)
shared-incident = توقفت { $channel } لدى { $count } بنوك خلال { $minutes } دقيقة، ابتداء من { $at }.
shared-others = البقية:
shared-incident-link = { $banks } (الحادث رقم { $id })
