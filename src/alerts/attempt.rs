//! One attempt at one delivery, by channel: the webhook's challenge and its signed events,
//! the confirmation and event emails, the encrypted push. Each returns an [`Attempt`]; what
//! that means for the delivery is `send.rs`'s to decide.

use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;

use super::email::Mail;
use super::events::{Entry, EventData};
use super::message::{self, Notice};
use super::push::{self, BrowserKeys};
use super::rules::Change;
use super::webhook::{self, Format};
use super::{guard, tokens, Dispatcher, CONFIRM_WITHIN};
use crate::domain::Lang;
use crate::i18n::Msg;
use crate::store::alerts::{Delivery, Purpose, Subscription, Via};

/// How an attempt went.
#[derive(Debug, PartialEq)]
pub(super) enum Attempt {
    Done,
    /// The receiver says the subscription is no more: it is deleted.
    Gone,
    Failed {
        error: String,
        /// How long the receiver asked to be left alone.
        retry_after: Option<chrono::Duration>,
    },
}

impl Attempt {
    fn failed(error: String) -> Attempt {
        Attempt::Failed {
            error,
            retry_after: None,
        }
    }
}

impl Dispatcher {
    /// One attempt at `d`, by the subscription's channel and the delivery's purpose. A
    /// delivery whose event is gone, or that its channel has no way to send, is done.
    pub(super) async fn attempt(&self, d: &Delivery, sub: &Subscription) -> Attempt {
        let data = match d.event_id {
            Some(id) => match self.events.get(id).await {
                Ok(Some(data)) => Some(data),
                Ok(None) => return Attempt::Done,
                Err(e) => return Attempt::failed(e.to_string()),
            },
            None => None,
        };
        match (sub.via, d.purpose, data) {
            (Via::Webhook, Purpose::Verify, _) => self.verify_webhook(d, sub).await,
            (Via::Webhook, _, Some(data)) => self.send_webhook(d, sub, &data).await,
            (Via::Email, Purpose::Confirm, _) => self.send_confirmation(d, sub).await,
            (Via::Email, _, Some(data)) => self.send_email(d, sub, &data).await,
            (Via::Push, _, Some(data)) => self.send_push(sub, &data).await,
            _ => Attempt::Done,
        }
    }

    /// POSTs `body` to a webhook, signed by the Standard Webhooks spec unless the target
    /// takes its own format; the answer's body on 2xx.
    async fn post_json(
        &self,
        sub: &Subscription,
        d: &Delivery,
        body: &serde_json::Value,
    ) -> Result<String, Attempt> {
        let format = Format::of(&sub.target);
        let Ok(url) = reqwest::Url::parse(&sub.target) else {
            return Err(Attempt::failed("not a URL".into()));
        };
        if !guard::literal_allowed(&url, self.alerts.config.alerts.allow_private_targets) {
            return Err(Attempt::failed("a private address".into()));
        }
        let bytes = body.to_string().into_bytes();
        let mut req = self
            .client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json");
        if format == Format::Standard {
            let ts = self.alerts.clock.now().timestamp();
            let secret = sub.secret.as_deref().unwrap_or("");
            req = req
                .header("webhook-id", &d.id)
                .header("webhook-timestamp", ts.to_string())
                .header(
                    "webhook-signature",
                    webhook::signature(secret, &d.id, ts, &bytes),
                );
        }
        let res = req
            .body(bytes)
            .send()
            .await
            .map_err(|e| Attempt::failed(error_chain(&e)))?;
        let status = res.status();
        if status.is_success() {
            return Ok(res.text().await.unwrap_or_default());
        }
        if status == StatusCode::GONE {
            return Err(Attempt::Gone);
        }
        Err(Attempt::Failed {
            error: format!("HTTP {}", status.as_u16()),
            retry_after: retry_after(res.headers()),
        })
    }

    async fn verify_webhook(&self, d: &Delivery, sub: &Subscription) -> Attempt {
        let format = Format::of(&sub.target);
        let challenge = webhook::challenge(sub.secret.as_deref().unwrap_or(""), &sub.id);
        let text = Msg::new("alert-webhook-ready").text(sub.lang);
        let body = webhook::verify_body(format, &challenge, &text);
        match self.post_json(sub, d, &body).await {
            Ok(answer) if webhook::answers(format, &answer, &challenge) => Attempt::Done,
            Ok(_) => Attempt::failed("the answer is not the challenge alone".into()),
            Err(a) => a,
        }
    }

    /// What a message says of this event, in the subscriber's language.
    fn notice(&self, sub: &Subscription, data: &EventData) -> Notice {
        let config = &self.alerts.config;
        match &data.entry {
            Entry::Update(update) => message::notice(
                config,
                &data.incident,
                update,
                data.change,
                sub.lang,
                &sub.base_url,
            ),
            Entry::Statement { statement, .. } => message::statement_notice(
                config,
                statement,
                data.incident.id,
                sub.lang,
                &sub.base_url,
            ),
        }
    }

    async fn send_webhook(&self, d: &Delivery, sub: &Subscription, data: &EventData) -> Attempt {
        let notice = self.notice(sub, data);
        let format = Format::of(&sub.target);
        let body = match &data.entry {
            Entry::Update(update) => webhook::event_body(
                format,
                &data.incident,
                update,
                data.change,
                &sub.base_url,
                &notice,
            ),
            Entry::Statement {
                statement,
                incidents,
            } => webhook::statement_body(format, statement, incidents, &sub.base_url, &notice),
        };
        match self.post_json(sub, d, &body).await {
            Ok(_) => Attempt::Done,
            Err(a) => a,
        }
    }

    async fn send_confirmation(&self, d: &Delivery, sub: &Subscription) -> Attempt {
        let Some(mailer) = &self.mailer else {
            return Attempt::Done;
        };
        let lang = sub.lang;
        let url = tokens::confirm_url(&self.alerts.key, sub);
        let paragraphs = vec![
            Msg::new("alert-confirm-body").text(lang),
            Msg::new("alert-confirm-expires")
                .arg("hours", CONFIRM_WITHIN.num_hours())
                .text(lang),
        ];
        let subject = Msg::new("alert-confirm-subject").text(lang);
        let link_words = Msg::new("alert-confirm-link").text(lang);
        let footer = Msg::new("alert-confirm-ignore").text(lang);
        let mail = Mail {
            to: &sub.target,
            id: &d.id,
            lang,
            subject: &subject,
            paragraphs: &paragraphs,
            link: Some((&url, &link_words)),
            unsubscribe: None,
            footer: &footer,
        };
        match mailer.send(&mail).await {
            Ok(()) => Attempt::Done,
            Err(e) => Attempt::failed(e),
        }
    }

    async fn send_email(&self, d: &Delivery, sub: &Subscription, data: &EventData) -> Attempt {
        let Some(mailer) = &self.mailer else {
            return Attempt::Done;
        };
        let lang = sub.lang;
        let notice = self.notice(sub, data);
        let paragraphs = email_paragraphs(&notice);
        let unsubscribe = tokens::unsubscribe_url(&self.alerts.key, sub);
        let details = Msg::new("alert-details").text(lang);
        let footer = Msg::new("alert-unsubscribe").text(lang);
        let mail = Mail {
            to: &sub.target,
            id: &d.id,
            lang,
            subject: &notice.subject,
            paragraphs: &paragraphs,
            link: Some((&notice.url, &details)),
            unsubscribe: Some(&unsubscribe),
            footer: &footer,
        };
        match mailer.send(&mail).await {
            Ok(()) => Attempt::Done,
            Err(e) => Attempt::failed(e),
        }
    }

    async fn send_push(&self, sub: &Subscription, data: &EventData) -> Attempt {
        let Some(keys) = sub
            .secret
            .as_deref()
            .and_then(|s| serde_json::from_str::<BrowserKeys>(s).ok())
        else {
            return Attempt::Gone;
        };
        let notice = self.notice(sub, data);
        let payload = push_payload(&notice, data.incident.id, sub.lang);
        let Some(body) = push::encrypt(&keys, payload.to_string().as_bytes()) else {
            return Attempt::Gone;
        };
        let Ok(url) = reqwest::Url::parse(&sub.target) else {
            return Attempt::Gone;
        };
        if !guard::literal_allowed(&url, self.alerts.config.alerts.allow_private_targets) {
            return Attempt::failed("a private address".into());
        }
        let now = self.alerts.clock.now().timestamp();
        let auth = self.alerts.vapid.authorization(&url, now);
        let res = self
            .client
            .post(url)
            .header("TTL", push::TTL_SECS.to_string())
            .header("Urgency", urgency(data.change))
            .header("Topic", format!("incident-{}", data.incident.id))
            .header(header::CONTENT_ENCODING, "aes128gcm")
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::AUTHORIZATION, auth)
            .body(body)
            .send()
            .await;
        match res {
            Ok(r) => push_answer(r.status(), r.headers()),
            Err(e) => Attempt::failed(error_chain(&e)),
        }
    }
}

/// An event email's paragraphs: the title, the entry's words when they add to it, and the
/// state with its time.
fn email_paragraphs(notice: &Notice) -> Vec<String> {
    let mut paragraphs = vec![notice.title.clone()];
    if !notice.message.is_empty() && notice.message != notice.title {
        paragraphs.push(notice.message.clone());
    }
    paragraphs.push(notice.status_line.clone());
    paragraphs
}

/// What the service worker shows (`static/push-sw.js` reads these names); one tag per
/// incident, so a later notification replaces the earlier one.
fn push_payload(notice: &Notice, incident_id: i64, lang: Lang) -> serde_json::Value {
    serde_json::json!({
        "title": notice.subject,
        "body": format!("{}\n{}", notice.title, notice.status_line),
        "url": notice.url,
        "tag": format!("incident-{incident_id}"),
        "lang": lang.as_str(),
        "dir": if lang.is_rtl() { "rtl" } else { "ltr" },
    })
}

/// An outage's opening wakes a phone; everything else can wait for it (RFC 8030 §5.3).
fn urgency(change: Change) -> &'static str {
    if matches!(change, Change::Opened) {
        "high"
    } else {
        "normal"
    }
}

/// How a push service's answer ends the attempt.
fn push_answer(status: StatusCode, headers: &HeaderMap) -> Attempt {
    if status.is_success() {
        return Attempt::Done;
    }
    // The browser unsubscribed or the push service forgot it: the subscription ends.
    if matches!(status.as_u16(), 404 | 410) {
        return Attempt::Gone;
    }
    Attempt::Failed {
        error: format!("HTTP {}", status.as_u16()),
        retry_after: retry_after(headers),
    }
}

/// A `Retry-After` given in seconds; the HTTP-date form is not honoured.
fn retry_after(headers: &HeaderMap) -> Option<chrono::Duration> {
    headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(chrono::Duration::seconds)
}

/// An error with its causes, so a log line says "connection refused", not only "error
/// sending request".
fn error_chain(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(message: &str) -> Notice {
        Notice {
            subject: "BMCE: ATM — outage".into(),
            title: "ATMs down".into(),
            message: message.into(),
            status_line: "Investigating, 16:00".into(),
            url: "https://status.example.ma/incidents/7".into(),
            lang: Lang::Ar,
        }
    }

    fn headers(retry_after: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::RETRY_AFTER,
            retry_after.parse().expect("header value"),
        );
        h
    }

    #[test]
    fn retry_after_is_read_in_seconds_only() {
        assert_eq!(
            retry_after(&headers(" 120 ")),
            Some(chrono::Duration::seconds(120))
        );
        assert_eq!(retry_after(&headers("Fri, 13 Feb 2026 16:00:00 GMT")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn a_push_services_answer_ends_the_attempt() {
        let none = HeaderMap::new();
        assert_eq!(push_answer(StatusCode::CREATED, &none), Attempt::Done);
        assert_eq!(push_answer(StatusCode::NOT_FOUND, &none), Attempt::Gone);
        assert_eq!(push_answer(StatusCode::GONE, &none), Attempt::Gone);
        assert_eq!(
            push_answer(StatusCode::TOO_MANY_REQUESTS, &headers("60")),
            Attempt::Failed {
                error: "HTTP 429".into(),
                retry_after: Some(chrono::Duration::seconds(60)),
            }
        );
    }

    #[test]
    fn only_an_opening_is_urgent() {
        assert_eq!(urgency(Change::Opened), "high");
        for c in [Change::Updated, Change::Resolved, Change::WindowStarted] {
            assert_eq!(urgency(c), "normal");
        }
    }

    #[test]
    fn a_push_payload_is_tagged_by_incident_and_written_in_its_direction() {
        let p = push_payload(&notice(""), 7, Lang::Ar);
        assert_eq!(p["title"], "BMCE: ATM — outage");
        assert_eq!(p["body"], "ATMs down\nInvestigating, 16:00");
        assert_eq!(p["url"], "https://status.example.ma/incidents/7");
        assert_eq!(p["tag"], "incident-7");
        assert_eq!(
            (p["lang"].as_str(), p["dir"].as_str()),
            (Some("ar"), Some("rtl"))
        );
        let fr = push_payload(&notice(""), 7, Lang::Fr);
        assert_eq!(
            (fr["lang"].as_str(), fr["dir"].as_str()),
            (Some("fr"), Some("ltr"))
        );
    }

    #[test]
    fn an_email_repeats_the_entry_only_when_it_adds_to_the_title() {
        assert_eq!(
            email_paragraphs(&notice("")),
            ["ATMs down", "Investigating, 16:00"]
        );
        assert_eq!(
            email_paragraphs(&notice("ATMs down")),
            ["ATMs down", "Investigating, 16:00"]
        );
        assert_eq!(
            email_paragraphs(&notice("Cards are swallowed")),
            ["ATMs down", "Cards are swallowed", "Investigating, 16:00"]
        );
    }
}
