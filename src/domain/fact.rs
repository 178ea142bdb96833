//! What the log records of each published fact: one entry per timeline entry (an incident
//! opened, an update, a resolution, an advisory, a window announced, changed, cancelled,
//! started or completed), as canonical JSON: keys sorted, no spaces, UTF-8, times in RFC
//! 3339 UTC to the millisecond. An entry stands alone: it carries the incident's kind,
//! banks and channels, start and window with the words of the entry in every language
//! stored, so the record can be rebuilt from the entries alone. Entries are never changed;
//! a correction is a new entry naming what it corrects.
//!
//! A bank's statement is an entry of its own (`statement.recorded`), with everything it
//! says, so the bank's word figures can be rebuilt from the log too; so is a correction of
//! a timeline entry (`update.corrected`), which leaves the corrected entry as it was.
//!
//! A new kind of fact is a [`FactKind`] variant with its word, and one call that appends its
//! entry in the transaction that writes the fact (`store::sql::log`).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::statement::{SourceKind, Statement};
use super::{Channel, IncidentKind, IncidentState, Names, Source};

/// The kind of fact an entry records: its `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactKind {
    IncidentOpened,
    AdvisoryPosted,
    IncidentUpdated,
    IncidentReopened,
    IncidentResolved,
    /// A report-only incident taken off the public record as a false alarm.
    IncidentWithdrawn,
    WindowAnnounced,
    WindowChanged,
    WindowCancelled,
    WindowStarted,
    WindowCompleted,
}

impl FactKind {
    pub const ALL: [FactKind; 11] = [
        FactKind::IncidentOpened,
        FactKind::AdvisoryPosted,
        FactKind::IncidentUpdated,
        FactKind::IncidentReopened,
        FactKind::IncidentResolved,
        FactKind::IncidentWithdrawn,
        FactKind::WindowAnnounced,
        FactKind::WindowChanged,
        FactKind::WindowCancelled,
        FactKind::WindowStarted,
        FactKind::WindowCompleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FactKind::IncidentOpened => "incident.opened",
            FactKind::AdvisoryPosted => "advisory.posted",
            FactKind::IncidentUpdated => "incident.updated",
            FactKind::IncidentReopened => "incident.reopened",
            FactKind::IncidentResolved => "incident.resolved",
            FactKind::IncidentWithdrawn => "incident.withdrawn",
            FactKind::WindowAnnounced => "window.announced",
            FactKind::WindowChanged => "window.changed",
            FactKind::WindowCancelled => "window.cancelled",
            FactKind::WindowStarted => "window.started",
            FactKind::WindowCompleted => "window.completed",
        }
    }

    pub fn parse(word: &str) -> Option<FactKind> {
        FactKind::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// The fact a timeline entry of an incident of `kind` records, moving it to `state` by
    /// `step`.
    pub fn of(kind: IncidentKind, state: IncidentState, step: Step) -> FactKind {
        use IncidentKind::{Advisory, Maintenance, Outage};
        match (step, kind) {
            (Step::Opened, Outage) => FactKind::IncidentOpened,
            (Step::Opened, Advisory) => FactKind::AdvisoryPosted,
            (Step::Opened, Maintenance) => FactKind::WindowAnnounced,
            (Step::Reopened, _) => FactKind::IncidentReopened,
            (Step::Cancelled, _) => FactKind::WindowCancelled,
            (Step::Changed, _) => FactKind::WindowChanged,
            (Step::Update, Maintenance) => match state {
                IncidentState::InProgress => FactKind::WindowStarted,
                IncidentState::Completed => FactKind::WindowCompleted,
                _ => FactKind::WindowChanged,
            },
            (Step::Update, _) if state == IncidentState::Withdrawn => FactKind::IncidentWithdrawn,
            (Step::Update, _) if state.is_closed() => FactKind::IncidentResolved,
            (Step::Update, _) => FactKind::IncidentUpdated,
        }
    }
}

impl std::fmt::Display for FactKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FactKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FactKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let word = String::deserialize(d)?;
        FactKind::parse(&word)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown fact type `{word}`")))
    }
}

/// When an incident ended after an entry moving it to `state` at `at`, given when it had
/// ended before: a closing entry ends it then, a withdrawal keeps an end it already had,
/// any other entry opens it again.
pub fn ended_after(
    before: Option<DateTime<Utc>>,
    state: IncidentState,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match state {
        IncidentState::Withdrawn => before.or(Some(at)),
        state => state.is_closed().then_some(at),
    }
}

/// How a timeline entry came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The incident's first entry.
    Opened,
    /// An automatic incident failing again after it had resolved.
    Reopened,
    /// Any other entry.
    Update,
    /// A window closed before its announced end.
    Cancelled,
    /// A window's title or source changed, with no entry of its own.
    Changed,
}

/// A bank and channel an incident affects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Affected {
    pub bank: String,
    pub channel: Channel,
}

/// An announced window as it stands after the entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowFact {
    #[serde(with = "rfc3339")]
    pub starts: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub ends: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    #[serde(default, with = "rfc3339_opt", skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// One entry about an incident: the timeline entry it records (when there is one) and the
/// incident as it stands after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFact {
    #[serde(rename = "type")]
    pub fact: FactKind,
    pub incident: i64,
    /// The timeline entry's id; none for a change with no entry of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<i64>,
    pub kind: IncidentKind,
    pub state: IncidentState,
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub source: Source,
    #[serde(default, with = "texts", skip_serializing_if = "Names::is_empty")]
    pub message: Names,
    #[serde(default, with = "texts", skip_serializing_if = "Names::is_empty")]
    pub title: Names,
    pub affected: Vec<Affected>,
    #[serde(with = "rfc3339")]
    pub started_at: DateTime<Utc>,
    /// When the incident was put on the record; on its first entry.
    #[serde(default, with = "rfc3339_opt", skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<DateTime<Utc>>,
    /// The maintenance incident this outage continued past its announced end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrun_of: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowFact>,
}

/// The type of a statement's entry.
pub const STATEMENT_RECORDED: &str = "statement.recorded";

/// A bank's statement as the log records it: all of it, as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementFact {
    /// Always [`STATEMENT_RECORDED`].
    #[serde(rename = "type")]
    pub fact: String,
    pub statement: i64,
    pub bank: String,
    pub channels: Vec<Channel>,
    #[serde(default, with = "texts", skip_serializing_if = "Names::is_empty")]
    pub words: Names,
    #[serde(default, with = "texts", skip_serializing_if = "Names::is_empty")]
    pub translations: Names,
    pub source_url: String,
    pub source_kind: SourceKind,
    #[serde(with = "rfc3339")]
    pub said_at: DateTime<Utc>,
    #[serde(default, with = "rfc3339_opt", skip_serializing_if = "Option::is_none")]
    pub expected_back_at: Option<DateTime<Utc>>,
    #[serde(with = "rfc3339")]
    pub recorded_at: DateTime<Utc>,
    /// The incidents it speaks of, lowest id first.
    pub incidents: Vec<i64>,
}

impl StatementFact {
    /// The statement the entry records.
    pub fn statement(&self) -> Statement {
        Statement {
            id: self.statement,
            bank: self.bank.clone(),
            channels: self.channels.clone(),
            words: self.words.clone(),
            translations: self.translations.clone(),
            source_url: self.source_url.clone(),
            source_kind: self.source_kind,
            said_at: self.said_at,
            expected_back_at: self.expected_back_at,
            recorded_at: self.recorded_at,
            incidents: self.incidents.clone(),
        }
    }

    /// The entry's bytes: canonical JSON.
    pub fn to_entry(&self) -> Vec<u8> {
        canonical(&serde_json::to_value(self).unwrap_or(Value::Null))
    }
}

/// The type of a correction's entry.
pub const UPDATE_CORRECTED: &str = "update.corrected";

/// A correction of a timeline entry as the log records it: the entry it corrects and the
/// whole text from then on. The corrected entry's own log entry never changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionFact {
    /// Always [`UPDATE_CORRECTED`].
    #[serde(rename = "type")]
    pub fact: String,
    pub correction: i64,
    pub incident: i64,
    /// The timeline entry it corrects.
    pub update: i64,
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    #[serde(default, with = "texts", skip_serializing_if = "Names::is_empty")]
    pub message: Names,
}

impl CorrectionFact {
    /// The entry's bytes: canonical JSON.
    pub fn to_entry(&self) -> Vec<u8> {
        canonical(&serde_json::to_value(self).unwrap_or(Value::Null))
    }
}

/// What an entry holds, as far as this version reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logged {
    Incident(Box<IncidentFact>),
    Statement(Box<StatementFact>),
    Correction(Box<CorrectionFact>),
    /// A kind of fact that names no incident this version follows.
    Other(String),
}

/// Why an entry cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a log entry: {0}")]
pub struct EntryError(pub String);

impl IncidentFact {
    /// The entry's bytes: canonical JSON.
    pub fn to_entry(&self) -> Vec<u8> {
        canonical(&serde_json::to_value(self).unwrap_or(Value::Null))
    }
}

/// Reads an entry. A type this version does not know is [`Logged::Other`], not an error:
/// later versions add kinds of facts.
pub fn read_entry(bytes: &[u8]) -> Result<Logged, EntryError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| EntryError(e.to_string()))?;
    let word = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| EntryError("it has no `type`".to_owned()))?;
    if word == STATEMENT_RECORDED {
        return serde_json::from_value(value)
            .map(|f| Logged::Statement(Box::new(f)))
            .map_err(|e| EntryError(e.to_string()));
    }
    if word == UPDATE_CORRECTED {
        return serde_json::from_value(value)
            .map(|f| Logged::Correction(Box::new(f)))
            .map_err(|e| EntryError(e.to_string()));
    }
    if FactKind::parse(word).is_none() {
        return Ok(Logged::Other(word.to_owned()));
    }
    serde_json::from_value(value)
        .map(|f| Logged::Incident(Box::new(f)))
        .map_err(|e| EntryError(e.to_string()))
}

/// `value` as canonical JSON: object keys sorted by their bytes, no spaces, strings escaped
/// only where JSON requires it, so the same fact always gives the same bytes.
pub fn canonical(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&str, &Value> = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
            out.push(b'{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(v, out);
            }
            out.push(b']');
        }
        Value::String(s) => write_string(s, out),
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(Value::String(s.to_owned()).to_string().as_bytes());
}

/// A time as entries write it: RFC 3339 in UTC, fractions only when there are some.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::time_text(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

mod rfc3339_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::time_text(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| {
                DateTime::parse_from_rfc3339(&text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(serde::de::Error::custom)
            })
            .transpose()
    }
}

/// Texts in several languages as an object of the languages present.
mod texts {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::domain::Names;

    pub fn serialize<S: Serializer>(n: &Names, s: S) -> Result<S::Ok, S::Error> {
        let mut map = BTreeMap::new();
        for (lang, text) in [("ar", &n.ar), ("en", &n.en), ("fr", &n.fr)] {
            if let Some(t) = text {
                map.insert(lang, t.as_str());
            }
        }
        map.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Names, D::Error> {
        let mut map = BTreeMap::<String, String>::deserialize(d)?;
        Ok(Names {
            ar: map.remove("ar"),
            fr: map.remove("fr"),
            en: map.remove("en"),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn fact() -> IncidentFact {
        IncidentFact {
            fact: FactKind::IncidentOpened,
            incident: 12,
            update: Some(34),
            kind: IncidentKind::Outage,
            state: IncidentState::Investigating,
            at: Utc
                .timestamp_millis_opt(1_770_714_000_250)
                .single()
                .expect("time"),
            source: Source::Probe,
            message: Names {
                ar: Some("تعذر السحب من الشبابيك".into()),
                fr: Some("Retraits « impossibles »\n".into()),
                en: None,
            },
            title: Names::new("عطل", "Panne", "Outage"),
            affected: vec![Affected {
                bank: "bmce".into(),
                channel: Channel::Atm,
            }],
            started_at: Utc
                .timestamp_millis_opt(1_770_714_000_000)
                .single()
                .expect("time"),
            recorded_at: Some(
                Utc.timestamp_millis_opt(1_770_714_000_250)
                    .single()
                    .expect("time"),
            ),
            overrun_of: None,
            window: None,
        }
    }

    #[test]
    fn an_entry_is_canonical_json_and_reads_back() {
        let f = fact();
        let bytes = f.to_entry();
        let text = std::str::from_utf8(&bytes).expect("UTF-8");
        assert_eq!(
            text,
            "{\"affected\":[{\"bank\":\"bmce\",\"channel\":\"atm\"}],\"at\":\"2026-02-10T09:00:00.250Z\",\
             \"incident\":12,\"kind\":\"outage\",\"message\":{\"ar\":\"تعذر السحب من الشبابيك\",\
             \"fr\":\"Retraits « impossibles »\\n\"},\"recorded_at\":\"2026-02-10T09:00:00.250Z\",\
             \"source\":\"probe\",\"started_at\":\"2026-02-10T09:00:00Z\",\"state\":\"investigating\",\
             \"title\":{\"ar\":\"عطل\",\"en\":\"Outage\",\"fr\":\"Panne\"},\"type\":\"incident.opened\",\
             \"update\":34}"
        );
        assert_eq!(read_entry(&bytes), Ok(Logged::Incident(Box::new(f))));
    }

    #[test]
    fn unknown_kinds_are_kept_apart_and_junk_is_refused() {
        assert_eq!(
            read_entry(b"{\"type\":\"statement.published\",\"bank\":\"bmce\"}"),
            Ok(Logged::Other("statement.published".into()))
        );
        assert!(read_entry(b"{\"type\":\"incident.opened\"}").is_err());
        assert!(read_entry(b"{\"kind\":1}").is_err());
        assert!(read_entry(b"\xff").is_err());
    }

    #[test]
    fn each_timeline_entry_has_its_kind_of_fact() {
        use IncidentKind::{Advisory, Maintenance, Outage};
        use IncidentState::*;
        let cases = [
            (
                Outage,
                Investigating,
                Step::Opened,
                FactKind::IncidentOpened,
            ),
            (
                Advisory,
                Investigating,
                Step::Opened,
                FactKind::AdvisoryPosted,
            ),
            (
                Maintenance,
                Scheduled,
                Step::Opened,
                FactKind::WindowAnnounced,
            ),
            (Outage, Identified, Step::Update, FactKind::IncidentUpdated),
            (
                Outage,
                Investigating,
                Step::Reopened,
                FactKind::IncidentReopened,
            ),
            (Advisory, Resolved, Step::Update, FactKind::IncidentResolved),
            (
                Maintenance,
                InProgress,
                Step::Update,
                FactKind::WindowStarted,
            ),
            (
                Maintenance,
                Completed,
                Step::Update,
                FactKind::WindowCompleted,
            ),
            (
                Maintenance,
                Completed,
                Step::Cancelled,
                FactKind::WindowCancelled,
            ),
            (
                Maintenance,
                Scheduled,
                Step::Update,
                FactKind::WindowChanged,
            ),
            (
                Maintenance,
                Scheduled,
                Step::Changed,
                FactKind::WindowChanged,
            ),
        ];
        for (kind, state, step, want) in cases {
            assert_eq!(
                FactKind::of(kind, state, step),
                want,
                "{kind} {state} {step:?}"
            );
            assert_eq!(FactKind::parse(want.as_str()), Some(want));
        }
    }
}
