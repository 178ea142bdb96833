//! Correcting a published entry, as a newsroom corrects: the form shows the entry as it was
//! published and as it reads now, and the correction is appended (the action of
//! `POST /api/v1/incidents/{id}/updates/{update_id}/corrections`); the public sees "corrected
//! at ...; the earlier text said ...", never an edit in place.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::form;
use super::page::{incident_or_404, posted, refusal, Chrome, Ctx, Texts};
use super::session::DeskSession;
use crate::domain::{corrected, Source};
use crate::i18n::{term, Msg};
use crate::store::{IncidentRow, UpdateRow};
use crate::web::error::{AppError, PageError};
use crate::web::operator::actions;
use crate::web::operator::CorrectionBody;
use crate::web::views::Layout;
use crate::web::AppState;

#[derive(Template)]
#[template(path = "desk/correct.html")]
struct CorrectPage {
    l: Layout,
    d: Chrome,
    id: i64,
    update: i64,
    incident_title: String,
    heading: String,
    published: String,
    at: String,
    state: String,
    /// Each correction made so far: when, and the text it put in place.
    earlier: Vec<(String, String)>,
    text: Texts,
    key: String,
    error: Option<String>,
}

/// The incident's operator entry `update`, or the 404 page.
async fn entry(
    state: &AppState,
    id: &str,
    update: &str,
    ctx: &Ctx,
) -> Result<(IncidentRow, UpdateRow), PageError> {
    let (row, updates) = incident_or_404(state, id, ctx.lang).await?;
    let found = update.parse::<i64>().ok().and_then(|u| {
        updates
            .into_iter()
            .find(|x| x.id == u && x.source == Source::Operator)
    });
    let Some(u) = found else {
        return Err(AppError::NotFound(
            Msg::new("err-no-update")
                .arg("id", row.id)
                .arg("update", update),
        )
        .page(ctx.lang));
    };
    Ok((row, u))
}

fn render(
    ctx: &Ctx,
    (row, u): (&IncidentRow, &UpdateRow),
    text: Texts,
    key: &str,
    (status, error): (StatusCode, Option<String>),
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let c = corrected(&u.message, &u.corrections);
    let heading = ctx.msg("desk-correct-title").to_owned();
    let page = CorrectPage {
        l: ctx.layout(
            &heading,
            &format!("/desk/incidents/{}/updates/{}/correct", row.id, u.id),
        ),
        d: ctx.chrome(""),
        id: row.id,
        update: u.id,
        incident_title: row.title.get(lang).to_owned(),
        heading,
        published: u.message.get(lang).to_owned(),
        at: ctx.at(u.at),
        state: term(u.state.as_str(), lang).to_owned(),
        earlier: c
            .steps
            .iter()
            .map(|s| (ctx.at(s.at), s.text.get(lang).to_owned()))
            .collect(),
        text,
        key: key.to_owned(),
        error,
    };
    ctx.render(status, &page)
}

/// `GET /desk/incidents/{id}/updates/{update}/correct`: the form, filled with the text as
/// it reads now.
pub async fn correct_form(
    State(state): State<AppState>,
    session: DeskSession,
    Path((id, update)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let ctx = Ctx::new(&state, &headers, uri.query(), Some(&session.operator))?;
    let (row, u) = entry(&state, &id, &update, &ctx).await?;
    let now = corrected(&u.message, &u.corrections).now;
    render(
        &ctx,
        (&row, &u),
        Texts::of(&now),
        &form::fresh_key(),
        (StatusCode::OK, None),
    )
}

/// `POST /desk/incidents/{id}/updates/{update}/correct`: the correction appended.
pub async fn post_correction(
    State(state): State<AppState>,
    session: DeskSession,
    Path((id, update)): Path<(String, String)>,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let (ctx, fields, key) = posted(&state, &session.operator, &uri, req).await?;
    let (row, u) = entry(&state, &id, &update, &ctx).await?;
    if let Some(done) = form::done_before(&state, &key)
        .await
        .map_err(|e| e.page(ctx.lang))?
    {
        return Ok(done);
    }
    let body = CorrectionBody {
        message: fields.texts("message"),
    };
    let result = actions::correct_update(&state, &session.acting(&key), row.id, u.id, body).await;
    match form::finish(result, &key) {
        Ok(res) => Ok(res),
        Err(e) => {
            let (status, msg) = refusal(e, ctx.lang)?;
            let text = Texts::from_fields(&fields, "message");
            render(&ctx, (&row, &u), text, &key, (status, Some(msg)))
        }
    }
}
