//! `/banks/{slug}`: each channel's status and since when, 90 daily uptime bars, 24 h
//! response times and reports, last checks, incidents and windows, and what the bank says.
//! The records are read once ([`gather`]); the figures come from [`channel_series`]; the
//! view is assembled last.

use askama::Template;
use chrono::{DateTime, Duration, DurationRound, Utc};

use super::bank_namer;
use crate::domain::{Bank, Channel, ErrorClass, IncidentKind, Lang, ProbeSpec, Statement, Status};
use crate::i18n::{channel_name, duration, failure_words, local_time, term, text, Arg, Msg};
use crate::record::availability::{channel_availability, Watched};
use crate::record::series::{channel_series, Span};
use crate::record::voices::{voices, Voices};
use crate::record::word::bank_word;
use crate::signals::live::{BankNow, ChannelNow};
use crate::signals::surge::USUAL_WEEKS;
use crate::signals::Snapshot;
use crate::store::{
    DailyRollup, HourlyRollup, IncidentFilter, IncidentRow, MonitoredSpan, OutageSpan,
    ReportBucket, ReportRow, StatementFilter, WindowFilter, WindowRow,
};
use crate::web::availability::availability_text;
use crate::web::error::AppError;
use crate::web::input::known_bank;
use crate::web::statements::panel::{incidents_of, Said, Wording};
use crate::web::svg::{report_chart, sparkline, uptime_bars};
use crate::web::views::{
    BankPage, ChannelRow, FeedLink, IncidentCard, Layout, ProbeRow, StatusBadge, WindowCard,
};
use crate::web::AppState;

/// Days shown by the uptime bars.
const BAR_DAYS: i64 = 90;
/// The bank's statements quoted on its page: at most this many, said within this many days
/// (and every one about an outage still open).
const QUOTED: u32 = 6;
const QUOTED_DAYS: i64 = 30;

/// What the bank page reads from the record.
struct Records {
    span: Span,
    daily: Vec<DailyRollup>,
    hourly: Vec<HourlyRollup>,
    /// Hourly report counts of the last day and of the same hours of the week on the weeks
    /// before: the chart and its usual level.
    report_hours: Vec<ReportBucket>,
    /// What customers said over the last 24 hours, per channel.
    voices: Vec<Voices>,
    incidents: Vec<IncidentRow>,
    windows: Vec<WindowRow>,
    comments: Vec<ReportRow>,
    /// What the 90-day availability is weighed on: coverage runs, outages and windows.
    monitored: Vec<MonitoredSpan>,
    outages: Vec<OutageSpan>,
    windows_90: Vec<WindowRow>,
    bars_from: DateTime<Utc>,
    /// The open outages and what the bank said of them, for the silence and the promises.
    said: Said,
    /// The statements the panel quotes, newest said first, and the incidents they speak of.
    quoted: Vec<Statement>,
    quoted_incidents: Vec<IncidentRow>,
}

async fn gather(state: &AppState, slug: &str, now: DateTime<Utc>) -> Result<Records, AppError> {
    let today = now.with_timezone(&state.config.timezone).date_naive();
    let first_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now) - Duration::hours(23);
    let span = Span {
        first_day: today - Duration::days(BAR_DAYS - 1),
        days: BAR_DAYS,
        first_hour,
    };
    let store = &state.store;
    let bars_from = now - Duration::days(BAR_DAYS);
    let monitored = store
        .monitored_spans(bars_from, now)
        .await?
        .into_iter()
        .filter(|m| m.bank == slug)
        .collect();
    let outages = store
        .outage_spans(bars_from, now)
        .await?
        .into_iter()
        .filter(|o| o.bank == slug)
        .collect();
    let windows_90 = store
        .windows(&WindowFilter {
            bank: Some(slug.to_owned()),
            ended_after: Some(bars_from),
            starts_before: Some(now),
            limit: 10_000,
            ..Default::default()
        })
        .await?;
    let said = Said::load(state, Some(slug)).await?;
    let mut quoted = store
        .statements(&StatementFilter {
            bank: Some(slug.to_owned()),
            since: Some(now - Duration::days(QUOTED_DAYS)),
            limit: QUOTED,
            ..Default::default()
        })
        .await?;
    quoted.extend(said.statements.iter().cloned());
    quoted.sort_by_key(|s| std::cmp::Reverse((s.said_at, s.id)));
    quoted.dedup_by_key(|s| s.id);
    quoted.truncate(QUOTED as usize);
    let incidents = store
        .incidents(&IncidentFilter {
            bank: Some(slug.to_owned()),
            limit: 20,
            ..Default::default()
        })
        .await?;
    let quoted_incidents = incidents_of(state, &quoted, &incidents).await?;
    Ok(Records {
        said,
        quoted,
        quoted_incidents,
        monitored,
        outages,
        windows_90,
        bars_from,
        span,
        daily: store.daily_rollups(slug, span.first_day).await?,
        hourly: store.hourly_rollups(slug, first_hour).await?,
        report_hours: store
            .report_buckets(
                slug,
                first_hour - Duration::weeks(USUAL_WEEKS as i64 + 1),
                now + Duration::hours(1),
                Duration::hours(1),
            )
            .await?,
        voices: voices(
            &store
                .report_facets(slug, now - Duration::hours(24), now + Duration::seconds(1))
                .await?,
        ),
        incidents,
        windows: store
            .windows(&WindowFilter {
                bank: Some(slug.to_owned()),
                ended_after: Some(now - Duration::days(30)),
                limit: 20,
                ..Default::default()
            })
            .await?,
        comments: store
            .recent_comments(slug, now - Duration::hours(24), 10)
            .await?,
    })
}

/// The page; `base` is the service's own address (see [`crate::web::feeds::base_url`]),
/// so the embed snippet works wherever it is pasted.
pub async fn render(
    state: &AppState,
    slug: &str,
    lang: Lang,
    base: &str,
) -> Result<String, AppError> {
    let bank = known_bank(&state.config, slug)?;
    let now = state.clock.now();
    let records = gather(state, slug, now).await?;
    Ok(page(
        state,
        bank,
        &state.live.snapshot(),
        &records,
        lang,
        now,
        base,
    )
    .render()?)
}

fn page(
    state: &AppState,
    bank: &Bank,
    snapshot: &Snapshot,
    records: &Records,
    lang: Lang,
    now: DateTime<Utc>,
    base: &str,
) -> BankPage {
    let tz = state.config.timezone;
    let t = text(lang);
    let bank_now = snapshot.bank(&bank.slug);
    // The channels the snapshot shows: probed ones, and any other a signal speaks of.
    let mut shown: Vec<Channel> = match bank_now {
        Some(b) => b.channels.iter().map(|c| c.channel).collect(),
        None => bank.probed_channels(),
    };
    // And the channels customers spoke of over the last day.
    for v in &records.voices {
        if !shown.contains(&v.channel) {
            shown.push(v.channel);
        }
    }
    // The channels in trouble first, worst first: the answer on a phone's first screen.
    let status_of = |c: Channel| {
        bank_now
            .and_then(|b| b.channels.iter().find(|x| x.channel == c))
            .map_or(Status::Unknown, |x| x.status)
    };
    shown.sort_by_key(|c| {
        let s = status_of(*c);
        let trouble = !matches!(s, Status::Operational | Status::Unknown);
        (!trouble, s.rank(), *c)
    });
    let channels = shown
        .into_iter()
        .map(|c| channel_row(state, bank, bank_now, c, records, lang, now))
        .collect();
    let namer = bank_namer(state, lang);
    let name = bank.names.get(lang).to_owned();
    let path = format!("/banks/{}", bank.slug);
    let mut layout = Layout::new(
        lang,
        format!("{name} · {}", t.site_title),
        &path,
        tz,
        snapshot.network_cut_since,
    );
    layout.feeds.extend(FeedLink::pair(&path, &name, lang));
    let layout = layout
        .describe(super::preview(&name, bank_now, tz, lang))
        .picture(
            state.config.public_url.as_deref(),
            &format!("/og/banks/{}.png", bank.slug),
            bank_now.map_or(Status::Unknown, |b| b.status),
        );
    let wording = Wording {
        tz,
        lang,
        slug: &bank.slug,
        bank: &name,
        now,
    };
    let silent_since = bank_word(&bank.slug, &records.said.open, &records.said.statements)
        .filter(|w| w.latest.is_none())
        .map(|w| w.since);
    let says = wording.panel(&records.quoted, &records.quoted_incidents, silent_since);
    BankPage {
        says,
        l: layout,
        slug: bank.slug.clone(),
        name,
        website: bank.website.clone(),
        status: StatusBadge::new(bank_now.map_or(Status::Unknown, |b| b.status), lang),
        channels,
        windows: records
            .windows
            .iter()
            .rev()
            .map(|w| WindowCard::new(w, lang, tz, &namer))
            .collect(),
        incidents: records
            .incidents
            .iter()
            .filter(|r| r.kind != IncidentKind::Maintenance)
            .map(|r| IncidentCard::new(r, lang, tz, now, &namer))
            .collect(),
        window_minutes: state.config.reports.window.as_secs() / 60,
        embed_snippet: format!(
            "<iframe src=\"{}/embed/banks/{}?lang={}\" title=\"{}\" width=\"100%\" height=\"260\" style=\"border:0\"></iframe>",
            base.trim_end_matches('/'),
            bank.slug,
            lang.as_str(),
            bank.names.get(lang).replace('"', "&quot;"),
        ),
        comments: records
            .comments
            .iter()
            .filter_map(|r| {
                Some((
                    local_time(r.at, tz, lang),
                    channel_name(r.channel, lang),
                    r.comment.clone()?,
                ))
            })
            .collect(),
    }
}

fn channel_row(
    state: &AppState,
    bank: &Bank,
    bank_now: Option<&BankNow>,
    channel: Channel,
    records: &Records,
    lang: Lang,
    now: DateTime<Utc>,
) -> ChannelRow {
    let tz = state.config.timezone;
    let t = text(lang);
    let now_c: Option<&ChannelNow> =
        bank_now.and_then(|b| b.channels.iter().find(|c| c.channel == channel));
    let series = channel_series(
        channel,
        records.span,
        &records.daily,
        &records.hourly,
        &records.report_hours,
    );
    let name = channel_name(channel, lang);
    let reported = series.reports.iter().any(|c| *c > 0) || series.usual.iter().any(|u| *u > 0.0);
    ChannelRow {
        slug: channel.as_str(),
        name,
        status: StatusBadge::new(now_c.map_or(Status::Unknown, |c| c.status), lang),
        // An incident's own account gives its "since", as on every other page.
        since: now_c
            .and_then(|c| {
                let of_incident = c.incident.and_then(|id| {
                    records
                        .incidents
                        .iter()
                        .find(|r| r.id == id)
                        .map(|r| r.account().since())
                });
                of_incident.or(c.since)
            })
            .map(|s| (local_time(s, tz, lang), duration(s, now, lang))),
        until: now_c.and_then(|c| {
            let promise = records.said.promise(c.incident);
            super::until_words(c, &records.windows_90, promise, tz, lang, now)
        }),
        incident_link: now_c.and_then(|c| c.incident).map(|id| {
            let title = records
                .incidents
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.title.get(lang).to_owned())
                .or_else(|| {
                    records
                        .windows_90
                        .iter()
                        .find(|w| w.incident_id == id)
                        .map(|w| w.title.get(lang).to_owned())
                })
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| format!("#{id}"));
            (id, title)
        }),
        confidence: now_c
            .and_then(|c| c.confidence)
            .map(|c| term(c.as_str(), lang).to_owned()),
        crowd: super::crowd::crowd_row(
            &state.config,
            now_c,
            records.voices.iter().find(|v| v.channel == channel),
            lang,
        ),
        reports_chart: if reported {
            report_chart(
                &series.reports,
                &series.usual,
                lang.is_rtl(),
                &format!("{name}: {}", t.reports_24h),
            )
        } else {
            String::new()
        },
        probed: bank.probed_channels().contains(&channel),
        bars: uptime_bars(
            &series.bars,
            lang.is_rtl(),
            lang,
            &format!("{name}: {}", t.last_90_days),
        ),
        availability: availability_text(
            &channel_availability(
                &bank.slug,
                channel,
                &Watched {
                    outages: &records.outages,
                    windows: &records.windows_90,
                    monitored: &records.monitored,
                },
                records.bars_from,
                now,
            ),
            lang,
        ),
        sparkline: sparkline(
            &series.latency,
            lang.is_rtl(),
            &format!("{name}: {}", t.response_time_24h),
        ),
        mean_latency: series.day.mean_latency_ms(),
        probes: bank
            .probes
            .iter()
            .filter(|p| p.channel() == Some(channel))
            .map(|p| probe_row(state, p, lang))
            .collect(),
        notes: channel_notes(state, bank, channel, now_c, now)
            .iter()
            .map(|m| m.text(lang))
            .collect(),
    }
}

/// What the status alone does not say: how the bank fails, when it says it is back,
/// whether the channel keeps going down and up, and a certificate about to lapse (a notice
/// only: customers are not affected until it does).
fn channel_notes(
    state: &AppState,
    bank: &Bank,
    channel: Channel,
    now_c: Option<&ChannelNow>,
    now: DateTime<Utc>,
) -> Vec<Msg> {
    let tz = state.config.timezone;
    let mut notes = Vec::new();
    if let Some(c) = now_c {
        match c.failing {
            Some(ErrorClass::MaintenancePage) => notes.push(Msg::new("note-maintenance-page")),
            Some(ErrorClass::Blocked) => notes.push(Msg::new("note-blocked")),
            _ => {}
        }
        if let Some(at) = c.retry_after.filter(|at| *at > now) {
            notes.push(Msg::new("note-retry-after").with("time", Arg::Time(at, tz)));
        }
        if let Some(note) = c.crowd_note {
            notes.push(Msg::new(note.msg_id()));
        }
        if c.unstable {
            let minutes = state.config.probing.unstable_within.as_secs() / 60;
            notes.push(Msg::new("note-unstable").arg("minutes", minutes));
        }
    }
    for p in bank.probes.iter().filter(|p| p.channel() == Some(channel)) {
        let Some(expires) = state
            .live
            .last_check(&p.id)
            .and_then(|c| c.evidence.tls_expires_at)
        else {
            continue;
        };
        let warning = Duration::from_std(p.expect.tls_expiry_warning).unwrap_or(Duration::days(14));
        if expires - now <= warning {
            notes.push(
                Msg::new("note-cert-expiring")
                    .arg("url", &p.url)
                    .with("date", Arg::Time(expires, tz))
                    .with("left", Arg::Elapsed(now, expires)),
            );
        }
    }
    notes
}

/// A probe's URL and what its last check found.
fn probe_row(state: &AppState, p: &ProbeSpec, lang: Lang) -> ProbeRow {
    let t = text(lang);
    let last = state.live.last_check(&p.id);
    ProbeRow {
        url: p.url.clone(),
        failing: last.as_ref().is_some_and(|c| c.outcome.is_down()),
        last: last.map_or_else(
            || t.not_checked_yet.to_owned(),
            |c| {
                let what = match (c.http_status, c.outcome.class()) {
                    (status, Some(class)) => {
                        let words = failure_words(Some(class), c.detail().unwrap_or(""), lang);
                        match status {
                            Some(s) if !words.starts_with("HTTP") => format!("{words} (HTTP {s})"),
                            _ => words,
                        }
                    }
                    (Some(s), None) => format!("HTTP {s}"),
                    (None, None) => c.outcome.as_str().to_owned(),
                };
                format!(
                    "{} · {what} · {} {}",
                    local_time(c.at, state.config.timezone, lang),
                    c.latency_ms,
                    t.ms
                )
            },
        ),
    }
}
