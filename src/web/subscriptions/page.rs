//! What the alert pages share: their fixed words, the layout, the message page that tells
//! how a subscription went (made, confirmed, managed, ended), and `no-store`, since each
//! carries a token or a secret.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::domain::Lang;
use crate::i18n::Msg;
use crate::web::error::{AppError, PageError};
use crate::web::views::Layout;
use crate::web::AppState;

/// How a subscription went, and its links.
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
    /// Where the confirmation's button posts, on the page a confirmation link opens.
    pub confirm_action: Option<String>,
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
    /// What the push button's script says as it works, done, refused or failed.
    pub push_working: String,
    pub push_done: String,
    pub push_denied: String,
    pub push_failed: String,
    pub submit: String,
    pub privacy: String,
    pub following: String,
    pub secret: String,
    pub manage: String,
    pub unsubscribe: String,
    pub confirm: String,
}

impl Words {
    pub(super) fn new(lang: Lang) -> Words {
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
            push_working: t("push-working"),
            push_done: t("push-done"),
            push_denied: t("push-denied"),
            push_failed: t("push-failed"),
            submit: t("sub-submit"),
            privacy: t("sub-privacy"),
            following: t("sub-following"),
            secret: t("sub-secret"),
            manage: t("sub-manage"),
            unsubscribe: t("sub-unsubscribe"),
            confirm: t("sub-confirm-button"),
        }
    }
}

/// The page frame, with the network-cut banner as the live snapshot has it.
pub(super) fn layout(state: &AppState, lang: Lang, title: String, path: &str) -> Layout {
    Layout::new(
        lang,
        title,
        path,
        state.config.timezone,
        state.live.snapshot().network_cut_since,
    )
}

/// Forbids every cache to keep the response: it carries a token or a secret.
pub(super) fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A message page headed `heading`, with `paragraphs` and nothing else yet.
pub(super) fn simple_page(
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
        confirm_action: None,
    }
}

/// `page` rendered with `status`, never stored by a cache.
pub(super) fn message_page(
    lang: Lang,
    status: StatusCode,
    page: SubscriptionPage,
) -> Result<Response, PageError> {
    let html = page.render().map_err(|e| AppError::from(e).page(lang))?;
    Ok(no_store((status, Html(html)).into_response()))
}
