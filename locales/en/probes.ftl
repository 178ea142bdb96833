## What a check found about a bank's page, and how the record words it

# A failure class, as a noun phrase (see class-* in main.ftl).
class-blocked = a refusal by the bank's protection
# Beside a channel that no check can see because the bank's firewall or CDN refuses them.
note-blocked = Our checks are being refused by the bank's protection (its firewall or CDN): we cannot see this channel right now. This says nothing about whether it works for customers.
preview-refused = { $bank }: our checks are being refused by the bank's protection
unknown-refused = Status unknown: our checks are being refused by the bank's protection.
# A maintenance page recognised by its words rather than a whole phrase.
seen-maintenance-words = Words of a maintenance page: { $words }
# An overrun found within a second of the announced end, and one over within a second of it.
probe-failing-overrun-at-end = The maintenance overran: checks of { $channel } still fail at its announced end ({ $end }): { $detail }
channel-back-overran-briefly = { $channel } { $channel-agree ->
        [many] work
       *[one] works
    } normally again. The maintenance overran its announced end by less than a second.
under-a-second = less than a second
channel-intermittent = { $channel } { $channel-agree ->
        [many] work
       *[one] works
    } only now and then: the outage stays open until { $channel-agree ->
        [many] they work
       *[one] it works
    } steadily again.
