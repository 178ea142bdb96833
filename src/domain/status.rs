//! Channel and bank status, ordered from worst to best.

use serde::{Deserialize, Serialize};

/// What a channel looks like right now. `Unknown` means there is no signal to go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    MajorOutage,
    PartialOutage,
    Degraded,
    Maintenance,
    Operational,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::MajorOutage => "major_outage",
            Status::PartialOutage => "partial_outage",
            Status::Degraded => "degraded",
            Status::Maintenance => "maintenance",
            Status::Operational => "operational",
            Status::Unknown => "unknown",
        }
    }

    /// Lower is worse; `Unknown` ranks below every known status so it never wins `worst`.
    pub fn rank(self) -> u8 {
        match self {
            Status::MajorOutage => 0,
            Status::PartialOutage => 1,
            Status::Degraded => 2,
            Status::Maintenance => 3,
            Status::Operational => 4,
            Status::Unknown => 5,
        }
    }

    /// A bank's status: the worst of its known channels, `Unknown` when none is known.
    pub fn worst<I: IntoIterator<Item = Status>>(statuses: I) -> Status {
        statuses
            .into_iter()
            .min_by_key(|s| s.rank())
            .unwrap_or(Status::Unknown)
    }

    /// True for the two outage levels.
    pub fn is_outage(self) -> bool {
        matches!(self, Status::MajorOutage | Status::PartialOutage)
    }
}

/// How sure the tracker is of a channel's trouble: the operator or two independent signals
/// agree (`confirmed`), one automatic signal alone (`likely`), or the bank announced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Confirmed,
    Likely,
    Announced,
    /// Customers only, not yet confirmed by a probe or the operator.
    Reported,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Confirmed => "confirmed",
            Confidence::Likely => "likely",
            Confidence::Announced => "announced",
            Confidence::Reported => "reported",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_ignores_unknown_unless_alone() {
        assert_eq!(
            Status::worst([Status::Unknown, Status::Operational]),
            Status::Operational
        );
        assert_eq!(
            Status::worst([Status::Degraded, Status::PartialOutage, Status::Unknown]),
            Status::PartialOutage
        );
        assert_eq!(Status::worst([Status::Unknown]), Status::Unknown);
        assert_eq!(Status::worst([]), Status::Unknown);
    }
}
