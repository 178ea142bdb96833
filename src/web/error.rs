//! The one error type of the web layer: the SPEC's JSON shape for the API, an error page
//! for people. Internal causes are logged, never shown.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use super::lang::negotiate;
use super::pages::query_param;
use super::views::ErrorPage;
use super::AppState;
use crate::domain::{Lang, Vocabulary};
use crate::i18n::Msg;
use crate::store::health::WriteCause;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(Msg),
    #[error("{0}")]
    BadRequest(Msg),
    #[error("{0}")]
    Unauthorized(Msg),
    #[error("{0}")]
    Forbidden(Msg),
    #[error("{0}")]
    Conflict(Msg),
    /// The body did not arrive within [`super::input::BodyTimeout`].
    #[error("{0}")]
    RequestTimeout(Msg),
    #[error("{0}")]
    PayloadTooLarge(Msg),
    #[error("{0}")]
    UnsupportedMediaType(Msg),
    #[error("{0}")]
    Unprocessable(Msg),
    #[error("{0}")]
    TooManyRequests(Msg),
    /// The database cannot take the request now (full disk, lost connection): a 503 with
    /// `Retry-After`, so clients and proxies try again.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Seconds a client is asked to wait before trying a request that met a storage failure.
const RETRY_AFTER_SECS: &str = "5";

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if e.cause() == WriteCause::Other {
            AppError::Internal(e.to_string())
        } else {
            AppError::Unavailable(e.to_string())
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::Conflict(_) => "conflict",
            AppError::RequestTimeout(_) => "request_timeout",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unprocessable(_) => "unprocessable",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// The sentence shown to people; internal details stay in the log.
    fn msg(&self) -> Msg {
        match self {
            AppError::Internal(_) => Msg::new("err-internal"),
            AppError::Unavailable(_) => Msg::new("err-unavailable"),
            AppError::NotFound(m)
            | AppError::BadRequest(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::RequestTimeout(m)
            | AppError::PayloadTooLarge(m)
            | AppError::UnsupportedMediaType(m)
            | AppError::Unprocessable(m)
            | AppError::TooManyRequests(m) => m.clone(),
        }
    }

    /// The sentence shown to people, in `lang`.
    pub fn public_message(&self, lang: Lang) -> String {
        match self {
            AppError::Internal(detail) => tracing::error!(error = %detail, "request failed"),
            AppError::Unavailable(detail) => {
                tracing::error!(error = %detail, "request failed: storage unavailable");
            }
            _ => {}
        }
        self.msg().text(lang)
    }

    /// As an HTML page in `lang`.
    pub fn page(self, lang: Lang) -> PageError {
        PageError { lang, error: self }
    }
}

/// A word of the public vocabulary given in `field`, or the message that lists the allowed
/// ones.
pub fn vocabulary<T: Vocabulary>(field: &str, value: &str) -> Result<T, Msg> {
    value.parse::<T>().map_err(|_| {
        Msg::new("err-invalid-value")
            .arg("field", field)
            .arg("value", value)
            .arg("allowed", T::NAMES.join(", "))
    })
}

/// [`vocabulary`] for a query parameter: a 400.
pub fn parse_value<T: Vocabulary>(field: &str, value: &str) -> Result<T, AppError> {
    vocabulary(field, value).map_err(AppError::BadRequest)
}

/// The message for a time that could not be read.
pub fn invalid_time(field: &str, value: &str) -> Msg {
    Msg::new("err-invalid-time")
        .arg("field", field)
        .arg("value", value)
}

/// The bank called `slug`, or the 404 that says there is none.
pub fn known_bank<'a>(
    config: &'a crate::config::Config,
    slug: &str,
) -> Result<&'a crate::domain::Bank, AppError> {
    config
        .bank(slug)
        .ok_or_else(|| AppError::NotFound(Msg::new("err-no-bank").arg("slug", slug)))
}

/// The error shape of every API answer that is not a success.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code, e.g. `not_found`, `unprocessable`.
    pub error: String,
    /// A sentence a person understands.
    pub message: String,
}

/// What [`localize_errors`] needs to write an API error again in the reader's language.
#[derive(Clone)]
struct ErrorText {
    code: &'static str,
    msg: Msg,
}

/// API errors: `{"error": "<code>", "message": "<sentence>"}`, in English until
/// [`localize_errors`] writes them in the request's language.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body =
            serde_json::json!({ "error": self.code(), "message": self.public_message(Lang::En) });
        let mut res = (status, Json(body)).into_response();
        res.extensions_mut().insert(ErrorText {
            code: self.code(),
            msg: self.msg(),
        });
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        res
    }
}

/// An error rendered as a page for people.
#[derive(Debug)]
pub struct PageError {
    pub lang: Lang,
    pub error: AppError,
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        PageError {
            lang: Lang::default(),
            error,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let message = self.error.public_message(self.lang);
        let page = ErrorPage::new(self.lang, status, message);
        match page.render() {
            Ok(html) if status == StatusCode::SERVICE_UNAVAILABLE => (
                status,
                [(header::RETRY_AFTER, RETRY_AFTER_SECS)],
                Html(html),
            )
                .into_response(),
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (status, "error").into_response()
            }
        }
    }
}

/// Unknown paths: JSON under `/api`, a page elsewhere, in the request's language.
pub async fn fallback(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let error = AppError::NotFound(Msg::new("err-no-page").arg("path", uri.path()));
    if uri.path().starts_with("/api/") {
        error.into_response()
    } else {
        error
            .page(request_lang(&state, uri.query(), &headers))
            .into_response()
    }
}

/// The language a request asked for; an unknown `?lang=` counts as none.
pub fn request_lang(state: &AppState, query: Option<&str>, headers: &HeaderMap) -> Lang {
    let default = state.config.default_language;
    let asked = query_param(query, "lang").filter(|v| v.parse::<Lang>().is_ok());
    negotiate(asked.as_deref(), headers, default).map_or(default, |(lang, _)| lang)
}

/// Writes JSON errors again in the language the request asked for.
pub async fn localize_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let lang = request_lang(&state, req.uri().query(), req.headers());
    let mut res = next.run(req).await;
    if lang == Lang::En {
        return res;
    }
    if let Some(e) = res.extensions_mut().remove::<ErrorText>() {
        let body = serde_json::json!({ "error": e.code, "message": e.msg.text(lang) });
        let (mut parts, _) = res.into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.as_str()),
        );
        res = Response::from_parts(parts, axum::body::Body::from(body.to_string()));
    }
    res
}
