//! What a bank said, as it said it: the words in the language(s) it used, where it said
//! them, when, and the return time it promised. Quoted verbatim, attributed, linked and
//! timed, never edited after publication: a correction is a later statement.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Channel, Lang, Names};

/// Where the bank said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Website,
    Facebook,
    X,
    Instagram,
    Sms,
    Email,
    Press,
    Phone,
    Other,
}

impl SourceKind {
    pub const ALL: [SourceKind; 9] = [
        SourceKind::Website,
        SourceKind::Facebook,
        SourceKind::X,
        SourceKind::Instagram,
        SourceKind::Sms,
        SourceKind::Email,
        SourceKind::Press,
        SourceKind::Phone,
        SourceKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Website => "website",
            SourceKind::Facebook => "facebook",
            SourceKind::X => "x",
            SourceKind::Instagram => "instagram",
            SourceKind::Sms => "sms",
            SourceKind::Email => "email",
            SourceKind::Press => "press",
            SourceKind::Phone => "phone",
            SourceKind::Other => "other",
        }
    }
}

impl FromStr for SourceKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown source kind `{s}`"))
    }
}

impl super::Vocabulary for SourceKind {
    const NAMES: &'static [&'static str] = &[
        "website",
        "facebook",
        "x",
        "instagram",
        "sms",
        "email",
        "press",
        "phone",
        "other",
    ];
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statement as published. Nothing in it changes after it is stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub id: i64,
    pub bank: String,
    /// The channels the bank spoke of, in the canonical order.
    pub channels: Vec<Channel>,
    /// The bank's own words, in each language it used, exactly as it wrote them.
    pub words: Names,
    /// The operator's translations into the languages the bank did not use.
    pub translations: Names,
    pub source_url: String,
    pub source_kind: SourceKind,
    /// When the bank said it.
    pub said_at: DateTime<Utc>,
    /// The return time the bank promised, if it gave one.
    pub expected_back_at: Option<DateTime<Utc>>,
    /// When it was put on the record here: its feed entry's date.
    pub recorded_at: DateTime<Utc>,
    /// The incidents it speaks of, lowest id first.
    pub incidents: Vec<i64>,
}

/// A statement's text in one language, and whether it is the bank's own or a translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote<'a> {
    pub text: &'a str,
    pub lang: Lang,
    pub translated: bool,
}

impl Statement {
    /// The languages the bank itself used, in [`Lang::ALL`] order.
    pub fn original_langs(&self) -> Vec<Lang> {
        Lang::ALL
            .into_iter()
            .filter(|l| in_lang(&self.words, *l).is_some())
            .collect()
    }

    /// What to show a reader of `lang`: the bank's words in `lang` when it used it, else the
    /// operator's translation into `lang`, marked as one; `None` when neither exists (the
    /// reader then gets the original, see [`Statement::originals`]).
    pub fn in_reader_lang(&self, lang: Lang) -> Option<Quote<'_>> {
        if let Some(text) = in_lang(&self.words, lang) {
            return Some(Quote {
                text,
                lang,
                translated: false,
            });
        }
        in_lang(&self.translations, lang).map(|text| Quote {
            text,
            lang,
            translated: true,
        })
    }

    /// The bank's own words, each in the language it used.
    pub fn originals(&self) -> Vec<Quote<'_>> {
        Lang::ALL
            .into_iter()
            .filter_map(|l| {
                in_lang(&self.words, l).map(|text| Quote {
                    text,
                    lang: l,
                    translated: false,
                })
            })
            .collect()
    }
}

fn in_lang(n: &Names, lang: Lang) -> Option<&str> {
    match lang {
        Lang::Ar => n.ar.as_deref(),
        Lang::Fr => n.fr.as_deref(),
        Lang::En => n.en.as_deref(),
    }
    .filter(|s| !s.is_empty())
}

/// The first character a quote may not hold: a control character other than a line break,
/// or a bidi embedding, override or isolate (U+202A to U+202E, U+2066 to U+2069), which
/// would let a quote show other words than it holds. Arabic needs none of them.
pub fn quote_fault(text: &str) -> Option<char> {
    text.chars().find(|c| {
        (c.is_control() && *c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_kinds_round_trip() {
        for k in SourceKind::ALL {
            assert_eq!(k.as_str().parse(), Ok(k));
        }
        assert_eq!(
            <SourceKind as super::super::Vocabulary>::NAMES,
            SourceKind::ALL.map(SourceKind::as_str)
        );
        assert!("tiktok".parse::<SourceKind>().is_err());
    }

    #[test]
    fn quotes_refuse_controls_and_bidi_overrides_but_keep_line_breaks() {
        assert_eq!(quote_fault("نعتذر عن هذا العطل\nسيعود قريبا"), None);
        assert_eq!(quote_fault("Un problème dans le système."), None);
        assert_eq!(quote_fault("back at 18:00\u{202e}00:91"), Some('\u{202e}'));
        assert_eq!(quote_fault("\u{2066}isolated\u{2069}"), Some('\u{2066}'));
        assert_eq!(quote_fault("tab\there"), Some('\t'));
        assert_eq!(quote_fault("bell\u{7}"), Some('\u{7}'));
        assert_eq!(quote_fault("c1\u{85}"), Some('\u{85}'));
    }

    #[test]
    fn a_reader_gets_the_banks_words_or_a_marked_translation() {
        let s = Statement {
            id: 1,
            bank: "bmce".into(),
            channels: vec![Channel::Atm],
            words: Names {
                ar: None,
                fr: Some("Problème dans le système".into()),
                en: None,
            },
            translations: Names {
                ar: Some("مشكل في النظام".into()),
                fr: None,
                en: None,
            },
            source_url: "https://example.org".into(),
            source_kind: SourceKind::Facebook,
            said_at: DateTime::UNIX_EPOCH,
            expected_back_at: None,
            recorded_at: DateTime::UNIX_EPOCH,
            incidents: vec![],
        };
        assert_eq!(s.original_langs(), [Lang::Fr]);
        let fr = s.in_reader_lang(Lang::Fr).expect("french");
        assert!(!fr.translated);
        let ar = s.in_reader_lang(Lang::Ar).expect("arabic");
        assert!(ar.translated);
        assert_eq!(ar.text, "مشكل في النظام");
        assert_eq!(s.in_reader_lang(Lang::En), None);
        assert_eq!(s.originals().len(), 1);
    }
}
