//! The stylesheet, compiled into the binary and served under a content-hashed name so it
//! can be cached for a year.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use crate::i18n::Msg;

const STYLE: &str = include_str!("../../static/style.css");

/// `/static/style.<hash>.css`, computed once from the file's content.
pub static STYLE_HREF: LazyLock<String> =
    LazyLock::new(|| format!("/static/style.{:016x}.css", fnv1a(STYLE.as_bytes())));

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub async fn serve(Path(file): Path<String>) -> Response {
    if format!("/static/{file}") == *STYLE_HREF {
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            STYLE,
        )
            .into_response()
    } else {
        AppError::NotFound(Msg::new("err-no-file").arg("path", format!("/static/{file}")))
            .page(Default::default())
            .into_response()
    }
}
