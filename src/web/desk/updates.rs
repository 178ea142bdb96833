//! An incident at the desk: its timeline with a way to correct each of the operator's
//! entries, and the update form as Statuspage's incident form has it (a state, the words
//! in three languages with a ready text for each state to edit, an optional new title),
//! with a preview of the entry as the public will see it in each language, Arabic right to
//! left, before it is published.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::form::{self, Fields};
use super::page::{incident_or_404, posted, refusal, Chrome, Ctx, Texts};
use super::session::DeskSession;
use crate::domain::{corrected, Channel, IncidentKind, IncidentState, Lang, Names, Source};
use crate::i18n::{channel_name, list, term};
use crate::store::{IncidentRow, UpdateRow};
use crate::web::error::PageError;
use crate::web::operator::actions;
use crate::web::operator::UpdateBody;
use crate::web::views::{Layout, SelectOption, UpdateView};
use crate::web::AppState;

/// The states an update may take: the kind's own, and once the incident is over, only its
/// closing state (a note on it).
pub fn states_for(row: &IncidentRow) -> Vec<IncidentState> {
    use IncidentState::*;
    let all: &[IncidentState] = if row.kind == IncidentKind::Maintenance {
        &[Scheduled, InProgress, Completed]
    } else {
        &[Investigating, Identified, Monitoring, Resolved]
    };
    all.iter()
        .copied()
        .filter(|s| row.resolved_at.is_none() || s.is_closed())
        .collect()
}

/// The ready text for `state` in `lang`, naming the incident's banks and channels, for
/// the operator to edit before it is published.
pub fn ready_text(state: &AppState, row: &IncidentRow, to: IncidentState, lang: Lang) -> String {
    let mut banks: Vec<String> = Vec::new();
    let mut channels: Vec<Channel> = Vec::new();
    for (b, c) in &row.scopes {
        let name = state
            .config
            .bank(b)
            .map_or_else(|| b.clone(), |x| x.names.get(lang).to_owned());
        if !banks.contains(&name) {
            banks.push(name);
        }
        if !channels.contains(c) {
            channels.push(*c);
        }
    }
    channels.sort();
    let channel_names: Vec<&str> = if channels.len() == Channel::ALL.len() {
        vec![crate::i18n::message(lang, "desk-all-services")]
    } else {
        channels.iter().map(|c| channel_name(*c, lang)).collect()
    };
    let id = format!("desk-ready-{}", to.as_str());
    crate::i18n::message_with(
        lang,
        &id,
        &[
            ("bank", &list(&banks, lang)),
            ("channels", &list(&channel_names, lang)),
        ],
    )
}

/// One entry of the timeline at the desk.
struct Entry {
    view: UpdateView,
    /// Where to correct it: the operator's own entries only.
    correct: Option<String>,
}

/// The entry as it would be published, in one language.
struct Preview {
    lang: &'static str,
    dir: &'static str,
    name: &'static str,
    title: String,
    entry: UpdateView,
}

#[derive(Template)]
#[template(path = "desk/incident.html")]
struct IncidentDeskPage {
    l: Layout,
    d: Chrome,
    id: i64,
    title: String,
    what: String,
    affected: String,
    withdrawable: bool,
    /// Withdrawn: no more updates, only corrections.
    withdrawn: bool,
    maintenance: bool,
    /// The bank a statement would be about (the first of the incident's).
    bank: String,
    entries: Vec<Entry>,
    states: Vec<SelectOption>,
    ready: Vec<(String, String)>,
    message: Texts,
    new_title: Texts,
    key: String,
    error: Option<String>,
    previews: Vec<Preview>,
}

/// What the update form holds.
struct Filled {
    state: IncidentState,
    message: Texts,
    title: Texts,
}

fn entries(ctx: &Ctx, row: &IncidentRow, updates: &[UpdateRow]) -> Vec<Entry> {
    let lang = ctx.lang;
    updates
        .iter()
        .rev()
        .map(|u| {
            let c = corrected(&u.message, &u.corrections);
            Entry {
                view: UpdateView {
                    at: ctx.at(u.at),
                    state_label: term(u.state.as_str(), lang).to_owned(),
                    source_label: term(u.source.as_str(), lang).to_owned(),
                    message: c.now.get(lang).to_owned(),
                    quote: None,
                    corrections: c
                        .steps
                        .iter()
                        .map(|s| (ctx.at(s.at), s.earlier.get(lang).to_owned()))
                        .collect(),
                },
                correct: (u.source == Source::Operator).then(|| {
                    format!(
                        "/desk/incidents/{}/updates/{}/correct?lang={}",
                        row.id,
                        u.id,
                        lang.as_str()
                    )
                }),
            }
        })
        .collect()
}

/// The entry in each language as the incident page would show it now.
fn previews(ctx: &Ctx, row: &IncidentRow, filled: &Filled, title: &Names) -> Vec<Preview> {
    let message = Names {
        ar: Some(filled.message.ar.trim().to_owned()).filter(|s| !s.is_empty()),
        fr: Some(filled.message.fr.trim().to_owned()).filter(|s| !s.is_empty()),
        en: Some(filled.message.en.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    Lang::ALL
        .into_iter()
        .map(|lang| Preview {
            lang: lang.as_str(),
            dir: if lang.is_rtl() { "rtl" } else { "ltr" },
            name: crate::i18n::text(lang).lang_name,
            title: if title.is_empty() {
                row.title.get(lang).to_owned()
            } else {
                title.get(lang).to_owned()
            },
            entry: UpdateView {
                at: crate::i18n::local_time(ctx.now, ctx.tz, lang),
                state_label: term(filled.state.as_str(), lang).to_owned(),
                source_label: term(Source::Operator.as_str(), lang).to_owned(),
                message: message.get(lang).to_owned(),
                quote: None,
                corrections: Vec::new(),
            },
        })
        .collect()
}

fn render(
    state: &AppState,
    ctx: &Ctx,
    (row, updates): (&IncidentRow, &[UpdateRow]),
    filled: &Filled,
    key: &str,
    (status, error): (StatusCode, Option<String>),
    preview: bool,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let namer = crate::web::pages::bank_namer(state, lang);
    let affected: Vec<String> = row
        .scopes
        .iter()
        .map(|(b, c)| format!("{} – {}", namer(b), channel_name(*c, lang)))
        .collect();
    let states = states_for(row);
    let title = row.title.get(lang).to_owned();
    let new_title = Names {
        ar: Some(filled.title.ar.trim().to_owned()).filter(|s| !s.is_empty()),
        fr: Some(filled.title.fr.trim().to_owned()).filter(|s| !s.is_empty()),
        en: Some(filled.title.en.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    let page = IncidentDeskPage {
        l: ctx.layout(&title, &format!("/desk/incidents/{}", row.id)),
        d: ctx.chrome(""),
        id: row.id,
        what: format!(
            "{} · {}",
            term(row.kind.as_str(), lang),
            term(row.state.as_str(), lang)
        ),
        title,
        affected: list(&affected, lang),
        withdrawable: row.kind != IncidentKind::Maintenance
            && row.state != IncidentState::Withdrawn,
        withdrawn: row.state == IncidentState::Withdrawn,
        maintenance: row.kind == IncidentKind::Maintenance,
        bank: row
            .scopes
            .first()
            .map(|(b, _)| b.clone())
            .unwrap_or_default(),
        entries: entries(ctx, row, updates),
        states: states
            .iter()
            .map(|s| SelectOption {
                value: s.as_str().to_owned(),
                label: term(s.as_str(), lang).to_owned(),
                selected: *s == filled.state,
            })
            .collect(),
        ready: states
            .iter()
            .map(|s| {
                (
                    format!(
                        "/desk/incidents/{}?state={}&lang={}#update",
                        row.id,
                        s.as_str(),
                        lang.as_str()
                    ),
                    term(s.as_str(), lang).to_owned(),
                )
            })
            .collect(),
        message: filled.message.clone(),
        new_title: filled.title.clone(),
        key: key.to_owned(),
        error,
        previews: if preview {
            previews(ctx, row, filled, &new_title)
        } else {
            Vec::new()
        },
    };
    ctx.render(status, &page)
}

/// `GET /desk/incidents/{id}?state=`: the incident and its update form, filled with the
/// ready text of `state` (the next state by default).
pub async fn incident(
    State(state): State<AppState>,
    session: DeskSession,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let ctx = Ctx::new(&state, &headers, uri.query(), Some(&session.operator))?;
    let (row, updates) = incident_or_404(&state, &id, ctx.lang).await?;
    let states = states_for(&row);
    let asked = crate::web::input::query_param(uri.query(), "state")
        .and_then(|s| s.parse::<IncidentState>().ok())
        .filter(|s| states.contains(s));
    // By default the state after the current one, as the operator most often moves on.
    let next = states
        .iter()
        .position(|s| *s == row.state)
        .and_then(|i| states.get(i + 1))
        .or(states.first())
        .copied()
        .unwrap_or(row.state);
    let to = asked.unwrap_or(next);
    let ready = |lang| ready_text(&state, &row, to, lang);
    let filled = Filled {
        state: to,
        message: Texts {
            ar: ready(Lang::Ar),
            fr: ready(Lang::Fr),
            en: ready(Lang::En),
        },
        title: Texts::default(),
    };
    render(
        &state,
        &ctx,
        (&row, &updates),
        &filled,
        &form::fresh_key(),
        (StatusCode::OK, None),
        false,
    )
}

fn body(fields: &Fields) -> UpdateBody {
    let title = fields.texts("title");
    let any_title = [&title.ar, &title.fr, &title.en]
        .into_iter()
        .flatten()
        .any(|t| !t.trim().is_empty());
    UpdateBody {
        state: fields.get("state").to_owned(),
        message: fields.texts("message"),
        title: any_title.then_some(title),
        at: None,
    }
}

/// `POST /desk/incidents/{id}/updates`: the preview (button `preview`), or the update
/// published.
pub async fn post_update(
    State(state): State<AppState>,
    session: DeskSession,
    Path(id): Path<String>,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let (ctx, fields, key) = posted(&state, &session.operator, &uri, req).await?;
    let (row, updates) = incident_or_404(&state, &id, ctx.lang).await?;
    let filled = Filled {
        state: fields.get("state").parse().unwrap_or(row.state),
        message: Texts::from_fields(&fields, "message"),
        title: Texts::from_fields(&fields, "title"),
    };
    if fields.has("preview") {
        return render(
            &state,
            &ctx,
            (&row, &updates),
            &filled,
            &key,
            (StatusCode::OK, None),
            true,
        );
    }
    if let Some(done) = form::done_before(&state, &key)
        .await
        .map_err(|e| e.page(ctx.lang))?
    {
        return Ok(done);
    }
    let result = actions::add_update(&state, &session.acting(&key), row.id, body(&fields)).await;
    match form::finish(result, &key) {
        Ok(res) => Ok(res),
        Err(e) => {
            let (status, msg) = refusal(e, ctx.lang)?;
            render(
                &state,
                &ctx,
                (&row, &updates),
                &filled,
                &key,
                (status, Some(msg)),
                false,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn row(kind: IncidentKind, resolved: bool) -> IncidentRow {
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 2, 10, 9, 0, 0)
            .single()
            .expect("time");
        IncidentRow {
            id: 1,
            kind,
            state: IncidentState::Investigating,
            title: Names::default(),
            started_at: t,
            resolved_at: resolved.then_some(t),
            created_at: t,
            updated_at: t,
            open_key: None,
            overrun_of: None,
            channel_key: None,
            reopens: 0,
            gaps: Vec::new(),
            alerted: true,
            scopes: vec![("bmce".into(), Channel::Atm)],
            sources: Vec::new(),
        }
    }

    #[test]
    fn an_update_takes_the_states_of_its_kind() {
        use IncidentState::*;
        assert_eq!(
            states_for(&row(IncidentKind::Outage, false)),
            [Investigating, Identified, Monitoring, Resolved]
        );
        assert_eq!(
            states_for(&row(IncidentKind::Maintenance, false)),
            [Scheduled, InProgress, Completed]
        );
        // Once over, a note keeps its closing state.
        assert_eq!(states_for(&row(IncidentKind::Advisory, true)), [Resolved]);
    }

    #[test]
    fn the_form_sends_a_title_only_when_one_is_typed() {
        let f = |pairs: &[(&str, &str)]| {
            Fields::new(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            )
        };
        let b = body(&f(&[
            ("state", "identified"),
            ("message_fr", "x"),
            ("title_fr", " "),
        ]));
        assert!(b.title.is_none());
        assert_eq!(b.state, "identified");
        let b = body(&f(&[("state", "resolved"), ("title_ar", "عنوان")]));
        assert!(b.title.is_some());
    }
}
