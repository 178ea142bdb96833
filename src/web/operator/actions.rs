//! Every operator action once: its checks and its effect, written with its audit entry in
//! one transaction. The JSON API (`mod.rs`) and the desk's forms (`web/desk/`) both call
//! these, so a rule holds wherever the action comes from.

use chrono::{DateTime, Utc};

use super::bodies::{CorrectionBody, IncidentBody, UpdateBody, WindowBody, WithdrawBody};
use crate::domain::{
    correction, invisible, Channel, IncidentKind, IncidentState, Lang, Names, Source,
};
use crate::i18n::{Arg, Msg};
use crate::signals::engine::Command;
use crate::store::{
    NewCorrection, NewIncident, NewUpdate, NewWindow, OperatorUpdate, WindowChange, WindowChanged,
};
use crate::timezone::parse_input;
use crate::web::auth::Operator;
use crate::web::error::AppError;
use crate::web::input::{invalid_time, vocabulary};
use crate::web::AppState;

/// The most impersonating domains or numbers one advisory lists.
const MAX_IMPERSONATORS: usize = 20;
/// The longest one, in characters.
const MAX_IMPERSONATOR_CHARS: usize = 200;

fn known_banks(state: &AppState, banks: &[String]) -> Result<(), AppError> {
    if banks.is_empty() {
        return Err(AppError::Unprocessable(Msg::new("err-banks-empty")));
    }
    for b in banks {
        if state.config.bank(b).is_none() {
            let known: Vec<&str> = state.config.banks.iter().map(|b| b.slug.as_str()).collect();
            return Err(AppError::Unprocessable(
                Msg::new("err-unknown-bank")
                    .arg("slug", b)
                    .arg("known", known.join(", ")),
            ));
        }
    }
    Ok(())
}

fn channels(raw: Option<Vec<String>>) -> Result<Vec<Channel>, AppError> {
    let Some(raw) = raw else {
        return Ok(Channel::ALL.to_vec());
    };
    if raw.is_empty() {
        return Err(AppError::Unprocessable(Msg::new("err-channels-empty")));
    }
    let mut out = Vec::new();
    for c in raw {
        let ch: Channel = vocabulary("channels", &c).map_err(AppError::Unprocessable)?;
        if !out.contains(&ch) {
            out.push(ch);
        }
    }
    Ok(out)
}

/// A time the operator gives for something that happened: never well in the future.
fn past_time(
    state: &AppState,
    field: &str,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let t = parse_input(raw, state.config.timezone)
        .map_err(|_| AppError::Unprocessable(invalid_time(field, raw)))?;
    if t > now + chrono::Duration::minutes(5) {
        return Err(AppError::Unprocessable(
            Msg::new("err-time-in-future").arg("field", field),
        ));
    }
    Ok(t)
}

fn state_for(kind: IncidentKind, raw: &str) -> Result<IncidentState, AppError> {
    let state: IncidentState = vocabulary("state", raw).map_err(AppError::Unprocessable)?;
    if state == IncidentState::Withdrawn {
        // A false alarm leaves the figures: that is its own action, with a reason.
        return Err(AppError::Unprocessable(Msg::new("err-withdraw-by-action")));
    }
    if state.is_maintenance() == (kind == IncidentKind::Maintenance) {
        Ok(state)
    } else {
        Err(AppError::Unprocessable(
            Msg::new("err-state-kind")
                .arg("kind", kind)
                .arg("state", raw),
        ))
    }
}

/// An http(s) address as the URL standard writes it; none when blank.
fn source_url(raw: Option<String>) -> Result<Option<String>, AppError> {
    let Some(s) = raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match crate::domain::web_url(&s).filter(|u| u.len() <= 2048) {
        Some(u) => Ok(Some(u)),
        None => Err(AppError::Unprocessable(
            Msg::new("err-source-url").arg("value", s.escape_debug().to_string()),
        )),
    }
}

/// A domain or address written so that no client makes a link of it: `bmce-secure[.]com`,
/// `hxxps://...`. Numbers and names with spaces are left as they are.
pub fn defang(s: &str) -> String {
    if s.contains(char::is_whitespace) || !s.contains('.') {
        return s.to_owned();
    }
    s.replacen("https://", "hxxps://", 1)
        .replacen("http://", "hxxp://", 1)
        .replace('.', "[.]")
}

/// The impersonators an advisory warns of, trimmed and defanged; blank lines dropped.
fn impersonators(raw: Option<Vec<String>>) -> Result<Vec<String>, AppError> {
    let given: Vec<String> = raw
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if given.len() > MAX_IMPERSONATORS {
        return Err(AppError::Unprocessable(
            Msg::new("err-impersonators-too-many").arg("max", MAX_IMPERSONATORS),
        ));
    }
    given
        .into_iter()
        .map(|s| {
            let bad = s.chars().count() > MAX_IMPERSONATOR_CHARS
                || s.chars().any(|c| c.is_control() || invisible(c));
            if bad {
                Err(AppError::Unprocessable(
                    Msg::new("err-impersonator").arg("value", &s),
                ))
            } else {
                Ok(defang(&s))
            }
        })
        .collect()
}

/// The first entry's words: the message (or the title), then where it was announced and
/// what impersonates the bank, in each language.
fn first_words(message: &Names, source: Option<&str>, fakes: &[String]) -> Names {
    if source.is_none() && fakes.is_empty() {
        return message.clone();
    }
    let [ar, fr, en] = Lang::ALL.map(|lang| {
        let mut lines = vec![message.get(lang).to_owned(), String::new()];
        if !fakes.is_empty() {
            lines.push(
                Msg::new("advisory-impersonators")
                    .with("list", Arg::List(fakes.to_vec()))
                    .text(lang),
            );
        }
        if let Some(url) = source {
            lines.push(Msg::new("advisory-source").arg("url", url).text(lang));
        }
        Some(lines.join("\n"))
    });
    Names { ar, fr, en }
}

/// `POST /api/v1/incidents`: an outage or an advisory, possibly one from the past; its id.
pub async fn create_incident(
    state: &AppState,
    op: &Operator,
    body: IncidentBody,
) -> Result<i64, AppError> {
    let kind = match body.kind.as_str() {
        "outage" => IncidentKind::Outage,
        "advisory" => IncidentKind::Advisory,
        "maintenance" => {
            return Err(AppError::Unprocessable(Msg::new(
                "err-maintenance-endpoint",
            )))
        }
        other => {
            return Err(AppError::Unprocessable(
                Msg::new("err-invalid-value")
                    .arg("field", "kind")
                    .arg("value", other)
                    .arg("allowed", "outage, advisory"),
            ))
        }
    };
    known_banks(state, &body.banks)?;
    let channels = channels(body.channels)?;
    let title = body.title.into_names("title", true)?;
    let message = body.message.into_names("message", false)?;
    let source = source_url(body.source)?;
    let fakes = impersonators(body.impersonators)?;
    if !fakes.is_empty() && kind != IncidentKind::Advisory {
        return Err(AppError::Unprocessable(Msg::new(
            "err-impersonators-advisory-only",
        )));
    }
    let wanted = state_for(kind, body.state.as_deref().unwrap_or("investigating"))?;
    let now = state.clock.now();
    let started_at = body
        .started_at
        .as_deref()
        .map(|s| past_time(state, "started_at", s, now))
        .transpose()?
        .unwrap_or(now);
    let resolved_at = body
        .resolved_at
        .as_deref()
        .map(|s| past_time(state, "resolved_at", s, now))
        .transpose()?;
    if resolved_at.is_some_and(|r| r < started_at) {
        return Err(AppError::Unprocessable(Msg::new(
            "err-resolved-before-start",
        )));
    }
    let resolved_at = resolved_at.or((wanted == IncidentState::Resolved).then_some(now));
    let first_state = if resolved_at.is_some() && wanted == IncidentState::Resolved {
        IncidentState::Investigating
    } else {
        wanted
    };
    let scopes = body
        .banks
        .iter()
        .flat_map(|b| channels.iter().map(move |c| (b.clone(), *c)))
        .collect();
    let said = if message.is_empty() { &title } else { &message };
    let opened = state
        .store
        .open_incident(&NewIncident {
            kind,
            title: title.clone(),
            started_at,
            recorded_at: now,
            open_key: None,
            overrun_of: None,
            scopes,
            first_update: NewUpdate {
                at: started_at,
                state: first_state,
                source: Source::Operator,
                message: first_words(said, source.as_deref(), &fakes),
                alert: true,
            },
            later: resolved_at
                .map(|at| NewUpdate {
                    at,
                    state: IncidentState::Resolved,
                    source: Source::Operator,
                    message: Names::default(),
                    alert: true,
                })
                .into_iter()
                .collect(),
            audit: Some(op.audit("create_incident", None, Some(kind.as_str().to_owned()), now)),
            reopen: None,
        })
        .await?;
    state.changed(Command::Reload);
    Ok(opened.id())
}

/// `POST /api/v1/incidents/{id}/updates`: confirm, retitle, resolve any incident, or
/// complete a window (cancelling it when before its end).
pub async fn add_update(
    state: &AppState,
    op: &Operator,
    id: i64,
    body: UpdateBody,
) -> Result<(), AppError> {
    let (incident, _) = state
        .store
        .incident(id)
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new("err-no-incident").arg("id", id)))?;
    let new_state = state_for(incident.kind, &body.state)?;
    // A note on a false alarm would put it back in the figures under its new state.
    if incident.state == IncidentState::Withdrawn {
        return Err(AppError::Conflict(
            Msg::new("err-incident-withdrawn").arg("id", id),
        ));
    }
    if incident.resolved_at.is_some() && !new_state.is_closed() {
        return Err(AppError::Conflict(
            Msg::new("err-incident-over").arg("id", id),
        ));
    }
    let message = body.message.into_names("message", false)?;
    let title = body
        .title
        .map(|t| t.into_names("title", true))
        .transpose()?;
    let now = state.clock.now();
    let at = body
        .at
        .as_deref()
        .map(|s| past_time(state, "at", s, now))
        .transpose()?
        .unwrap_or(now);
    let maintenance = incident.kind == IncidentKind::Maintenance;
    // A maintenance window may be changed or cancelled before it starts.
    if at < incident.started_at && !maintenance {
        return Err(AppError::Unprocessable(Msg::new("err-at-before-start")));
    }
    state
        .store
        .operator_update(
            id,
            &OperatorUpdate {
                update: NewUpdate {
                    at,
                    state: new_state,
                    source: Source::Operator,
                    message,
                    alert: true,
                },
                title,
                // Calendars see the change; completing a window before it ends cancels the rest.
                window: maintenance
                    .then_some((new_state == IncidentState::Completed).then_some(at)),
                audit: op.audit(
                    "add_update",
                    Some(format!("incident:{id}")),
                    Some(new_state.as_str().to_owned()),
                    now,
                ),
            },
        )
        .await?;
    state.changed(Command::Reload);
    Ok(())
}

/// A window as announced: its bank, channels, times in order, title and source.
fn window_fields(state: &AppState, body: WindowBody) -> Result<NewWindow, AppError> {
    known_banks(state, std::slice::from_ref(&body.bank))?;
    let channels = channels(Some(body.channels))?;
    let tz = state.config.timezone;
    let parse = |field: &str, raw: &str| {
        parse_input(raw.trim(), tz).map_err(|_| AppError::Unprocessable(invalid_time(field, raw)))
    };
    let starts = parse("starts", &body.starts)?;
    let ends = parse("ends", &body.ends)?;
    if ends <= starts {
        return Err(AppError::Unprocessable(Msg::new("err-ends-before-starts")));
    }
    Ok(NewWindow {
        bank: body.bank,
        channels,
        starts,
        ends,
        title: body.title.into_names("title", true)?,
        source: source_url(body.source)?,
        config_key: None,
    })
}

/// The timeline entry of a window announced anew: its channels and times, in each language.
fn changed_words(w: &NewWindow, tz: chrono_tz::Tz) -> Names {
    let [ar, fr, en] = Lang::ALL.map(|lang| {
        let channels: Vec<&str> = w
            .channels
            .iter()
            .map(|c| crate::i18n::channel_name(*c, lang))
            .collect();
        Some(
            Msg::new("window-changed")
                .with("starts", Arg::Time(w.starts, tz))
                .with("ends", Arg::Time(w.ends, tz))
                .arg("channels", crate::i18n::list(&channels, lang))
                .text(lang),
        )
    });
    Names { ar, fr, en }
}

/// `POST /api/v1/maintenance`: an announced window; its incident's id.
pub async fn create_window(
    state: &AppState,
    op: &Operator,
    body: WindowBody,
) -> Result<i64, AppError> {
    let window = window_fields(state, body)?;
    let now = state.clock.now();
    let id = state
        .store
        .upsert_window(
            &window,
            now,
            Some(&op.audit("create_maintenance", None, None, now)),
        )
        .await?;
    state.changed(Command::Reload);
    Ok(id)
}

/// `PUT /api/v1/maintenance/{id}`: the window announced anew before it begins (its bank
/// stays); once begun, what was announced stays on the record, and only an update or its
/// completion may follow.
pub async fn change_window(
    state: &AppState,
    op: &Operator,
    id: i64,
    body: WindowBody,
) -> Result<(), AppError> {
    let missing = || AppError::NotFound(Msg::new("err-no-window").arg("id", id));
    let current = state.store.window(id).await?.ok_or_else(missing)?;
    if body.bank != current.bank {
        return Err(AppError::Unprocessable(
            Msg::new("err-window-bank").arg("bank", &current.bank),
        ));
    }
    let w = window_fields(state, body)?;
    let now = state.clock.now();
    let tz = state.config.timezone;
    let entry = NewUpdate {
        at: now,
        state: IncidentState::Scheduled,
        source: Source::Operator,
        message: changed_words(&w, tz),
        alert: true,
    };
    let change = WindowChange {
        channels: w.channels,
        starts: w.starts,
        ends: w.ends,
        title: w.title,
        source: w.source,
        entry,
    };
    let audit = op.audit("change_maintenance", None, None, now);
    match state.store.change_window(id, &change, &audit).await? {
        WindowChanged::Changed => {
            state.changed(Command::Reload);
            Ok(())
        }
        WindowChanged::Missing => Err(missing()),
        WindowChanged::Begun => Err(AppError::Conflict(
            Msg::new("err-window-begun").arg("id", id),
        )),
        WindowChanged::FromConfig => Err(AppError::Conflict(
            Msg::new("err-window-from-config").arg("id", id),
        )),
    }
}

/// `DELETE /api/v1/reports/{id}`: a deleted report no longer counts.
pub async fn delete_report(state: &AppState, op: &Operator, id: i64) -> Result<(), AppError> {
    let entry = op.audit(
        "delete_report",
        Some(format!("report:{id}")),
        None,
        state.clock.now(),
    );
    if !state.store.delete_report(id, &entry).await? {
        return Err(AppError::NotFound(Msg::new("err-no-report").arg("id", id)));
    }
    state.changed(Command::ReportsChanged);
    Ok(())
}

/// `DELETE /api/v1/reports/{id}/reporter`: every report of the one who sent report `id`
/// (a flood from one browser or address); how many were deleted.
pub async fn delete_reporter_reports(
    state: &AppState,
    op: &Operator,
    id: i64,
) -> Result<u64, AppError> {
    let entry = op.audit(
        "delete_reporter_reports",
        Some(format!("report:{id}")),
        None,
        state.clock.now(),
    );
    let deleted = state
        .store
        .delete_reporter_reports(id, &entry)
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new("err-no-report").arg("id", id)))?;
    state.changed(Command::ReportsChanged);
    Ok(deleted)
}

/// `POST /api/v1/incidents/{id}/withdraw`: a false alarm, with its reason.
pub async fn withdraw_incident(
    state: &AppState,
    op: &Operator,
    id: i64,
    body: WithdrawBody,
) -> Result<(), AppError> {
    let reason = body.reason.into_names("reason", true)?;
    let (incident, _) = state
        .store
        .incident(id)
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new("err-no-incident").arg("id", id)))?;
    let refused = || AppError::Conflict(Msg::new("err-not-withdrawable").arg("id", id));
    if incident.kind == IncidentKind::Maintenance || incident.state == IncidentState::Withdrawn {
        return Err(refused());
    }
    let now = state.clock.now();
    let entry = NewUpdate {
        at: now,
        state: IncidentState::Withdrawn,
        source: Source::Operator,
        message: crate::i18n::sentences(&[
            Msg::new("withdrawn-entry").with("reason", Arg::Names(reason.clone()))
        ]),
        alert: true,
    };
    let detail = Some(reason.get(Lang::En).to_owned());
    let audit = op.audit("withdraw_incident", None, detail, now);
    if !state.store.withdraw_incident(id, &entry, &audit).await? {
        return Err(refused());
    }
    state.changed(Command::Reload);
    Ok(())
}

/// `POST /api/v1/incidents/{id}/updates/{update_id}/corrections`: the operator's entry
/// corrected, appended as a correction (the entry stays as published); its id.
pub async fn correct_update(
    state: &AppState,
    op: &Operator,
    id: i64,
    update_id: i64,
    body: CorrectionBody,
) -> Result<i64, AppError> {
    let no_entry = || {
        AppError::NotFound(
            Msg::new("err-no-update")
                .arg("id", id)
                .arg("update", update_id),
        )
    };
    let (_, updates) = state
        .store
        .incident(id)
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new("err-no-incident").arg("id", id)))?;
    let entry = updates
        .iter()
        .find(|u| u.id == update_id)
        .ok_or_else(no_entry)?;
    if entry.source != Source::Operator {
        return Err(AppError::Unprocessable(Msg::new(
            "err-correct-operator-only",
        )));
    }
    let given = body.message.into_names("message", true)?;
    let now_reads = correction::corrected(&entry.message, &entry.corrections).now;
    let text = correction::merge(&now_reads, &given)
        .ok_or_else(|| AppError::Unprocessable(Msg::new("err-correction-unchanged")))?;
    let now = state.clock.now();
    let correction = NewCorrection {
        incident_id: id,
        update_id,
        at: now,
        message: text,
        audit: op.audit(
            "correct_update",
            None,
            Some(format!("update:{update_id}")),
            now,
        ),
    };
    let made = state
        .store
        .correct_update(&correction)
        .await?
        .ok_or_else(no_entry)?;
    state.changed(Command::Reload);
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_defanged_and_numbers_kept() {
        assert_eq!(defang("bmce-secure.com"), "bmce-secure[.]com");
        assert_eq!(
            defang("https://cih-online.ma.example/login"),
            "hxxps://cih-online[.]ma[.]example/login"
        );
        assert_eq!(defang("+212 6 00 11 22 33"), "+212 6 00 11 22 33");
        assert_eq!(defang("0522000000"), "0522000000");
    }

    #[test]
    fn impersonators_are_checked_one_by_one() {
        let list = |v: &[&str]| Some(v.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(
            impersonators(list(&[" bmce-secure.com ", "", "+212 6 00"])).expect("valid"),
            ["bmce-secure[.]com", "+212 6 00"]
        );
        assert!(impersonators(list(&["a\u{202e}b.com"])).is_err());
        let many: Vec<String> = (0..=MAX_IMPERSONATORS).map(|i| format!("n{i}")).collect();
        assert!(impersonators(Some(many)).is_err());
        assert!(impersonators(None).expect("none").is_empty());
    }

    #[test]
    fn the_first_entry_quotes_the_source_and_the_fakes_in_each_language() {
        let message = Names {
            fr: Some("Ne donnez jamais votre code.".into()),
            ..Names::default()
        };
        let fakes = vec!["bmce-secure[.]com".to_owned()];
        let words = first_words(&message, Some("https://www.bkam.ma/"), &fakes);
        let ar = words.ar.expect("arabic");
        assert!(ar.starts_with("Ne donnez jamais votre code.\n\n"), "{ar}");
        assert!(ar.contains("bmce-secure[.]com") && ar.contains("https://www.bkam.ma/"));
        assert_eq!(first_words(&message, None, &[]), message);
    }
}
