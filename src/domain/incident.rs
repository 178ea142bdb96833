//! Incident vocabulary: kinds, states and the sources that back them.

use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    Outage,
    Maintenance,
    Advisory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Scheduled,
    InProgress,
    Completed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
});

str_enum!(Source {
    Probe => "probe",
    Reports => "reports",
    Operator => "operator",
});

impl IncidentState {
    /// True once the incident is over.
    pub fn is_closed(self) -> bool {
        matches!(self, IncidentState::Resolved | IncidentState::Completed)
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
}
