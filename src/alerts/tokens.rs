//! Manage tokens and the links that carry them. A token is a keyed hash of its
//! subscription's id, so every message can carry one while the database keeps only its
//! digest ([`token_hash`]): a copy of the database manages nothing.

use crate::store::alerts::Subscription;

/// The token that manages (and unsubscribes) a subscription: a keyed hash of its id, so
/// every message can carry it without the database holding it.
pub fn manage_token(key: &[u8], subscription: &str) -> String {
    crate::keys::mac_hex(key, "manage", subscription.as_bytes())
}

/// What the database keeps of a manage token.
pub fn token_hash(token: &str) -> String {
    crate::keys::hex(&crate::keys::sha256(token.as_bytes()))
}

/// The unsubscribe link of a subscription, with its token.
pub fn unsubscribe_url(key: &[u8], sub: &Subscription) -> String {
    format!(
        "{}/subscriptions/{}/unsubscribe?token={}",
        sub.base_url.trim_end_matches('/'),
        sub.id,
        manage_token(key, &sub.id)
    )
}

/// The manage page of a subscription, with its token.
pub fn manage_url(key: &[u8], base_url: &str, id: &str) -> String {
    format!(
        "{}/subscriptions/{id}?token={}",
        base_url.trim_end_matches('/'),
        manage_token(key, id)
    )
}

/// The double opt-in link an email confirmation carries, with its token.
pub fn confirm_url(key: &[u8], sub: &Subscription) -> String {
    format!(
        "{}/subscriptions/{}/confirm?token={}",
        sub.base_url.trim_end_matches('/'),
        sub.id,
        manage_token(key, &sub.id)
    )
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::domain::Lang;
    use crate::store::alerts::{SubState, Via};

    const KEY: &[u8] = b"a key of the instance";

    fn sub(id: &str, base_url: &str) -> Subscription {
        Subscription {
            id: id.into(),
            via: Via::Email,
            target: "someone@example.org".into(),
            secret: None,
            manage_hash: String::new(),
            banks: Vec::new(),
            channels: Vec::new(),
            incident_kinds: Vec::new(),
            incident_id: None,
            lang: Lang::Fr,
            base_url: base_url.into(),
            state: SubState::Pending,
            created_at: DateTime::UNIX_EPOCH,
            expires_at: None,
            quarantined_at: None,
        }
    }

    #[test]
    fn a_token_is_stable_and_bound_to_its_subscription_and_key() {
        let token = manage_token(KEY, "sub_0a");
        // Links already sent carry this value: a change of derivation breaks every one.
        assert_eq!(token, "ea75bb412d44d04480a06a38735e12e2");
        assert_eq!(
            token,
            manage_token(KEY, "sub_0a"),
            "the same on every message"
        );
        assert_eq!(token.len(), 32, "16 bytes in hex");
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(token, manage_token(KEY, "sub_0b"), "another subscription");
        assert_ne!(
            token,
            manage_token(b"another key", "sub_0a"),
            "another instance"
        );
        // The key also makes reporter ids: a purpose of its own keeps the two apart.
        assert_ne!(token, crate::keys::mac_hex(KEY, "reporter", b"sub_0a"));
    }

    #[test]
    fn the_database_keeps_a_digest_not_the_token() {
        let token = manage_token(KEY, "sub_0a");
        let hash = token_hash(&token);
        assert_eq!(hash, token_hash(&token));
        assert_eq!(hash.len(), 64, "SHA-256 in hex");
        assert!(!hash.contains(&token));
        assert_ne!(hash, token_hash(&manage_token(KEY, "sub_0b")));
    }

    #[test]
    fn links_carry_the_token_under_the_base_without_a_double_slash() {
        let token = manage_token(KEY, "sub_0a");
        let s = sub("sub_0a", "https://status.example.ma/");
        assert_eq!(
            unsubscribe_url(KEY, &s),
            format!("https://status.example.ma/subscriptions/sub_0a/unsubscribe?token={token}")
        );
        assert_eq!(
            confirm_url(KEY, &s),
            format!("https://status.example.ma/subscriptions/sub_0a/confirm?token={token}")
        );
        assert_eq!(
            manage_url(KEY, "https://status.example.ma", "sub_0a"),
            format!("https://status.example.ma/subscriptions/sub_0a?token={token}")
        );
        assert_eq!(
            manage_url(KEY, "https://status.example.ma/", "sub_0a"),
            manage_url(KEY, "https://status.example.ma", "sub_0a")
        );
    }
}
