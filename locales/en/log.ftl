# The log of published facts: its files, its place on incident pages, scorecards and feeds.
err-log-no-checkpoint = The log has no signed checkpoint yet; try again in a few seconds.
err-log-no-tile = The log has no tile `{ $path }`.
log-heading = In the public log
log-rests-on = This page rests on these entries of the public log: { $entries }.
log-checked = Each was checked against the checkpoint signed on { $at } (entries in the log: { $size }).
log-root = Root hash of that checkpoint:
log-entry-fails = Entry { $index } no longer matches the log: it was changed after it was logged.
log-pending = Entries not yet in a checkpoint: { $count }. They will be within seconds.
log-evidence-pack = Evidence pack (JSON), to keep and check offline
log-checkpoint-link = Latest checkpoint
log-key-link = The log's public key
log-scorecard = Outage and maintenance figures computed from the public log up to its checkpoint signed on { $at } (entries in the log: { $size }; root hash { $root }).
log-feed-title = Checkpoint of the public log (entries: { $size })
log-feed-body = The public log of this status page as signed on { $at }: entries { $size }, root hash { $root }. Keep this entry: with it anyone can show later that the record was not rewritten since (bankstatus verify --since).
health-log-refused = the log signs nothing: { $why }
