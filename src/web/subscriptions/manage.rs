//! The pages a subscription's links open: the double opt-in's confirmation, the manage
//! page (what it covers, the button that ends it) and the one-click unsubscribe. Each
//! needs the subscription's manage token.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::access::{given_token, managed, token_ok};
use super::form::SECRET_COOKIE;
use super::page::{message_page, simple_page, Words};
use crate::alerts::manage_url;
use crate::i18n::{channel_name, Msg};
use crate::store::alerts::SubState;
use crate::web::error::{AppError, PageError};
use crate::web::pages::page_lang;
use crate::web::AppState;

/// `GET /subscriptions/{id}/confirm?token=`: the double opt-in's second step asks for one
/// press: mail scanners and link previews fetch links, and must not confirm for the person.
pub async fn confirm_page(
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
    let lang = sub.lang;
    if sub.state == SubState::Pending && sub.expires_at.is_some_and(|t| t < state.clock.now()) {
        return Err(AppError::NotFound(Msg::new("err-sub-not-found").arg("id", &id)).page(lang));
    }
    let mut page = simple_page(
        &state,
        lang,
        Msg::new("sub-confirm-title").text(lang),
        vec![Msg::new("sub-confirm-body").text(lang)],
    );
    page.confirm_action = Some(format!(
        "/subscriptions/{id}/confirm?token={}",
        token.unwrap_or_default()
    ));
    message_page(lang, StatusCode::OK, page)
}

/// `POST /subscriptions/{id}/confirm?token=`: the press that confirms.
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
    message_page(lang, StatusCode::OK, page)
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
    // Just made from the form: its secret, this once.
    let secret = crate::web::client::cookie(&headers, SECRET_COOKIE)
        .filter(|s| s.starts_with(crate::alerts::webhook::SECRET_PREFIX))
        .map(str::to_owned);
    let heading = if secret.is_some() {
        paragraphs.insert(0, Msg::new("sub-webhook-made-body").text(lang));
        Msg::new("sub-webhook-made").text(lang)
    } else {
        Words::new(lang).manage
    };
    let mut page = simple_page(&state, lang, heading, paragraphs);
    page.secret = secret.clone();
    page.unsubscribe_action = Some(format!(
        "/subscriptions/{id}/unsubscribe?token={}",
        token.unwrap_or_default()
    ));
    let mut res = message_page(lang, StatusCode::OK, page)?;
    if secret.is_some() {
        if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
            "{SECRET_COOKIE}=; Path=/subscriptions/{id}; Max-Age=0; HttpOnly; SameSite=Strict"
        )) {
            res.headers_mut().append(axum::http::header::SET_COOKIE, v);
        }
    }
    Ok(res)
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
    message_page(lang, StatusCode::OK, page)
}
