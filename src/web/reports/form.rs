//! `GET /report` and `POST /report`: the report form, one short screen on a phone without
//! JavaScript (bank, channel, what fails, where, a comment), and the one-tap "I have this
//! problem too" and "It works for me" buttons of the bank page, which post here without a
//! form token when the browser says the post comes from our own page.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use super::{check, submit, Said, MAX_COMMENT};
use crate::domain::{Channel, Lang, Symptom};
use crate::i18n::{message, text};
use crate::web::client::{
    browser_cookie, browser_counts, browser_token, form_cookie, form_issued, form_token_valid,
    new_browser_token, new_form_token, same_origin, Client,
};
use crate::web::error::{AppError, PageError};
use crate::web::input::{self, query_param};
use crate::web::pages::page_lang;
use crate::web::views::{Layout, OptionGroup, ReportPage, SelectOption};
use crate::web::AppState;

/// What the form is filled with.
#[derive(Debug, Default)]
struct Prefill<'a> {
    bank: Option<&'a str>,
    channel: Option<&'a str>,
    symptom: Option<&'a str>,
    city: Option<&'a str>,
    comment: &'a str,
    works: bool,
}

/// What the form shows besides its fields.
enum Outcome {
    Form { error: Option<String> },
    Thanks { counted: bool },
}

/// The symptoms the form offers: the chosen channel's alone, or every channel's in groups.
fn symptom_groups(
    lang: Lang,
    channel: Option<Channel>,
    selected: Option<&str>,
) -> Vec<OptionGroup> {
    let channels: Vec<Channel> = match channel {
        Some(c) => vec![c],
        None => Channel::ALL.to_vec(),
    };
    channels
        .into_iter()
        .map(|c| OptionGroup {
            label: crate::i18n::channel_name(c, lang).to_owned(),
            options: Symptom::of(c)
                .iter()
                // `other` closes every list; one is enough when all are shown.
                .filter(|s| channel.is_some() || **s != Symptom::Other)
                .map(|s| SelectOption {
                    value: s.as_str().to_owned(),
                    label: message(lang, &format!("symptom-{}", s.as_str())).to_owned(),
                    selected: selected == Some(s.as_str()),
                })
                .collect(),
        })
        .collect()
}

fn render_form(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    fill: &Prefill<'_>,
    outcome: Outcome,
    headers: &HeaderMap,
    set_lang_cookie: bool,
) -> Result<Response, PageError> {
    let t = text(lang);
    let now = state.clock.now();
    let csrf = new_form_token(&state.reporter_key, now);
    let (error, thanks) = match outcome {
        Outcome::Form { error } => (error, None),
        Outcome::Thanks { counted } => (None, Some(counted)),
    };
    let channel: Option<Channel> = fill.channel.and_then(|c| c.parse().ok());
    let follow = thanks.and(fill.bank.zip(channel)).and_then(|(b, channel)| {
        state.config.bank(b)?;
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
    let title = if fill.works {
        message(lang, "report-works-title").to_owned()
    } else {
        t.report_title.to_owned()
    };
    let page = ReportPage {
        follow,
        l: Layout::new(
            lang,
            title,
            "/report",
            state.config.timezone,
            state.live.snapshot().network_cut_since,
        ),
        banks: SelectOption::banks(&state.config.banks, lang, fill.bank),
        channels: SelectOption::channels(lang, channel),
        symptoms: symptom_groups(lang, channel, fill.symptom),
        cities: SelectOption::cities(&state.config.cities, lang, fill.city),
        works: fill.works,
        comment: fill.comment.to_owned(),
        max_comment: MAX_COMMENT,
        csrf: csrf.clone(),
        error,
        thanks,
        bank_slug: fill
            .bank
            .filter(|b| state.config.bank(b).is_some())
            .map(str::to_owned),
    };
    let html = page.render().map_err(|e| AppError::from(e).page(lang))?;
    let mut res = (status, Html(html)).into_response();
    let out = res.headers_mut();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = form_cookie(&csrf) {
        out.append(header::SET_COOKIE, v);
    }
    if let Some(v) = fresh_browser_cookie(state, headers) {
        out.append(header::SET_COOKIE, v);
    }
    if set_lang_cookie {
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            crate::web::lang::COOKIE,
            lang.as_str()
        )) {
            out.append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

/// A browser token for a browser that has none (or an expired one): a page with report
/// buttons hands it out, and it counts from then.
pub fn fresh_browser_cookie(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    let now = state.clock.now();
    if browser_token(&state.reporter_key, headers, now).is_some() {
        return None;
    }
    browser_cookie(&new_browser_token(&state.reporter_key, now))
}

/// `GET /report`, pre-filled from `?bank=&channel=&symptom=&city=&works=1`.
pub async fn report_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let q = uri.query();
    let (lang, set_cookie) = page_lang(&state, q, &headers)?;
    let (bank, channel, symptom, city) = (
        query_param(q, "bank"),
        query_param(q, "channel"),
        query_param(q, "symptom"),
        query_param(q, "city"),
    );
    // After a report the browser lands here (post, redirect, get): a reload sends nothing.
    let outcome = match query_param(q, "sent").as_deref() {
        Some("counted") => Outcome::Thanks { counted: true },
        Some("noted") => Outcome::Thanks { counted: false },
        _ if query_param(q, "confirm").as_deref() == Some("1") => Outcome::Form {
            error: Some(message(lang, "report-confirm").to_owned()),
        },
        _ => Outcome::Form { error: None },
    };
    let fill = Prefill {
        bank: bank.as_deref(),
        channel: channel.as_deref(),
        symptom: symptom.as_deref(),
        city: city.as_deref(),
        comment: "",
        works: query_param(q, "works").as_deref() == Some("1"),
    };
    render_form(
        &state,
        lang,
        StatusCode::OK,
        &fill,
        outcome,
        &headers,
        set_cookie,
    )
}

/// Where the browser goes after a report: the form again, saying thanks.
fn thanks(lang: Lang, bank: Option<&str>, channel: Option<&str>, counted: bool) -> Response {
    let mut url = form_urlencoded::Serializer::for_suffix(String::from("/report?"), 8);
    url.append_pair("sent", if counted { "counted" } else { "noted" });
    url.append_pair("lang", lang.as_str());
    if let Some(b) = bank {
        url.append_pair("bank", b);
    }
    if let Some(c) = channel {
        url.append_pair("channel", c);
    }
    crate::web::see_other(&url.finish())
}

/// `POST /report`: from the form, or one tap on the bank page.
pub async fn submit_form(
    State(state): State<AppState>,
    client: Client,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let headers = req.headers().clone();
    let (lang, _) = page_lang(&state, uri.query(), &headers)?;
    let fields = input::form(req).await.map_err(|e| e.page(lang))?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let fill = Prefill {
        bank: field("bank"),
        channel: field("channel"),
        symptom: field("symptom"),
        city: field("city"),
        comment: field("comment").unwrap_or(""),
        works: field("works") == Some("1"),
    };
    let t = text(lang);
    let again = |status, error: String| {
        render_form(
            &state,
            lang,
            status,
            &fill,
            Outcome::Form { error: Some(error) },
            &headers,
            false,
        )
    };
    let now = state.clock.now();
    let token = field("csrf");
    match token {
        Some(token) if !form_token_valid(&state.reporter_key, &headers, token, now) => {
            return again(StatusCode::FORBIDDEN, t.report_expired.to_owned());
        }
        Some(_) => {}
        // One tap from the bank page: only from our own page, else the full form asks.
        None if same_origin(&headers, state.config.public_url.as_deref()) => {}
        None => return Ok(confirm(lang, &fill)),
    }
    // Only bots fill the field people never see: thank them and keep nothing.
    if field("website").is_some_and(|v| !v.is_empty()) {
        return Ok(thanks(lang, fill.bank, fill.channel, true));
    }
    let (Some(bank), Some(channel)) = (fill.bank, fill.channel) else {
        return again(StatusCode::UNPROCESSABLE_ENTITY, t.report_choose.to_owned());
    };
    let said = Said {
        bank,
        channel,
        comment: Some(fill.comment),
        symptom: fill.symptom,
        city: fill.city,
        works: fill.works,
    };
    let report = match check(&state.config, &said) {
        Ok(r) => r,
        Err(m) => return again(StatusCode::UNPROCESSABLE_ENTITY, m.text(lang)),
    };
    let browser = browser_counts(
        &state.reporter_key,
        &headers,
        token.and_then(form_issued),
        now,
    );
    let day_key = state
        .day_keys
        .key(now)
        .await
        .map_err(|e| AppError::from(e).page(lang))?;
    let who = client.reporter_ids(&day_key, browser.as_deref());
    match submit(&state, who, report).await {
        Ok((_, counted)) => {
            let mut res = thanks(lang, fill.bank, fill.channel, counted);
            if let Some(v) = fresh_browser_cookie(&state, &headers) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Err(AppError::TooManyRequests(_)) => {
            again(StatusCode::TOO_MANY_REQUESTS, t.report_too_many.to_owned())
        }
        Err(e @ (AppError::Internal(_) | AppError::Unavailable(_))) => Err(e.page(lang)),
        Err(e) => again(e.status(), e.public_message(lang)),
    }
}

/// A one-tap post that did not come from our own page: the full form, filled in, asks the
/// person to confirm, so another site cannot report in its visitors' names.
fn confirm(lang: Lang, fill: &Prefill<'_>) -> Response {
    let mut url = form_urlencoded::Serializer::for_suffix(String::from("/report?"), 8);
    url.append_pair("lang", lang.as_str());
    for (k, v) in [("bank", fill.bank), ("channel", fill.channel)] {
        if let Some(v) = v {
            url.append_pair(k, v);
        }
    }
    if fill.works {
        url.append_pair("works", "1");
    }
    url.append_pair("confirm", "1");
    crate::web::see_other(&url.finish())
}
