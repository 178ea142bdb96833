//! Moderating crowd reports: where reports come from over the surge window (a flood shows
//! as one network sending many; `?refresh=N` reloads the page every N seconds to watch it
//! as it happens), the latest reports of a bank with their symptom, city and comment, and
//! deleting one report or every report of its reporter (the API's actions).

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::Duration;

use super::form;
use super::page::{posted, Chrome, Ctx};
use super::session::DeskSession;
use crate::i18n::{channel_name, message, Msg};
use crate::store::{ModeratedReport, Moderation};
use crate::web::error::{AppError, PageError};
use crate::web::input::query_param;
use crate::web::operator::actions;
use crate::web::views::{Layout, SelectOption};
use crate::web::AppState;

/// The reports the page lists, newest first, over the last day.
const LISTED: u32 = 50;
const LISTED_OVER: Duration = Duration::hours(24);
/// The reload interval the page accepts, in seconds.
const REFRESH: std::ops::RangeInclusive<u32> = 5..=300;

/// A report as the moderation page lists it, with its two forms' keys.
struct Listed {
    id: i64,
    at: String,
    scope: String,
    symptom: String,
    city: String,
    comment: String,
    works: bool,
    counted: bool,
    reporter: String,
    reporter_reports: i64,
    key_one: String,
    key_all: String,
}

/// A channel or a network, with its counts.
struct Busy {
    what: String,
    reports: i64,
    reporters: i64,
    detail: String,
}

#[derive(Template)]
#[template(path = "desk/reports.html")]
struct ReportsPage {
    l: Layout,
    d: Chrome,
    banks: Vec<SelectOption>,
    bank: String,
    refresh: Option<u32>,
    window: String,
    channels: Vec<Busy>,
    networks: Vec<Busy>,
    reports: Vec<Listed>,
}

/// A keyed hash as the page shows it: enough to tell reporters and networks apart.
fn short(hash: &str) -> String {
    hash.chars().take(8).collect()
}

fn listed(state: &AppState, ctx: &Ctx, r: &ModeratedReport) -> Listed {
    let lang = ctx.lang;
    let namer = crate::web::pages::bank_namer(state, lang);
    Listed {
        id: r.id,
        at: ctx.at(r.at),
        scope: format!("{} – {}", namer(&r.bank), channel_name(r.channel, lang)),
        symptom: r
            .symptom
            .map(|s| message(lang, &format!("symptom-{}", s.as_str())).to_owned())
            .unwrap_or_default(),
        city: r
            .city
            .as_deref()
            .map(|c| {
                state
                    .config
                    .city(c)
                    .map_or_else(|| c.to_owned(), |x| x.names.get(lang).to_owned())
            })
            .unwrap_or_default(),
        comment: r.comment.clone().unwrap_or_default(),
        works: r.works,
        counted: r.counted,
        reporter: short(&r.reporter),
        reporter_reports: r.reporter_reports,
        key_one: form::fresh_key(),
        key_all: form::fresh_key(),
    }
}

fn busy(state: &AppState, ctx: &Ctx, activity: &Moderation) -> (Vec<Busy>, Vec<Busy>) {
    let namer = crate::web::pages::bank_namer(state, ctx.lang);
    let channels = activity
        .channels
        .iter()
        .map(|c| Busy {
            what: format!("{} – {}", namer(&c.bank), channel_name(c.channel, ctx.lang)),
            reports: c.reports,
            reporters: c.reporters,
            detail: Msg::new("desk-networks")
                .arg("count", c.networks)
                .text(ctx.lang),
        })
        .collect();
    let networks = activity
        .networks
        .iter()
        .map(|n| Busy {
            what: short(&n.network),
            reports: n.reports,
            reporters: n.reporters,
            detail: ctx.at(n.last_at),
        })
        .collect();
    (channels, networks)
}

/// `GET /desk/reports?bank=&refresh=`.
pub async fn reports(
    State(state): State<AppState>,
    session: DeskSession,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let ctx = Ctx::new(&state, &headers, uri.query(), Some(&session.operator))?;
    let q = uri.query();
    let bank = query_param(q, "bank").filter(|b| state.config.bank(b).is_some());
    let refresh = query_param(q, "refresh")
        .and_then(|r| r.parse::<u32>().ok())
        .map(|r| r.clamp(*REFRESH.start(), *REFRESH.end()));
    let window = state.config.reports.window;
    let fail = |e: crate::store::StoreError| AppError::from(e).page(ctx.lang);
    let listed_now = state
        .store
        .moderation(bank.as_deref(), ctx.now - LISTED_OVER, LISTED)
        .await
        .map_err(fail)?;
    let span = Duration::from_std(window).unwrap_or(Duration::minutes(15));
    let activity = state
        .store
        .moderation(bank.as_deref(), ctx.now - span, 1)
        .await
        .map_err(fail)?;
    let (channels, networks) = busy(&state, &ctx, &activity);
    let page = ReportsPage {
        l: ctx.layout(ctx.msg("desk-nav-reports"), "/desk/reports"),
        d: ctx.chrome("reports"),
        banks: SelectOption::banks(&state.config.banks, ctx.lang, bank.as_deref()),
        bank: bank.clone().unwrap_or_default(),
        refresh,
        window: crate::i18n::duration_seconds(span.num_seconds(), ctx.lang),
        channels,
        networks,
        reports: listed_now
            .reports
            .iter()
            .map(|r| listed(&state, &ctx, r))
            .collect(),
    };
    ctx.render(StatusCode::OK, &page)
}

fn report_id(id: &str, lang: crate::domain::Lang) -> Result<i64, PageError> {
    id.parse()
        .map_err(|_| AppError::NotFound(Msg::new("err-no-report").arg("id", id)).page(lang))
}

/// `POST /desk/reports/{id}/delete`: the report no longer counts.
pub async fn delete_one(
    State(state): State<AppState>,
    session: DeskSession,
    Path(id): Path<String>,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let (ctx, _, key) = posted(&state, &session.operator, &uri, req).await?;
    let n = report_id(&id, ctx.lang)?;
    if let Some(done) = form::done_before(&state, &key)
        .await
        .map_err(|e| e.page(ctx.lang))?
    {
        return Ok(done);
    }
    let result = actions::delete_report(&state, &session.acting(&key), n).await;
    form::finish(result, &key).map_err(|e| e.page(ctx.lang))
}

/// `POST /desk/reports/{id}/delete-reporter`: every report of the report's reporter.
pub async fn delete_reporter(
    State(state): State<AppState>,
    session: DeskSession,
    Path(id): Path<String>,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let (ctx, _, key) = posted(&state, &session.operator, &uri, req).await?;
    let n = report_id(&id, ctx.lang)?;
    if let Some(done) = form::done_before(&state, &key)
        .await
        .map_err(|e| e.page(ctx.lang))?
    {
        return Ok(done);
    }
    let result = actions::delete_reporter_reports(&state, &session.acting(&key), n).await;
    form::finish(result, &key).map_err(|e| e.page(ctx.lang))
}
