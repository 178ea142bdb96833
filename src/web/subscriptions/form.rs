//! The subscribe page: `GET /subscribe` (pre-filled from the links that lead to it) and
//! `POST /subscribe` from its form, which works without JavaScript for email and webhooks;
//! Web Push needs the page's own script (`/push.js`) and its service worker, served here.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use super::create::{create, Created};
use super::page::{layout, message_page, no_store, simple_page, Words};
use super::request::{invalid, SubscriptionBody};
use crate::alerts::CONFIRM_WITHIN;
use crate::domain::{Channel, IncidentKind, Lang};
use crate::i18n::{channel_name, term, Msg};
use crate::web::client::{form_cookie, form_token_valid, new_form_token, Client};
use crate::web::error::{AppError, PageError};
use crate::web::feeds::base_url;
use crate::web::input::{self, query_param};
use crate::web::pages::page_lang;
use crate::web::views::Layout;
use crate::web::AppState;

/// The subscribe page runs its own script, and only it.
const PUSH_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; worker-src 'self'";
const PUSH_JS: &str = include_str!("../../../static/push.js");
const PUSH_SW: &str = include_str!("../../../static/push-sw.js");

/// One checkbox of the form.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The subscribe page: the choices, each kind's target, the form token.
#[derive(Template)]
#[template(path = "subscribe.html")]
pub struct SubscribePage {
    pub l: Layout,
    pub words: Words,
    pub banks: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub langs: Vec<Choice>,
    pub email_offered: bool,
    pub incident: Option<i64>,
    pub csrf: String,
    pub error: Option<String>,
}

/// What the form shows checked: from the link that led to it, or from a refused submission.
#[derive(Debug, Default, PartialEq)]
struct Prefill {
    banks: Vec<String>,
    channels: Vec<String>,
    kinds: Vec<String>,
    lang: Option<String>,
    incident: Option<i64>,
}

/// The form with `prefill` checked and `error` above it, with a fresh form token.
fn render_subscribe(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    prefill: &Prefill,
    error: Option<String>,
) -> Result<Response, PageError> {
    let csrf = new_form_token(&state.reporter_key, state.clock.now());
    let banks = state
        .config
        .banks
        .iter()
        .map(|b| Choice {
            value: b.slug.clone(),
            label: b.names.get(lang).to_owned(),
            checked: prefill.banks.contains(&b.slug),
        })
        .collect();
    let channels = Channel::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str().to_owned(),
            label: channel_name(*c, lang).to_owned(),
            checked: prefill.channels.iter().any(|p| p == c.as_str()),
        })
        .collect();
    let kinds = [
        IncidentKind::Outage,
        IncidentKind::Maintenance,
        IncidentKind::Advisory,
    ]
    .iter()
    .map(|k| Choice {
        value: k.as_str().to_owned(),
        label: term(k.as_str(), lang).to_owned(),
        checked: prefill.kinds.is_empty() || prefill.kinds.iter().any(|p| p == k.as_str()),
    })
    .collect();
    let chosen = prefill
        .lang
        .clone()
        .unwrap_or_else(|| lang.as_str().to_owned());
    let langs = Lang::ALL
        .iter()
        .map(|l| Choice {
            value: l.as_str().to_owned(),
            label: crate::i18n::text(*l).lang_name.to_owned(),
            checked: chosen == l.as_str(),
        })
        .collect();
    let mut words = Words::new(lang);
    let email_offered = state.config.email.is_some();
    if !email_offered {
        words.intro = Msg::new("sub-intro-no-email").text(lang);
    }
    let page = SubscribePage {
        l: layout(state, lang, words.title.clone(), "/subscribe"),
        words,
        banks,
        channels,
        kinds,
        langs,
        email_offered,
        incident: prefill.incident,
        csrf: csrf.clone(),
        error,
    };
    let html = page.render().map_err(|e| AppError::from(e).page(lang))?;
    let mut res = no_store((status, Html(html)).into_response());
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PUSH_CSP),
    );
    if let Some(v) = form_cookie(&csrf) {
        headers.append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `GET /subscribe`, pre-filled from `?bank=&channel=&kind=&incident=`.
pub async fn subscribe_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let q = uri.query();
    let (lang, _) = page_lang(&state, q, &headers)?;
    // After an email subscription the browser lands here (post, redirect, get).
    if query_param(q, "sent").as_deref() == Some("email") {
        return created_page(&state, lang, Created::Email);
    }
    let all = |name: &str| -> Vec<String> {
        form_urlencoded::parse(q.unwrap_or("").as_bytes())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .collect()
    };
    let prefill = Prefill {
        banks: all("bank"),
        channels: all("channel"),
        kinds: all("kind"),
        lang: None,
        incident: query_param(q, "incident").and_then(|v| v.parse().ok()),
    };
    render_subscribe(&state, lang, StatusCode::OK, &prefill, None)
}

/// A submitted form read: what to show again should it be refused, its form token, and
/// the request it makes.
#[derive(Debug)]
struct Submitted {
    prefill: Prefill,
    csrf: String,
    body: SubscriptionBody,
}

/// Reads the form's fields; only an `incident` that is not a number is refused here, the
/// rest is the request's to check. Email is the kind when none is chosen (the form
/// without its script).
fn submitted(fields: &[(String, String)]) -> Result<Submitted, Msg> {
    let one = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let many = |name: &str| -> Vec<String> {
        fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let incident = match one("incident") {
        Some(v) => Some(
            v.parse::<i64>()
                .map_err(|_| invalid("incident", &v, "an incident number"))?,
        ),
        None => None,
    };
    let prefill = Prefill {
        banks: many("banks"),
        channels: many("channels"),
        kinds: many("incident_kinds"),
        lang: one("lang"),
        incident,
    };
    let body = SubscriptionBody {
        kind: one("kind").unwrap_or_else(|| "email".to_owned()),
        url: one("url"),
        email: one("email"),
        subscription: None,
        banks: Some(prefill.banks.clone()),
        channels: Some(prefill.channels.clone()),
        incident_kinds: Some(prefill.kinds.clone()),
        lang: prefill.lang.clone(),
        incident: prefill.incident,
    };
    Ok(Submitted {
        prefill,
        csrf: one("csrf").unwrap_or_default(),
        body,
    })
}

/// `POST /subscribe` from the form: email or webhook.
pub async fn submit_subscribe(
    State(state): State<AppState>,
    client: Client,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let headers = req.headers().clone();
    let (lang, _) = page_lang(&state, uri.query(), &headers)?;
    let client = client.reporter(&state);
    let fields = input::form(req).await.map_err(|e| e.page(lang))?;
    let Submitted {
        prefill,
        csrf,
        body,
    } = match submitted(&fields) {
        Ok(s) => s,
        Err(msg) => {
            let e = AppError::Unprocessable(msg);
            let (status, error) = (e.status(), Some(e.public_message(lang)));
            return render_subscribe(&state, lang, status, &Prefill::default(), error);
        }
    };
    if !form_token_valid(&state.reporter_key, &headers, &csrf, state.clock.now()) {
        let error = Msg::new("sub-expired").text(lang);
        return render_subscribe(&state, lang, StatusCode::FORBIDDEN, &prefill, Some(error));
    }
    let base = base_url(&state, &headers);
    match create(&state, &client, body, base, lang).await {
        // Post, redirect, get: a reload sends nothing again.
        Ok(Created::Email) => Ok(crate::web::see_other(&format!(
            "/subscribe?sent=email&lang={}",
            lang.as_str()
        ))),
        Ok(Created::Webhook {
            id,
            secret,
            manage_url,
        }) => Ok(secret_once(&id, &secret, &manage_url)),
        Ok(created) => created_page(&state, lang, created),
        Err(AppError::Internal(m)) => Err(AppError::Internal(m).page(lang)),
        Err(e) => render_subscribe(
            &state,
            lang,
            e.status(),
            &prefill,
            Some(e.public_message(lang)),
        ),
    }
}

/// The webhook made from the form: the browser goes to its manage page, which shows the
/// secret this once, from a cookie of that page alone that it then clears.
fn secret_once(id: &str, secret: &str, manage_url: &str) -> Response {
    let path = manage_url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(manage_url);
    let mut res = crate::web::see_other(&format!("{path}&created=1"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SECRET_COOKIE}={secret}; Path=/subscriptions/{id}; Max-Age=300; HttpOnly; SameSite=Strict"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The cookie that carries a new webhook's secret to its manage page, once.
pub(super) const SECRET_COOKIE: &str = "whsec_once";

/// What the form answers once the subscription is made: check your inbox (after the
/// redirect), or a push subscription's manage link (201).
fn created_page(state: &AppState, lang: Lang, created: Created) -> Result<Response, PageError> {
    match created {
        Created::Email => {
            let page = simple_page(
                state,
                lang,
                Msg::new("sub-check-inbox").text(lang),
                vec![Msg::new("sub-check-inbox-body")
                    .arg("hours", CONFIRM_WITHIN.num_hours())
                    .text(lang)],
            );
            message_page(lang, StatusCode::OK, page)
        }
        Created::Webhook {
            secret, manage_url, ..
        } => {
            let mut page = simple_page(
                state,
                lang,
                Msg::new("sub-webhook-made").text(lang),
                vec![Msg::new("sub-webhook-made-body").text(lang)],
            );
            page.secret = Some(secret);
            page.manage_url = Some(manage_url);
            message_page(lang, StatusCode::CREATED, page)
        }
        Created::Push { manage_url, .. } => {
            let mut page = simple_page(state, lang, Msg::new("sub-push-made").text(lang), vec![]);
            page.manage_url = Some(manage_url);
            message_page(lang, StatusCode::CREATED, page)
        }
    }
}

fn script(body: &'static str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `GET /push.js`: the subscribe page's script.
pub async fn push_script() -> Response {
    script(PUSH_JS)
}

/// `GET /push-sw.js`: the service worker that shows notifications and opens the incident.
pub async fn push_worker() -> Response {
    let mut res = script(PUSH_SW);
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_without_its_script_asks_for_email() {
        let s = submitted(&fields(&[
            ("csrf", "t0k"),
            ("email", "  salma@example.ma "),
            ("kind", " "),
        ]))
        .expect("read");
        assert_eq!(s.csrf, "t0k");
        assert_eq!(s.body.kind, "email");
        assert_eq!(s.body.email.as_deref(), Some("salma@example.ma"));
        assert_eq!(s.body.url, None);
        assert_eq!(s.prefill, Prefill::default());
    }

    #[test]
    fn checked_boxes_are_both_the_request_and_what_is_shown_again() {
        let s = submitted(&fields(&[
            ("kind", "webhook"),
            ("url", "https://example.org/h"),
            ("banks", "bmce"),
            ("banks", "cih"),
            ("channels", "atm"),
            ("incident_kinds", "outage"),
            ("lang", "ar"),
            ("incident", "7"),
        ]))
        .expect("read");
        assert_eq!(s.prefill.banks, ["bmce", "cih"]);
        assert_eq!(s.prefill.channels, ["atm"]);
        assert_eq!(s.prefill.kinds, ["outage"]);
        assert_eq!(s.prefill.lang.as_deref(), Some("ar"));
        assert_eq!(s.prefill.incident, Some(7));
        assert_eq!(s.body.banks.as_deref(), Some(&s.prefill.banks[..]));
        assert_eq!(s.body.channels.as_deref(), Some(&s.prefill.channels[..]));
        assert_eq!(s.body.incident_kinds.as_deref(), Some(&s.prefill.kinds[..]));
        assert_eq!(
            (s.body.lang.as_deref(), s.body.incident),
            (Some("ar"), Some(7))
        );
        assert_eq!(s.body.url.as_deref(), Some("https://example.org/h"));
        assert_eq!(s.csrf, "", "no token: refused by the caller");
    }

    #[test]
    fn an_incident_that_is_no_number_is_refused() {
        let msg = submitted(&fields(&[("incident", "seven")])).expect_err("refused");
        assert_eq!(msg.id(), "err-invalid-value");
        assert!(msg.text(Lang::En).contains("seven"));
    }
}
