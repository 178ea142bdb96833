//! A subscription request checked into what it asks for, or the message that says why not.
//! Pure: the banks the config knows, whether email is offered and the page's language are
//! handed in. What needs the network or the database (the target's address, whether a
//! followed incident is open, the rate limit) is checked after, in `create.rs`.

use serde::Deserialize;

use crate::alerts::guard::Refusal;
use crate::alerts::push::BrowserKeys;
use crate::domain::{mail_address, Channel, IncidentKind, Lang, MailAddress};
use crate::i18n::Msg;
use crate::store::alerts::Via;
use crate::web::input::vocabulary;

/// The longest email address or URL taken.
const MAX_TARGET: usize = 2048;
/// The longest email address there is (RFC 5321's path limit, less its brackets).
const MAX_EMAIL: usize = 254;

/// A subscription request, from the JSON API or the form.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionBody {
    /// `webhook`, `email` or `push`.
    pub(super) kind: String,
    pub(super) url: Option<String>,
    pub(super) email: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub(super) subscription: Option<PushSubscription>,
    pub(super) banks: Option<Vec<String>>,
    pub(super) channels: Option<Vec<String>>,
    pub(super) incident_kinds: Option<Vec<String>>,
    pub(super) lang: Option<String>,
    /// Follow this one incident until it resolves.
    pub(super) incident: Option<i64>,
}

/// A browser's push subscription as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Deserialize)]
pub(super) struct PushSubscription {
    endpoint: String,
    keys: BrowserKeys,
}

/// A request that passed every check that needs nothing but itself: known words only,
/// each scope list without repeats (empty: all), the target in its stored form.
#[derive(Debug)]
pub(super) struct Checked {
    pub banks: Vec<String>,
    pub channels: Vec<Channel>,
    pub kinds: Vec<IncidentKind>,
    pub lang: Lang,
    pub incident: Option<i64>,
    pub target: Target,
}

/// Where alerts go, by kind.
#[derive(Debug)]
pub(super) enum Target {
    /// Its address is yet to be checked against the guard.
    Webhook { url: String },
    /// Trimmed and lower-cased, so one address is one subscriber; with the mailbox its
    /// limits count by.
    Email { address: MailAddress },
    /// Its address is yet to be checked against the guard; the keys are valid.
    Push { endpoint: String, keys: BrowserKeys },
}

impl Target {
    pub fn via(&self) -> Via {
        match self {
            Target::Webhook { .. } => Via::Webhook,
            Target::Email { .. } => Via::Email,
            Target::Push { .. } => Via::Push,
        }
    }
}

/// Checks `body` in the order its fields are listed, so the first fault is the one told:
/// the kind, the banks (among `known_banks`, slugs), channels and incident kinds, the
/// language (`fallback` when none is given), then the target of the kind. Email is refused
/// unless `email_offered`.
pub(super) fn check(
    body: SubscriptionBody,
    known_banks: &[&str],
    email_offered: bool,
    fallback: Lang,
) -> Result<Checked, Msg> {
    let via: Via = body
        .kind
        .parse()
        .map_err(|_| invalid("kind", &body.kind, "webhook, email, push"))?;
    let mut banks = Vec::new();
    for b in body.banks.unwrap_or_default() {
        if !known_banks.contains(&b.as_str()) {
            return Err(Msg::new("err-unknown-bank")
                .arg("slug", &b)
                .arg("known", known_banks.join(", ")));
        }
        if !banks.contains(&b) {
            banks.push(b);
        }
    }
    let channels = distinct(body.channels, "channels")?;
    let kinds = distinct(body.incident_kinds, "incident_kinds")?;
    let lang = match body.lang {
        Some(l) => vocabulary::<Lang>("lang", &l)?,
        None => fallback,
    };
    let target = match via {
        Via::Webhook => {
            let url = body.url.ok_or_else(|| missing("url", "webhook"))?;
            if url.len() > MAX_TARGET {
                return Err(refused(&url, Refusal::BadUrl));
            }
            Target::Webhook { url }
        }
        Via::Email => {
            if !email_offered {
                return Err(Msg::new("err-sub-no-email"));
            }
            let email = body.email.ok_or_else(|| missing("email", "email"))?;
            let email = email.trim();
            let refused = || Msg::new("err-sub-email").arg("value", email);
            if email.len() > MAX_EMAIL || !crate::alerts::email::sendable(email) {
                return Err(refused());
            }
            Target::Email {
                address: mail_address(email).ok_or_else(refused)?,
            }
        }
        Via::Push => {
            let sub = body
                .subscription
                .ok_or_else(|| missing("subscription", "push"))?;
            if !sub.keys.valid() {
                return Err(Msg::new("err-sub-push-keys"));
            }
            if sub.endpoint.len() > MAX_TARGET {
                return Err(refused(&sub.endpoint, Refusal::BadUrl));
            }
            Target::Push {
                endpoint: sub.endpoint,
                keys: sub.keys,
            }
        }
    };
    Ok(Checked {
        banks,
        channels,
        kinds,
        lang,
        incident: body.incident,
        target,
    })
}

/// The words of `field`, each once, in the order given.
fn distinct<T: crate::domain::Vocabulary + PartialEq>(
    given: Option<Vec<String>>,
    field: &str,
) -> Result<Vec<T>, Msg> {
    let mut out = Vec::new();
    for word in given.unwrap_or_default() {
        let value = vocabulary::<T>(field, &word)?;
        if !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

/// `value` is not one of `allowed`, in `field`.
pub(super) fn invalid(field: &str, value: &str, allowed: &str) -> Msg {
    Msg::new("err-invalid-value")
        .arg("field", field)
        .arg("value", value)
        .arg("allowed", allowed)
}

fn missing(field: &str, kind: &str) -> Msg {
    Msg::new("err-sub-missing")
        .arg("field", field)
        .arg("kind", kind)
}

/// Why the guard refuses `url`, in words: one sentence for every target alerts may not
/// reach, whether it does not resolve, resolves too slowly or leads somewhere private.
pub(super) fn refused(url: &str, why: Refusal) -> Msg {
    let why = match why {
        Refusal::BadUrl => "err-target-url",
        Refusal::Unreachable => "err-target-unreachable",
        Refusal::Busy => "err-target-busy",
    };
    Msg::new(why).arg("url", url)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BANKS: &[&str] = &["bmce", "cih", "attijariwafa"];
    /// RFC 8291's example subscriber.
    const P256DH: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    fn body(json: serde_json::Value) -> SubscriptionBody {
        serde_json::from_value(json).expect("a request body")
    }

    fn checked(json: serde_json::Value) -> Checked {
        check(body(json), BANKS, true, Lang::Fr).expect("accepted")
    }

    /// The refusal's catalogue id, and its English words.
    fn refusal(json: serde_json::Value) -> (&'static str, String) {
        refusal_with(json, true)
    }

    fn refusal_with(json: serde_json::Value, email_offered: bool) -> (&'static str, String) {
        let msg = check(body(json), BANKS, email_offered, Lang::Fr).expect_err("refused");
        (msg.id(), msg.text(Lang::En))
    }

    fn push(endpoint: &str, p256dh: &str) -> serde_json::Value {
        serde_json::json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": AUTH}})
    }

    #[test]
    fn a_webhook_for_everything_in_the_page_language() {
        let c = checked(serde_json::json!({"kind": "webhook", "url": "https://example.org/h"}));
        assert_eq!(c.target.via(), Via::Webhook);
        assert!(matches!(&c.target, Target::Webhook { url } if url == "https://example.org/h"));
        assert!(c.banks.is_empty() && c.channels.is_empty() && c.kinds.is_empty());
        assert_eq!((c.lang, c.incident), (Lang::Fr, None));
    }

    #[test]
    fn scopes_are_kept_once_each_in_the_order_given() {
        let c = checked(serde_json::json!({
            "kind": "webhook", "url": "https://example.org/h",
            "banks": ["cih", "bmce", "cih"],
            "channels": ["atm", "web", "atm"],
            "incident_kinds": ["maintenance", "outage", "maintenance"],
            "lang": "ar", "incident": 7,
        }));
        assert_eq!(c.banks, ["cih", "bmce"]);
        assert_eq!(c.channels, [Channel::Atm, Channel::Web]);
        assert_eq!(c.kinds, [IncidentKind::Maintenance, IncidentKind::Outage]);
        assert_eq!((c.lang, c.incident), (Lang::Ar, Some(7)));
    }

    #[test]
    fn an_email_address_is_trimmed_and_lower_cased() {
        let c = checked(serde_json::json!({"kind": "email", "email": "  Salma@Example.MA "}));
        assert_eq!(c.target.via(), Via::Email);
        assert!(
            matches!(&c.target, Target::Email { address } if address.address == "salma@example.ma")
        );
    }

    #[test]
    fn a_push_subscription_keeps_its_endpoint_and_keys() {
        let c = checked(serde_json::json!({
            "kind": "push", "subscription": push("https://push.example.org/x", P256DH),
        }));
        let Target::Push { endpoint, keys } = &c.target else {
            panic!("a push target: {c:?}");
        };
        assert_eq!(endpoint, "https://push.example.org/x");
        assert_eq!((keys.p256dh.as_str(), keys.auth.as_str()), (P256DH, AUTH));
    }

    #[test]
    fn an_unknown_kind_is_refused_with_the_known_ones() {
        let (id, text) = refusal(serde_json::json!({"kind": "fax"}));
        assert_eq!(id, "err-invalid-value");
        assert!(
            text.contains("fax") && text.contains("webhook, email, push"),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_bank_is_refused_with_the_known_ones() {
        let (id, text) = refusal(serde_json::json!({
            "kind": "webhook", "url": "https://example.org/h", "banks": ["bmce", "nope"],
        }));
        assert_eq!(id, "err-unknown-bank");
        assert!(
            text.contains("nope") && text.contains("bmce, cih, attijariwafa"),
            "{text}"
        );
    }

    #[test]
    fn unknown_channels_kinds_and_languages_are_refused_by_field() {
        for (field, json) in [
            (
                "channels",
                serde_json::json!({"kind": "webhook", "channels": ["fax"]}),
            ),
            (
                "incident_kinds",
                serde_json::json!({"kind": "webhook", "incident_kinds": ["fax"]}),
            ),
            (
                "lang",
                serde_json::json!({"kind": "webhook", "lang": "fax"}),
            ),
        ] {
            let (id, text) = refusal(json);
            assert_eq!(id, "err-invalid-value", "{field}");
            assert!(text.contains(field) && text.contains("fax"), "{text}");
        }
    }

    #[test]
    fn the_first_fault_is_the_one_told() {
        let (_, text) = refusal(serde_json::json!({
            "kind": "webhook", "channels": ["fax"], "lang": "xx",
        }));
        assert!(text.contains("channels"), "{text}");
    }

    #[test]
    fn each_kind_needs_its_target() {
        for (kind, field) in [
            ("webhook", "url"),
            ("email", "email"),
            ("push", "subscription"),
        ] {
            let (id, text) = refusal(serde_json::json!({"kind": kind}));
            assert_eq!(id, "err-sub-missing", "{kind}");
            assert!(text.contains(field), "{text}");
        }
    }

    #[test]
    fn targets_past_the_length_cap_are_refused() {
        let long = format!("https://example.org/{}", "a".repeat(MAX_TARGET));
        let (id, _) = refusal(serde_json::json!({"kind": "webhook", "url": long}));
        assert_eq!(id, "err-target-url");
        let (id, _) =
            refusal(serde_json::json!({"kind": "push", "subscription": push(&long, P256DH)}));
        assert_eq!(id, "err-target-url");
        let at_cap = format!("https://example.org/{}", "a".repeat(MAX_TARGET - 20));
        assert_eq!(at_cap.len(), MAX_TARGET);
        checked(serde_json::json!({"kind": "webhook", "url": at_cap}));
    }

    #[test]
    fn email_is_refused_where_it_is_not_offered() {
        let (id, _) = refusal_with(
            serde_json::json!({"kind": "email", "email": "salma@example.ma"}),
            false,
        );
        assert_eq!(id, "err-sub-no-email");
    }

    #[test]
    fn what_is_not_an_email_address_is_refused() {
        let long = format!("{}@example.ma", "a".repeat(MAX_EMAIL));
        for email in [
            "salma",
            "salma@",
            "@example.ma",
            long.as_str(),
            "\"salma\"@example.ma",
            "\"sal ma\"@example.ma",
            "salma\u{202e}am@example.ma",
            "sal,ma@example.ma",
        ] {
            let (id, _) = refusal(serde_json::json!({"kind": "email", "email": email}));
            assert_eq!(id, "err-sub-email", "{email}");
        }
    }

    #[test]
    fn push_keys_that_are_no_p256_point_are_refused() {
        let (id, _) = refusal(serde_json::json!({
            "kind": "push", "subscription": push("https://push.example.org/x", "AAAA"),
        }));
        assert_eq!(id, "err-sub-push-keys");
    }

    #[test]
    fn a_guard_refusal_names_the_target_and_why() {
        let url = "http://10.0.0.1/h";
        assert_eq!(refused(url, Refusal::BadUrl).id(), "err-target-url");
        assert_eq!(refused(url, Refusal::Busy).id(), "err-target-busy");
        let unreachable = refused(url, Refusal::Unreachable);
        assert_eq!(unreachable.id(), "err-target-unreachable");
        assert!(
            unreachable.text(Lang::En).contains(url),
            "{:?}",
            unreachable.text(Lang::En)
        );
    }
}
