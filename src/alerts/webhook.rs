//! Webhooks: the Standard Webhooks signature, the versioned JSON bodies (`incident.updated`,
//! `statement.published`), and the chat formats (Slack, Discord, Microsoft Teams) chosen
//! from the URL.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::message::{incident_url, Notice};
use super::rules::Change;
use crate::domain::Statement;
use crate::store::{IncidentRow, UpdateRow};

/// The version of the JSON body; a change that breaks readers gets a new one.
pub const BODY_VERSION: u32 = 1;
/// How a webhook's signing secret starts, as Standard Webhooks writes it.
pub const SECRET_PREFIX: &str = "whsec_";

/// What the receiver reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Standard Webhooks, signed, with the JSON body.
    Standard,
    Slack,
    Discord,
    Teams,
}

impl Format {
    /// Chat services take their own JSON and no signature; the URL says which one.
    pub fn of(url: &str) -> Format {
        let Ok(u) = reqwest::Url::parse(url) else {
            return Format::Standard;
        };
        let host = u.host_str().unwrap_or("").to_ascii_lowercase();
        let path = u.path();
        if host == "hooks.slack.com" {
            Format::Slack
        } else if (host == "discord.com" || host == "discordapp.com")
            && path.starts_with("/api/webhooks/")
        {
            Format::Discord
        } else if host.ends_with(".webhook.office.com")
            || host.ends_with(".logic.azure.com")
            || host.ends_with(".powerplatform.com")
        {
            Format::Teams
        } else {
            Format::Standard
        }
    }
}

/// A fresh secret, `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the secret's decoded bytes.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.trim_start_matches(SECRET_PREFIX))
        .unwrap_or_else(|_| secret.as_bytes().to_vec());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The challenge a webhook must echo, derived from its secret so every attempt asks the same.
pub fn challenge(secret: &str, subscription: &str) -> String {
    let sig = signature(secret, subscription, 0, b"challenge");
    sig.trim_start_matches("v1,")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect()
}

/// The body of the verification event.
pub fn verify_body(format: Format, challenge: &str, text: &str) -> Value {
    match format {
        Format::Standard => json!({
            "type": "webhook.verify",
            "version": BODY_VERSION,
            "data": { "challenge": challenge },
        }),
        _ => chat(format, text),
    }
}

fn chat(format: Format, text: &str) -> Value {
    match format {
        Format::Discord => json!({ "content": text }),
        Format::Teams => json!({
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "text": text,
        }),
        _ => json!({ "text": text }),
    }
}

fn names(n: &crate::domain::Names) -> Value {
    json!({ "ar": n.ar, "fr": n.fr, "en": n.en })
}

/// The body of an incident change.
pub fn event_body(
    format: Format,
    incident: &IncidentRow,
    update: &UpdateRow,
    change: Change,
    base_url: &str,
    notice: &Notice,
) -> Value {
    if format != Format::Standard {
        return chat(format, &format!("{}\n{}", notice.subject, notice.url));
    }
    let scopes: Vec<Value> = incident
        .scopes
        .iter()
        .map(|(bank, channel)| json!({ "bank": bank, "channel": channel.as_str() }))
        .collect();
    let mut banks: Vec<&str> = incident.scopes.iter().map(|(b, _)| b.as_str()).collect();
    banks.dedup();
    json!({
        "type": change.event_type(),
        "version": BODY_VERSION,
        "timestamp": update.at.to_rfc3339(),
        "data": {
            "change": change.as_str(),
            "incident": {
                "id": incident.id,
                "kind": incident.kind.as_str(),
                "state": update.state.as_str(),
                "title": names(&incident.title),
                "banks": banks,
                "scopes": scopes,
                "started_at": incident.started_at.to_rfc3339(),
                "resolved_at": incident.resolved_at.map(|t| t.to_rfc3339()),
                "url": incident_url(base_url, incident.id),
            },
            "update": {
                "id": update.id,
                "at": update.at.to_rfc3339(),
                "state": update.state.as_str(),
                "source": update.source.as_str(),
                "message": names(&update.message),
            },
        },
    })
}

/// The body of a bank's statement: `statement.published`, with the statement as stored
/// (its words verbatim, translations apart) and the incidents it speaks of.
pub fn statement_body(
    format: Format,
    s: &Statement,
    incidents: &[IncidentRow],
    base_url: &str,
    notice: &Notice,
) -> Value {
    if format != Format::Standard {
        return chat(
            format,
            &format!("{}\n{}\n{}", notice.subject, notice.title, notice.url),
        );
    }
    let incidents: Vec<Value> = incidents
        .iter()
        .map(|i| {
            json!({
                "id": i.id,
                "kind": i.kind.as_str(),
                "state": i.state.as_str(),
                "title": names(&i.title),
                "started_at": i.started_at.to_rfc3339(),
                "resolved_at": i.resolved_at.map(|t| t.to_rfc3339()),
                "url": incident_url(base_url, i.id),
            })
        })
        .collect();
    json!({
        "type": "statement.published",
        "version": BODY_VERSION,
        "timestamp": s.recorded_at.to_rfc3339(),
        "data": {
            "statement": {
                "id": s.id,
                "bank": s.bank,
                "channels": s.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "text": names(&s.words),
                "translations": names(&s.translations),
                "source_url": s.source_url,
                "source_kind": s.source_kind.as_str(),
                "said_at": s.said_at.to_rfc3339(),
                "expected_back_at": s.expected_back_at.map(|t| t.to_rfc3339()),
                "recorded_at": s.recorded_at.to_rfc3339(),
                "url": notice.url,
            },
            "incidents": incidents,
        },
    })
}

/// Whether a verification answer gives the challenge back on its own: as the whole body, or
/// as `{"challenge": "..."}` and nothing else. An endpoint that only echoes what it is sent
/// gives back the whole verification event, which does not answer: the endpoint must have
/// read the challenge out of it, so it was built to receive these alerts.
pub fn answers(format: Format, body: &str, challenge: &str) -> bool {
    if format != Format::Standard {
        return true;
    }
    let body = body.trim();
    if body == challenge {
        return true;
    }
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(answer)) => {
            answer.len() == 1 && answer.get("challenge").and_then(Value::as_str) == Some(challenge)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_spec_example() {
        // The example of the Standard Webhooks specification.
        let sig = signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn an_echo_of_the_verification_does_not_answer_it() {
        let c = challenge("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "sub_1");
        let sent = verify_body(Format::Standard, &c, "ready").to_string();
        assert!(!answers(Format::Standard, &sent, &c), "the body echoed");
        let wrapped = json!({ "json": serde_json::from_str::<Value>(&sent).expect("json") });
        assert!(!answers(Format::Standard, &wrapped.to_string(), &c));
        let extra = json!({ "challenge": c, "type": "webhook.verify" }).to_string();
        assert!(!answers(Format::Standard, &extra, &c));
        assert!(!answers(Format::Standard, &format!("ok {c}"), &c));
        assert!(answers(
            Format::Standard,
            &json!({ "challenge": c }).to_string(),
            &c
        ));
        assert!(answers(Format::Standard, &format!("{c}\n"), &c));
        assert!(
            answers(Format::Slack, "ok", &c),
            "chat formats need no answer"
        );
    }

    #[test]
    fn formats_come_from_the_url() {
        assert_eq!(
            Format::of("https://hooks.slack.com/services/T/B/X"),
            Format::Slack
        );
        assert_eq!(
            Format::of("https://discord.com/api/webhooks/1/abc"),
            Format::Discord
        );
        assert_eq!(
            Format::of("https://acme.webhook.office.com/webhookb2/x"),
            Format::Teams
        );
        assert_eq!(Format::of("https://example.org/hook"), Format::Standard);
    }

    #[test]
    fn secrets_are_prefixed_and_fresh() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with("whsec_"));
        assert_ne!(a, b);
        assert_eq!(challenge(&a, "s1"), challenge(&a, "s1"));
        assert_ne!(challenge(&a, "s1"), challenge(&b, "s1"));
    }
}
