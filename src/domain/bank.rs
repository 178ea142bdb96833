//! A bank as the tracker knows it.

use serde::{Deserialize, Serialize};

use super::{Channel, Lang, ProbeSpec};

/// A text in the three languages; missing ones fall back (fr, en, ar in turn).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Names {
    pub ar: Option<String>,
    pub fr: Option<String>,
    pub en: Option<String>,
}

impl Names {
    pub fn new(ar: &str, fr: &str, en: &str) -> Self {
        Names {
            ar: Some(ar.to_owned()),
            fr: Some(fr.to_owned()),
            en: Some(en.to_owned()),
        }
    }

    /// The text in `lang`, or the first other language that has one.
    pub fn get(&self, lang: Lang) -> &str {
        let order = match lang {
            Lang::Ar => [&self.ar, &self.fr, &self.en],
            Lang::Fr => [&self.fr, &self.en, &self.ar],
            Lang::En => [&self.en, &self.fr, &self.ar],
        };
        order
            .into_iter()
            .flatten()
            .map(String::as_str)
            .next()
            .unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.ar.is_none() && self.fr.is_none() && self.en.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct Bank {
    pub slug: String,
    pub names: Names,
    pub website: Option<String>,
    pub probes: Vec<ProbeSpec>,
}

impl Bank {
    /// The channels this bank is watched on: those with a probe, in the canonical order.
    pub fn probed_channels(&self) -> Vec<Channel> {
        Channel::ALL
            .into_iter()
            .filter(|c| self.probes.iter().any(|p| p.channel() == Some(*c)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fall_back() {
        let n = Names {
            ar: None,
            fr: Some("Crédit du Maroc".into()),
            en: None,
        };
        assert_eq!(n.get(Lang::Ar), "Crédit du Maroc");
        assert_eq!(n.get(Lang::En), "Crédit du Maroc");
        assert_eq!(Names::default().get(Lang::Fr), "");
    }
}
