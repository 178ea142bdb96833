//! Alerts for people and their machines, without an account: the subscribe page (email and
//! webhooks work without JavaScript; Web Push needs the small script it serves), the JSON
//! API, confirmation, the manage page and one-click unsubscribe, and the operator's view.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use rand::RngCore;
use serde::Deserialize;

use super::client::{form_cookie, form_token_valid, new_form_token, Client};
use super::error::{AppError, PageError};
use super::feeds::base_url;
use super::input;
use super::input::query_param;
use super::pages::page_lang;
use super::views::Layout;
use super::AppState;
use crate::alerts::guard::{check_url, Refusal};
use crate::alerts::push::BrowserKeys;
use crate::alerts::webhook;
use crate::alerts::{manage_token, manage_url, token_hash, CONFIRM_WITHIN};
use crate::domain::{Channel, IncidentKind, Lang};
use crate::i18n::{channel_name, term, Msg};
use crate::store::alerts::{NewDelivery, Purpose, SubState, Subscription, Via};

/// A confirmation goes to one address at most this often.
const CONFIRM_EVERY: chrono::Duration = chrono::Duration::hours(1);
/// The longest email address or URL taken.
const MAX_TARGET: usize = 2048;
/// The subscribe page runs its own script, and only it.
const PUSH_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; worker-src 'self'";

/// A subscription request, from the JSON API or the form.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionBody {
    /// `webhook`, `email` or `push`.
    kind: String,
    url: Option<String>,
    email: Option<String>,
    #[schema(value_type = Option<Object>)]
    subscription: Option<PushSubscription>,
    banks: Option<Vec<String>>,
    channels: Option<Vec<String>>,
    incident_kinds: Option<Vec<String>>,
    lang: Option<String>,
    /// Follow this one incident until it resolves.
    incident: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct PushSubscription {
    endpoint: String,
    keys: BrowserKeys,
}

/// What a new subscription hands back.
enum Created {
    Webhook {
        id: String,
        secret: String,
        manage_url: String,
    },
    /// Accepted; a confirmation is on its way (or was sent within the hour).
    Email,
    Push {
        id: String,
        manage_url: String,
    },
}

fn invalid(field: &str, value: &str, allowed: &str) -> AppError {
    AppError::Unprocessable(
        Msg::new("err-invalid-value")
            .arg("field", field)
            .arg("value", value)
            .arg("allowed", allowed),
    )
}

fn missing(field: &str, kind: &str) -> AppError {
    AppError::Unprocessable(
        Msg::new("err-sub-missing")
            .arg("field", field)
            .arg("kind", kind),
    )
}

/// An id as [`new_id`] makes them; anything else names no subscription, and never reaches
/// the database (PostgreSQL refuses a NUL in a string, which would read as a storage fault).
fn well_formed(id: &str) -> Result<(), AppError> {
    let ok = id
        .strip_prefix("sub_")
        .is_some_and(|h| (1..=64).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(AppError::NotFound(
            Msg::new("err-sub-not-found").arg("id", id),
        ))
    }
}

fn new_id() -> String {
    let mut b = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("sub_{}", crate::keys::hex(&b))
}

fn refused(url: &str, why: Refusal) -> AppError {
    let why = match why {
        Refusal::BadUrl => "err-target-url",
        Refusal::Unresolvable => "err-target-dns",
        Refusal::Private => "err-target-private",
    };
    AppError::Unprocessable(Msg::new(why).arg("url", url))
}

/// Checks a request and stores the subscription it asks for.
async fn create(
    state: &AppState,
    client: &str,
    body: SubscriptionBody,
    base: String,
    fallback_lang: Lang,
) -> Result<Created, AppError> {
    let via: Via = body
        .kind
        .parse()
        .map_err(|_| invalid("kind", &body.kind, "webhook, email, push"))?;
    let mut banks = Vec::new();
    for b in body.banks.unwrap_or_default() {
        if state.config.bank(&b).is_none() {
            let known: Vec<&str> = state.config.banks.iter().map(|b| b.slug.as_str()).collect();
            return Err(AppError::Unprocessable(
                Msg::new("err-unknown-bank")
                    .arg("slug", &b)
                    .arg("known", known.join(", ")),
            ));
        }
        if !banks.contains(&b) {
            banks.push(b);
        }
    }
    let mut channels = Vec::new();
    for c in body.channels.unwrap_or_default() {
        let ch: Channel = c
            .parse()
            .map_err(|_| invalid("channels", &c, &Channel::allowed()))?;
        if !channels.contains(&ch) {
            channels.push(ch);
        }
    }
    let mut kinds = Vec::new();
    for k in body.incident_kinds.unwrap_or_default() {
        let kind: IncidentKind = k
            .parse()
            .map_err(|_| invalid("incident_kinds", &k, "outage, maintenance, advisory"))?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    let lang = match body.lang {
        Some(l) => l
            .parse::<Lang>()
            .map_err(|_| invalid("lang", &l, "ar, fr, en"))?,
        None => fallback_lang,
    };
    if let Some(id) = body.incident {
        let open = state
            .store
            .incident(id)
            .await?
            .is_some_and(|(i, _)| i.resolved_at.is_none());
        if !open {
            return Err(AppError::Unprocessable(
                Msg::new("err-sub-incident").arg("id", id),
            ));
        }
    }
    let (target, secret) = match via {
        Via::Webhook => {
            let url = body.url.ok_or_else(|| missing("url", "webhook"))?;
            if url.len() > MAX_TARGET {
                return Err(refused(&url, Refusal::BadUrl));
            }
            check_url(&url, state.config.alerts.allow_private_targets)
                .await
                .map_err(|why| refused(&url, why))?;
            (url, Some(webhook::new_secret()))
        }
        Via::Email => {
            if state.config.email.is_none() {
                return Err(AppError::Unprocessable(Msg::new("err-sub-no-email")));
            }
            let email = body.email.ok_or_else(|| missing("email", "email"))?;
            let email = email.trim().to_owned();
            if email.len() > 254 || email.parse::<lettre::Address>().is_err() {
                return Err(AppError::Unprocessable(
                    Msg::new("err-sub-email").arg("value", &email),
                ));
            }
            (email.to_lowercase(), None)
        }
        Via::Push => {
            let sub = body
                .subscription
                .ok_or_else(|| missing("subscription", "push"))?;
            if !sub.keys.valid() {
                return Err(AppError::Unprocessable(Msg::new("err-sub-push-keys")));
            }
            if sub.endpoint.len() > MAX_TARGET {
                return Err(refused(&sub.endpoint, Refusal::BadUrl));
            }
            check_url(&sub.endpoint, state.config.alerts.allow_private_targets)
                .await
                .map_err(|why| refused(&sub.endpoint, why))?;
            let keys =
                serde_json::to_string(&sub.keys).map_err(|e| AppError::Internal(e.to_string()))?;
            (sub.endpoint, Some(keys))
        }
    };
    if !state.alerts.admit(client) {
        return Err(AppError::TooManyRequests(
            Msg::new("err-sub-too-many").arg("max", state.config.alerts.subscriptions_per_hour),
        ));
    }
    let now = state.clock.now();
    if via == Via::Email
        && state
            .store
            .subscribed_since(Via::Email, &target, now - CONFIRM_EVERY)
            .await?
    {
        // Said the same way as a fresh one: nobody learns whether an address is known.
        return Ok(Created::Email);
    }
    let id = new_id();
    let token = manage_token(&state.alerts.key, &id);
    let (sub_state, first) = match via {
        Via::Webhook => (SubState::Pending, Some(Purpose::Verify)),
        Via::Email => (SubState::Pending, Some(Purpose::Confirm)),
        Via::Push => (SubState::Active, None),
    };
    let sub = Subscription {
        id: id.clone(),
        via,
        target,
        secret: secret.clone(),
        manage_hash: token_hash(&token),
        banks,
        channels,
        incident_kinds: kinds,
        incident_id: body.incident,
        lang,
        base_url: base.clone(),
        state: sub_state,
        created_at: now,
        expires_at: (via == Via::Email).then(|| now + CONFIRM_WITHIN),
        quarantined_at: None,
    };
    let first = first.map(|purpose| NewDelivery {
        id: format!("{}_{id}", purpose.as_str()),
        subscription_id: id.clone(),
        purpose,
        event_id: None,
        ends_it: false,
        due_at: now,
    });
    state.alerts.subscribe(&sub, first.as_ref()).await?;
    let manage_url = manage_url(&state.alerts.key, &base, &id);
    Ok(match via {
        Via::Webhook => Created::Webhook {
            id,
            secret: secret.unwrap_or_default(),
            manage_url,
        },
        Via::Email => Created::Email,
        Via::Push => Created::Push { id, manage_url },
    })
}

/// `POST /api/v1/subscriptions`: 201 for a webhook (with its secret, shown once) or a push
/// subscription, 202 for an email address, which is sent a confirmation.
#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "alerts",
    request_body = SubscriptionBody,
    responses((status = 201, description = "Webhook or push: `{\"id\", \"secret\", \"manage_url\", \"state\"}`"),
              (status = 202, description = "Email: a confirmation is sent"),
              (status = 400, description = "Malformed JSON", body = super::error::ErrorBody),
              (status = 415, description = "Not JSON", body = super::error::ErrorBody),
              (status = 422, description = "Unknown bank, channel or kind; a refused target", body = super::error::ErrorBody),
              (status = 429, description = "Too many subscriptions from this address", body = super::error::ErrorBody)))]
pub async fn post_subscription(
    State(state): State<AppState>,
    client: Client,
    req: Request,
) -> Result<Response, AppError> {
    let headers = req.headers().clone();
    let client = client.reporter(&state);
    let body: SubscriptionBody = input::json(req).await?;
    let base = base_url(&state, &headers);
    let lang = state.config.default_language;
    Ok(match create(&state, &client, body, base, lang).await? {
        Created::Webhook {
            id,
            secret,
            manage_url,
        } => (
            StatusCode::CREATED,
            Json(serde_json::json!({
                "id": id, "secret": secret, "manage_url": manage_url, "state": "pending",
            })),
        )
            .into_response(),
        Created::Email => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "state": "pending" })),
        )
            .into_response(),
        Created::Push { id, manage_url } => (
            StatusCode::CREATED,
            Json(serde_json::json!({ "id": id, "manage_url": manage_url, "state": "active" })),
        )
            .into_response(),
    })
}

/// `GET /api/v1/push/vapid-public-key`.
#[utoipa::path(get, path = "/api/v1/push/vapid-public-key", tag = "alerts",
    responses((status = 200, description = "`{\"key\": \"<base64url>\"}`")))]
pub async fn vapid_public_key(State(state): State<AppState>) -> Response {
    Json(serde_json::json!({ "key": state.alerts.vapid.public })).into_response()
}

/// The manage token of a request: `?token=` or `Authorization: Bearer`.
fn given_token(uri: &Uri, headers: &HeaderMap) -> Option<String> {
    query_param(uri.query(), "token").or_else(|| super::auth::bearer(headers).map(str::to_owned))
}

fn token_ok(state: &AppState, id: &str, token: Option<&str>) -> bool {
    token.is_some_and(|t| {
        crate::keys::same(t.as_bytes(), manage_token(&state.alerts.key, id).as_bytes())
    })
}

/// The subscription `id` if `token` manages it.
async fn managed(
    state: &AppState,
    id: &str,
    token: Option<&str>,
) -> Result<Subscription, AppError> {
    well_formed(id)?;
    if !token_ok(state, id, token) {
        return Err(AppError::Forbidden(Msg::new("err-sub-token")));
    }
    state
        .store
        .subscription(id)
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new("err-sub-not-found").arg("id", id)))
}

fn is_admin(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(admin) = &state.tokens.admin else {
        return false;
    };
    super::auth::bearer(headers).is_some_and(|t| admin.matches(t))
}

/// `DELETE /api/v1/subscriptions/{id}`: with its manage token, or the operator's (for a
/// quarantined webhook). The address goes with it.
#[utoipa::path(delete, path = "/api/v1/subscriptions/{id}", tag = "alerts",
    params(("id" = String, Path, description = "The subscription's id"), ("token" = Option<String>, Query, description = "Its manage token")),
    responses((status = 204, description = "Deleted"),
              (status = 403, description = "Not its token", body = super::error::ErrorBody),
              (status = 404, description = "No such subscription", body = super::error::ErrorBody)))]
pub async fn delete_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    well_formed(&id)?;
    if !is_admin(&state, &headers) {
        managed(&state, &id, given_token(&uri, &headers).as_deref()).await?;
    }
    if !state.store.delete_subscription(&id).await? {
        return Err(AppError::NotFound(
            Msg::new("err-sub-not-found").arg("id", &id),
        ));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/subscriptions/stats` (operator): counts by kind, state and bank, the queue,
/// and the quarantined targets.
#[utoipa::path(get, path = "/api/v1/subscriptions/stats", tag = "operator",
    security(("bearer" = [])),
    responses((status = 200, description = "Counts and quarantined subscriptions"),
              (status = 401, description = "No or wrong token", body = super::error::ErrorBody),
              (status = 403, description = "No operator token configured", body = super::error::ErrorBody)))]
pub async fn subscription_stats(
    State(state): State<AppState>,
    _op: super::auth::Operator,
) -> Result<Response, AppError> {
    let stats = state.store.alert_stats().await?;
    let by_kind: Vec<serde_json::Value> = stats
        .by_kind
        .iter()
        .map(|(k, s, n)| serde_json::json!({ "kind": k, "state": s, "count": n }))
        .collect();
    let by_bank: Vec<serde_json::Value> = stats
        .by_bank
        .iter()
        .map(|(b, n)| serde_json::json!({ "bank": b, "count": n }))
        .collect();
    let quarantined: Vec<serde_json::Value> = stats
        .quarantined
        .iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id, "kind": s.via.as_str(),
                "target": if s.via == Via::Webhook { Some(&s.target) } else { None },
                "quarantined_at": s.quarantined_at.map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "by_kind": by_kind,
        "by_bank": by_bank,
        "quarantined": quarantined,
        "queue_depth": stats.queue_depth,
        "oldest_undelivered": stats.oldest_undelivered.map(|t| t.to_rfc3339()),
    }))
    .into_response())
}

/// One checkbox of the form.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

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

#[derive(Template)]
#[template(path = "subscription.html")]
pub struct SubscriptionPage {
    pub l: Layout,
    pub words: Words,
    pub heading: String,
    pub paragraphs: Vec<String>,
    /// A webhook's secret, shown this once.
    pub secret: Option<String>,
    pub manage_url: Option<String>,
    /// The unsubscribe form's action, on the manage page.
    pub unsubscribe_action: Option<String>,
}

/// The fixed words of the alert pages, in one language.
pub struct Words {
    pub title: String,
    pub intro: String,
    pub banks: String,
    pub banks_hint: String,
    pub channels: String,
    pub kinds: String,
    pub language: String,
    pub by_email: String,
    pub email: String,
    pub by_webhook: String,
    pub url: String,
    pub by_push: String,
    pub push_hint: String,
    pub push_button: String,
    pub submit: String,
    pub privacy: String,
    pub following: String,
    pub secret: String,
    pub manage: String,
    pub unsubscribe: String,
}

impl Words {
    fn new(lang: Lang) -> Words {
        let t = |id: &'static str| Msg::new(id).text(lang);
        Words {
            title: t("sub-title"),
            intro: t("sub-intro"),
            banks: t("sub-banks"),
            banks_hint: t("sub-banks-hint"),
            channels: t("sub-channels"),
            kinds: t("sub-kinds"),
            language: t("sub-language"),
            by_email: t("sub-by-email"),
            email: t("sub-email"),
            by_webhook: t("sub-by-webhook"),
            url: t("sub-url"),
            by_push: t("sub-by-push"),
            push_hint: t("sub-push-hint"),
            push_button: t("sub-push-button"),
            submit: t("sub-submit"),
            privacy: t("sub-privacy"),
            following: t("sub-following"),
            secret: t("sub-secret"),
            manage: t("sub-manage"),
            unsubscribe: t("sub-unsubscribe"),
        }
    }
}

fn layout(state: &AppState, lang: Lang, title: String, path: &str) -> Layout {
    Layout::new(
        lang,
        title,
        path,
        state.config.timezone,
        state.live.snapshot().network_cut_since,
    )
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[derive(Default)]
struct Prefill {
    banks: Vec<String>,
    channels: Vec<String>,
    kinds: Vec<String>,
    lang: Option<String>,
    incident: Option<i64>,
}

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
    let words = Words::new(lang);
    let page = SubscribePage {
        l: layout(state, lang, words.title.clone(), "/subscribe"),
        words,
        banks,
        channels,
        kinds,
        langs,
        email_offered: state.config.email.is_some(),
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

fn message_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    page: SubscriptionPage,
) -> Result<Response, PageError> {
    let _ = state;
    let html = page.render().map_err(|e| AppError::from(e).page(lang))?;
    Ok(no_store((status, Html(html)).into_response()))
}

fn simple_page(
    state: &AppState,
    lang: Lang,
    heading: String,
    paragraphs: Vec<String>,
) -> SubscriptionPage {
    let words = Words::new(lang);
    SubscriptionPage {
        l: layout(state, lang, heading.clone(), "/subscribe"),
        words,
        heading,
        paragraphs,
        secret: None,
        manage_url: None,
        unsubscribe_action: None,
    }
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
    let incident = match one("incident").map(|v| v.parse::<i64>().map_err(|_| v)) {
        Some(Ok(id)) => Some(id),
        Some(Err(v)) => {
            let e = invalid("incident", &v, "an incident number");
            return render_subscribe(
                &state,
                lang,
                e.status(),
                &Prefill::default(),
                Some(e.public_message(lang)),
            );
        }
        None => None,
    };
    let prefill = Prefill {
        banks: many("banks"),
        channels: many("channels"),
        kinds: many("incident_kinds"),
        lang: one("lang"),
        incident,
    };
    if !form_token_valid(
        &state.reporter_key,
        &headers,
        one("csrf").as_deref().unwrap_or(""),
        state.clock.now(),
    ) {
        let error = Msg::new("sub-expired").text(lang);
        return render_subscribe(&state, lang, StatusCode::FORBIDDEN, &prefill, Some(error));
    }
    let kind = one("kind").unwrap_or_else(|| "email".to_owned());
    let body = SubscriptionBody {
        kind,
        url: one("url"),
        email: one("email"),
        subscription: None,
        banks: Some(prefill.banks.clone()),
        channels: Some(prefill.channels.clone()),
        incident_kinds: Some(prefill.kinds.clone()),
        lang: prefill.lang.clone(),
        incident: prefill.incident,
    };
    let base = base_url(&state, &headers);
    match create(&state, &client, body, base, lang).await {
        Ok(Created::Email) => {
            let page = simple_page(
                &state,
                lang,
                Msg::new("sub-check-inbox").text(lang),
                vec![Msg::new("sub-check-inbox-body")
                    .arg("hours", CONFIRM_WITHIN.num_hours())
                    .text(lang)],
            );
            message_page(&state, lang, StatusCode::ACCEPTED, page)
        }
        Ok(Created::Webhook {
            secret, manage_url, ..
        }) => {
            let mut page = simple_page(
                &state,
                lang,
                Msg::new("sub-webhook-made").text(lang),
                vec![Msg::new("sub-webhook-made-body").text(lang)],
            );
            page.secret = Some(secret);
            page.manage_url = Some(manage_url);
            message_page(&state, lang, StatusCode::CREATED, page)
        }
        Ok(Created::Push { manage_url, .. }) => {
            let mut page = simple_page(&state, lang, Msg::new("sub-push-made").text(lang), vec![]);
            page.manage_url = Some(manage_url);
            message_page(&state, lang, StatusCode::CREATED, page)
        }
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

/// `GET /subscriptions/{id}/confirm?token=`: the double opt-in's second step.
pub async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, _) = page_lang(&state, uri.query(), &headers)?;
    let sub = managed(&state, &id, given_token(&uri, &headers).as_deref())
        .await
        .map_err(|e| e.page(lang))?;
    let lang = sub.lang;
    let now = state.clock.now();
    if sub.state == SubState::Pending && sub.expires_at.is_some_and(|t| t < now) {
        return Err(AppError::NotFound(Msg::new("err-sub-not-found").arg("id", &id)).page(lang));
    }
    state
        .store
        .activate(&id)
        .await
        .map_err(|e| AppError::from(e).page(lang))?;
    let mut page = simple_page(
        &state,
        lang,
        Msg::new("sub-confirmed").text(lang),
        vec![Msg::new("sub-confirmed-body").text(lang)],
    );
    page.manage_url = Some(manage_url(&state.alerts.key, &sub.base_url, &id));
    message_page(&state, lang, StatusCode::OK, page)
}

/// `GET /subscriptions/{id}?token=`: what it covers, and the button that ends it.
pub async fn manage(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, _) = page_lang(&state, uri.query(), &headers)?;
    let token = given_token(&uri, &headers);
    let sub = managed(&state, &id, token.as_deref())
        .await
        .map_err(|e| e.page(lang))?;
    let all = Msg::new("sub-all").text(lang);
    let banks: Vec<String> = sub
        .banks
        .iter()
        .map(|b| {
            state
                .config
                .bank(b)
                .map_or(b.clone(), |x| x.names.get(lang).to_owned())
        })
        .collect();
    let channels: Vec<String> = sub
        .channels
        .iter()
        .map(|c| channel_name(*c, lang).to_owned())
        .collect();
    let show = |v: Vec<String>| {
        if v.is_empty() {
            all.clone()
        } else {
            crate::i18n::list(&v, lang)
        }
    };
    let mut paragraphs = vec![Msg::new("sub-covers")
        .arg("banks", show(banks))
        .arg("channels", show(channels))
        .text(lang)];
    if let Some(i) = sub.incident_id {
        paragraphs.push(Msg::new("sub-follows").arg("id", i).text(lang));
    }
    paragraphs.push(
        Msg::new(match sub.state {
            SubState::Pending => "sub-state-pending",
            SubState::Active => "sub-state-active",
            SubState::Quarantined => "sub-state-quarantined",
        })
        .text(lang),
    );
    let mut page = simple_page(&state, lang, Words::new(lang).manage, paragraphs);
    page.unsubscribe_action = Some(format!(
        "/subscriptions/{id}/unsubscribe?token={}",
        token.unwrap_or_default()
    ));
    message_page(&state, lang, StatusCode::OK, page)
}

/// `POST /subscriptions/{id}/unsubscribe?token=`: one click, from the manage page or a mail
/// client (RFC 8058 `List-Unsubscribe=One-Click`); the subscription and its address go.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, _) = page_lang(&state, uri.query(), &headers)?;
    let token = given_token(&uri, &headers);
    if !token_ok(&state, &id, token.as_deref()) {
        return Err(AppError::Forbidden(Msg::new("err-sub-token")).page(lang));
    }
    let lang = match state.store.subscription(&id).await {
        Ok(Some(s)) => s.lang,
        _ => lang,
    };
    state
        .store
        .delete_subscription(&id)
        .await
        .map_err(|e| AppError::from(e).page(lang))?;
    // Already gone says the same: the link did what it promised.
    let page = simple_page(
        &state,
        lang,
        Msg::new("sub-unsubscribed").text(lang),
        vec![Msg::new("sub-unsubscribed-body").text(lang)],
    );
    message_page(&state, lang, StatusCode::OK, page)
}

const PUSH_JS: &str = include_str!("../../static/push.js");
const PUSH_SW: &str = include_str!("../../static/push-sw.js");

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
