//! The six channels through which a bank serves its customers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A way customers reach their bank. The names are part of the public contract.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Mobile,
    Atm,
    Cards,
    Transfers,
    Branches,
}

impl Channel {
    /// Every channel, in the order pages list them.
    pub const ALL: [Channel; 6] = [
        Channel::Web,
        Channel::Mobile,
        Channel::Atm,
        Channel::Cards,
        Channel::Transfers,
        Channel::Branches,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Mobile => "mobile",
            Channel::Atm => "atm",
            Channel::Cards => "cards",
            Channel::Transfers => "transfers",
            Channel::Branches => "branches",
        }
    }

    /// The allowed names, for error messages.
    pub fn allowed() -> String {
        Self::ALL.map(Channel::as_str).join(", ")
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl super::Vocabulary for Channel {
    const NAMES: &'static [&'static str] =
        &["web", "mobile", "atm", "cards", "transfers", "branches"];
}

impl FromStr for Channel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown channel `{s}`; expected one of {}", Self::allowed()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(c));
        }
        assert!("ATM".parse::<Channel>().is_err());
    }
}
