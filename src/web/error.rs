//! The one error type of the web layer and the SPEC's JSON shape it answers with; internal
//! causes are logged, never shown. The page for people is `error_page.rs`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::domain::Lang;
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
    /// Too many wrong tokens from one address: 429 with `Retry-After` of this many seconds.
    #[error("{0}")]
    TooManyTries(Msg, u64),
    /// The database cannot take the request now (full disk, lost connection): a 503 with
    /// `Retry-After`, so clients and proxies try again.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Seconds a client is asked to wait before trying a request that met a storage failure.
pub const RETRY_AFTER_SECS: &str = "5";

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Repeated(key) = &e {
            return AppError::Conflict(Msg::new("err-request-repeated").arg("key", key));
        }
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
            AppError::TooManyRequests(_) | AppError::TooManyTries(..) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
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
            AppError::TooManyRequests(_) | AppError::TooManyTries(..) => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// The sentence shown to people; internal details stay in the log.
    pub fn msg(&self) -> Msg {
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
            | AppError::TooManyRequests(m)
            | AppError::TooManyTries(m, _) => m.clone(),
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

/// The error shape of every API answer that is not a success.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code, e.g. `not_found`, `unprocessable`.
    pub error: String,
    /// A sentence a person understands.
    pub message: String,
}

/// What the error-localizing layer needs to write an API error again in the reader's
/// language.
#[derive(Clone)]
pub struct ErrorText {
    pub code: &'static str,
    pub msg: Msg,
}

/// API errors: `{"error": "<code>", "message": "<sentence>"}`, in English until
/// the error-localizing layer writes them in the request's language.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            AppError::TooManyTries(_, secs) => HeaderValue::from_str(&secs.to_string()).ok(),
            _ => None,
        };
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
        if let Some(v) = retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, v);
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
