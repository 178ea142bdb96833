//! `/scorecard`, `/scorecard/{YYYY-MM}`, `/scorecard/{YYYY}-Q{n}` and `/scorecard/{YYYY}`:
//! the record of every bank over a month, a quarter or a year, as a page, CSV (RFC 4180)
//! or JSON. One route and one computation serve all three.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::availability::availability_text;
use super::csv::push_record;
use super::error::AppError;
use super::figures;
use super::input::query_param;
use super::pages::{html, page_lang};
use super::svg::{month_bars, MonthBar};
use super::views::{Layout, ScoreBankView, ScoreRowView, ScorecardPage};
use super::AppState;
use crate::domain::Lang;
use crate::i18n::{channel_name, duration_minutes, duration_seconds, local_time, month_name, text};
use crate::i18n::{Arg, Msg};
use crate::record::scorecard::{
    chart_first_month, load_period, reads, shared_within, Outages, Scorecard,
};
use crate::record::shared::SHARED_BANKS;
use crate::record::{word, Month, Period};
use crate::web::statements::panel::score_lines;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Csv,
    Json,
}

impl Format {
    fn parse(query: Option<&str>) -> Result<Format, AppError> {
        match query_param(query, "format").as_deref() {
            None | Some("html") => Ok(Format::Html),
            Some("csv") => Ok(Format::Csv),
            Some("json") => Ok(Format::Json),
            Some(other) => Err(AppError::BadRequest(
                Msg::new("err-invalid-value")
                    .arg("field", "format")
                    .arg("value", other)
                    .arg("allowed", "html, csv, json"),
            )),
        }
    }
}

/// `GET /scorecard`: the month in progress.
pub async fn current(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let month = Month::containing(state.clock.now(), state.config.timezone);
    serve(&state, Ok(Period::Month(month)), q.as_deref(), &headers).await
}

/// `GET /scorecard/{YYYY-MM}`, `/scorecard/{YYYY}-Q{n}` or `/scorecard/{YYYY}`.
pub async fn month(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let period = Period::parse(&raw).map_err(AppError::BadRequest);
    serve(&state, period, q.as_deref(), &headers).await
}

async fn serve(
    state: &AppState,
    month: Result<Period, AppError>,
    q: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    let (lang, set_cookie) = match page_lang(state, q, headers) {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let format = match Format::parse(q) {
        Ok(f) => f,
        Err(e) => return e.page(lang).into_response(),
    };
    let answer = match month {
        Ok(month) => answer(state, month, format, lang).await,
        Err(e) => Err(e),
    };
    match (answer, format) {
        (Ok(body), Format::Html) => html(body, lang, set_cookie),
        (Ok(body), Format::Csv) => data(body, "text/csv; charset=utf-8", lang),
        (Ok(body), Format::Json) => data(body, "application/json", lang),
        (Err(e), Format::Html) => e.page(lang).into_response(),
        (Err(e), _) => e.into_response(),
    }
}

/// CSV names banks in the negotiated language, so shared caches must keep one per language.
fn data(body: Bytes, mime: &'static str, lang: Lang) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            ),
            (
                header::VARY,
                HeaderValue::from_static("Accept-Language, Cookie"),
            ),
            (
                header::CONTENT_LANGUAGE,
                HeaderValue::from_static(lang.as_str()),
            ),
        ],
        body,
    )
        .into_response()
}

async fn answer(
    state: &AppState,
    month: Period,
    format: Format,
    lang: Lang,
) -> Result<Bytes, AppError> {
    let now = state.clock.now();
    let tz = state.config.timezone;
    let current = Month::containing(now, tz);
    if month.first() > current {
        return Err(AppError::NotFound(
            Msg::new("err-month-not-begun").arg("month", month),
        ));
    }
    let (from, to) = match month {
        Period::Month(m) => reads(m, tz, now),
        _ => {
            let (from, end) = month.bounds(tz);
            (from, end.min(now))
        }
    };
    let logged = state.log.counted(from, to);
    let checkpoint = logged.checkpoint.as_ref().map_or(0, |c| c.size);
    let make = || async {
        let card = load_period(&state.store, &state.config, month, now, logged).await?;
        Ok(Bytes::from(match format {
            Format::Html => render(state, month, &card, lang)?,
            Format::Csv => csv(&card, lang),
            Format::Json => serde_json::to_string(&card)
                .map_err(|e| AppError::Internal(format!("scorecard JSON: {e}")))?,
        }))
    };
    // The charted year is what people read; older months are computed on request, so a
    // crawler walking every month since 1970 cannot push the pages out of the cache.
    if month.last() < chart_first_month(current) {
        return make().await;
    }
    // A new checkpoint is a new scorecard.
    let key = format!(
        "scorecard|{month}|{checkpoint}|{}|{}",
        lang.as_str(),
        match format {
            Format::Html => "html",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    );
    state
        .pages
        .get_or_render(key, state.live.generation(), make)
        .await
}

/// The period as people say it: `février 2026`, `Q1 2026`, `2026`.
pub fn period_label(period: Period, lang: Lang) -> String {
    match period {
        Period::Month(m) => month_name(m.year(), m.number(), lang),
        Period::Quarter(y, q) => Msg::new("period-quarter")
            .arg("quarter", q)
            .arg("year", y.to_string())
            .text(lang),
        Period::Year(y) => y.to_string(),
    }
}

fn render(
    state: &AppState,
    month: Period,
    card: &Scorecard,
    lang: Lang,
) -> Result<String, AppError> {
    let t = text(lang);
    let tz = state.config.timezone;
    let current = Month::containing(state.clock.now(), tz);
    let label = period_label(month, lang);
    let is_month = matches!(month, Period::Month(_));
    let minutes = |m: Option<i64>| m.map_or_else(|| "–".to_owned(), |m| duration_minutes(m, lang));
    let row = |name: String, o: &Outages, checked: String, availability: String| ScoreRowView {
        name,
        checked,
        availability,
        announced: o.announced_minutes,
        unannounced: o.unannounced_minutes,
        overrun: if o.overrun_seconds > 0 {
            duration_seconds(o.overrun_seconds, lang)
        } else {
            "0".to_owned()
        },
        incidents: o.incidents,
        windows: o.maintenance_windows,
        median: minutes(o.median_recovery_minutes),
        worst: minutes(o.worst_recovery_minutes),
    };
    let chart_caption = if is_month {
        t.chart_12_months.to_owned()
    } else {
        Msg::new("score-chart-period").text(lang)
    };
    let banks = card
        .banks
        .iter()
        .map(|b| {
            let name = b.name.get(lang).to_owned();
            let (compare, compare_total) = figures::compare_rows(b, lang);
            let (by_month, by_month_total) = figures::month_rows(b);
            ScoreBankView {
                rank: b.rank,
                slug: b.slug.clone(),
                total: row(
                    t.all_channels.to_owned(),
                    &b.totals,
                    String::new(),
                    String::new(),
                ),
                channels: b
                    .channels
                    .iter()
                    .map(|c| {
                        row(
                            channel_name(c.channel, lang).to_owned(),
                            &c.outages,
                            Msg::new("monitored-of")
                                .arg("monitored", group(c.monitored_minutes, lang))
                                .arg("of", group(card.minutes, lang))
                                .text(lang),
                            availability_text(&c.figures.availability, lang),
                        )
                    })
                    .collect(),
                word: score_lines(&b.word, lang),
                chart: month_bars(
                    &b.months
                        .iter()
                        .map(|m| MonthBar {
                            label: m.month.clone(),
                            announced: m.announced_minutes,
                            unannounced: m.unannounced_minutes,
                        })
                        .collect::<Vec<_>>(),
                    lang.is_rtl(),
                    &format!("{name}: {}", chart_caption),
                    t.minutes,
                ),
                channel_minutes: Msg::new("score-channel-minutes")
                    .arg("minutes", group(b.totals.unannounced_channel_minutes, lang))
                    .text(lang),
                seconds: Msg::new("score-seconds")
                    .arg("unannounced", group(b.totals.unannounced_seconds, lang))
                    .arg("announced", group(b.totals.announced_seconds, lang))
                    .arg("overrun", group(b.totals.overrun_seconds, lang))
                    .text(lang),
                shared: (b.shared_outages > 0).then(|| {
                    Msg::new("shared-count")
                        .arg("count", b.shared_outages)
                        .text(lang)
                }),
                compare,
                compare_total,
                by_month: if is_month { Vec::new() } else { by_month },
                by_month_total,
                name,
            }
        })
        .collect();
    let path = format!("/scorecard/{month}");
    // The preview states the figure of the bank ranked first.
    let preview = card.banks.first().map_or_else(
        || label.clone(),
        |b| {
            Msg::new("score-preview")
                .arg("bank", b.name.get(lang))
                .arg(
                    "duration",
                    duration_minutes(b.totals.unannounced_minutes, lang),
                )
                .arg("period", &label)
                .text(lang)
        },
    );
    let (heading, intro, no_data) = match month {
        Period::Month(_) => (
            t.nav_scorecard.to_owned(),
            t.scorecard_intro.to_owned(),
            t.no_data_month.to_owned(),
        ),
        Period::Quarter(..) => (
            Msg::new("score-heading-quarter").text(lang),
            Msg::new("score-intro-quarter").text(lang),
            Msg::new("score-empty-quarter").text(lang),
        ),
        Period::Year(_) => (
            Msg::new("score-heading-year").text(lang),
            Msg::new("score-intro-year").text(lang),
            Msg::new("score-empty-year").text(lang),
        ),
    };
    let page = ScorecardPage {
        l: Layout::new(
            lang,
            format!("{heading} · {label} · {}", t.site_title),
            &path,
            tz,
            state.live.snapshot().network_cut_since,
        )
        .permalink(state.config.public_url.as_deref(), &path)
        .describe(preview),
        heading,
        intro,
        no_data,
        label,
        so_far: !card.complete,
        minutes: card.minutes,
        has_data: card.has_data,
        prev: (month.prev().first().year() >= 1970).then(|| format!("/scorecard/{}", month.prev())),
        next: (month.last() < current).then(|| format!("/scorecard/{}", month.next())),
        is_month,
        chart_caption,
        shared: card
            .shared
            .iter()
            .map(|f| {
                let banks: Vec<String> = f
                    .banks
                    .iter()
                    .map(|slug| {
                        state
                            .config
                            .bank(slug)
                            .map_or_else(|| slug.clone(), |b| b.names.get(lang).to_owned())
                    })
                    .collect();
                Msg::new("shared-item")
                    .arg("at", local_time(f.started_at, tz, lang))
                    .arg("channel", channel_name(f.channel, lang))
                    .arg("banks", crate::i18n::list(&banks, lang))
                    .text(lang)
            })
            .collect(),
        shared_method: Msg::new("shared-method")
            .arg("banks", SHARED_BANKS)
            .arg("minutes", shared_within(&state.config.banks) / 60_000)
            .text(lang),
        csv: format!("{path}?format=csv&lang={}", lang.as_str()),
        json: format!("{path}?format=json"),
        banks,
        word_method: word::method().iter().map(|m| m.text(lang)).collect(),
        checkpoint: card.checkpoint.as_ref().map(|c| {
            Msg::new("log-scorecard")
                .with("at", Arg::Time(c.signed_at, tz))
                .arg("size", c.size)
                .arg("root", &c.root)
                .text(lang)
        }),
        compare_head: figures::CompareHead::new(lang),
        month_head: figures::MonthHead::new(lang),
    };
    Ok(page.render()?)
}

/// One row per bank and channel with a header row, written by [`super::csv`].
fn csv(card: &Scorecard, lang: Lang) -> String {
    const HEADER: [&str; 17] = [
        "month",
        "rank",
        "bank",
        "bank_name",
        "channel",
        "minutes_in_month",
        "monitored_minutes",
        "available_minutes",
        "availability_percent",
        "announced_minutes",
        "unannounced_minutes",
        "overrun_minutes",
        "incidents",
        "maintenance_windows",
        "median_recovery_minutes",
        "worst_recovery_minutes",
        "complete",
    ];
    // The checkpoint columns come last: they name where the row's figures come from.
    const LOG: [&str; 2] = ["log_tree_size", "log_root_hash"];
    // To the second, so a year's rows add up to its months' exactly; and the period's kind.
    const SECONDS: [&str; 4] = [
        "announced_seconds",
        "unannounced_seconds",
        "overrun_seconds",
        "period",
    ];
    let mut out = String::new();
    let header = HEADER
        .iter()
        .chain(word::CSV_HEADER.iter())
        .chain(LOG.iter())
        .chain(SECONDS.iter())
        .chain(figures::CSV_HEADER.iter());
    push_record(&mut out, header.map(|h| (*h).to_owned()));
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    // Every row names the checkpoint its outage and maintenance figures come from.
    let (tree_size, root) = card
        .checkpoint
        .as_ref()
        .map(|c| (c.size.to_string(), c.root.clone()))
        .unwrap_or_default();
    for b in &card.banks {
        for c in &b.channels {
            let o = &c.outages;
            push_record(
                &mut out,
                [
                    card.month.clone(),
                    b.rank.to_string(),
                    b.slug.clone(),
                    b.name.get(lang).to_owned(),
                    c.channel.as_str().to_owned(),
                    card.minutes.to_string(),
                    c.monitored_minutes.to_string(),
                    c.available_minutes.to_string(),
                    c.availability_percent
                        .map(|a| format!("{a:.2}"))
                        .unwrap_or_default(),
                    o.announced_minutes.to_string(),
                    o.unannounced_minutes.to_string(),
                    o.overrun_minutes.to_string(),
                    o.incidents.to_string(),
                    o.maintenance_windows.to_string(),
                    opt(o.median_recovery_minutes),
                    opt(o.worst_recovery_minutes),
                    card.complete.to_string(),
                ]
                .into_iter()
                .chain(b.word.csv_fields())
                .chain([tree_size.clone(), root.clone()])
                .chain([
                    o.announced_seconds.to_string(),
                    o.unannounced_seconds.to_string(),
                    o.overrun_seconds.to_string(),
                    card.period.to_owned(),
                ])
                .chain(figures::csv_fields(b, c)),
            );
        }
    }
    out
}

/// A whole number with thousands grouped as each language writes them: 40,380 · 40 380.
fn group(n: i64, lang: Lang) -> String {
    let sep = match lang {
        Lang::En => ",",
        Lang::Fr => "\u{202f}",
        Lang::Ar => "٬",
    };
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}
