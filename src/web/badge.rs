//! `/badge/{slug}.svg`: a bank's (or one channel's) status as a small badge in the usual
//! two-part style, with the status in words so it reads without colour.

use super::markup::escape;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::error::{known_bank, AppError};
use super::feeds::SubscriptionQuery;
use super::AppState;
use crate::domain::Status;
use crate::i18n::Msg;
use crate::i18n::{channel_name, status_name};

fn colour(s: Status) -> &'static str {
    match s {
        Status::MajorOutage => "#cf222e",
        Status::PartialOutage => "#bc4c00",
        Status::Degraded => "#9a6700",
        Status::Maintenance => "#0969da",
        Status::Operational => "#1a7f37",
        Status::Unknown => "#57606a",
    }
}

/// Rough width of a text in 11 px sans-serif; badges need no exact metrics.
fn width(s: &str) -> usize {
    s.chars().count() * 7 + 12
}

pub async fn badge(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let slug = file.strip_suffix(".svg").ok_or_else(|| {
        AppError::NotFound(Msg::new("err-badge-path").arg("path", format!("/badge/{file}")))
    })?;
    let bank = known_bank(&state.config, slug)?;
    let query = SubscriptionQuery::parse(&state, q.as_deref())?;
    let lang = query.lang;
    let snapshot = state.live.snapshot();
    let now = snapshot.bank(slug);
    let (label, status) = match query.channels.as_slice() {
        [] => (
            bank.names.get(lang).to_owned(),
            now.map_or(Status::Unknown, |b| b.status),
        ),
        [c] => (
            format!("{} · {}", bank.names.get(lang), channel_name(*c, lang)),
            now.and_then(|b| b.channels.iter().find(|x| x.channel == *c))
                .map_or(Status::Unknown, |x| x.status),
        ),
        _ => return Err(AppError::BadRequest(Msg::new("err-badge-one-channel"))),
    };
    let value = status_name(status, lang);
    let (lw, vw) = (width(&label), width(value));
    let total = lw + vw;
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{total}\" height=\"20\" role=\"img\" aria-label=\"{l}: {v}\">\
<title>{l}: {v}</title>\
<rect width=\"{lw}\" height=\"20\" fill=\"#555\"/><rect x=\"{lw}\" width=\"{vw}\" height=\"20\" fill=\"{c}\"/>\
<g fill=\"#fff\" font-family=\"Verdana,DejaVu Sans,sans-serif\" font-size=\"11\" text-anchor=\"middle\">\
<text x=\"{lx}\" y=\"14\">{l}</text><text x=\"{vx}\" y=\"14\">{v}</text></g></svg>",
        l = escape(&label),
        v = escape(value),
        c = colour(status),
        lx = lw / 2,
        vx = lw + vw / 2,
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=30"),
            ),
        ],
        svg,
    )
        .into_response())
}
