//! `/incidents/{id}`: one incident as evidence (what each source saw and when, the
//! operator's words, the announced window against what happened) and its timeline.

use askama::Template;
use chrono::{DateTime, Utc};

use super::bank_namer;
use crate::domain::{Channel, Lang};
use crate::i18n::{
    channel_name, duration_seconds, failure_words, local_time, term, text, Arg, Msg,
};
use crate::record::evidence::Evidence;
use crate::store::IncidentRow;
use crate::web::error::AppError;
use crate::web::views::{
    IncidentCard, IncidentPage, Layout, ProbesView, ReportsView, UpdateView, WindowCard,
};
use crate::web::AppState;

pub fn render(
    state: &AppState,
    row: &IncidentRow,
    ev: &Evidence,
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
    let view = |e: &crate::record::evidence::Entry| UpdateView {
        at: at(e.at),
        state_label: term(e.state.as_str(), lang).to_owned(),
        source_label: term(e.source.as_str(), lang).to_owned(),
        message: e.message.get(lang).to_owned(),
    };
    let permalink = match &state.config.public_url {
        Some(base) => format!("{}{}", base.trim_end_matches('/'), ev.permalink),
        None => ev.permalink.clone(),
    };
    let page = IncidentPage {
        l: Layout::new(
            lang,
            format!("{} · {}", inc.title, t.site_title),
            &ev.permalink,
            tz,
            state.live.snapshot().network_cut_since,
        ),
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
        updates: ev.updates.iter().rev().map(view).collect(),
        json: format!("{}?format=json", ev.permalink),
        permalink,
        inc,
    };
    Ok(page.render()?)
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
