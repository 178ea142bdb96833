-- The mailbox and domain each email subscription counts under: its address lower-cased with
-- any `+tag` dropped, and the part after `@`. The limits on confirmation mail count by
-- these, so `name+1@` and `NAME@` are one mailbox. Existing rows take their address as it
-- is (they were stored lower-cased).
ALTER TABLE subscriptions ADD COLUMN mailbox TEXT;
ALTER TABLE subscriptions ADD COLUMN mail_domain TEXT;
UPDATE subscriptions
   SET mailbox = target,
       mail_domain = substr(target, instr(target, '@') + 1)
 WHERE kind = 'email';
CREATE INDEX subscriptions_mailbox ON subscriptions (mailbox, created_at);
CREATE INDEX subscriptions_mail_domain ON subscriptions (mail_domain, created_at);
