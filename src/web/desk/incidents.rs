//! A new outage or advisory at the desk. An advisory (a phishing campaign, fake calls)
//! names where it was announced (Bank Al-Maghrib, the national CERT, the bank), which the
//! desk requires, and the domains or numbers that impersonate the bank; the action is the
//! API's `POST /api/v1/incidents`.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::form::{self, Fields};
use super::page::{bank_choices, channel_choices, posted, refusal, Choice, Chrome, Ctx, Texts};
use super::session::DeskSession;
use crate::i18n::Msg;
use crate::web::error::AppError;
use crate::web::error::PageError;
use crate::web::input::query_param;
use crate::web::operator::actions;
use crate::web::operator::IncidentBody;
use crate::web::views::Layout;
use crate::web::AppState;

#[derive(Template)]
#[template(path = "desk/incident_new.html")]
struct NewIncidentPage {
    l: Layout,
    d: Chrome,
    advisory: bool,
    banks: Vec<Choice>,
    channels: Vec<Choice>,
    title: Texts,
    message: Texts,
    source: String,
    fakes: String,
    key: String,
    error: Option<String>,
}

/// What the form holds.
struct Filled {
    advisory: bool,
    banks: Vec<String>,
    channels: Vec<String>,
    title: Texts,
    message: Texts,
    source: String,
    fakes: String,
}

impl Filled {
    fn from_fields(f: &Fields) -> Self {
        Filled {
            advisory: f.get("kind") != "outage",
            banks: f.all("banks"),
            channels: f.all("channels"),
            title: Texts::from_fields(f, "title"),
            message: Texts::from_fields(f, "message"),
            source: f.get("source").to_owned(),
            fakes: f.get("fakes").to_owned(),
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
    let heading = ctx.msg(if filled.advisory {
        "desk-new-advisory"
    } else {
        "desk-new-outage"
    });
    let page = NewIncidentPage {
        l: ctx.layout(heading, "/desk/incidents/new"),
        d: ctx.chrome("incidents"),
        advisory: filled.advisory,
        banks: bank_choices(state, ctx.lang, &filled.banks),
        channels: channel_choices(ctx.lang, &filled.channels),
        title: filled.title,
        message: filled.message,
        source: filled.source,
        fakes: filled.fakes,
        key: key.to_owned(),
        error,
    };
    ctx.render(status, &page)
}

/// `GET /desk/incidents/new?kind=advisory|outage&bank=`.
pub async fn new_incident(
    State(state): State<AppState>,
    session: DeskSession,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let ctx = Ctx::new(&state, &headers, uri.query(), Some(&session.operator))?;
    let q = uri.query();
    let filled = Filled {
        advisory: query_param(q, "kind").as_deref() != Some("outage"),
        banks: query_param(q, "bank").into_iter().collect(),
        channels: Vec::new(),
        title: Texts::default(),
        message: Texts::default(),
        source: String::new(),
        fakes: String::new(),
    };
    render(
        &state,
        &ctx,
        filled,
        &form::fresh_key(),
        (StatusCode::OK, None),
    )
}

/// The API's request from the form; the desk asks every advisory for its source.
fn body(f: &Fields) -> Result<IncidentBody, AppError> {
    let advisory = f.get("kind") != "outage";
    if advisory && f.opt("source").is_none() {
        return Err(AppError::Unprocessable(Msg::new(
            "desk-err-advisory-source",
        )));
    }
    let channels = f.all("channels");
    Ok(IncidentBody {
        kind: if advisory { "advisory" } else { "outage" }.to_owned(),
        banks: f.all("banks"),
        channels: (!channels.is_empty()).then_some(channels),
        title: f.texts("title"),
        message: f.texts("message"),
        source: f.opt("source"),
        impersonators: advisory.then(|| f.lines("fakes")),
        ..IncidentBody::default()
    })
}

/// `POST /desk/incidents`.
pub async fn create_incident(
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
        Ok(b) => actions::create_incident(&state, &session.acting(&key), b).await,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn an_advisory_needs_its_source_and_an_outage_takes_no_fakes() {
        let e = body(&fields(&[("kind", "advisory"), ("banks", "bmce")])).unwrap_err();
        assert_eq!(e.msg().id(), "desk-err-advisory-source");
        let b = body(&fields(&[
            ("kind", "advisory"),
            ("banks", "bmce"),
            ("banks", "cih"),
            ("source", "https://www.bkam.ma/"),
            ("fakes", "bmce-secure.com\n"),
        ]))
        .expect("valid");
        assert_eq!(b.banks, ["bmce", "cih"]);
        assert_eq!(b.channels, None, "no channel ticked: all of them");
        assert_eq!(
            b.impersonators.as_deref(),
            Some(&["bmce-secure.com".to_owned()][..])
        );
        let b = body(&fields(&[
            ("kind", "outage"),
            ("fakes", "x.com"),
            ("channels", "atm"),
        ]))
        .expect("valid");
        assert_eq!((b.kind.as_str(), b.impersonators), ("outage", None));
    }
}
