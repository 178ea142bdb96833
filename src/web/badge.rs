//! `/badge/{slug}.svg`: a bank's (or one channel's) status as a small badge in the usual
//! two-part style, with the status in words so it reads without colour.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use super::feeds::SubscriptionQuery;
use super::input::known_bank;
use super::markup::escape;
use super::AppState;
use crate::domain::Lang;
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

/// A badge for every answer: an image where one is embedded, even when the bank or the
/// channel is wrong (then with the error's status and its sentence as the badge's words).
pub async fn badge(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = SubscriptionQuery::parse(&state, q.as_deref())
        .map_or(state.config.default_language, |q| q.lang);
    match what(&state, &file, q.as_deref()) {
        Ok((label, status, lang)) => svg_answer(
            StatusCode::OK,
            &label,
            status_name(status, lang),
            colour(status),
            "public, max-age=30",
            lang,
        ),
        Err(e) => svg_answer(
            e.status(),
            "bankstatus",
            &e.public_message(lang),
            "#57606a",
            "public, max-age=60",
            lang,
        ),
    }
}

/// The badge's label and status, or why there is none.
fn what(
    state: &AppState,
    file: &str,
    q: Option<&str>,
) -> Result<(String, Status, crate::domain::Lang), AppError> {
    let slug = file.strip_suffix(".svg").ok_or_else(|| {
        AppError::NotFound(Msg::new("err-badge-path").arg("path", format!("/badge/{file}")))
    })?;
    let bank = known_bank(&state.config, slug)?;
    let query = SubscriptionQuery::parse(state, q)?;
    let lang = query.lang;
    let snapshot = state.live.snapshot();
    let now = snapshot.bank(slug);
    match query.channels.as_slice() {
        [] => Ok((
            bank.names.get(lang).to_owned(),
            now.map_or(Status::Unknown, |b| b.status),
            lang,
        )),
        [c] => {
            // A channel the bank is not watched on and no signal speaks of: no such badge.
            let shown = now.and_then(|b| b.channels.iter().find(|x| x.channel == *c));
            if shown.is_none() && !bank.probed_channels().contains(c) {
                return Err(AppError::NotFound(
                    Msg::new("err-badge-no-channel")
                        .arg("bank", bank.names.get(lang))
                        .with("channel", crate::i18n::Arg::Channel(*c)),
                ));
            }
            Ok((
                format!("{} · {}", bank.names.get(lang), channel_name(*c, lang)),
                shown.map_or(Status::Unknown, |x| x.status),
                lang,
            ))
        }
        _ => Err(AppError::BadRequest(Msg::new("err-badge-one-channel"))),
    }
}

/// The badge: the label then the value, in reading order. In Arabic the label stands on the
/// right and the text runs right to left, so its punctuation lands where Arabic puts it.
fn svg_answer(
    code: StatusCode,
    label: &str,
    value: &str,
    fill: &str,
    cache: &'static str,
    lang: Lang,
) -> Response {
    let value: String = value.chars().take(60).collect();
    let (lw, vw) = (width(label), width(&value));
    let total = lw + vw;
    let rtl = lang.is_rtl();
    // Where each part starts.
    let (lx, vx) = if rtl { (vw, 0) } else { (0, lw) };
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{total}\" height=\"20\" role=\"img\" aria-label=\"{l}: {v}\" xml:lang=\"{code}\">\
<title>{l}: {v}</title>\
<rect x=\"{lx}\" width=\"{lw}\" height=\"20\" fill=\"#555\"/><rect x=\"{vx}\" width=\"{vw}\" height=\"20\" fill=\"{c}\"/>\
<g fill=\"#fff\" font-family=\"Verdana,DejaVu Sans,sans-serif\" font-size=\"11\" text-anchor=\"middle\" direction=\"{dir}\">\
<text x=\"{lc}\" y=\"14\">{l}</text><text x=\"{vc}\" y=\"14\">{v}</text></g></svg>",
        l = escape(label),
        v = escape(&value),
        c = fill,
        code = lang.as_str(),
        dir = if rtl { "rtl" } else { "ltr" },
        lc = lx + lw / 2,
        vc = vx + vw / 2,
    );
    (
        code,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        svg,
    )
        .into_response()
}
