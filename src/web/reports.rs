//! Crowd reports: the JSON endpoint, the form that works without JavaScript, and what keeps
//! them honest: reporters known only by a keyed hash of their address, a CSRF token and a
//! honeypot on the form, deduplication and an hourly cap in the store.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::client::{form_cookie, form_token_valid, new_form_token, Client};
use super::error::{AppError, PageError};
use super::input;
use super::input::query_param;
use super::pages::page_lang;
use super::views::{Layout, ReportPage, SelectOption};
use super::AppState;
use crate::config::Config;
use crate::domain::{invisible, Channel, Lang};
use crate::i18n::text;
use crate::i18n::Msg;
use crate::signals::engine::Command;
use crate::store::report_writer::ReportRules;
use crate::store::{DynStore, NewReport, ReportOutcome, StoreResult};

/// Longest comment kept, in characters.
pub const MAX_COMMENT: usize = 500;
/// A reporter counts once per bank and channel within this span.
const DEDUP_MINUTES: i64 = 10;

/// What every report is judged by: the configured hourly allowance and the dedup span.
pub fn rules(config: &Config) -> ReportRules {
    ReportRules {
        per_hour: config.reports.per_reporter_per_hour,
        dedup: chrono::Duration::minutes(DEDUP_MINUTES),
    }
}

/// The key that hashes reporters, made on first start and kept in the database.
pub async fn reporter_key(store: &DynStore) -> StoreResult<Vec<u8>> {
    crate::keys::stored_key(store, "reporter_key").await
}

/// Drops control characters (keeping line breaks), invisible formatting characters and
/// surrounding space.
fn clean_comment(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| *c == '\n' || !(c.is_control() || invisible(*c)))
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Checks bank, channel and comment; the errors name what is allowed.
fn validate(
    state: &AppState,
    bank: &str,
    channel: &str,
    comment: Option<&str>,
) -> Result<(String, Channel, Option<String>), AppError> {
    if state.config.bank(bank).is_none() {
        let known: Vec<&str> = state.config.banks.iter().map(|b| b.slug.as_str()).collect();
        return Err(AppError::Unprocessable(
            Msg::new("err-unknown-bank")
                .arg("slug", bank)
                .arg("known", known.join(", ")),
        ));
    }
    let channel = channel.parse::<Channel>().map_err(|_| {
        AppError::Unprocessable(
            Msg::new("err-invalid-value")
                .arg("field", "channel")
                .arg("value", channel)
                .arg("allowed", Channel::allowed()),
        )
    })?;
    let comment = comment.and_then(clean_comment);
    if let Some(c) = &comment {
        let n = c.chars().count();
        if n > MAX_COMMENT {
            return Err(AppError::Unprocessable(
                Msg::new("err-comment-too-long")
                    .arg("count", n)
                    .arg("max", MAX_COMMENT),
            ));
        }
    }
    Ok((bank.to_owned(), channel, comment))
}

/// Stores a valid report; returns its id and whether it counts.
async fn submit(
    state: &AppState,
    reporter: String,
    bank: String,
    channel: Channel,
    comment: Option<String>,
) -> Result<(i64, bool), AppError> {
    let outcome = state
        .reports
        .add(NewReport {
            bank,
            channel,
            at: state.clock.now(),
            reporter,
            comment,
        })
        .await?;
    match outcome {
        ReportOutcome::Accepted { id, counted } => {
            if counted {
                state.changed(Command::ReportsChanged);
            }
            Ok((id, counted))
        }
        ReportOutcome::RateLimited => Err(AppError::TooManyRequests(
            Msg::new("err-rate-limited").arg("max", state.config.reports.per_reporter_per_hour),
        )),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    bank: String,
    channel: String,
    comment: Option<String>,
}

/// `POST /api/v1/reports`: 202 with the report's id and whether it counts.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports",
    request_body = ReportBody,
    responses((status = 202, description = "Accepted: `{\"id\", \"bank\", \"channel\", \"counted\"}`"),
              (status = 400, description = "Malformed JSON", body = super::error::ErrorBody),
              (status = 413, description = "Body over 16 KiB", body = super::error::ErrorBody),
              (status = 415, description = "Not JSON", body = super::error::ErrorBody),
              (status = 422, description = "Unknown bank or channel, comment too long", body = super::error::ErrorBody),
              (status = 429, description = "Too many reports from this address", body = super::error::ErrorBody)))]
pub async fn post_report(
    State(state): State<AppState>,
    client: Client,
    req: Request,
) -> Result<Response, AppError> {
    let reporter = client.reporter(&state);
    let body: ReportBody = input::json(req).await?;
    let (bank, channel, comment) =
        validate(&state, &body.bank, &body.channel, body.comment.as_deref())?;
    let (id, counted) = submit(&state, reporter, bank.clone(), channel, comment).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "id": id, "bank": bank, "channel": channel.as_str(), "counted": counted })),
    )
        .into_response())
}

/// What the form shows besides its fields.
enum Outcome {
    Form { error: Option<String> },
    Thanks { counted: bool },
}

#[expect(
    clippy::too_many_arguments,
    reason = "one page, many independent pieces"
)]
fn render_form(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    bank: Option<&str>,
    channel: Option<&str>,
    comment: &str,
    outcome: Outcome,
    set_lang_cookie: bool,
) -> Result<Response, PageError> {
    let t = text(lang);
    let csrf = new_form_token(&state.reporter_key, state.clock.now());
    let (error, thanks) = match outcome {
        Outcome::Form { error } => (error, None),
        Outcome::Thanks { counted } => (None, Some(counted)),
    };
    let follow = thanks.and(bank.zip(channel)).and_then(|(b, c)| {
        state.config.bank(b)?;
        let channel: Channel = c.parse().ok()?;
        let open = state
            .live
            .snapshot()
            .bank(b)
            .and_then(|n| n.channels.iter().find(|x| x.channel == channel))
            .and_then(|x| x.incident);
        Some(match open {
            Some(id) => format!("/subscribe?incident={id}&lang={}", lang.as_str()),
            None => format!(
                "/subscribe?bank={b}&channel={}&lang={}",
                channel.as_str(),
                lang.as_str()
            ),
        })
    });
    let page = ReportPage {
        follow,
        l: Layout::new(
            lang,
            t.report_title.to_owned(),
            "/report",
            state.config.timezone,
            state.live.snapshot().network_cut_since,
        ),
        banks: SelectOption::banks(&state.config.banks, lang, bank),
        channels: SelectOption::channels(lang, channel.and_then(|c| c.parse().ok())),
        comment: comment.to_owned(),
        max_comment: MAX_COMMENT,
        csrf: csrf.clone(),
        error,
        thanks,
        bank_slug: bank
            .filter(|b| state.config.bank(b).is_some())
            .map(str::to_owned),
    };
    let html = page.render().map_err(|e| AppError::from(e).page(lang))?;
    let mut res = (status, Html(html)).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = form_cookie(&csrf) {
        headers.append(header::SET_COOKIE, v);
    }
    if set_lang_cookie {
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            super::lang::COOKIE,
            lang.as_str()
        )) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

/// `GET /report`, pre-filled from `?bank=&channel=`.
pub async fn report_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, PageError> {
    let q = uri.query();
    let (lang, set_cookie) = page_lang(&state, q, &headers)?;
    let bank = query_param(q, "bank");
    let channel = query_param(q, "channel");
    // After a report the browser lands here (post, redirect, get): a reload sends nothing.
    let outcome = match query_param(q, "sent").as_deref() {
        Some("counted") => Outcome::Thanks { counted: true },
        Some("noted") => Outcome::Thanks { counted: false },
        _ => Outcome::Form { error: None },
    };
    render_form(
        &state,
        lang,
        StatusCode::OK,
        bank.as_deref(),
        channel.as_deref(),
        "",
        outcome,
        set_cookie,
    )
}

/// Where the browser goes after a report: the form again, saying thanks.
fn thanks(
    lang: crate::domain::Lang,
    bank: Option<&str>,
    channel: Option<&str>,
    counted: bool,
) -> Response {
    let mut url = form_urlencoded::Serializer::for_suffix(String::from("/report?"), 8);
    url.append_pair("sent", if counted { "counted" } else { "noted" });
    url.append_pair("lang", lang.as_str());
    if let Some(b) = bank {
        url.append_pair("bank", b);
    }
    if let Some(c) = channel {
        url.append_pair("channel", c);
    }
    let location = url.finish();
    (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, location)],
    )
        .into_response()
}

/// `POST /report` from the form.
pub async fn submit_form(
    State(state): State<AppState>,
    client: Client,
    uri: axum::http::Uri,
    req: Request,
) -> Result<Response, PageError> {
    let headers = req.headers().clone();
    let (lang, _) = page_lang(&state, uri.query(), &headers)?;
    let reporter = client.reporter(&state);
    let fields = input::form(req).await.map_err(|e| e.page(lang))?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (bank, channel, comment) = (
        field("bank"),
        field("channel"),
        field("comment").unwrap_or(""),
    );
    let t = text(lang);
    let again = |status, error: String| {
        render_form(
            &state,
            lang,
            status,
            bank,
            channel,
            comment,
            Outcome::Form { error: Some(error) },
            false,
        )
    };
    if !form_token_valid(
        &state.reporter_key,
        &headers,
        field("csrf").unwrap_or(""),
        state.clock.now(),
    ) {
        return again(StatusCode::FORBIDDEN, t.report_expired.to_owned());
    }
    // Only bots fill the field people never see: thank them and keep nothing.
    if field("website").is_some_and(|v| !v.is_empty()) {
        return Ok(thanks(lang, bank, channel, true));
    }
    let (Some(bank_v), Some(channel_v)) = (bank, channel) else {
        return again(StatusCode::UNPROCESSABLE_ENTITY, t.report_choose.to_owned());
    };
    let valid = validate(&state, bank_v, channel_v, Some(comment));
    let result = match valid {
        Ok((b, c, cm)) => submit(&state, reporter, b, c, cm).await,
        Err(e) => Err(e),
    };
    match result {
        Ok((_, counted)) => Ok(thanks(lang, bank, channel, counted)),
        Err(AppError::TooManyRequests(_)) => {
            again(StatusCode::TOO_MANY_REQUESTS, t.report_too_many.to_owned())
        }
        Err(e @ (AppError::Internal(_) | AppError::Unavailable(_))) => Err(e.page(lang)),
        Err(e) => again(e.status(), e.public_message(lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_lose_control_characters() {
        assert_eq!(
            clean_comment("  no\u{0} cash\r\nat all\u{7}  ").as_deref(),
            Some("no cash\nat all")
        );
        assert_eq!(clean_comment("\u{1b}[31m"), Some("[31m".to_owned()));
        assert_eq!(clean_comment(" \t "), None);
    }

    #[test]
    fn comments_lose_invisible_formatting_but_keep_arabic() {
        assert_eq!(
            clean_comment("ATM \u{202e}gnp.exe\u{202c} down").as_deref(),
            Some("ATM gnp.exe down")
        );
        assert_eq!(
            clean_comment("a\u{200b}b\u{2066}c\u{2069}\u{e0041}\u{feff}").as_deref(),
            Some("abc")
        );
        let arabic = "الشباك لا يعطي المال، منذ الصباح! (BMCE) «الدار البيضاء»؟";
        assert_eq!(clean_comment(arabic).as_deref(), Some(arabic));
    }
}
