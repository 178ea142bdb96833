//! What a bank said, recorded at the desk: its words verbatim in the languages it used,
//! translations made here apart, the source, when it was said and the return it promised.
//! The checks and the record are those of `POST /api/v1/statements`
//! (`web/statements/create.rs`).

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::form::{self, Fields};
use super::page::{channel_choices, posted, refusal, time_field, Choice, Chrome, Ctx, Texts};
use super::session::DeskSession;
use crate::domain::SourceKind;
use crate::i18n::{source_kind_name, zone_name, Msg};
use crate::web::error::{AppError, PageError};
use crate::web::input::query_param;
use crate::web::statements::{self as said, StatementBody};
use crate::web::views::{Layout, SelectOption};
use crate::web::AppState;

#[derive(Template)]
#[template(path = "desk/statement.html")]
struct StatementPage {
    l: Layout,
    d: Chrome,
    banks: Vec<SelectOption>,
    channels: Vec<Choice>,
    kinds: Vec<SelectOption>,
    incident: String,
    words: Texts,
    translations: Texts,
    source_url: String,
    said_at: String,
    expected_back_at: String,
    zone_hint: String,
    key: String,
    error: Option<String>,
}

/// What the form holds.
#[derive(Default)]
struct Filled {
    bank: String,
    channels: Vec<String>,
    kind: String,
    incident: String,
    words: Texts,
    translations: Texts,
    source_url: String,
    said_at: String,
    expected_back_at: String,
}

impl Filled {
    fn from_fields(f: &Fields) -> Self {
        Filled {
            bank: f.get("bank").to_owned(),
            channels: f.all("channels"),
            kind: f.get("source_kind").to_owned(),
            incident: f.get("incident").to_owned(),
            words: Texts::from_fields(f, "text"),
            translations: Texts::from_fields(f, "translation"),
            source_url: f.get("source_url").to_owned(),
            said_at: f.get("said_at").to_owned(),
            expected_back_at: f.get("expected_back_at").to_owned(),
        }
    }
}

fn render(
    state: &AppState,
    ctx: &Ctx,
    filled: Filled,
    key: &str,
    (status, error): (StatusCode, Option<String>),
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let page = StatementPage {
        l: ctx.layout(ctx.msg("desk-nav-statement"), "/desk/statements/new"),
        d: ctx.chrome("statements"),
        banks: SelectOption::banks(&state.config.banks, lang, Some(filled.bank.as_str())),
        channels: channel_choices(lang, &filled.channels),
        kinds: SourceKind::ALL
            .into_iter()
            .map(|k| SelectOption {
                value: k.as_str().to_owned(),
                label: source_kind_name(k, lang).to_owned(),
                selected: filled.kind == k.as_str(),
            })
            .collect(),
        incident: filled.incident,
        words: filled.words,
        translations: filled.translations,
        source_url: filled.source_url,
        said_at: filled.said_at,
        expected_back_at: filled.expected_back_at,
        zone_hint: Msg::new("desk-zone-hint")
            .arg("zone", zone_name(ctx.tz, lang))
            .arg("tz", ctx.tz.name())
            .text(lang),
        key: key.to_owned(),
        error,
    };
    ctx.render(status, &page)
}

/// `GET /desk/statements/new?bank=&incident=`.
pub async fn new_statement(
    State(state): State<AppState>,
    session: DeskSession,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let ctx = Ctx::new(&state, &headers, uri.query(), Some(&session.operator))?;
    let q = uri.query();
    let filled = Filled {
        bank: query_param(q, "bank").unwrap_or_default(),
        incident: query_param(q, "incident").unwrap_or_default(),
        said_at: super::page::local_input(ctx.now, ctx.tz),
        ..Filled::default()
    };
    render(
        &state,
        &ctx,
        filled,
        &form::fresh_key(),
        (StatusCode::OK, None),
    )
}

/// The API's request from the form: blank fields are fields not given.
fn body(f: &Fields) -> Result<StatementBody, AppError> {
    let texts = |name: &str| said::Texts {
        ar: f.opt(&format!("{name}_ar")),
        fr: f.opt(&format!("{name}_fr")),
        en: f.opt(&format!("{name}_en")),
    };
    let channels = f.all("channels");
    let incident =
        match f.opt("incident") {
            None => None,
            Some(raw) => Some(raw.trim_start_matches('#').parse::<i64>().map_err(|_| {
                AppError::Unprocessable(Msg::new("err-no-incident").arg("id", &raw))
            })?),
        };
    Ok(StatementBody {
        bank: f.get("bank").to_owned(),
        channels: (!channels.is_empty()).then_some(channels),
        text: texts("text"),
        translations: texts("translation"),
        source_url: f.get("source_url").trim().to_owned(),
        source_kind: f.get("source_kind").to_owned(),
        said_at: time_field(f.get("said_at")),
        expected_back_at: f.opt("expected_back_at").map(|t| time_field(&t)),
        incident,
    })
}

/// `POST /desk/statements`.
pub async fn create_statement(
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
    let result = match body(&fields) {
        Ok(b) => said::create(&state, &session.acting(&key), b).await,
        Err(e) => Err(e),
    };
    match form::finish(result, &key) {
        Ok(res) => Ok(res),
        Err(e) => {
            let (status, msg) = refusal(e, ctx.lang)?;
            render(
                &state,
                &ctx,
                Filled::from_fields(&fields),
                &key,
                (status, Some(msg)),
            )
        }
    }
}
