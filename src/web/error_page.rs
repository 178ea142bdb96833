//! Errors as people and readers meet them: the error page, the 404 of unknown paths, and
//! API errors written again in the language the request asked for.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use super::error::{AppError, ErrorText, PageError, RETRY_AFTER_SECS};
use super::lang::request_lang;
use super::views::ErrorPage;
use super::AppState;
use crate::domain::Lang;
use crate::i18n::Msg;

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
            .page(request_lang(
                state.config.default_language,
                uri.query(),
                &headers,
            ))
            .into_response()
    }
}

/// A JSON error written again in `lang`, the language its request asked for.
pub fn localize(mut res: Response, lang: Lang) -> Response {
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
