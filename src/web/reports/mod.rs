//! Crowd reports: the one path every report takes (checked here, stored by the report
//! writer), the JSON endpoint, and the form that works without JavaScript, with the
//! one-tap "me too" and "it works for me" of the bank page. What keeps them honest:
//! reporters known only by keyed hashes of their address, network and browser, a form token
//! and a honeypot on the form, deduplication and hourly caps in the store, and the surge
//! rules that weigh them (`signals/weight.rs`).

mod api;
mod form;

pub use api::{__path_post_report, post_report, ReportBody};
pub use form::{fresh_browser_cookie, report_form, submit_form};

use super::client::ReporterIds;
use super::error::AppError;
use super::AppState;
use crate::config::Config;
use crate::domain::{invisible, Channel, Symptom};
use crate::i18n::Msg;
use crate::signals::engine::Command;
use crate::store::report_writer::ReportRules;
use crate::store::{DynStore, NewReport, ReportOutcome, StoreResult};

/// Longest comment kept, in characters.
pub const MAX_COMMENT: usize = 500;
/// A reporter counts once per bank and channel within this span.
const DEDUP_MINUTES: i64 = 10;

/// What every report is judged by: the configured hourly allowance and the dedup span.
pub fn rules(config: &Config) -> ReportRules {
    ReportRules {
        per_hour: config.reports.per_reporter_per_hour,
        dedup: chrono::Duration::minutes(DEDUP_MINUTES),
    }
}

/// The key that hashes reporters, made on first start and kept in the database.
pub async fn reporter_key(store: &DynStore) -> StoreResult<Vec<u8>> {
    crate::keys::stored_key(store, "reporter_key").await
}

/// A report as someone sent it, before it is checked.
#[derive(Debug, Default)]
pub struct Said<'a> {
    pub bank: &'a str,
    pub channel: &'a str,
    pub comment: Option<&'a str>,
    pub symptom: Option<&'a str>,
    pub city: Option<&'a str>,
    pub works: bool,
}

/// A report whose every field is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub bank: String,
    pub channel: Channel,
    pub comment: Option<String>,
    pub symptom: Option<Symptom>,
    pub city: Option<String>,
    pub works: bool,
}

/// Drops control characters (keeping line breaks), invisible formatting characters and
/// surrounding space.
fn clean_comment(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| *c == '\n' || !(c.is_control() || invisible(*c)))
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Checks every field against the config and the vocabulary; each error names what is
/// allowed. Empty optional fields (a form's "none" option) count as absent.
pub fn check(config: &Config, said: &Said<'_>) -> Result<Checked, Msg> {
    if config.bank(said.bank).is_none() {
        let known: Vec<&str> = config.banks.iter().map(|b| b.slug.as_str()).collect();
        return Err(Msg::new("err-unknown-bank")
            .arg("slug", said.bank)
            .arg("known", known.join(", ")));
    }
    let channel = said.channel.parse::<Channel>().map_err(|_| {
        Msg::new("err-invalid-value")
            .arg("field", "channel")
            .arg("value", said.channel)
            .arg("allowed", Channel::allowed())
    })?;
    let comment = said.comment.and_then(clean_comment);
    if let Some(c) = &comment {
        let n = c.chars().count();
        if n > MAX_COMMENT {
            return Err(Msg::new("err-comment-too-long")
                .arg("count", n)
                .arg("max", MAX_COMMENT));
        }
    }
    let symptom = match said.symptom.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => Some(Symptom::parse_for(channel, code).map_err(|allowed| {
            Msg::new("err-unknown-symptom")
                .arg("value", code)
                .arg("channel", channel.as_str())
                .arg("allowed", allowed)
        })?),
    };
    if said.works && symptom.is_some() {
        return Err(Msg::new("err-works-with-symptom"));
    }
    let city = match said.city.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(slug) if config.city(slug).is_some() => Some(slug.to_owned()),
        Some(slug) => {
            let known: Vec<&str> = config.cities.iter().map(|c| c.slug.as_str()).collect();
            return Err(Msg::new("err-unknown-city")
                .arg("value", slug)
                .arg("known", known.join(", ")));
        }
    };
    Ok(Checked {
        bank: said.bank.to_owned(),
        channel,
        comment,
        symptom,
        city,
        works: said.works,
    })
}

/// Stores a checked report; its id and whether it counts.
pub async fn submit(
    state: &AppState,
    who: ReporterIds,
    report: Checked,
) -> Result<(i64, bool), AppError> {
    let outcome = state
        .reports
        .add(NewReport {
            bank: report.bank,
            channel: report.channel,
            at: state.clock.now(),
            reporter: who.reporter,
            address: who.address,
            network: who.network,
            comment: report.comment,
            symptom: report.symptom,
            city: report.city,
            works: report.works,
        })
        .await?;
    match outcome {
        ReportOutcome::Accepted { id, counted } => {
            if counted {
                state.changed(Command::ReportsChanged);
            }
            Ok((id, counted))
        }
        ReportOutcome::RateLimited => Err(AppError::TooManyRequests(
            Msg::new("err-rate-limited").arg("max", state.config.reports.per_reporter_per_hour),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    fn config() -> Config {
        config::parse(
            "[[banks]]\nslug = \"bmce\"\nname = { fr = \"BMCE\" }\n\
             [[cities]]\nslug = \"rabat\"\nname = { fr = \"Rabat\" }\n",
            "t.toml",
        )
        .expect("config")
    }

    fn said<'a>(channel: &'a str, symptom: Option<&'a str>, city: Option<&'a str>) -> Said<'a> {
        Said {
            bank: "bmce",
            channel,
            symptom,
            city,
            ..Said::default()
        }
    }

    #[test]
    fn symptoms_belong_to_their_channel_and_cities_to_the_config() {
        let c = config();
        let ok = check(&c, &said("atm", Some("no_cash"), Some("rabat"))).expect("valid");
        assert_eq!(ok.symptom, Some(Symptom::NoCash));
        assert_eq!(ok.city.as_deref(), Some("rabat"));
        let e = check(&c, &said("atm", Some("cheque_refused"), None)).unwrap_err();
        assert_eq!(e.id(), "err-unknown-symptom");
        let e = check(&c, &said("atm", None, Some("paris"))).unwrap_err();
        assert_eq!(e.id(), "err-unknown-city");
        // A form's "none" option is no symptom and no city.
        let blank = check(&c, &said("atm", Some(""), Some(" "))).expect("valid");
        assert_eq!((blank.symptom, blank.city), (None, None));
        let works = Said {
            works: true,
            ..said("atm", Some("no_cash"), None)
        };
        assert_eq!(
            check(&c, &works).unwrap_err().id(),
            "err-works-with-symptom"
        );
    }

    #[test]
    fn comments_lose_control_characters() {
        assert_eq!(
            clean_comment("  no\u{0} cash\r\nat all\u{7}  ").as_deref(),
            Some("no cash\nat all")
        );
        assert_eq!(clean_comment("\u{1b}[31m"), Some("[31m".to_owned()));
        assert_eq!(clean_comment(" \t "), None);
    }

    #[test]
    fn comments_lose_invisible_formatting_but_keep_arabic() {
        assert_eq!(
            clean_comment("ATM \u{202e}gnp.exe\u{202c} down").as_deref(),
            Some("ATM gnp.exe down")
        );
        assert_eq!(
            clean_comment("a\u{200b}b\u{2066}c\u{2069}\u{e0041}\u{feff}").as_deref(),
            Some("abc")
        );
        let arabic = "الشباك لا يعطي المال، منذ الصباح! (BMCE) «الدار البيضاء»؟";
        assert_eq!(clean_comment(arabic).as_deref(), Some(arabic));
    }
}
