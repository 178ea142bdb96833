//! What an operator action asks for, as the JSON API takes it and the desk's forms fill it
//! in: every field as given, checked by the action itself (`actions.rs`).

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::{quote_fault, Lang, Names};
use crate::i18n::Msg;
use crate::web::error::AppError;

/// The longest text taken in one language, in characters.
pub const MAX_TEXT: usize = 2000;

/// Texts in up to three languages, as the API takes them.
#[derive(Debug, Deserialize, Default, Clone, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamesBody {
    pub ar: Option<String>,
    pub fr: Option<String>,
    pub en: Option<String>,
}

impl NamesBody {
    /// Trimmed, line ends made `\n` (a form's text area sends `\r\n`), with empty texts
    /// dropped; `what` names the field in the error. A control character or a bidi override
    /// is refused, as in a statement's quote: PostgreSQL cannot store U+0000, and in a feed
    /// it makes the XML of every subscriber's copy unreadable.
    pub fn into_names(self, what: &str, required: bool) -> Result<Names, AppError> {
        let clean = |lang: Lang, s: Option<String>| -> Result<Option<String>, AppError> {
            let Some(s) = s
                .map(|s| s.replace("\r\n", "\n").trim().to_owned())
                .filter(|s| !s.is_empty())
            else {
                return Ok(None);
            };
            if let Some(c) = quote_fault(&s) {
                return Err(AppError::Unprocessable(
                    Msg::new("err-text-control")
                        .arg("field", what)
                        .arg("lang", lang.as_str())
                        .arg("char", format!("U+{:04X}", u32::from(c))),
                ));
            }
            if s.chars().count() > MAX_TEXT {
                return Err(AppError::Unprocessable(
                    Msg::new("err-text-too-long")
                        .arg("field", what)
                        .arg("max", MAX_TEXT),
                ));
            }
            Ok(Some(s))
        };
        let names = Names {
            ar: clean(Lang::Ar, self.ar)?,
            fr: clean(Lang::Fr, self.fr)?,
            en: clean(Lang::En, self.en)?,
        };
        if required && names.is_empty() {
            return Err(AppError::Unprocessable(
                Msg::new("err-text-missing").arg("field", what),
            ));
        }
        Ok(names)
    }
}

/// `POST /api/v1/incidents`.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentBody {
    /// `outage` or `advisory`.
    pub kind: String,
    pub banks: Vec<String>,
    /// Default: every channel.
    pub channels: Option<Vec<String>>,
    pub title: NamesBody,
    #[serde(default)]
    pub message: NamesBody,
    /// Default `investigating`.
    pub state: Option<String>,
    pub started_at: Option<String>,
    pub resolved_at: Option<String>,
    /// Where it was announced (for an advisory: Bank Al-Maghrib, the national CERT, the
    /// bank): an http(s) address, quoted in the first entry.
    pub source: Option<String>,
    /// For an advisory: the domains, numbers or accounts that impersonate the bank, quoted
    /// in the first entry with their dots broken (`bmce-secure[.]com`) so no mail or
    /// messaging client turns them into links.
    pub impersonators: Option<Vec<String>>,
}

/// `POST /api/v1/incidents/{id}/updates`.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    pub state: String,
    #[serde(default)]
    pub message: NamesBody,
    pub title: Option<NamesBody>,
    pub at: Option<String>,
}

/// `POST /api/v1/maintenance` and `PUT /api/v1/maintenance/{id}`.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowBody {
    pub bank: String,
    pub channels: Vec<String>,
    /// A local time in the configured zone, or RFC 3339 with an offset.
    pub starts: String,
    pub ends: String,
    pub title: NamesBody,
    pub source: Option<String>,
}

/// `POST /api/v1/incidents/{id}/withdraw`.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// Why it was a false alarm, in any of ar, fr, en: shown on the record.
    pub reason: NamesBody,
}

/// `POST /api/v1/incidents/{id}/updates/{update_id}/corrections`.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    /// The entry's text as it should read, in the languages to correct; the others keep
    /// their text.
    pub message: NamesBody,
}
