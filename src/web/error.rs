//! The one error type of the web layer: the SPEC's JSON shape for the API, an error page
//! for people. Internal causes are logged, never shown.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use super::views::ErrorPage;
use crate::domain::Lang;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Internal(e.to_string())
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
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
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
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unprocessable(_) => "unprocessable",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Internal(_) => "internal",
        }
    }

    /// The sentence shown to people; internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                "Something went wrong on our side; please try again.".to_owned()
            }
            AppError::NotFound(m)
            | AppError::BadRequest(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::PayloadTooLarge(m)
            | AppError::UnsupportedMediaType(m)
            | AppError::Unprocessable(m)
            | AppError::TooManyRequests(m) => m.clone(),
        }
    }

    /// As an HTML page in `lang`.
    pub fn page(self, lang: Lang) -> PageError {
        PageError { lang, error: self }
    }
}

/// The bank called `slug`, or the 404 that says there is none.
pub fn known_bank<'a>(
    config: &'a crate::config::Config,
    slug: &str,
) -> Result<&'a crate::domain::Bank, AppError> {
    config
        .bank(slug)
        .ok_or_else(|| AppError::NotFound(format!("No bank is called `{slug}`.")))
}

/// The error shape of every API answer that is not a success.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code, e.g. `not_found`, `unprocessable`.
    pub error: String,
    /// A sentence a person understands.
    pub message: String,
}

/// API errors: `{"error": "<code>", "message": "<sentence>"}`.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::json!({ "error": self.code(), "message": self.public_message() });
        let mut res = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
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
        let message = self.error.public_message();
        let page = ErrorPage::new(self.lang, status, message);
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (status, "error").into_response()
            }
        }
    }
}

/// Unknown paths: JSON under `/api`, a page elsewhere.
pub async fn fallback(uri: Uri) -> Response {
    let error = AppError::NotFound(format!("Nothing is at {}.", uri.path()));
    if uri.path().starts_with("/api/") {
        error.into_response()
    } else {
        error.page(Lang::default()).into_response()
    }
}
