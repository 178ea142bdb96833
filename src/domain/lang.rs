//! The three languages the tracker speaks.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ar,
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Ar, Lang::Fr, Lang::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The position in [`Lang::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn is_rtl(self) -> bool {
        self == Lang::Ar
    }
}

impl super::Vocabulary for Lang {
    const NAMES: &'static [&'static str] = &["ar", "fr", "en"];
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ar" => Ok(Lang::Ar),
            "fr" => Ok(Lang::Fr),
            "en" => Ok(Lang::En),
            other => Err(format!("unknown language `{other}`; expected ar, fr or en")),
        }
    }
}
