//! Request bodies read with a size cap and a content-type check, so every bad body gets the
//! SPEC's error shape: 413 too large, 415 wrong type, 400 malformed, 422 invalid.

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header;
use serde::de::DeserializeOwned;

use super::error::AppError;
use crate::i18n::Msg;

/// The largest body any endpoint takes.
pub const MAX_BODY: usize = 16 * 1024;

fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

async fn read(req: Request, expected: &str) -> Result<Bytes, AppError> {
    let got = content_type(&req);
    if got != expected {
        let shown = if got.is_empty() {
            "none".to_owned()
        } else {
            format!("`{got}`")
        };
        return Err(AppError::UnsupportedMediaType(
            Msg::new("err-content-type")
                .arg("expected", expected)
                .arg("shown", shown),
        ));
    }
    axum::body::to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|_| {
            AppError::PayloadTooLarge(Msg::new("err-body-too-large").arg("max", MAX_BODY / 1024))
        })
}

/// A JSON body: malformed JSON is a 400, well-formed but wrong fields a 422.
pub async fn json<T: DeserializeOwned>(req: Request) -> Result<T, AppError> {
    let bytes = read(req, "application/json").await?;
    serde_json::from_slice(&bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => AppError::Unprocessable(Msg::new("err-json-shape").arg("detail", e)),
            _ => AppError::BadRequest(Msg::new("err-json-syntax").arg("detail", e)),
        }
    })
}

/// A form body as name and value pairs.
pub async fn form(req: Request) -> Result<Vec<(String, String)>, AppError> {
    let bytes = read(req, "application/x-www-form-urlencoded").await?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}
