//! Incident vocabulary: kinds, states and the sources that back them.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Channel;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    Outage,
    Maintenance,
    Advisory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Scheduled,
    InProgress,
    Completed,
    /// An outage or advisory the operator withdrew as a false alarm: it leaves the live
    /// pages and the figures, and the record lists it as withdrawn.
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Probe,
    Reports,
    Operator,
}

macro_rules! str_enum {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Self::$variant),)+
                    other => Err(format!(
                        "unknown value `{other}`; expected one of {}",
                        [$($name),+].join(", ")
                    )),
                }
            }
        }
        impl super::Vocabulary for $ty {
            const NAMES: &'static [&'static str] = &[$($name),+];
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

str_enum!(IncidentKind {
    Outage => "outage",
    Maintenance => "maintenance",
    Advisory => "advisory",
});

str_enum!(IncidentState {
    Investigating => "investigating",
    Identified => "identified",
    Monitoring => "monitoring",
    Resolved => "resolved",
    Scheduled => "scheduled",
    InProgress => "in_progress",
    Completed => "completed",
    Withdrawn => "withdrawn",
});

str_enum!(Source {
    Probe => "probe",
    Reports => "reports",
    Operator => "operator",
});

/// The key that makes an automatic outage unique while it is open: one per bank and
/// channel, whatever its sources. Stored as `outage:{bank}:{channel}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpenKey {
    pub bank: String,
    pub channel: Channel,
}

impl OpenKey {
    pub fn new(bank: &str, channel: Channel) -> OpenKey {
        OpenKey {
            bank: bank.to_owned(),
            channel,
        }
    }
}

impl std::fmt::Display for OpenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "outage:{}:{}", self.bank, self.channel)
    }
}

impl FromStr for OpenKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("outage"), Some(bank), Some(channel)) if !bank.is_empty() => Ok(OpenKey {
                bank: bank.to_owned(),
                channel: channel.parse()?,
            }),
            _ => Err(format!("malformed open key `{s}`")),
        }
    }
}

impl IncidentState {
    /// True for the states of a maintenance window.
    pub fn is_maintenance(self) -> bool {
        matches!(
            self,
            IncidentState::Scheduled | IncidentState::InProgress | IncidentState::Completed
        )
    }

    /// True once the incident is over.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            IncidentState::Resolved | IncidentState::Completed | IncidentState::Withdrawn
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        assert_eq!("in_progress".parse(), Ok(IncidentState::InProgress));
        assert_eq!(IncidentKind::Advisory.as_str(), "advisory");
        assert!("down".parse::<Source>().is_err());
    }

    #[test]
    fn open_keys_round_trip() {
        let key = OpenKey::new("bmce", Channel::Atm);
        assert_eq!(key.to_string(), "outage:bmce:atm");
        assert_eq!("outage:bmce:atm".parse(), Ok(key));
        assert!("outage:bmce".parse::<OpenKey>().is_err());
        assert!("outage::web".parse::<OpenKey>().is_err());
        assert!("window:bmce:web".parse::<OpenKey>().is_err());
    }
}
