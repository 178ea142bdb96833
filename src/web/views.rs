//! What templates render: page structs and the small views they are made of.

use askama::Template;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::assets::STYLE_HREF;
use crate::domain::{Lang, Status};
use crate::i18n::{duration_seconds, local_time};
use crate::i18n::{status_icon, status_name, term, text, Text};
use crate::store::IncidentRow;

/// What every page shares: language, direction, banner, language switcher.
pub struct Layout {
    pub lang: &'static str,
    pub dir: &'static str,
    pub t: &'static Text,
    /// Between the items of a list: Arabic has its own comma.
    pub sep: &'static str,
    pub title: String,
    pub css: &'static str,
    pub network_cut: Option<String>,
    pub langs: Vec<LangLink>,
    /// Which zone the page's times are in, as a sentence.
    pub tz: String,
    /// Feeds announced in `<head>` for readers to discover.
    pub feeds: Vec<FeedLink>,
    /// What a link preview says: the status now, and since when.
    pub description: String,
    pub og_locale: &'static str,
    /// The preview picture, absolute; only with `public_url`, since a crawler needs an
    /// absolute address and one built from `Host` could be forged.
    pub og_image: Option<String>,
    /// The page's stable address, absolute under `public_url`: `og:url` and the canonical
    /// link, so a citation names one page whatever the query it was reached by.
    pub canonical: Option<String>,
}

pub struct FeedLink {
    pub title: String,
    pub href: String,
    pub mime: &'static str,
}

impl FeedLink {
    /// The RSS and Atom feeds under `prefix` ("" or "/banks/{slug}").
    pub fn pair(prefix: &str, title: &str, lang: Lang) -> Vec<FeedLink> {
        vec![
            FeedLink {
                title: format!("{title} (RSS)"),
                href: format!("{prefix}/feed.rss?lang={}", lang.as_str()),
                mime: "application/rss+xml",
            },
            FeedLink {
                title: format!("{title} (Atom)"),
                href: format!("{prefix}/feed.atom?lang={}", lang.as_str()),
                mime: "application/atom+xml",
            },
        ]
    }
}

pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

impl Layout {
    /// A message of the catalogue without arguments, in the page's language.
    pub fn msg(&self, id: &str) -> &'static str {
        crate::i18n::message(self.lang.parse().unwrap_or_default(), id)
    }

    /// `path` is the page's own path; the switcher links to it with `?lang=`.
    pub fn new(
        lang: Lang,
        title: String,
        path: &str,
        tz: Tz,
        network_cut: Option<DateTime<Utc>>,
    ) -> Self {
        Layout {
            lang: lang.as_str(),
            dir: if lang.is_rtl() { "rtl" } else { "ltr" },
            t: text(lang),
            sep: crate::i18n::message(lang, "list-separator"),
            title,
            css: STYLE_HREF.as_str(),
            network_cut: network_cut.map(|t| local_time(t, tz, lang)),
            langs: Lang::ALL
                .into_iter()
                .map(|l| LangLink {
                    code: l.as_str(),
                    name: text(l).lang_name,
                    href: format!("{path}?lang={}", l.as_str()),
                    current: l == lang,
                })
                .collect(),
            tz: crate::i18n::times_line(tz, lang),
            feeds: FeedLink::pair("", text(lang).site_title, lang),
            description: text(lang).tagline.to_owned(),
            og_locale: match lang {
                Lang::Ar => "ar_MA",
                Lang::Fr => "fr_MA",
                Lang::En => "en_GB",
            },
            og_image: None,
            canonical: None,
        }
    }

    /// Its permalink `path` under `public_url`, when there is one.
    pub fn permalink(mut self, public_url: Option<&str>, path: &str) -> Self {
        self.canonical = public_url.map(|base| format!("{}{path}", base.trim_end_matches('/')));
        self
    }

    /// The preview picture at `path` under `public_url`, when there is one; `status` in the
    /// address makes previews fetch it again when the status changes.
    pub fn picture(mut self, public_url: Option<&str>, path: &str, status: Status) -> Self {
        self.og_image = public_url.map(|base| format!("{base}{path}?s={}", status.as_str()));
        self
    }

    /// The link preview's words, e.g. "Bank of Africa: online banking major outage since
    /// 14:20".
    pub fn describe(mut self, description: String) -> Self {
        self.description = description;
        self
    }
}

/// A status in word, icon and class, never colour alone.
pub struct StatusBadge {
    pub class: &'static str,
    pub label: &'static str,
    pub icon: &'static str,
}

impl StatusBadge {
    pub fn new(s: Status, lang: Lang) -> Self {
        StatusBadge {
            class: s.as_str(),
            label: status_name(s, lang),
            icon: status_icon(s),
        }
    }
}

/// An incident in a list.
pub struct IncidentCard {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub kind_label: String,
    pub state_label: String,
    pub open: bool,
    pub started: String,
    pub resolved: Option<String>,
    pub duration: String,
    pub affected: String,
}

impl IncidentCard {
    /// `bank_name` turns a slug into the bank's name in the page's language; an open
    /// incident's duration runs until `now`.
    pub fn new(
        row: &IncidentRow,
        lang: Lang,
        tz: Tz,
        now: DateTime<Utc>,
        bank_name: impl Fn(&str) -> String,
    ) -> Self {
        let account = row.account();
        let affected: Vec<String> = row
            .scopes
            .iter()
            .map(|(bank, channel)| {
                format!(
                    "{} – {}",
                    bank_name(bank),
                    crate::i18n::channel_name(*channel, lang)
                )
            })
            .collect();
        IncidentCard {
            id: row.id,
            title: row.title.get(lang).to_owned(),
            kind: row.kind.as_str(),
            kind_label: term(row.kind.as_str(), lang).to_owned(),
            state_label: term(row.state.as_str(), lang).to_owned(),
            open: row.resolved_at.is_none(),
            started: local_time(row.started_at, tz, lang),
            resolved: row.resolved_at.map(|t| local_time(t, tz, lang)),
            duration: duration_seconds(account.down(now).num_seconds(), lang),
            affected: crate::i18n::list(&affected, lang),
        }
    }
}

/// A bank on the home page.
pub struct BankCard {
    pub slug: String,
    pub name: String,
    pub status: StatusBadge,
    pub channels: Vec<ChannelChip>,
    /// For a bank in trouble: since when, in a sentence with a time.
    pub since: Option<String>,
    /// For a bank with an outage open: whether the bank has spoken.
    pub word: Option<String>,
}

pub struct ChannelChip {
    pub name: &'static str,
    pub status: StatusBadge,
    /// What customers report that the status does not show, in words.
    pub crowd_note: Option<&'static str>,
    pub until: Option<String>,
}

/// A channel on the bank page.
pub struct ChannelRow {
    pub slug: &'static str,
    pub name: &'static str,
    pub status: StatusBadge,
    /// Since when, as a local time and as a duration until now.
    pub since: Option<(String, String)>,
    /// Until when it is expected back, in words.
    pub until: Option<String>,
    /// The incident behind the status: its id and title.
    pub incident_link: Option<(i64, String)>,
    pub confidence: Option<String>,
    /// What customers report of it, when anyone did.
    pub crowd: Option<CrowdRow>,
    pub reports_chart: String,
    pub probed: bool,
    pub bars: String,
    pub availability: String,
    pub sparkline: String,
    pub mean_latency: Option<i64>,
    pub probes: Vec<ProbeRow>,
    /// Sentences beside the status: a maintenance page, the bank's announced return, an
    /// unstable channel, a certificate about to lapse.
    pub notes: Vec<String>,
}

/// What customers report of a channel, in sentences: over the surge window now, and over
/// the last 24 hours the top problems, the cities and how many say it works for them.
pub struct CrowdRow {
    pub now: Option<String>,
    pub problems: Option<String>,
    pub cities: Option<String>,
    pub works: Option<String>,
}

pub struct ProbeRow {
    pub url: String,
    pub last: String,
    pub failing: bool,
}

pub struct UpdateView {
    pub at: String,
    pub state_label: String,
    pub source_label: String,
    pub message: String,
    /// For a bank's statement: its id, and the language and direction of its words.
    pub quote: Option<(i64, &'static str, &'static str)>,
    /// For a corrected entry (whose `message` is the text now): each correction's time and
    /// the text it replaced, oldest first.
    pub corrections: Vec<(String, String)>,
}

/// An announced maintenance window in a list.
pub struct WindowCard {
    pub id: i64,
    pub bank: String,
    pub title: String,
    pub channels: String,
    pub starts: String,
    pub ends: String,
    pub state_label: String,
    pub source: Option<String>,
}

impl WindowCard {
    pub fn new(
        w: &crate::store::WindowRow,
        lang: Lang,
        tz: Tz,
        bank_name: impl Fn(&str) -> String,
    ) -> Self {
        let channels: Vec<&str> = w
            .channels
            .iter()
            .map(|c| crate::i18n::channel_name(*c, lang))
            .collect();
        WindowCard {
            id: w.incident_id,
            bank: bank_name(&w.bank),
            title: w.title.get(lang).to_owned(),
            channels: crate::i18n::list(&channels, lang),
            starts: local_time(w.starts, tz, lang),
            ends: local_time(w.ends, tz, lang),
            state_label: term(w.state.as_str(), lang).to_owned(),
            source: w.source.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub l: Layout,
    pub ongoing: Vec<IncidentCard>,
    pub maintenance_now: Vec<WindowCard>,
    pub maintenance_upcoming: Vec<WindowCard>,
    pub banks: Vec<BankCard>,
    /// The vantage points, once probes run from two or more.
    pub regions: Vec<RegionCard>,
}

/// One vantage point on the home page: cut off since when, or checking.
pub struct RegionCard {
    pub name: String,
    pub cut_since: Option<String>,
}

#[derive(Template)]
#[template(path = "bank.html")]
pub struct BankPage {
    pub l: Layout,
    pub slug: String,
    pub name: String,
    pub website: Option<String>,
    pub status: StatusBadge,
    pub channels: Vec<ChannelRow>,
    pub windows: Vec<WindowCard>,
    pub incidents: Vec<IncidentCard>,
    pub window_minutes: u64,
    /// The HTML to copy for framing this bank's status elsewhere.
    pub embed_snippet: String,
    /// Recent comments from reports: (time, channel, text).
    pub comments: Vec<(String, &'static str, String)>,
    /// What the bank says: its statements, or its silence since an outage began.
    pub says: Option<crate::web::statements::panel::SaysPanel>,
}

#[derive(Template)]
#[template(path = "incident.html")]
pub struct IncidentPage {
    pub l: Layout,
    pub inc: IncidentCard,
    /// Each source and when it first saw the incident.
    pub sources: Vec<(String, String)>,
    pub confidence: Option<String>,
    pub window: Option<WindowCard>,
    /// The announced window's early close and the outages that ran past its end.
    pub closed_early: Option<String>,
    /// When the window was called off before it began.
    pub cancelled: Option<String>,
    pub overruns: Vec<(i64, String)>,
    /// The maintenance this outage overran: its id, announced end, and by how much.
    pub overrun: Option<(i64, String, String)>,
    /// When it was put on the record, if well after it started.
    pub recorded_later: Option<String>,
    /// A reopened incident's open spans, each with its length: what its duration adds up.
    pub spans: Vec<String>,
    /// The failures at several banks at once it is part of, each linking the others.
    pub shared: Vec<SharedView>,
    pub probes: Vec<ProbesView>,
    pub reports: Vec<ReportsView>,
    pub operator: Vec<UpdateView>,
    pub updates: Vec<UpdateView>,
    /// What each bank of the incident said of it, or its silence.
    pub says: Vec<crate::web::statements::panel::SaysPanel>,
    pub permalink: String,
    pub json: String,
    /// The log entries the page rests on and the checkpoint they were checked against.
    pub log: Option<InLogView>,
}

/// A failure of one channel at several banks at once, on one of its incidents' page.
pub struct SharedView {
    pub channel: &'static str,
    /// What failed where and when, in a sentence.
    pub sentence: String,
    /// The other incidents: id and what to call the link.
    pub links: Vec<(i64, String)>,
}

/// An incident's place in the log, in sentences.
pub struct InLogView {
    pub heading: String,
    /// Which entries the page rests on, once a checkpoint holds some.
    pub rests_on: Option<String>,
    /// The checkpoint they were checked against, and its root hash.
    pub checked: String,
    pub root: String,
    pub root_label: String,
    /// Entries whose proof no longer holds, one sentence each.
    pub failing: Vec<String>,
    /// Entries not yet in a checkpoint.
    pub pending: Option<String>,
    pub pack: String,
    pub pack_label: String,
    pub checkpoint_label: String,
    pub key_label: String,
}

/// What the probes of one bank and channel saw.
pub struct ProbesView {
    pub scope: String,
    /// Time, what failed, and the URL checked.
    pub first: Option<(String, String, Option<String>)>,
    pub failing: String,
    pub last: Option<String>,
    pub purged: bool,
    /// The library's own words for the first failure, shown as such.
    pub detail: Option<String>,
    /// The first failure's evidence in words: redirects, the bank's announced return, the
    /// maintenance phrase found.
    pub seen: Vec<String>,
}

/// What customers reported on one bank and channel.
pub struct ReportsView {
    pub scope: String,
    pub reporters: i64,
    pub first: String,
    /// The busiest minute, in words: how many reporters, from when to when.
    pub peak: String,
}

/// One figure row of the scorecard: a channel, or a bank's total.
pub struct ScoreRowView {
    pub name: String,
    pub checked: String,
    pub availability: String,
    pub announced: i64,
    pub unannounced: i64,
    pub overrun: String,
    pub incidents: usize,
    pub windows: usize,
    pub median: String,
    pub worst: String,
}

pub struct ScoreBankView {
    pub rank: usize,
    pub slug: String,
    pub name: String,
    pub total: ScoreRowView,
    pub channels: Vec<ScoreRowView>,
    pub chart: String,
    /// The bank's statements against its outages of the month, in sentences.
    pub word: Vec<String>,
    /// Its channels' unannounced minutes added up, labelled apart from the bank's total.
    pub channel_minutes: String,
    /// The bank's totals to the second, as the longer periods add them up.
    pub seconds: String,
    /// How many of its outages were part of a failure at several banks at once.
    pub shared: Option<String>,
    /// The figures in the shapes people compare, per channel and for the bank.
    pub compare: Vec<super::figures::CompareRow>,
    pub compare_total: super::figures::CompareRow,
    /// A quarter's or a year's months and their total; no month for a month's page.
    pub by_month: Vec<super::figures::MonthRow>,
    pub by_month_total: super::figures::MonthRow,
}

#[derive(Template)]
#[template(path = "scorecard.html")]
pub struct ScorecardPage {
    pub l: Layout,
    /// "Monthly scorecard", "Quarterly scorecard" or "Yearly scorecard", as the period is.
    pub heading: String,
    /// What the page holds, and what it says when nothing was recorded, for its period.
    pub intro: String,
    pub no_data: String,
    pub label: String,
    pub so_far: bool,
    pub minutes: i64,
    pub has_data: bool,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// A month, rather than a quarter or a year: the pager and chart say "month".
    pub is_month: bool,
    /// Failures at several banks at once, one sentence each, and how they are found.
    pub shared: Vec<String>,
    pub shared_method: String,
    pub chart_caption: String,
    pub csv: String,
    pub json: String,
    pub banks: Vec<ScoreBankView>,
    /// How the figures of the banks' word are computed.
    pub word_method: Vec<String>,
    /// The log's checkpoint the figures were computed from, in a sentence.
    pub checkpoint: Option<String>,
    pub compare_head: super::figures::CompareHead,
    pub month_head: super::figures::MonthHead,
}

/// `/accessibility`: what the service aims for, how it is checked, what is known not to
/// work, and how to say so.
#[derive(Template)]
#[template(path = "accessibility.html")]
pub struct AccessibilityPage {
    pub l: Layout,
}

/// A section of `/methodology`.
pub struct MethodSection {
    /// Its anchor.
    pub id: &'static str,
    pub title: String,
    pub paragraphs: Vec<String>,
}

#[derive(Template)]
#[template(path = "methodology.html")]
pub struct MethodologyPage {
    pub l: Layout,
    pub title: String,
    pub sections: Vec<MethodSection>,
}

#[derive(Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    pub l: Layout,
    pub banks: Vec<SelectOption>,
    pub channels: Vec<SelectOption>,
    pub kinds: Vec<SelectOption>,
    pub month: String,
    pub incidents: Vec<IncidentCard>,
    /// The next page's link, with the same filters.
    pub older: Option<String>,
    pub filtered: bool,
}

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl SelectOption {
    /// Every bank of the config, by name in `lang`.
    pub fn banks(banks: &[crate::domain::Bank], lang: Lang, selected: Option<&str>) -> Vec<Self> {
        banks
            .iter()
            .map(|b| SelectOption {
                value: b.slug.clone(),
                label: b.names.get(lang).to_owned(),
                selected: selected == Some(b.slug.as_str()),
            })
            .collect()
    }

    /// Every configured city, by name in `lang`.
    pub fn cities(cities: &[crate::domain::City], lang: Lang, selected: Option<&str>) -> Vec<Self> {
        cities
            .iter()
            .map(|c| SelectOption {
                value: c.slug.clone(),
                label: c.names.get(lang).to_owned(),
                selected: selected == Some(c.slug.as_str()),
            })
            .collect()
    }

    /// Every channel, by name in `lang`.
    pub fn channels(lang: Lang, selected: Option<crate::domain::Channel>) -> Vec<Self> {
        crate::domain::Channel::ALL
            .iter()
            .map(|c| SelectOption {
                value: c.as_str().to_owned(),
                label: crate::i18n::channel_name(*c, lang).to_owned(),
                selected: selected == Some(*c),
            })
            .collect()
    }
}

/// Options under a label, for a `<select>` with `<optgroup>`s.
pub struct OptionGroup {
    pub label: String,
    pub options: Vec<SelectOption>,
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub l: Layout,
    /// After a report: where to ask to be told when it is fixed.
    pub follow: Option<String>,
    pub banks: Vec<SelectOption>,
    pub channels: Vec<SelectOption>,
    /// What fails, by channel.
    pub symptoms: Vec<OptionGroup>,
    pub cities: Vec<SelectOption>,
    /// The form says "it works for me" rather than a problem.
    pub works: bool,
    pub comment: String,
    pub max_comment: usize,
    pub csrf: String,
    pub error: Option<String>,
    /// After a report: whether it counted.
    pub thanks: Option<bool>,
    pub bank_slug: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub l: Layout,
    pub heading: &'static str,
    pub message: String,
    pub code: u16,
}

impl ErrorPage {
    pub fn new(lang: Lang, status: StatusCode, message: String) -> Self {
        let t = text(lang);
        let heading = match status {
            StatusCode::NOT_FOUND => t.not_found_title,
            s if s.is_client_error() => t.bad_request_title,
            _ => t.server_error_title,
        };
        let message = match status {
            StatusCode::NOT_FOUND => format!("{} ({message})", t.not_found_body),
            s if s.is_server_error() => t.server_error_body.to_owned(),
            _ => message,
        };
        ErrorPage {
            l: Layout::new(
                lang,
                heading.to_owned(),
                "/",
                chrono_tz::Africa::Casablanca,
                None,
            ),
            heading,
            message,
            code: status.as_u16(),
        }
    }
}
