//! A statement request checked into what it asks to record, or the message that says why
//! not. Pure: the banks the config knows, its zone and `now` are handed in. Which incidents
//! it speaks of, when it names none, needs the record and is decided in `create.rs`.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::domain::{quote_fault, Channel, Lang, Names, SourceKind};
use crate::i18n::Msg;
use crate::timezone::parse_input;
use crate::web::input::{invalid_time, vocabulary};

/// The longest quote taken in one language, in characters: a press release, not a book.
pub const MAX_QUOTE: usize = 4000;
/// The longest source address taken.
const MAX_URL: usize = 2048;
/// How far ahead of the server's clock `said_at` may be: clocks differ a little.
const CLOCK_SLACK: Duration = Duration::minutes(5);

/// What the bank said, as the operator records it (the JSON API, and the desk's form).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementBody {
    /// The bank's slug.
    pub bank: String,
    /// The channels it spoke of; default: those of the incidents, else all.
    pub channels: Option<Vec<String>>,
    /// Its words, verbatim, in each language it used, e.g. `{"fr": "..."}`.
    #[schema(value_type = Object)]
    pub text: Texts,
    /// Translations made here into the languages it did not use; shown as such.
    #[schema(value_type = Option<Object>)]
    #[serde(default)]
    pub translations: Texts,
    /// Where it said it: an http(s) address.
    pub source_url: String,
    /// website, facebook, x, instagram, sms, email, press, phone or other.
    pub source_kind: String,
    /// When it said it: a local time in the configured zone, or RFC 3339.
    pub said_at: String,
    /// The return time it promised, if any.
    pub expected_back_at: Option<String>,
    /// The incident it speaks of; default: the bank's outages open when it spoke, on those
    /// channels.
    pub incident: Option<i64>,
}

/// Texts by language, as the API takes them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub ar: Option<String>,
    pub fr: Option<String>,
    pub en: Option<String>,
}

/// A request that passed every check that needs nothing but itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub bank: String,
    /// `None`: not given, to be taken from the incidents.
    pub channels: Option<Vec<Channel>>,
    pub words: Names,
    pub translations: Names,
    pub source_url: String,
    pub source_kind: SourceKind,
    pub said_at: DateTime<Utc>,
    pub expected_back_at: Option<DateTime<Utc>>,
    pub incident: Option<i64>,
}

/// Checks `body` field by field, in the order they are listed, so the first fault is the
/// one told: the bank (among `known`), the channels, the texts (at least one of the bank's
/// own; none with a control character or a bidi override; no translation into a language
/// the bank used), the source, then the times (said not ahead of `now`, the promise not
/// before the words).
pub fn check(
    body: StatementBody,
    known: &[&str],
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Checked, Msg> {
    if !known.contains(&body.bank.as_str()) {
        return Err(Msg::new("err-unknown-bank")
            .arg("slug", &body.bank)
            .arg("known", known.join(", ")));
    }
    let channels = match body.channels {
        None => None,
        Some(raw) if raw.is_empty() => return Err(Msg::new("err-channels-empty")),
        Some(raw) => {
            let mut out: Vec<Channel> = Vec::new();
            for c in raw {
                let ch: Channel = vocabulary("channels", &c)?;
                if !out.contains(&ch) {
                    out.push(ch);
                }
            }
            out.sort();
            Some(out)
        }
    };
    let words = texts(body.text, "text")?;
    if words.is_empty() {
        return Err(Msg::new("err-text-missing").arg("field", "text"));
    }
    let translations = texts(body.translations, "translations")?;
    for lang in Lang::ALL {
        if present(&words, lang) && present(&translations, lang) {
            return Err(Msg::new("err-statement-translated-original").arg("lang", lang.as_str()));
        }
    }
    let Some(source_url) = crate::domain::web_url(&body.source_url).filter(|u| u.len() <= MAX_URL)
    else {
        return Err(Msg::new("err-statement-source-url")
            .arg("value", body.source_url.trim().escape_debug().to_string()));
    };
    let source_kind: SourceKind = vocabulary("source_kind", &body.source_kind)?;
    let said_at =
        parse_input(&body.said_at, tz).map_err(|_| invalid_time("said_at", &body.said_at))?;
    if said_at > now + CLOCK_SLACK {
        return Err(Msg::new("err-time-in-future").arg("field", "said_at"));
    }
    let expected_back_at = body
        .expected_back_at
        .as_deref()
        .map(|raw| parse_input(raw, tz).map_err(|_| invalid_time("expected_back_at", raw)))
        .transpose()?;
    if let Some(back) = expected_back_at.filter(|b| *b < said_at) {
        return Err(Msg::new("err-statement-back-before-said")
            .arg("back", back.with_timezone(&tz).to_rfc3339())
            .arg("said", said_at.with_timezone(&tz).to_rfc3339()));
    }
    Ok(Checked {
        bank: body.bank,
        channels,
        words,
        translations,
        source_url,
        source_kind,
        said_at,
        expected_back_at,
        incident: body.incident,
    })
}

fn present(n: &Names, lang: Lang) -> bool {
    match lang {
        Lang::Ar => n.ar.is_some(),
        Lang::Fr => n.fr.is_some(),
        Lang::En => n.en.is_some(),
    }
}

/// The texts of `field`: line ends made `\n`, outer blanks trimmed, empty ones dropped; the
/// words themselves are kept as they are.
fn texts(t: Texts, field: &str) -> Result<Names, Msg> {
    let clean = |lang: Lang, s: Option<String>| -> Result<Option<String>, Msg> {
        let Some(s) = s.map(|s| s.replace("\r\n", "\n").trim().to_owned()) else {
            return Ok(None);
        };
        if s.is_empty() {
            return Ok(None);
        }
        if let Some(c) = quote_fault(&s) {
            return Err(Msg::new("err-statement-quote")
                .arg("field", field)
                .arg("lang", lang.as_str())
                .arg("char", format!("U+{:04X}", u32::from(c))));
        }
        if s.chars().count() > MAX_QUOTE {
            return Err(Msg::new("err-text-too-long")
                .arg("field", field)
                .arg("max", MAX_QUOTE));
        }
        Ok(Some(s))
    };
    Ok(Names {
        ar: clean(Lang::Ar, t.ar)?,
        fr: clean(Lang::Fr, t.fr)?,
        en: clean(Lang::En, t.en)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["bmce", "cdm"];
    const TZ: Tz = chrono_tz::Africa::Casablanca;

    fn now() -> DateTime<Utc> {
        "2026-02-10T15:00:00Z".parse().expect("time")
    }

    fn body() -> StatementBody {
        StatementBody {
            bank: "bmce".into(),
            channels: Some(vec!["atm".into(), "web".into(), "atm".into()]),
            text: Texts {
                fr: Some("  Un problème dans le système.\r\nMerci de votre patience.  ".into()),
                ..Texts::default()
            },
            translations: Texts {
                ar: Some("مشكل في النظام".into()),
                ..Texts::default()
            },
            source_url: "https://www.facebook.com/bmce/posts/1".into(),
            source_kind: "facebook".into(),
            // Local time: Casablanca is UTC+1 on 10 February 2026.
            said_at: "2026-02-10T15:30".into(),
            expected_back_at: Some("2026-02-10T18:00:00+01:00".into()),
            incident: Some(7),
        }
    }

    fn refused(b: StatementBody) -> String {
        check(b, KNOWN, TZ, now())
            .expect_err("refused")
            .id()
            .to_owned()
    }

    #[test]
    fn a_good_statement_is_taken_as_said() {
        let c = check(body(), KNOWN, TZ, now()).expect("taken");
        assert_eq!(c.channels, Some(vec![Channel::Web, Channel::Atm]));
        assert_eq!(
            c.words.fr.as_deref(),
            Some("Un problème dans le système.\nMerci de votre patience.")
        );
        assert_eq!(c.translations.ar.as_deref(), Some("مشكل في النظام"));
        assert_eq!(
            c.said_at,
            "2026-02-10T14:30:00Z".parse::<DateTime<Utc>>().expect("t")
        );
        assert_eq!(
            c.expected_back_at,
            Some("2026-02-10T17:00:00Z".parse().expect("t"))
        );
        assert_eq!((c.source_kind, c.incident), (SourceKind::Facebook, Some(7)));
    }

    #[test]
    fn each_bad_field_is_refused_with_its_own_sentence() {
        let mut b = body();
        b.bank = "nope".into();
        assert_eq!(refused(b), "err-unknown-bank");
        let mut b = body();
        b.channels = Some(vec![]);
        assert_eq!(refused(b), "err-channels-empty");
        let mut b = body();
        b.channels = Some(vec!["fax".into()]);
        assert_eq!(refused(b), "err-invalid-value");
        let mut b = body();
        b.text = Texts::default();
        assert_eq!(refused(b), "err-text-missing");
        let mut b = body();
        b.text.fr = Some("retour à 18:00\u{202e}00:91".into());
        assert_eq!(refused(b), "err-statement-quote");
        let mut b = body();
        b.translations.ar = Some("\u{2067}مشكل".into());
        assert_eq!(refused(b), "err-statement-quote");
        let mut b = body();
        b.text.fr = Some("bip\u{7}".into());
        assert_eq!(refused(b), "err-statement-quote");
        let mut b = body();
        b.translations.fr = Some("Une traduction".into());
        assert_eq!(refused(b), "err-statement-translated-original");
        for url in [
            "javascript:alert(1)",
            "ftp://example.org/x",
            "example.org",
            "file:///etc/passwd",
        ] {
            let mut b = body();
            b.source_url = url.into();
            assert_eq!(refused(b), "err-statement-source-url", "{url}");
        }
        let mut b = body();
        b.source_kind = "tiktok".into();
        assert_eq!(refused(b), "err-invalid-value");
        let mut b = body();
        b.said_at = "yesterday".into();
        assert_eq!(refused(b), "err-invalid-time");
        let mut b = body();
        b.said_at = "2026-02-10T17:30".into();
        assert_eq!(refused(b), "err-time-in-future");
        let mut b = body();
        b.expected_back_at = Some("2026-02-10T15:00".into());
        assert_eq!(refused(b), "err-statement-back-before-said");
        let mut b = body();
        b.text.fr = Some("x".repeat(MAX_QUOTE + 1));
        assert_eq!(refused(b), "err-text-too-long");
    }

    #[test]
    fn a_promise_at_the_moment_of_speaking_is_taken() {
        let mut b = body();
        b.expected_back_at = Some(b.said_at.clone());
        assert!(check(b, KNOWN, TZ, now()).is_ok());
    }
}
