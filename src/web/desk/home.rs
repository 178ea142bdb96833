//! `GET /desk`: the sign-in form, or once signed in, what needs attention, the incidents
//! and windows open, and the latest actions by whom; `GET /desk/done/{key}`: what an
//! action did, where every form leads once it is carried out.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::attention::{self, Attention};
use super::page::{Chrome, Ctx};
use super::session::{self, DeskSession};
use crate::i18n::{message, term, Msg};
use crate::store::{AuditRow, IncidentFilter, WindowFilter};
use crate::web::error::{AppError, PageError};
use crate::web::pages::bank_namer;
use crate::web::views::Layout;
use crate::web::AppState;

/// An incident or window in the desk's lists.
struct Open {
    id: i64,
    title: String,
    what: String,
    since: String,
}

/// An audit entry as the desk shows it.
struct Done {
    at: String,
    actor: String,
    action: String,
    link: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "desk/home.html")]
struct HomePage {
    l: Layout,
    d: Chrome,
    attention: Attention,
    incidents: Vec<Open>,
    windows: Vec<Open>,
    done: Vec<Done>,
}

/// What an action is called, in the page's language.
fn action_words(ctx: &Ctx, action: &str) -> String {
    let id = format!("desk-action-{action}");
    let words = message(ctx.lang, &id);
    if words == id {
        action.to_owned()
    } else {
        words.to_owned()
    }
}

/// Where an audit entry's target is seen: the incident's desk page, the moderation page.
fn target_link(ctx: &Ctx, target: Option<&str>) -> Option<(String, String)> {
    let (kind, id) = target?.split_once(':')?;
    let id: i64 = id.parse().ok()?;
    let lang = ctx.lang.as_str();
    match kind {
        "incident" => Some((
            format!("/desk/incidents/{id}?lang={lang}"),
            format!("#{id}"),
        )),
        "report" => Some((format!("/desk/reports?lang={lang}"), format!("#{id}"))),
        _ => None,
    }
}

fn done_view(ctx: &Ctx, row: &AuditRow) -> Done {
    Done {
        at: ctx.at(row.at),
        actor: row.actor.clone(),
        action: action_words(ctx, &row.action),
        link: target_link(ctx, row.target.as_deref()),
    }
}

/// `GET /desk`.
pub async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let signed_in = session::current(&state, &headers)
        .await
        .map_err(|e| e.page(state.config.default_language))?;
    let ctx = Ctx::new(
        &state,
        &headers,
        uri.query(),
        signed_in.as_ref().map(|s| s.operator.as_str()),
    )?;
    if signed_in.is_none() {
        return session::sign_in_page(&ctx, state.operators.is_empty(), StatusCode::OK, None);
    }
    let lang = ctx.lang;
    let now = state.clock.now();
    let page_err = |e: AppError| e.page(lang);
    let namer = bank_namer(&state, lang);
    let incidents = state
        .store
        .incidents(&IncidentFilter {
            open_only: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .map_err(|e| page_err(e.into()))?
        .into_iter()
        .filter(|i| i.kind != crate::domain::IncidentKind::Maintenance)
        .map(|i| {
            let mut banks: Vec<String> = i.scopes.iter().map(|(b, _)| namer(b)).collect();
            banks.dedup();
            Open {
                id: i.id,
                title: i.title.get(lang).to_owned(),
                what: format!(
                    "{} · {} · {}",
                    term(i.kind.as_str(), lang),
                    term(i.state.as_str(), lang),
                    crate::i18n::list(&banks, lang)
                ),
                since: ctx.at(i.account().since()),
            }
        })
        .collect();
    let windows = state
        .store
        .windows(&WindowFilter {
            open_only: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .map_err(|e| page_err(e.into()))?
        .into_iter()
        .map(|w| Open {
            id: w.incident_id,
            title: w.title.get(lang).to_owned(),
            what: format!("{} · {}", term(w.state.as_str(), lang), namer(&w.bank)),
            since: format!("{} → {}", ctx.at(w.starts), ctx.at(w.ends)),
        })
        .collect();
    let done = state
        .store
        .audit_entries(20)
        .await
        .map_err(|e| page_err(e.into()))?
        .iter()
        .map(|r| done_view(&ctx, r))
        .collect();
    let page = HomePage {
        l: ctx.layout(ctx.msg("desk-home-title"), "/desk"),
        d: ctx.chrome("home"),
        attention: attention::collect(&state, &ctx, now).await,
        incidents,
        windows,
        done,
    };
    ctx.render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "desk/done.html")]
struct DonePage {
    l: Layout,
    d: Chrome,
    done: Done,
}

/// `GET /desk/done/{key}`: what the action under `key` did.
pub async fn done(
    State(state): State<AppState>,
    session: DeskSession,
    Path(key): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let ctx = Ctx::new(&state, &headers, uri.query(), Some(&session.operator))?;
    let row = state
        .store
        .audit_by_request(&key)
        .await
        .map_err(|e| AppError::from(e).page(ctx.lang))?
        .ok_or_else(|| AppError::NotFound(Msg::new("desk-err-no-action")).page(ctx.lang))?;
    let page = DonePage {
        l: ctx.layout(ctx.msg("desk-done-title"), &format!("/desk/done/{key}")),
        d: ctx.chrome(""),
        done: done_view(&ctx, &row),
    };
    ctx.render(StatusCode::OK, &page)
}
