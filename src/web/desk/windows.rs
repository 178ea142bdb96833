//! Announced maintenance at the desk: a new window, a window announced anew before it
//! begins, and one ended or called off. Times are typed as the clocks show them in the
//! configured zone (the tz database places them across the Ramadan change); the actions
//! are the API's own (`web/operator/actions.rs`).

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::form::{self, Fields};
use super::page::{
    channel_choices, local_input, posted, refusal, time_field, Choice, Chrome, Ctx, Texts,
};
use super::session::DeskSession;
use crate::domain::{IncidentState, Lang};
use crate::i18n::{zone_name, Msg};
use crate::store::WindowRow;
use crate::web::error::{AppError, PageError};
use crate::web::operator::actions;
use crate::web::operator::{UpdateBody, WindowBody};
use crate::web::views::{Layout, SelectOption};
use crate::web::AppState;

/// The form to end or call off a window.
struct Cancel {
    action: String,
    key: String,
    reason: Texts,
}

#[derive(Template)]
#[template(path = "desk/window.html")]
struct WindowPage {
    l: Layout,
    d: Chrome,
    heading: String,
    action: String,
    key: String,
    error: Option<String>,
    /// The bank to choose; for a window announced anew, its bank, which stays.
    banks: Vec<SelectOption>,
    bank_fixed: Option<(String, String)>,
    channels: Vec<Choice>,
    starts: String,
    ends: String,
    title: Texts,
    source: String,
    zone_hint: String,
    submit: &'static str,
    /// The window has begun: what was announced stays, only ending it is offered.
    begun: bool,
    incident: Option<i64>,
    cancel: Option<Cancel>,
}

/// What the form holds.
#[derive(Default)]
struct Filled {
    bank: String,
    channels: Vec<String>,
    starts: String,
    ends: String,
    title: Texts,
    source: String,
}

impl Filled {
    fn from_fields(f: &Fields) -> Self {
        Filled {
            bank: f.get("bank").to_owned(),
            channels: f.all("channels"),
            starts: f.get("starts").to_owned(),
            ends: f.get("ends").to_owned(),
            title: Texts::from_fields(f, "title"),
            source: f.get("source").to_owned(),
        }
    }

    fn from_window(w: &WindowRow, ctx: &Ctx) -> Self {
        Filled {
            bank: w.bank.clone(),
            channels: w.channels.iter().map(|c| c.as_str().to_owned()).collect(),
            starts: local_input(w.starts, ctx.tz),
            ends: local_input(w.ends, ctx.tz),
            title: Texts::of(&w.title),
            source: w.source.clone().unwrap_or_default(),
        }
    }

    fn body(f: &Fields) -> WindowBody {
        WindowBody {
            bank: f.get("bank").to_owned(),
            channels: f.all("channels"),
            starts: time_field(f.get("starts")),
            ends: time_field(f.get("ends")),
            title: f.texts("title"),
            source: f.opt("source"),
        }
    }
}

/// How the page says where times are read: the zone's name, and that the clocks' own time
/// is meant, whatever their offset that day.
fn zone_hint(ctx: &Ctx) -> String {
    Msg::new("desk-zone-hint")
        .arg("zone", zone_name(ctx.tz, ctx.lang))
        .arg("tz", ctx.tz.name())
        .text(ctx.lang)
}

fn render(
    state: &AppState,
    ctx: &Ctx,
    window: Option<&WindowRow>,
    filled: &Filled,
    (status, error): (StatusCode, Option<String>),
    key: &str,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let bank_fixed = window.map(|w| {
        let name = state
            .config
            .bank(&w.bank)
            .map_or_else(|| w.bank.clone(), |b| b.names.get(lang).to_owned());
        (w.bank.clone(), name)
    });
    let (heading, action, path) = match window {
        Some(w) => (
            Msg::new("desk-window-edit-title")
                .arg("title", w.title.get(lang))
                .text(lang),
            format!("/desk/windows/{}?lang={}", w.incident_id, lang.as_str()),
            format!("/desk/windows/{}", w.incident_id),
        ),
        None => (
            ctx.msg("desk-window-new-title").to_owned(),
            format!("/desk/windows?lang={}", lang.as_str()),
            "/desk/windows/new".to_owned(),
        ),
    };
    let begun = window.is_some_and(|w| w.state != IncidentState::Scheduled);
    let page = WindowPage {
        l: ctx.layout(&heading, &path),
        d: ctx.chrome("windows"),
        heading,
        action,
        key: key.to_owned(),
        error,
        banks: SelectOption::banks(&state.config.banks, lang, Some(filled.bank.as_str())),
        bank_fixed,
        channels: channel_choices(lang, &filled.channels),
        starts: filled.starts.clone(),
        ends: filled.ends.clone(),
        title: filled.title.clone(),
        source: filled.source.clone(),
        zone_hint: zone_hint(ctx),
        submit: ctx.msg(if window.is_some() {
            "desk-window-save"
        } else {
            "desk-window-announce"
        }),
        begun,
        incident: window.map(|w| w.incident_id),
        cancel: window
            .filter(|w| w.state != IncidentState::Completed)
            .map(|w| Cancel {
                action: format!(
                    "/desk/windows/{}/cancel?lang={}",
                    w.incident_id,
                    lang.as_str()
                ),
                key: form::fresh_key(),
                reason: Texts::default(),
            }),
    };
    ctx.render(status, &page)
}

/// `GET /desk/windows/new?bank=`.
pub async fn new_window(
    State(state): State<AppState>,
    session: DeskSession,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let ctx = Ctx::new(&state, &headers, uri.query(), Some(&session.operator))?;
    let filled = Filled {
        bank: crate::web::input::query_param(uri.query(), "bank").unwrap_or_default(),
        ..Filled::default()
    };
    render(
        &state,
        &ctx,
        None,
        &filled,
        (StatusCode::OK, None),
        &form::fresh_key(),
    )
}

/// `POST /desk/windows`: announce it.
pub async fn create_window(
    State(state): State<AppState>,
    session: DeskSession,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let (ctx, fields, key) = posted(&state, &session.operator, &uri, req).await?;
    if let Some(done) = form::done_before(&state, &key)
        .await
        .map_err(|e| e.page(ctx.lang))?
    {
        return Ok(done);
    }
    let result = actions::create_window(&state, &session.acting(&key), Filled::body(&fields)).await;
    match form::finish(result, &key) {
        Ok(res) => Ok(res),
        Err(e) => {
            let (status, msg) = refusal(e, ctx.lang)?;
            render(
                &state,
                &ctx,
                None,
                &Filled::from_fields(&fields),
                (status, Some(msg)),
                &key,
            )
        }
    }
}

async fn window_or_404(state: &AppState, id: &str, lang: Lang) -> Result<WindowRow, PageError> {
    let missing = || AppError::NotFound(Msg::new("err-no-window").arg("id", id)).page(lang);
    let n: i64 = id.parse().map_err(|_| missing())?;
    state
        .store
        .window(n)
        .await
        .map_err(|e| AppError::from(e).page(lang))?
        .ok_or_else(missing)
}

/// `GET /desk/windows/{id}`: the window as announced, to announce anew or end.
pub async fn edit_window(
    State(state): State<AppState>,
    session: DeskSession,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let ctx = Ctx::new(&state, &headers, uri.query(), Some(&session.operator))?;
    let w = window_or_404(&state, &id, ctx.lang).await?;
    let filled = Filled::from_window(&w, &ctx);
    render(
        &state,
        &ctx,
        Some(&w),
        &filled,
        (StatusCode::OK, None),
        &form::fresh_key(),
    )
}

/// `POST /desk/windows/{id}`: announce it anew.
pub async fn change_window(
    State(state): State<AppState>,
    session: DeskSession,
    Path(id): Path<String>,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let (ctx, fields, key) = posted(&state, &session.operator, &uri, req).await?;
    let w = window_or_404(&state, &id, ctx.lang).await?;
    if let Some(done) = form::done_before(&state, &key)
        .await
        .map_err(|e| e.page(ctx.lang))?
    {
        return Ok(done);
    }
    let body = WindowBody {
        bank: w.bank.clone(),
        ..Filled::body(&fields)
    };
    let result = actions::change_window(&state, &session.acting(&key), w.incident_id, body).await;
    match form::finish(result, &key) {
        Ok(res) => Ok(res),
        Err(e) => {
            let (status, msg) = refusal(e, ctx.lang)?;
            let filled = Filled {
                bank: w.bank.clone(),
                ..Filled::from_fields(&fields)
            };
            render(&state, &ctx, Some(&w), &filled, (status, Some(msg)), &key)
        }
    }
}

/// `POST /desk/windows/{id}/cancel`: ended now (called off, when it has not begun), with
/// the reason given.
pub async fn cancel_window(
    State(state): State<AppState>,
    session: DeskSession,
    Path(id): Path<String>,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let (ctx, fields, key) = posted(&state, &session.operator, &uri, req).await?;
    let w = window_or_404(&state, &id, ctx.lang).await?;
    if let Some(done) = form::done_before(&state, &key)
        .await
        .map_err(|e| e.page(ctx.lang))?
    {
        return Ok(done);
    }
    let body = UpdateBody {
        state: IncidentState::Completed.as_str().to_owned(),
        message: fields.texts("reason"),
        ..UpdateBody::default()
    };
    let result = actions::add_update(&state, &session.acting(&key), w.incident_id, body).await;
    match form::finish(result, &key) {
        Ok(res) => Ok(res),
        Err(e) => {
            let (status, msg) = refusal(e, ctx.lang)?;
            let filled = Filled::from_window(&w, &ctx);
            render(
                &state,
                &ctx,
                Some(&w),
                &filled,
                (status, Some(msg)),
                &form::fresh_key(),
            )
        }
    }
}
