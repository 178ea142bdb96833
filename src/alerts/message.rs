//! What an alert says, in the subscriber's language: the bank, the channels, the change, the
//! state and the time, and the link to the incident page.

use crate::config::Config;
use crate::domain::{Channel, Lang, Statement};
use crate::i18n::{channel_name, list, local_time, message, source_kind_name, term, Arg, Msg};
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

/// What an alert says of a bank's statement: the bank and the channels it spoke of, its
/// words as it said them (or a translation made here, said to be one), when and where it
/// said them, the return it promised, and the link to the quote under `incident`.
pub fn statement_notice(
    config: &Config,
    s: &Statement,
    incident: i64,
    lang: Lang,
    base_url: &str,
) -> Notice {
    let bank = config
        .bank(&s.bank)
        .map_or_else(|| s.bank.clone(), |b| b.names.get(lang).to_owned());
    let channels: Vec<&str> = s.channels.iter().map(|c| channel_name(*c, lang)).collect();
    let subject = Msg::new("alert-subject")
        .arg("bank", &bank)
        .arg("channels", list(&channels, lang))
        .arg("change", Msg::new(Change::Statement.msg_id()).text(lang))
        .text(lang);
    let (title, message_words) = match s.in_reader_lang(lang) {
        Some(q) if !q.translated => (q.text.to_owned(), String::new()),
        reader => (
            s.originals()
                .first()
                .map(|q| q.text.to_owned())
                .unwrap_or_default(),
            reader.map_or_else(String::new, |q| {
                format!("{} {}", message(lang, "says-translation"), q.text)
            }),
        ),
    };
    let mut status = vec![Msg::new("says-source-url")
        .arg("kind", source_kind_name(s.source_kind, lang))
        .arg("url", &s.source_url)
        .text(lang)];
    status.push(
        Msg::new("says-said")
            .with("time", Arg::Time(s.said_at, config.timezone))
            .text(lang),
    );
    if let Some(t) = s.expected_back_at {
        status.push(
            Msg::new("statement-promised")
                .with("time", Arg::Time(t, config.timezone))
                .text(lang),
        );
    }
    Notice {
        subject,
        title,
        message: message_words,
        status_line: status.join(" · "),
        url: format!("{}#statement-{}", incident_url(base_url, incident), s.id),
        lang,
    }
}

pub fn incident_url(base_url: &str, id: i64) -> String {
    format!("{}/incidents/{id}", base_url.trim_end_matches('/'))
}
