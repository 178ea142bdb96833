//! RSS 2.0 and Atom 1.0 feeds of incident updates, maintenance, advisories and the banks'
//! statements: global and per bank, filtered by channel, in one language. Each update and
//! each statement is an entry whose id and words never change; a feed is generated once per
//! change and answered 304 when the reader has it. Every feed also carries, once a day, the
//! log's checkpoint as it stood at the day's start, so every reader that keeps its feeds
//! keeps a copy of it: a witness, the simple way.

use super::markup::escape;
use atom_syndication as atom;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;

use super::cache::Rendered;
use super::error::AppError;
use super::input::{bounded_query, known_bank, parse_value};
use super::statements::anchor;
use super::statements::panel::{source_kind_words, words_label};
use super::AppState;
use crate::domain::{corrected, Channel, IncidentKind, Lang, Statement};
use crate::i18n::{channel_name, duration_seconds, local_time, term, text, Arg, Msg};
use crate::store::{CorrectionEntry, FeedEntry, FeedFilter, StatementFilter};

/// Entries per feed, newest first.
const ENTRIES: u32 = 50;
/// Days whose checkpoint a feed carries.
const CHECKPOINT_DAYS: i64 = 7;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Rss,
    Atom,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
        }
    }
}

/// `?lang=` and repeatable `?channel=` of a subscription URL, checked.
pub struct SubscriptionQuery {
    pub lang: Lang,
    pub channels: Vec<Channel>,
}

impl SubscriptionQuery {
    pub fn parse(state: &AppState, raw: Option<&str>) -> Result<Self, AppError> {
        let raw = bounded_query(raw)?;
        let mut lang = state.config.default_language;
        let mut channels = Vec::new();
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            match k.as_ref() {
                "lang" => lang = parse_value("lang", &v)?,
                "channel" => {
                    let c: Channel = parse_value("channel", &v)?;
                    if !channels.contains(&c) {
                        channels.push(c);
                    }
                }
                _ => {}
            }
        }
        channels.sort();
        Ok(SubscriptionQuery { lang, channels })
    }

    /// The feed's id: a URN of the bank, the language and the channels, in the characters
    /// RFC 2141 allows (no `&` or `=`), so feed validators take it.
    pub fn urn(&self, bank: Option<&str>) -> String {
        let mut urn = format!(
            "urn:bankstatus:feed:{}:{}",
            bank.unwrap_or("all"),
            self.lang.as_str()
        );
        if !self.channels.is_empty() {
            urn.push(':');
            urn.push_str(
                &self
                    .channels
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join("+"),
            );
        }
        urn
    }

    /// The canonical query string, for cache keys and self links.
    pub fn canonical(&self) -> String {
        let mut parts = vec![format!("lang={}", self.lang.as_str())];
        parts.extend(self.channels.iter().map(|c| format!("channel={c}")));
        parts.join("&")
    }
}

/// What every subscription answer starts from: the bank checked, the query parsed, and
/// the base URL for absolute links.
pub fn subscription(
    state: &AppState,
    bank: Option<&str>,
    raw: Option<&str>,
    headers: &HeaderMap,
) -> Result<(SubscriptionQuery, String), AppError> {
    if let Some(b) = bank {
        known_bank(&state.config, b)?;
    }
    Ok((
        SubscriptionQuery::parse(state, raw)?,
        base_url(state, headers),
    ))
}

/// The service's own address: `public_url` from the config, else the request's host.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let proto = if state.config.reports.trust_forwarded_for
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            == Some("https")
    {
        "https"
    } else {
        "http"
    };
    format!("{proto}://{host}")
}

fn fixed(t: DateTime<Utc>, tz: Tz) -> DateTime<FixedOffset> {
    t.with_timezone(&tz).fixed_offset()
}

/// "Bank: channel, channel" per bank; a bank with every channel is named alone.
pub fn affected(state: &AppState, scopes: &[(String, Channel)], lang: Lang) -> String {
    let mut banks: Vec<(&str, Vec<Channel>)> = Vec::new();
    for (bank, channel) in scopes {
        let c = *channel;
        match banks.iter_mut().find(|(b, _)| b == bank) {
            Some((_, cs)) => cs.push(c),
            None => banks.push((bank, vec![c])),
        }
    }
    banks
        .into_iter()
        .map(|(bank, cs)| {
            let name = state.config.bank(bank).map_or(bank, |b| b.names.get(lang));
            if cs.len() == Channel::ALL.len() {
                name.to_owned()
            } else {
                let names: Vec<&str> = cs.iter().map(|c| channel_name(*c, lang)).collect();
                format!("{name}: {}", crate::i18n::list(&names, lang))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What every entry says, in both formats: the update as it was published, never the
/// incident's state since (a later state is a later entry).
struct EntryText {
    id: String,
    title: String,
    summary: String,
    /// The summary as HTML, its line breaks kept.
    html: String,
    link: String,
    at: DateTime<Utc>,
}

fn entry_text(
    state: &AppState,
    e: &FeedEntry,
    lang: Lang,
    base: &str,
    format: Format,
) -> EntryText {
    let tz = state.config.timezone;
    let t = text(lang);
    let i = &e.incident;
    let u = &e.update;
    // The title as it was when the entry was written; older rows have none of their own.
    let headline = if u.title.is_empty() {
        &i.title
    } else {
        &u.title
    };
    let title = format!(
        "{} · {} — {}",
        term(u.state.as_str(), lang),
        headline.get(lang),
        affected(state, &i.scopes, lang)
    );
    let mut lines: Vec<String> = Vec::new();
    let message = u.message.get(lang);
    if !message.is_empty() {
        lines.push(message.to_owned());
        lines.push(String::new());
    }
    lines.push(format!(
        "{}: {}",
        t.started,
        local_time(i.started_at, tz, lang)
    ));
    if u.state.is_closed() {
        lines.push(format!("{}: {}", t.resolved, local_time(u.at, tz, lang)));
        // Its open spans up to this entry, as every page counts them: the entry never
        // changes, even when the outage fails again later.
        if i.kind == IncidentKind::Outage {
            let down = i.account().down_until(u.at).num_seconds();
            lines.push(format!("{}: {}", t.duration, duration_seconds(down, lang)));
        }
    } else {
        lines.push(format!("{}: {}", t.status, term(u.state.as_str(), lang)));
    }
    lines.push(crate::i18n::times_line(tz, lang));
    let summary = lines.join("\n");
    let html = summary
        .split('\n')
        .map(escape)
        .collect::<Vec<_>>()
        .join("<br>\n");
    EntryText {
        // One id per language and format, so a reader that follows several files each
        // entry under the right feed.
        id: format!(
            "urn:bankstatus:incident:{}:update:{}:{}:{}",
            i.id,
            u.id,
            lang.as_str(),
            format.as_str()
        ),
        title,
        summary,
        html,
        link: format!("{base}/incidents/{}?lang={}", i.id, lang.as_str()),
        at: u.at,
    }
}

/// A correction as its own entry, dated when it was made: the entry's text now and what it
/// said before. The corrected entry keeps its own text and id; nothing already published
/// changes.
fn correction_text(
    state: &AppState,
    e: &CorrectionEntry,
    lang: Lang,
    base: &str,
    format: Format,
) -> Option<EntryText> {
    let tz = state.config.timezone;
    let (i, u) = (&e.incident, &e.update);
    let c = corrected(&u.message, &u.corrections);
    let step = c.steps.last()?;
    let headline = if u.title.is_empty() {
        &i.title
    } else {
        &u.title
    };
    let title = format!(
        "{} · {} — {}",
        Msg::new("correction-title").text(lang),
        headline.get(lang),
        affected(state, &i.scopes, lang)
    );
    let summary = [
        step.text.get(lang).to_owned(),
        String::new(),
        format!(
            "{} {}. {} «{}»",
            Msg::new("correction-at").text(lang),
            local_time(step.at, tz, lang),
            Msg::new("correction-earlier").text(lang),
            step.earlier.get(lang)
        ),
        format!(
            "{} {}",
            text(lang).times_in,
            crate::i18n::zone_name(tz, lang)
        ),
    ]
    .join("\n");
    let html = summary
        .split('\n')
        .map(escape)
        .collect::<Vec<_>>()
        .join("<br>\n");
    Some(EntryText {
        id: format!(
            "urn:bankstatus:incident:{}:update:{}:correction:{}:{}:{}",
            i.id,
            u.id,
            step.id,
            lang.as_str(),
            format.as_str()
        ),
        title,
        summary,
        html,
        link: format!("{base}/incidents/{}?lang={}", i.id, lang.as_str()),
        at: step.at,
    })
}

/// A bank's statement as its own entry: its words as it said them (a translation made here
/// marked as such), when and where it said them, and the return it promised. Everything in
/// it is fixed when the statement is stored, so the entry never changes.
fn statement_text(
    state: &AppState,
    s: &Statement,
    lang: Lang,
    base: &str,
    format: Format,
) -> EntryText {
    let tz = state.config.timezone;
    let bank = state
        .config
        .bank(&s.bank)
        .map_or(s.bank.as_str(), |b| b.names.get(lang));
    let channels: Vec<&str> = s.channels.iter().map(|c| channel_name(*c, lang)).collect();
    let title = Msg::new("feed-statement-title")
        .arg("bank", bank)
        .arg("channels", crate::i18n::list(&channels, lang))
        .text(lang);
    let mut lines: Vec<String> = Vec::new();
    match s.in_reader_lang(lang) {
        Some(q) if !q.translated => lines.push(q.text.to_owned()),
        reader => {
            for q in s.originals() {
                lines.push(Msg::new(words_label(q.lang)).text(lang));
                lines.push(q.text.to_owned());
            }
            if let Some(q) = reader {
                lines.push(Msg::new("says-translation").text(lang));
                lines.push(q.text.to_owned());
            }
        }
    }
    lines.push(String::new());
    lines.push(
        Msg::new("says-said")
            .with("time", Arg::Time(s.said_at, tz))
            .text(lang),
    );
    lines.push(
        Msg::new("says-source-url")
            .arg("kind", source_kind_words(s, lang))
            .arg("url", &s.source_url)
            .text(lang),
    );
    if let Some(t) = s.expected_back_at {
        lines.push(
            Msg::new("statement-promised")
                .with("time", Arg::Time(t, tz))
                .text(lang),
        );
    }
    lines.push(crate::i18n::times_line(tz, lang));
    let summary = lines.join("\n");
    let html = summary
        .split('\n')
        .map(escape)
        .collect::<Vec<_>>()
        .join("<br>\n");
    let (path, fragment) = anchor(s)
        .split_once('#')
        .map(|(p, f)| (p.to_owned(), f.to_owned()))
        .unwrap_or_default();
    EntryText {
        id: format!(
            "urn:bankstatus:statement:{}:{}:{}",
            s.id,
            lang.as_str(),
            format.as_str()
        ),
        title,
        summary,
        html,
        link: format!("{base}{path}?lang={}#{fragment}", lang.as_str()),
        at: s.recorded_at,
    }
}

/// The log's checkpoint as it stood at the start of each of the last days (the last one
/// signed before local midnight), one entry each: the same checkpoint all day, a new one
/// the next day if the log grew.
async fn checkpoint_texts(
    state: &AppState,
    lang: Lang,
    base: &str,
    format: Format,
) -> Result<Vec<EntryText>, AppError> {
    let tz = state.config.timezone;
    let today = state.clock.now().with_timezone(&tz).date_naive();
    let mut out: Vec<EntryText> = Vec::new();
    for days in 0..CHECKPOINT_DAYS {
        let Some(midnight) = (today - chrono::Duration::days(days))
            .and_hms_opt(0, 0, 0)
            .and_then(|m| m.and_local_timezone(tz).earliest())
        else {
            continue;
        };
        let Some(c) = state
            .store
            .checkpoint_before(midnight.with_timezone(&Utc))
            .await?
        else {
            break;
        };
        let id = format!(
            "urn:bankstatus:log:checkpoint:{}:{}:{}",
            c.size,
            lang.as_str(),
            format.as_str()
        );
        if out.iter().any(|e| e.id == id) {
            continue;
        }
        let root = crate::tlog::hash_text(&c.root);
        let sentence = crate::i18n::Msg::new("log-feed-body")
            .with("at", crate::i18n::Arg::Time(c.signed_at, tz))
            .arg("size", c.size)
            .arg("root", &root)
            .text(lang);
        out.push(EntryText {
            id,
            title: crate::i18n::Msg::new("log-feed-title")
                .arg("size", c.size)
                .text(lang),
            summary: format!("{sentence}\n\n{}", c.note),
            html: format!(
                "<p>{}</p>\n<pre>{}</pre>",
                escape(&sentence),
                escape(&c.note)
            ),
            link: format!("{base}/log/checkpoint"),
            at: c.signed_at,
        });
    }
    Ok(out)
}

async fn render(
    state: &AppState,
    format: Format,
    bank: Option<&str>,
    q: &SubscriptionQuery,
    base: &str,
    self_path: &str,
    asked: Option<&str>,
) -> Result<Rendered, AppError> {
    let entries = state
        .store
        .feed_entries(&FeedFilter {
            bank: bank.map(str::to_owned),
            channels: q.channels.clone(),
            limit: ENTRIES,
        })
        .await?;
    let lang = q.lang;
    let tz = state.config.timezone;
    let t = text(lang);
    let (title, home) = match bank.and_then(|b| state.config.bank(b)) {
        Some(b) => (
            format!("{} · {}", b.names.get(lang), t.site_title),
            format!("{base}/banks/{}", b.slug),
        ),
        None => (t.site_title.to_owned(), format!("{base}/")),
    };
    let title = if q.channels.is_empty() {
        title
    } else {
        let names: Vec<&str> = q.channels.iter().map(|c| channel_name(*c, lang)).collect();
        format!("{title} ({})", crate::i18n::list(&names, lang))
    };
    // The feed's own address as it was asked for: validators and readers compare them.
    let self_url = match asked.filter(|a| !a.is_empty()) {
        Some(query) => format!("{base}{self_path}?{query}"),
        None => format!("{base}{self_path}"),
    };
    let statements = state
        .store
        .statements(&StatementFilter {
            bank: bank.map(str::to_owned),
            channels: q.channels.clone(),
            by_recorded: true,
            limit: ENTRIES,
            ..Default::default()
        })
        .await?;
    let corrections = state
        .store
        .correction_entries(&FeedFilter {
            bank: bank.map(str::to_owned),
            channels: q.channels.clone(),
            limit: ENTRIES,
        })
        .await?;
    // Updates, corrections and statements, newest published first.
    let mut texts: Vec<EntryText> = entries
        .iter()
        .map(|e| entry_text(state, e, lang, base, format))
        .chain(
            corrections
                .iter()
                .filter_map(|c| correction_text(state, c, lang, base, format)),
        )
        .chain(
            statements
                .iter()
                .map(|s| statement_text(state, s, lang, base, format)),
        )
        .collect();
    texts.sort_by_key(|e| std::cmp::Reverse(e.at));
    texts.truncate(ENTRIES as usize);
    // The day's checkpoints stay whatever else is new: they are the witness.
    texts.extend(checkpoint_texts(state, lang, base, format).await?);
    texts.sort_by_key(|e| std::cmp::Reverse(e.at));
    let newest = texts.iter().map(|e| e.at).max();
    let body = match format {
        Format::Rss => {
            let items: Vec<rss::Item> = texts
                .into_iter()
                .map(|e| {
                    let mut item = rss::Item::default();
                    let mut guid = rss::Guid::default();
                    guid.set_value(e.id);
                    guid.set_permalink(false);
                    item.set_guid(Some(guid));
                    item.set_title(Some(e.title));
                    // Readers take a description as HTML: operator text must read as text.
                    item.set_description(Some(escape(&e.summary)));
                    item.set_content(Some(e.html));
                    item.set_link(Some(e.link));
                    item.set_pub_date(Some(e.at.to_rfc2822()));
                    item
                })
                .collect();
            let mut channel = rss::Channel::default();
            channel.set_title(title);
            channel.set_link(home);
            channel.set_description(t.tagline.to_owned());
            channel.set_language(Some(lang.as_str().to_owned()));
            channel.set_last_build_date(newest.map(|n| n.to_rfc2822()));
            let mut link = atom::Link::default();
            link.set_href(self_url);
            link.set_rel("self");
            link.set_mime_type(Some("application/rss+xml".to_owned()));
            let mut ext = rss::extension::atom::AtomExtension::default();
            ext.set_links(vec![link]);
            channel.set_atom_ext(Some(ext));
            channel.set_items(items);
            channel.to_string()
        }
        Format::Atom => {
            let mut author = atom::Person::default();
            author.set_name(t.site_title);
            let entries: Vec<atom::Entry> = texts
                .into_iter()
                .map(|e| {
                    let mut entry = atom::Entry::default();
                    entry.set_id(e.id);
                    entry.set_title(atom::Text::plain(e.title));
                    entry.set_updated(fixed(e.at, tz));
                    entry.set_published(Some(fixed(e.at, tz)));
                    entry.set_summary(Some(atom::Text::plain(e.summary)));
                    let mut content = atom::Content::default();
                    content.set_content_type(Some("html".to_owned()));
                    content.set_value(Some(e.html));
                    entry.set_content(Some(content));
                    let mut link = atom::Link::default();
                    link.set_href(e.link);
                    link.set_rel("alternate");
                    entry.set_links(vec![link]);
                    entry
                })
                .collect();
            let mut feed = atom::Feed::default();
            feed.set_title(atom::Text::plain(title));
            feed.set_id(q.urn(bank));
            feed.set_updated(fixed(newest.unwrap_or(DateTime::<Utc>::UNIX_EPOCH), tz));
            feed.set_authors(vec![author]);
            feed.set_lang(Some(lang.as_str().to_owned()));
            let mut this = atom::Link::default();
            this.set_href(self_url);
            this.set_rel("self");
            this.set_mime_type(Some("application/atom+xml".to_owned()));
            let mut alternate = atom::Link::default();
            alternate.set_href(home);
            alternate.set_rel("alternate");
            feed.set_links(vec![this, alternate]);
            feed.set_entries(entries);
            feed.to_string()
        }
    };
    Ok(Rendered::new(body, newest))
}

async fn serve(
    state: AppState,
    format: Format,
    bank: Option<String>,
    raw: Option<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (q, base) = subscription(&state, bank.as_deref(), raw.as_deref(), &headers)?;
    let (ext, content_type) = match format {
        Format::Rss => ("rss", "application/rss+xml; charset=utf-8"),
        Format::Atom => ("atom", "application/atom+xml; charset=utf-8"),
    };
    let path = match &bank {
        Some(b) => format!("/banks/{b}/feed.{ext}"),
        None => format!("/feed.{ext}"),
    };
    // Its self link is the address as asked, so each spelling of the query is its own copy.
    let asked = raw.as_deref().unwrap_or("");
    let key = format!("{path}?{asked}|{}", q.canonical());
    let rendered = state
        .feeds
        .get_or_render_for(&base, &key, state.live.generation(), || {
            render(
                &state,
                format,
                bank.as_deref(),
                &q,
                &base,
                &path,
                Some(asked),
            )
        })
        .await?;
    Ok(rendered.respond(&headers, content_type, 60))
}

pub async fn rss_all(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve(state, Format::Rss, None, q, headers).await
}

pub async fn atom_all(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve(state, Format::Atom, None, q, headers).await
}

pub async fn rss_bank(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve(state, Format::Rss, Some(slug), q, headers).await
}

pub async fn atom_bank(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve(state, Format::Atom, Some(slug), q, headers).await
}
