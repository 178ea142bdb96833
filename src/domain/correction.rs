//! Corrections of published timeline entries, as a newsroom corrects: the entry stays as it
//! was published, each correction is appended with its time and the whole text as it reads
//! from then on, and a reader is shown the text now with what it said before.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Names;

/// One correction of a timeline entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub id: i64,
    /// The timeline entry it corrects.
    pub update_id: i64,
    /// When it was published.
    pub at: DateTime<Utc>,
    /// The entry's whole text from `at` on, in every language it has.
    pub message: Names,
}

/// What a reader is shown of an entry: its text now, and each text it replaced, oldest
/// first, with when it was replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrected {
    pub now: Names,
    pub steps: Vec<Step>,
}

/// A correction as a reader meets it: "corrected at `at`; the earlier text said `earlier`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub earlier: Names,
    /// The text it put in place.
    pub text: Names,
}

/// The entry published as `original` after `corrections` (in the order they were made).
pub fn corrected(original: &Names, corrections: &[Correction]) -> Corrected {
    let mut now = original.clone();
    let mut steps = Vec::with_capacity(corrections.len());
    for c in corrections {
        steps.push(Step {
            id: c.id,
            at: c.at,
            earlier: now,
            text: c.message.clone(),
        });
        now = c.message.clone();
    }
    Corrected { now, steps }
}

/// The text `current` with the languages `given` replaced, the others kept: an operator
/// corrects the French without having to type the Arabic again. `None` when nothing changes.
pub fn merge(current: &Names, given: &Names) -> Option<Names> {
    let pick = |now: &Option<String>, new: &Option<String>| new.clone().or_else(|| now.clone());
    let merged = Names {
        ar: pick(&current.ar, &given.ar),
        fr: pick(&current.fr, &given.fr),
        en: pick(&current.en, &given.en),
    };
    (merged != *current).then_some(merged)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::Lang;

    fn fr(text: &str) -> Names {
        Names {
            fr: Some(text.to_owned()),
            ..Names::default()
        }
    }

    #[test]
    fn each_correction_keeps_what_the_text_said_before() {
        let at = |m| {
            Utc.with_ymd_and_hms(2026, 2, 10, 14, m, 0)
                .single()
                .expect("time")
        };
        let original = fr("Retour prévu à 18 h");
        let corrections = [
            Correction {
                id: 1,
                update_id: 9,
                at: at(5),
                message: fr("Retour prévu à 19 h"),
            },
            Correction {
                id: 2,
                update_id: 9,
                at: at(20),
                message: fr("Retour prévu à 19 h 30"),
            },
        ];
        let c = corrected(&original, &corrections);
        assert_eq!(c.now, fr("Retour prévu à 19 h 30"));
        assert_eq!(c.steps.len(), 2);
        assert_eq!(c.steps[0].earlier, original);
        assert_eq!(c.steps[0].at, at(5));
        assert_eq!(c.steps[1].earlier.get(Lang::Ar), "Retour prévu à 19 h");
        assert_eq!(c.steps[1].text, fr("Retour prévu à 19 h 30"));
        let none = corrected(&original, &[]);
        assert_eq!((none.now, none.steps.len()), (original, 0));
    }

    #[test]
    fn a_correction_replaces_the_languages_given_and_keeps_the_others() {
        let current = Names::new("العودة على الساعة 18", "Retour à 18 h", "Back at 6 pm");
        let merged = merge(&current, &fr("Retour à 19 h")).expect("a change");
        assert_eq!(merged.fr.as_deref(), Some("Retour à 19 h"));
        assert_eq!(merged.ar, current.ar);
        assert_eq!(merged.en, current.en);
        assert_eq!(
            merge(&current, &fr("Retour à 18 h")),
            None,
            "nothing changed"
        );
        assert_eq!(merge(&current, &Names::default()), None);
    }
}
