//! What an alert says, in the subscriber's language: the bank, the channels, the change, the
//! state and the time, and the link to the incident page.

use crate::config::Config;
use crate::domain::{Channel, Lang};
use crate::i18n::{channel_name, list, local_time, term, Msg};
use crate::store::{IncidentRow, UpdateRow};

use super::rules::Change;

/// One alert written in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// One line: bank and channels, then what happened.
    pub subject: String,
    /// The incident's title.
    pub title: String,
    /// The timeline entry's words.
    pub message: String,
    /// State and time, as one line.
    pub status_line: String,
    /// The incident page.
    pub url: String,
    pub lang: Lang,
}

impl Notice {
    /// Plain text, one paragraph each.
    pub fn text(&self) -> String {
        let mut out = vec![self.subject.clone(), String::new(), self.title.clone()];
        if !self.message.is_empty() && self.message != self.title {
            out.push(self.message.clone());
        }
        out.push(self.status_line.clone());
        out.push(String::new());
        out.push(self.url.clone());
        out.join("\n")
    }
}

/// The banks an incident names, in `lang`.
fn banks(config: &Config, incident: &IncidentRow, lang: Lang) -> String {
    let mut names: Vec<String> = Vec::new();
    for (slug, _) in &incident.scopes {
        let name = config
            .bank(slug)
            .map_or_else(|| slug.clone(), |b| b.names.get(lang).to_owned());
        if !names.contains(&name) {
            names.push(name);
        }
    }
    list(&names, lang)
}

fn channels(incident: &IncidentRow, lang: Lang) -> String {
    let mut seen: Vec<Channel> = Vec::new();
    for (_, c) in &incident.scopes {
        if !seen.contains(c) {
            seen.push(*c);
        }
    }
    let names: Vec<&str> = seen.iter().map(|c| channel_name(*c, lang)).collect();
    list(&names, lang)
}

pub fn notice(
    config: &Config,
    incident: &IncidentRow,
    update: &UpdateRow,
    change: Change,
    lang: Lang,
    base_url: &str,
) -> Notice {
    let headline = Msg::new(change.msg_id()).text(lang);
    let subject = Msg::new("alert-subject")
        .arg("bank", banks(config, incident, lang))
        .arg("channels", channels(incident, lang))
        .arg("change", headline)
        .text(lang);
    let status_line = Msg::new("alert-state")
        .arg("state", term(update.state.as_str(), lang))
        .arg("time", local_time(update.at, config.timezone, lang))
        .text(lang);
    Notice {
        subject,
        title: incident.title.get(lang).to_owned(),
        message: update.message.get(lang).to_owned(),
        status_line,
        url: incident_url(base_url, incident.id),
        lang,
    }
}

pub fn incident_url(base_url: &str, id: i64) -> String {
    format!("{}/incidents/{id}", base_url.trim_end_matches('/'))
}
