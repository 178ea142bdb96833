//! A new statement, from the JSON API or the operator's form: the request checked
//! (`request.rs`), the incidents it speaks of found (the one named, else the bank's outages
//! open when it spoke, on those channels), then stored with its alert and audit entry.

use chrono::{DateTime, Utc};

use super::request::{self, StatementBody};
use crate::domain::{Channel, IncidentKind, Statement};
use crate::i18n::Msg;
use crate::signals::engine::Command;
use crate::store::{IncidentFilter, IncidentRow, NewStatement};
use crate::web::auth::Operator;
use crate::web::error::AppError;
use crate::web::AppState;

/// Checks `body` and records the statement as the operator `op` gave it; returns it as
/// stored.
pub async fn create(
    state: &AppState,
    op: &Operator,
    body: StatementBody,
) -> Result<Statement, AppError> {
    let known: Vec<&str> = state.config.banks.iter().map(|b| b.slug.as_str()).collect();
    let now = state.clock.now();
    let asked = request::check(body, &known, state.config.timezone, now)
        .map_err(AppError::Unprocessable)?;
    let incidents = match asked.incident {
        Some(id) => {
            let named = state
                .store
                .incident(id)
                .await?
                .map(|(row, _)| row)
                .filter(|row| row.scopes.iter().any(|(b, _)| *b == asked.bank));
            match named {
                Some(row) => vec![row],
                None => {
                    return Err(AppError::Unprocessable(
                        Msg::new("err-statement-incident")
                            .arg("id", id)
                            .arg("bank", &asked.bank),
                    ))
                }
            }
        }
        None => {
            let candidates = state
                .store
                .incidents(&IncidentFilter {
                    bank: Some(asked.bank.clone()),
                    kind: Some(IncidentKind::Outage),
                    since: Some(asked.said_at),
                    until: Some(asked.said_at + chrono::Duration::milliseconds(1)),
                    limit: 100,
                    ..Default::default()
                })
                .await?;
            open_when_said(
                &asked.bank,
                asked.channels.as_deref(),
                asked.said_at,
                candidates,
            )
        }
    };
    let channels = asked
        .channels
        .clone()
        .unwrap_or_else(|| channels_of(&asked.bank, &incidents));
    let id = state
        .store
        .add_statement(&NewStatement {
            bank: asked.bank.clone(),
            channels,
            words: asked.words,
            translations: asked.translations,
            source_url: asked.source_url,
            source_kind: asked.source_kind,
            said_at: asked.said_at,
            expected_back_at: asked.expected_back_at,
            recorded_at: now,
            incidents: incidents.iter().map(|i| i.id).collect(),
            audit: op.audit("create_statement", None, Some(asked.bank), now),
        })
        .await?;
    state.changed(Command::Reload);
    state
        .store
        .statement(id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("statement {id} vanished")))
}

/// The outages among `candidates` that were open at `said_at` on `bank`'s `channels` (all
/// of its channels when none are named): what a statement speaks of by default.
fn open_when_said(
    bank: &str,
    channels: Option<&[Channel]>,
    said_at: DateTime<Utc>,
    candidates: Vec<IncidentRow>,
) -> Vec<IncidentRow> {
    candidates
        .into_iter()
        .filter(|i| {
            i.kind == IncidentKind::Outage
                && i.started_at <= said_at
                && i.resolved_at.is_none_or(|r| r > said_at)
                && i.scopes
                    .iter()
                    .any(|(b, c)| b == bank && channels.is_none_or(|cs| cs.contains(c)))
        })
        .collect()
}

/// The channels of `bank` that `incidents` cover, in the canonical order; every channel
/// when there is none to go by.
fn channels_of(bank: &str, incidents: &[IncidentRow]) -> Vec<Channel> {
    let covered: Vec<Channel> = Channel::ALL
        .into_iter()
        .filter(|c| {
            incidents
                .iter()
                .any(|i| i.scopes.iter().any(|(b, ch)| b == bank && ch == c))
        })
        .collect();
    if covered.is_empty() {
        Channel::ALL.to_vec()
    } else {
        covered
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::domain::{IncidentState, Names};

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 10, 14, 0, 0)
            .single()
            .expect("time")
            + Duration::minutes(min)
    }

    fn outage(
        id: i64,
        kind: IncidentKind,
        scopes: &[(&str, Channel)],
        start: i64,
        end: Option<i64>,
    ) -> IncidentRow {
        IncidentRow {
            id,
            kind,
            state: IncidentState::Investigating,
            title: Names::default(),
            started_at: t(start),
            resolved_at: end.map(t),
            created_at: t(start),
            updated_at: t(start),
            open_key: None,
            overrun_of: None,
            channel_key: None,
            reopens: 0,
            gaps: Vec::new(),
            scopes: scopes.iter().map(|(b, c)| ((*b).to_owned(), *c)).collect(),
            sources: Vec::new(),
            alerted: true,
        }
    }

    #[test]
    fn by_default_a_statement_speaks_of_the_outages_open_when_it_was_said() {
        use Channel::{Atm, Transfers, Web};
        let candidates = || {
            vec![
                outage(1, IncidentKind::Outage, &[("bmce", Atm)], 0, None),
                outage(2, IncidentKind::Outage, &[("bmce", Web)], 10, Some(50)),
                outage(3, IncidentKind::Outage, &[("bmce", Transfers)], 40, None),
                outage(4, IncidentKind::Advisory, &[("bmce", Atm)], 0, None),
                outage(5, IncidentKind::Outage, &[("cdm", Atm)], 0, None),
                outage(6, IncidentKind::Outage, &[("bmce", Web)], 0, Some(30)),
            ]
        };
        let ids = |v: Vec<IncidentRow>| v.iter().map(|i| i.id).collect::<Vec<_>>();
        assert_eq!(
            ids(open_when_said("bmce", None, t(30), candidates())),
            [1, 2]
        );
        assert_eq!(
            ids(open_when_said(
                "bmce",
                Some(&[Atm, Transfers]),
                t(45),
                candidates()
            )),
            [1, 3]
        );
        assert!(open_when_said("bmce", Some(&[Channel::Cards]), t(45), candidates()).is_empty());
    }

    #[test]
    fn its_channels_default_to_those_of_its_incidents() {
        let incidents = [
            outage(1, IncidentKind::Outage, &[("bmce", Channel::Atm)], 0, None),
            outage(
                2,
                IncidentKind::Outage,
                &[("bmce", Channel::Web), ("cdm", Channel::Cards)],
                0,
                None,
            ),
        ];
        assert_eq!(
            channels_of("bmce", &incidents),
            [Channel::Web, Channel::Atm]
        );
        assert_eq!(channels_of("bmce", &[]), Channel::ALL);
    }
}
