//! `/incidents/{id}`: one incident as evidence (what each source saw and when, the
//! operator's words, what the bank said, the announced window against what happened) and
//! its timeline.

use askama::Template;
use chrono::{DateTime, Utc};

use super::bank_namer;
use crate::domain::{corrected, Channel, IncidentKind, Lang, Statement};
use crate::i18n::{
    channel_name, duration_seconds, failure_words, local_time, message, term, text, Arg, Msg,
};
use crate::log::proofs::IncidentLog;
use crate::record::evidence::Evidence;
use crate::store::IncidentRow;
use crate::tlog::hash_text;
use crate::web::error::AppError;
use crate::web::statements::panel::{SaysPanel, Wording};
use crate::web::views::{
    InLogView, IncidentCard, IncidentPage, Layout, ProbesView, ReportsView, SharedView, UpdateView,
    WindowCard,
};
use crate::web::AppState;

pub fn render(
    state: &AppState,
    row: &IncidentRow,
    ev: &Evidence,
    in_log: Option<&IncidentLog>,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let tz = state.config.timezone;
    let t = text(lang);
    let at = |t: DateTime<Utc>| local_time(t, tz, lang);
    let namer = bank_namer(state, lang);
    let scope =
        |bank: &str, channel: Channel| format!("{} – {}", namer(bank), channel_name(channel, lang));
    let inc = IncidentCard::new(row, lang, tz, now, &namer);
    let window = ev.window.as_ref().map(|w| WindowCard {
        id: ev.id,
        bank: String::new(),
        title: String::new(),
        channels: String::new(),
        starts: at(w.announced_starts),
        ends: at(w.announced_ends),
        state_label: String::new(),
        source: w.source.clone(),
    });
    let view = |e: &crate::record::evidence::Entry| {
        let c = corrected(&e.message, &e.corrections);
        UpdateView {
            at: at(e.at),
            state_label: term(e.state.as_str(), lang).to_owned(),
            source_label: term(e.source.as_str(), lang).to_owned(),
            message: c.now.get(lang).to_owned(),
            quote: None,
            corrections: c
                .steps
                .iter()
                .map(|s| (at(s.at), s.earlier.get(lang).to_owned()))
                .collect(),
        }
    };
    // The bank's statements join the timeline at the time they were said.
    let mut timeline: Vec<(DateTime<Utc>, UpdateView)> =
        ev.updates.iter().map(|e| (e.at, view(e))).collect();
    timeline.extend(
        ev.statements
            .iter()
            .map(|st| (st.said_at, said_entry(st, tz, lang))),
    );
    timeline.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    let permalink = match &state.config.public_url {
        Some(base) => format!("{}{}", base.trim_end_matches('/'), ev.permalink),
        None => ev.permalink.clone(),
    };
    // The preview states the figure: who, which channels, how long, as the page says it.
    let preview = format!(
        "{}: {} · {} {}",
        inc.affected, inc.title, t.duration, inc.duration
    );
    let page = IncidentPage {
        l: Layout::new(
            lang,
            format!("{} · {}", inc.title, t.site_title),
            &ev.permalink,
            tz,
            state.live.snapshot().network_cut_since,
        )
        .permalink(state.config.public_url.as_deref(), &ev.permalink)
        .describe(preview),
        sources: ev
            .sources
            .iter()
            .map(|s| {
                (
                    term(s.source.as_str(), lang).to_owned(),
                    at(s.first_seen_at),
                )
            })
            .collect(),
        confidence: ev.confidence.map(|c| term(c.as_str(), lang).to_owned()),
        window,
        closed_early: ev.window.as_ref().and_then(|w| w.closed_early_at).map(at),
        cancelled: ev.window.as_ref().and_then(|w| w.cancelled_at).map(at),
        overruns: ev
            .window
            .iter()
            .flat_map(|w| &w.overruns)
            .map(|o| (o.incident_id, overrun_words(o.seconds, lang)))
            .collect(),
        overrun: ev.overrun_of.as_ref().map(|o| {
            (
                o.incident_id,
                at(o.announced_ends),
                overrun_words(o.seconds, lang),
            )
        }),
        recorded_later: ev.recorded_later_by.as_ref().map(|_| at(ev.recorded_at)),
        spans: spans(row, tz, lang, now),
        shared: shared(state, ev, lang),
        probes: ev
            .probes
            .iter()
            .map(|p| ProbesView {
                scope: scope(&p.bank, p.channel),
                first: p.first_failure.as_ref().map(|f| {
                    let words =
                        failure_words(f.error_class, f.detail.as_deref().unwrap_or(""), lang);
                    let what = match f.http_status {
                        Some(s) if !words.starts_with("HTTP") => format!("{words} (HTTP {s})"),
                        _ => words,
                    };
                    (at(f.at), what, f.url.clone())
                }),
                detail: p.first_failure.as_ref().and_then(|f| f.detail.clone()),
                seen: p
                    .first_failure
                    .as_ref()
                    .map(|f| seen(&f.evidence, tz, lang))
                    .unwrap_or_default(),
                failing: format!("{} / {}", p.failing, p.checks),
                last: p.last_failure.map(at),
                purged: !p.raw_results_kept,
            })
            .collect(),
        reports: ev
            .reports
            .iter()
            .map(|r| ReportsView {
                scope: scope(&r.bank, r.channel),
                reporters: r.reporters,
                first: at(r.first_report_minute),
                peak: Msg::new("peak-minute")
                    .arg("count", r.peak_reporters)
                    .with("from", Arg::Time(r.peak_minute, tz))
                    .arg(
                        "to",
                        (r.peak_minute + chrono::Duration::minutes(1))
                            .with_timezone(&tz)
                            .format("%H:%M"),
                    )
                    .text(lang),
            })
            .collect(),
        operator: ev.operator.iter().map(view).collect(),
        updates: timeline.into_iter().map(|(_, u)| u).collect(),
        says: says(state, row, ev, lang, now),
        json: format!("{}?format=json", ev.permalink),
        log: in_log.map(|g| in_log_view(g, &ev.permalink, tz, lang)),
        permalink,
        inc,
    };
    Ok(page.render()?)
}

/// A reopened incident's open spans in words, each with its length, from the one account
/// its duration is read from; nothing for an incident that never reopened.
fn spans(row: &IncidentRow, tz: chrono_tz::Tz, lang: Lang, now: DateTime<Utc>) -> Vec<String> {
    let account = row.account();
    if account.spans().len() < 2 {
        return Vec::new();
    }
    account
        .spans()
        .iter()
        .map(|&(from, to)| {
            let length = duration_seconds((to.unwrap_or(now) - from).num_seconds(), lang);
            match to {
                Some(to) => Msg::new("incident-span")
                    .with("from", Arg::Time(from, tz))
                    .with("to", Arg::Time(to, tz))
                    .arg("duration", length),
                None => Msg::new("incident-span-open")
                    .with("from", Arg::Time(from, tz))
                    .arg("duration", length),
            }
            .text(lang)
        })
        .collect()
}

/// Each failure at several banks at once the incident is part of, in a sentence, with a
/// link to each of the others.
fn shared(state: &AppState, ev: &Evidence, lang: Lang) -> Vec<SharedView> {
    let tz = state.config.timezone;
    let namer = bank_namer(state, lang);
    let minutes = crate::record::scorecard::shared_within(&state.config.banks) / 60_000;
    ev.shared
        .iter()
        .map(|s| SharedView {
            channel: s.channel.as_str(),
            sentence: Msg::new("shared-incident")
                .with("channel", Arg::Channel(s.channel))
                .arg("count", s.banks.len())
                .arg("minutes", minutes)
                .with("at", Arg::Time(s.started_at, tz))
                .text(lang),
            links: s
                .others
                .iter()
                .map(|o| {
                    let banks: Vec<String> = o.banks.iter().map(|b| namer(b)).collect();
                    let label = Msg::new("shared-incident-link")
                        .arg("banks", crate::i18n::list(&banks, lang))
                        .arg("id", o.id)
                        .text(lang);
                    (o.id, label)
                })
                .collect(),
        })
        .collect()
}

/// A statement as a timeline entry: the bank's words (or their marked translation) and a
/// link to the quote in the panel.
fn said_entry(s: &Statement, tz: chrono_tz::Tz, lang: Lang) -> UpdateView {
    let (text, quoted_lang) = match s.in_reader_lang(lang) {
        Some(q) => (q.text.to_owned(), q.lang),
        None => s
            .originals()
            .first()
            .map_or((String::new(), lang), |q| (q.text.to_owned(), q.lang)),
    };
    UpdateView {
        at: local_time(s.said_at, tz, lang),
        state_label: String::new(),
        source_label: Msg::new("says-timeline").text(lang),
        message: text,
        quote: Some((
            s.id,
            quoted_lang.as_str(),
            if quoted_lang.is_rtl() { "rtl" } else { "ltr" },
        )),
        corrections: Vec::new(),
    }
}

/// A "What {bank} says" panel for each bank of the incident that spoke of it, and for an
/// open outage's bank that did not, its silence since the incident began.
fn says(
    state: &AppState,
    row: &IncidentRow,
    ev: &Evidence,
    lang: Lang,
    now: DateTime<Utc>,
) -> Vec<SaysPanel> {
    let mut banks: Vec<&str> = Vec::new();
    for (b, _) in &row.scopes {
        if !banks.contains(&b.as_str()) {
            banks.push(b);
        }
    }
    let open_outage = row.kind == IncidentKind::Outage && row.resolved_at.is_none();
    let incidents = std::slice::from_ref(row);
    banks
        .into_iter()
        .filter_map(|bank| {
            let name = state
                .config
                .bank(bank)
                .map_or_else(|| bank.to_owned(), |b| b.names.get(lang).to_owned());
            let mut said: Vec<Statement> = ev
                .statements
                .iter()
                .filter(|s| s.bank == bank)
                .cloned()
                .collect();
            said.reverse();
            let silent_since = (open_outage && said.is_empty()).then_some(row.started_at);
            Wording {
                tz: state.config.timezone,
                lang,
                slug: bank,
                bank: &name,
                now,
            }
            .panel(&said, incidents, silent_since)
        })
        .collect()
}

/// Which entries of the log the page rests on, and the checkpoint they were checked
/// against.
fn in_log_view(g: &IncidentLog, permalink: &str, tz: chrono_tz::Tz, lang: Lang) -> InLogView {
    let indexes: Vec<String> = g.proven.iter().map(|p| p.entry.index.to_string()).collect();
    InLogView {
        heading: message(lang, "log-heading").to_owned(),
        rests_on: (!indexes.is_empty()).then(|| {
            Msg::new("log-rests-on")
                .with("entries", Arg::List(indexes))
                .text(lang)
        }),
        checked: Msg::new("log-checked")
            .arg("size", g.checkpoint.size)
            .with("at", Arg::Time(g.checkpoint.signed_at, tz))
            .text(lang),
        root: hash_text(&g.checkpoint.root),
        root_label: message(lang, "log-root").to_owned(),
        failing: g
            .proven
            .iter()
            .filter(|p| !p.holds)
            .map(|p| {
                Msg::new("log-entry-fails")
                    .arg("index", p.entry.index)
                    .text(lang)
            })
            .collect(),
        pending: (!g.pending.is_empty()).then(|| {
            Msg::new("log-pending")
                .arg("count", g.pending.len())
                .text(lang)
        }),
        pack: format!("{permalink}/evidence.json"),
        pack_label: message(lang, "log-evidence-pack").to_owned(),
        checkpoint_label: message(lang, "log-checkpoint-link").to_owned(),
        key_label: message(lang, "log-key-link").to_owned(),
    }
}

/// How long an overrun lasted: under a whole second it is "less than a second", never
/// "0 s" (it did fail past the announced end).
fn overrun_words(seconds: i64, lang: Lang) -> String {
    if seconds < 1 {
        crate::i18n::message(lang, "under-a-second").to_owned()
    } else {
        duration_seconds(seconds, lang)
    }
}

/// A check's evidence as sentences a reader can cite.
fn seen(e: &crate::domain::CheckEvidence, tz: chrono_tz::Tz, lang: Lang) -> Vec<String> {
    let mut out: Vec<String> = e
        .hops
        .iter()
        .map(|h| {
            Msg::new("seen-hop")
                .arg("status", h.status)
                .arg("location", &h.location)
                .text(lang)
        })
        .collect();
    if let Some(url) = &e.final_url {
        out.push(Msg::new("seen-final").arg("url", url).text(lang));
    }
    if let Some(m) = &e.matched {
        // The detector keeps either a phrase or the words it found together.
        let words: Vec<String> = m.split(" + ").map(str::to_owned).collect();
        out.push(match &words[..] {
            [_] => Msg::new("seen-maintenance").arg("phrase", m).text(lang),
            _ => Msg::new("seen-maintenance-words")
                .with("words", Arg::List(words))
                .text(lang),
        });
    }
    if let Some(t) = e.retry_after {
        out.push(
            Msg::new("note-retry-after")
                .with("time", Arg::Time(t, tz))
                .text(lang),
        );
    }
    out
}
