//! The site's facts against the log's: an incident as the site shows it (the API, or an
//! evidence pack) compared, field by field, with the entries the log holds about it. A fact
//! without its entry, an entry without its fact, or a fact changed since it was logged is
//! named with what each side says.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::fact::{ended_after, Affected, CorrectionFact, IncidentFact};
use crate::domain::{IncidentKind, IncidentState, Names, Source};

/// An incident as the site shows it: `/api/v1/incidents/{id}` or an evidence pack's.
#[derive(Debug, Clone, Deserialize)]
pub struct SiteIncident {
    pub id: i64,
    pub kind: IncidentKind,
    pub state: IncidentState,
    #[serde(default)]
    pub title: Names,
    pub started_at: DateTime<chrono::FixedOffset>,
    pub resolved_at: Option<DateTime<chrono::FixedOffset>>,
    #[serde(default)]
    pub affected: Vec<Affected>,
    #[serde(default)]
    pub updates: Vec<SiteUpdate>,
    #[serde(default)]
    pub window: Option<SiteWindow>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SiteUpdate {
    pub id: i64,
    pub at: DateTime<chrono::FixedOffset>,
    pub state: IncidentState,
    pub source: Source,
    #[serde(default)]
    pub message: Names,
    #[serde(default)]
    pub corrections: Vec<SiteCorrection>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SiteCorrection {
    pub id: i64,
    pub at: DateTime<chrono::FixedOffset>,
    #[serde(default)]
    pub message: Names,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SiteWindow {
    #[serde(alias = "announced_starts")]
    pub starts: DateTime<chrono::FixedOffset>,
    #[serde(alias = "announced_ends")]
    pub ends: DateTime<chrono::FixedOffset>,
}

/// Where the site and the log differ about one incident, one sentence each (`what`,
/// `detail`). `logged` are its entries in log order with their indexes; site entries
/// newer than `newest_update` (written after the checkpoint) are not compared.
pub fn differences(
    site: &SiteIncident,
    logged: &[(u64, IncidentFact)],
    newest_update: i64,
) -> Vec<(String, String)> {
    let id = site.id;
    let mut out = Vec::new();
    let differ = |what: String, site: String, log: String| {
        (what, format!("the site says {site}, the log says {log}"))
    };
    let Some((_, first)) = logged.first() else {
        return vec![(
            format!("incident {id}"),
            "is on the site but not in the log".to_owned(),
        )];
    };
    if site.kind != first.kind {
        out.push(differ(
            format!("incident {id} kind"),
            site.kind.to_string(),
            first.kind.to_string(),
        ));
    }
    if utc(&site.started_at) != first.started_at {
        out.push(differ(
            format!("incident {id} start"),
            time(utc(&site.started_at)),
            time(first.started_at),
        ));
    }
    let mut site_scope = site.affected.clone();
    site_scope.sort();
    let mut log_scope = first.affected.clone();
    log_scope.sort();
    if site_scope != log_scope {
        let words = |a: &[Affected]| {
            a.iter()
                .map(|a| format!("{} {}", a.bank, a.channel))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(differ(
            format!("incident {id} banks and channels"),
            words(&site_scope),
            words(&log_scope),
        ));
    }
    for u in site.updates.iter().filter(|u| u.id <= newest_update) {
        let Some((index, f)) = logged.iter().find(|(_, f)| f.update == Some(u.id)) else {
            out.push((
                format!("incident {id} update {}", u.id),
                "is on the site but not in the log".to_owned(),
            ));
            continue;
        };
        let what = |field: &str| format!("incident {id} update {} (entry {index}) {field}", u.id);
        if utc(&u.at) != f.at {
            out.push(differ(what("time"), time(utc(&u.at)), time(f.at)));
        }
        if u.state != f.state {
            out.push(differ(
                what("state"),
                u.state.to_string(),
                f.state.to_string(),
            ));
        }
        if u.source != f.source {
            out.push(differ(
                what("source"),
                u.source.to_string(),
                f.source.to_string(),
            ));
        }
        for (lang, s, l) in [
            ("ar", &u.message.ar, &f.message.ar),
            ("fr", &u.message.fr, &f.message.fr),
            ("en", &u.message.en, &f.message.en),
        ] {
            if s != l {
                out.push(differ(
                    what(&format!("words ({lang})")),
                    quoted(s.as_deref()),
                    quoted(l.as_deref()),
                ));
            }
        }
    }
    for (index, f) in logged {
        if let Some(u) = f.update {
            if !site.updates.iter().any(|s| s.id == u) {
                out.push((
                    format!("incident {id} update {u} (entry {index})"),
                    "is in the log but not on the site".to_owned(),
                ));
            }
        }
    }
    // The incident as it stands, unless the site has moved on since the checkpoint.
    if site.updates.iter().all(|u| u.id <= newest_update) {
        if let Some((_, last)) = logged.iter().rev().find(|(_, f)| f.update.is_some()) {
            if site.state != last.state {
                out.push(differ(
                    format!("incident {id} state"),
                    site.state.to_string(),
                    last.state.to_string(),
                ));
            }
            let ended = logged
                .iter()
                .filter(|(_, f)| f.update.is_some())
                .fold(None, |end, (_, f)| ended_after(end, f.state, f.at));
            if site.resolved_at.as_ref().map(utc) != ended {
                let show = |t: Option<DateTime<Utc>>| t.map_or_else(|| "none".to_owned(), time);
                out.push(differ(
                    format!("incident {id} end"),
                    show(site.resolved_at.as_ref().map(utc)),
                    show(ended),
                ));
            }
        }
        if let Some((_, last)) = logged.last() {
            if !site.title.is_empty() && site.title != last.title {
                out.push(differ(
                    format!("incident {id} title"),
                    quoted(Some(site.title.get(crate::domain::Lang::Fr))),
                    quoted(Some(last.title.get(crate::domain::Lang::Fr))),
                ));
            }
            if let (Some(s), Some(l)) = (&site.window, &last.window) {
                if utc(&s.starts) != l.starts || utc(&s.ends) != l.ends {
                    out.push(differ(
                        format!("incident {id} window"),
                        format!("{} to {}", time(utc(&s.starts)), time(utc(&s.ends))),
                        format!("{} to {}", time(l.starts), time(l.ends)),
                    ));
                }
            }
        }
    }
    out
}

fn utc(t: &DateTime<chrono::FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

fn time(t: DateTime<Utc>) -> String {
    crate::domain::fact::time_text(t)
}

fn quoted(text: Option<&str>) -> String {
    match text {
        Some(t) => format!("«{t}»"),
        None => "nothing".to_owned(),
    }
}

/// Where the site and the log differ about the corrections of one incident's entries:
/// each correction on the site must be logged with its time and words, and each logged
/// one must be on the site. Corrections newer than `newest` (made after the checkpoint) are
/// not compared.
pub fn correction_differences(
    site: &SiteIncident,
    logged: &[(u64, CorrectionFact)],
    newest: i64,
) -> Vec<(String, String)> {
    let id = site.id;
    let mut out = Vec::new();
    let on_site: Vec<(i64, &SiteCorrection)> = site
        .updates
        .iter()
        .flat_map(|u| u.corrections.iter().map(move |c| (u.id, c)))
        .collect();
    for (update, c) in on_site.iter().filter(|(_, c)| c.id <= newest) {
        let what = format!("incident {id} update {update} correction {}", c.id);
        let Some((index, f)) = logged.iter().find(|(_, f)| f.correction == c.id) else {
            out.push((what, "is on the site but not in the log".to_owned()));
            continue;
        };
        if f.update != *update {
            out.push((
                format!("{what} (entry {index})"),
                format!(
                    "the site puts it on update {update}, the log on {}",
                    f.update
                ),
            ));
        }
        if utc(&c.at) != f.at {
            out.push((
                format!("{what} (entry {index}) time"),
                format!(
                    "the site says {}, the log says {}",
                    time(utc(&c.at)),
                    time(f.at)
                ),
            ));
        }
        for (lang, s, l) in [
            ("ar", &c.message.ar, &f.message.ar),
            ("fr", &c.message.fr, &f.message.fr),
            ("en", &c.message.en, &f.message.en),
        ] {
            if s != l {
                out.push((
                    format!("{what} (entry {index}) words ({lang})"),
                    format!(
                        "the site says {}, the log says {}",
                        quoted(s.as_deref()),
                        quoted(l.as_deref())
                    ),
                ));
            }
        }
    }
    for (index, f) in logged {
        if !on_site.iter().any(|(_, c)| c.id == f.correction) {
            out.push((
                format!(
                    "incident {id} update {} correction {} (entry {index})",
                    f.update, f.correction
                ),
                "is in the log but not on the site".to_owned(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::fact::FactKind;
    use crate::domain::Channel;

    fn logged() -> Vec<(u64, IncidentFact)> {
        let t = |m: i64| {
            Utc.timestamp_millis_opt(1_770_714_000_000 + m * 60_000)
                .single()
                .expect("t")
        };
        let f = |fact, update, at, state| IncidentFact {
            fact,
            incident: 3,
            update: Some(update),
            kind: IncidentKind::Outage,
            state,
            at: t(at),
            source: Source::Operator,
            message: Names::new("", "Pas de retrait.", ""),
            title: Names::new("", "Panne", ""),
            affected: vec![Affected {
                bank: "bmce".into(),
                channel: Channel::Atm,
            }],
            started_at: t(0),
            recorded_at: None,
            overrun_of: None,
            window: None,
        };
        vec![
            (
                4,
                f(FactKind::IncidentOpened, 7, 0, IncidentState::Investigating),
            ),
            (
                5,
                f(FactKind::IncidentResolved, 8, 60, IncidentState::Resolved),
            ),
        ]
    }

    fn site() -> SiteIncident {
        serde_json::from_value(serde_json::json!({
            "id": 3, "kind": "outage", "state": "resolved",
            "title": {"ar": "", "fr": "Panne", "en": ""},
            "started_at": "2026-02-10T10:00:00+01:00", "resolved_at": "2026-02-10T11:00:00+01:00",
            "affected": [{"bank": "bmce", "channel": "atm"}],
            "updates": [
                {"id": 7, "at": "2026-02-10T10:00:00+01:00", "state": "investigating", "source": "operator", "message": {"ar": "", "fr": "Pas de retrait.", "en": ""}},
                {"id": 8, "at": "2026-02-10T11:00:00+01:00", "state": "resolved", "source": "operator", "message": {"ar": "", "fr": "Pas de retrait.", "en": ""}}
            ]
        }))
        .expect("site incident")
    }

    #[test]
    fn the_same_incident_has_no_differences() {
        assert_eq!(differences(&site(), &logged(), 8), vec![]);
    }

    #[test]
    fn a_rewritten_update_and_a_missing_one_are_named() {
        let mut s = site();
        s.updates[1].at = "2026-02-10T10:20:00+01:00".parse().expect("time");
        s.resolved_at = Some(s.updates[1].at);
        s.updates[0].message.fr = Some("Tout va bien.".into());
        let d = differences(&s, &logged(), 8);
        assert!(
            d.contains(&(
                "incident 3 update 8 (entry 5) time".into(),
                "the site says 2026-02-10T09:20:00Z, the log says 2026-02-10T10:00:00Z".into()
            )),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|(w, x)| w == "incident 3 update 7 (entry 4) words (fr)"
                    && x.contains("«Tout va bien.»")),
            "{d:?}"
        );
        assert!(d.iter().any(|(w, _)| w == "incident 3 end"), "{d:?}");
        s.updates.pop();
        let d = differences(&s, &logged(), 8);
        assert!(
            d.contains(&(
                "incident 3 update 8 (entry 5)".into(),
                "is in the log but not on the site".into()
            )),
            "{d:?}"
        );
        assert_eq!(
            differences(&site(), &[], 8),
            vec![(
                "incident 3".into(),
                "is on the site but not in the log".into()
            )]
        );
    }
}
