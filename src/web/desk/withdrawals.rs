//! Withdrawing a false alarm: a page that asks for the reason in the record's languages,
//! then the action of `POST /api/v1/incidents/{id}/withdraw`. The incident leaves the live
//! pages and the figures; the record keeps it as withdrawn, with the reason.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::form;
use super::page::{incident_or_404, posted, refusal, Chrome, Ctx, Texts};
use super::session::DeskSession;
use crate::i18n::term;
use crate::store::IncidentRow;
use crate::web::error::PageError;
use crate::web::operator::actions;
use crate::web::operator::WithdrawBody;
use crate::web::views::Layout;
use crate::web::AppState;

#[derive(Template)]
#[template(path = "desk/withdraw.html")]
struct WithdrawPage {
    l: Layout,
    d: Chrome,
    id: i64,
    title: String,
    what: String,
    reason: Texts,
    key: String,
    error: Option<String>,
}

fn render(
    ctx: &Ctx,
    row: &IncidentRow,
    reason: Texts,
    key: &str,
    (status, error): (StatusCode, Option<String>),
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let title = row.title.get(lang).to_owned();
    let page = WithdrawPage {
        l: ctx.layout(
            ctx.msg("desk-withdraw"),
            &format!("/desk/incidents/{}/withdraw", row.id),
        ),
        d: ctx.chrome(""),
        id: row.id,
        what: format!(
            "{} · {}",
            term(row.kind.as_str(), lang),
            term(row.state.as_str(), lang)
        ),
        title,
        reason,
        key: key.to_owned(),
        error,
    };
    ctx.render(status, &page)
}

/// `GET /desk/incidents/{id}/withdraw`.
pub async fn withdraw_form(
    State(state): State<AppState>,
    session: DeskSession,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let ctx = Ctx::new(&state, &headers, uri.query(), Some(&session.operator))?;
    let (row, _) = incident_or_404(&state, &id, ctx.lang).await?;
    render(
        &ctx,
        &row,
        Texts::default(),
        &form::fresh_key(),
        (StatusCode::OK, None),
    )
}

/// `POST /desk/incidents/{id}/withdraw`.
pub async fn post_withdrawal(
    State(state): State<AppState>,
    session: DeskSession,
    Path(id): Path<String>,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let (ctx, fields, key) = posted(&state, &session.operator, &uri, req).await?;
    let (row, _) = incident_or_404(&state, &id, ctx.lang).await?;
    if let Some(done) = form::done_before(&state, &key)
        .await
        .map_err(|e| e.page(ctx.lang))?
    {
        return Ok(done);
    }
    let body = WithdrawBody {
        reason: fields.texts("reason"),
    };
    let result = actions::withdraw_incident(&state, &session.acting(&key), row.id, body).await;
    match form::finish(result, &key) {
        Ok(res) => Ok(res),
        Err(e) => {
            let (status, msg) = refusal(e, ctx.lang)?;
            render(
                &ctx,
                &row,
                Texts::from_fields(&fields, "reason"),
                &key,
                (status, Some(msg)),
            )
        }
    }
}
