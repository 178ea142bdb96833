//! A bank's status in the shape banks could publish themselves: the Consumer Data Standards
//! (Australia) Common API's `/discovery/status` and `/discovery/outages`, under
//! `/banks/{slug}/`. Field names, types and words are the standard's; what they say is
//! this tracker's: an unannounced outage on some probed channels is `PARTIAL_FAILURE`, on
//! all of them `UNAVAILABLE`, an announced window in force `SCHEDULED_OUTAGE`; the expected
//! resolution is the bank's own promise (or the window's announced end), and the outages
//! are the bank's announced windows still to come or in force.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::api::rfc3339;
use super::error::AppError;
use super::feeds::base_url;
use super::input::{known_bank, query_param};
use super::statements::panel::{plain_quote, Said};
use super::AppState;
use crate::domain::{Channel, Lang, Status};
use crate::i18n::Msg;
use crate::signals::live::BankNow;
use crate::store::{WindowFilter, WindowRow};

/// The standard's `status` words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CdrStatus {
    Ok,
    PartialFailure,
    ScheduledOutage,
    Unavailable,
}

impl CdrStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CdrStatus::Ok => "OK",
            CdrStatus::PartialFailure => "PARTIAL_FAILURE",
            CdrStatus::ScheduledOutage => "SCHEDULED_OUTAGE",
            CdrStatus::Unavailable => "UNAVAILABLE",
        }
    }
}

/// The bank's status in the standard's words: an unexpected failure before an announced
/// window, since it is the news; a channel not yet known is no failure.
pub fn status_of(bank: &BankNow, probed: &[Channel]) -> CdrStatus {
    let failing: Vec<Channel> = bank
        .channels
        .iter()
        .filter(|c| c.status.is_outage())
        .map(|c| c.channel)
        .collect();
    if !failing.is_empty() {
        if !probed.is_empty() && probed.iter().all(|c| failing.contains(c)) {
            return CdrStatus::Unavailable;
        }
        return CdrStatus::PartialFailure;
    }
    if bank
        .channels
        .iter()
        .any(|c| c.status == Status::Maintenance)
    {
        return CdrStatus::ScheduledOutage;
    }
    CdrStatus::Ok
}

/// An ISO 8601 duration without recurrence, e.g. `P2DT2H` for 50 hours, `PT90S`.
pub fn iso_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let mut out = String::from("P");
    if d > 0 {
        out.push_str(&format!("{d}D"));
    }
    if h > 0 || m > 0 || sec > 0 || d == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if sec > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{sec}S"));
        }
    }
    out
}

/// When full service is expected back after a failure: the latest of the bank's promises,
/// only when every failing channel has one and it is still ahead.
pub fn expected_back(
    promises: &[Option<DateTime<Utc>>],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let all: Vec<DateTime<Utc>> = promises.iter().copied().collect::<Option<Vec<_>>>()?;
    all.into_iter().max().filter(|t| *t > now)
}

/// What the standard asks the answer to say with `data`, and the link to this document.
fn document(data: Value, self_url: String) -> Response {
    let mut res = Json(json!({
        "data": data,
        "links": { "self": self_url },
        "meta": {},
    }))
    .into_response();
    let h = res.headers_mut();
    // The version of the end point, as the standard's response header says it.
    h.insert(
        header::HeaderName::from_static("x-v"),
        HeaderValue::from_static("1"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=5"),
    );
    res
}

/// The reader's language: `?lang=`, else the config's.
fn lang_of(state: &AppState, q: Option<&str>) -> Lang {
    query_param(q, "lang")
        .and_then(|l| l.parse().ok())
        .unwrap_or(state.config.default_language)
}

fn self_url(state: &AppState, headers: &HeaderMap, path: &str, q: Option<&str>) -> String {
    let base = base_url(state, headers);
    match q.filter(|q| !q.is_empty()) {
        Some(q) => format!("{base}{path}?{q}"),
        None => format!("{base}{path}"),
    }
}

/// `GET /banks/{slug}/discovery/status`.
#[utoipa::path(get, path = "/banks/{slug}/discovery/status", tag = "discovery", operation_id = "discovery_status",
    params(("slug" = String, Path, description = "The bank"),
           ("lang" = Option<String>, Query, description = "ar, fr or en: the explanation's language; default: the config's")),
    responses((status = 200, description = "The bank's status in the CDR Common API's shape (ResponseCommonDiscoveryStatus)"),
              (status = 404, description = "No such bank")))]
pub async fn status(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let bank = known_bank(&state.config, &slug)?;
    let tz = state.config.timezone;
    let lang = lang_of(&state, q.as_deref());
    let now = state.clock.now();
    let snapshot = state.live.snapshot();
    let empty = BankNow {
        slug: bank.slug.clone(),
        status: Status::Unknown,
        channels: Vec::new(),
    };
    let bank_now = snapshot.bank(&bank.slug).unwrap_or(&empty);
    let name = bank.names.get(lang);
    let status = status_of(bank_now, &bank.probed_channels());
    let update = bank_now
        .channels
        .iter()
        .filter_map(|c| c.since)
        .max()
        .unwrap_or(now);
    let mut data = json!({ "status": status.as_str(), "updateTime": rfc3339(update, tz) });
    match status {
        CdrStatus::Ok => {}
        CdrStatus::PartialFailure | CdrStatus::Unavailable => {
            let said = Said::load(&state, Some(&bank.slug)).await?;
            let failing: Vec<_> = bank_now
                .channels
                .iter()
                .filter(|c| c.status.is_outage())
                .collect();
            let mut explanation = super::pages::preview(name, Some(bank_now), tz, lang);
            if let Some(s) =
                crate::record::word::bank_word(&bank.slug, &said.open, &said.statements)
                    .and_then(|w| w.latest)
            {
                // The status in our words is one sentence, the bank's words another.
                explanation.push_str(". ");
                explanation.push_str(
                    &Msg::new("discovery-bank-says")
                        .arg("bank", name)
                        .with("words", crate::i18n::Arg::Text(plain_quote(s, lang)))
                        .text(lang),
                );
            }
            data["explanation"] = json!(explanation);
            // Detected when its incident's open span began (known from the press, it may be
            // long before the status changed here; a reopened one, at its reopening), else
            // when the status changed: the "since" of every page.
            let detected = failing
                .iter()
                .filter_map(|c| {
                    let incident = said.open.iter().find(|i| Some(i.id) == c.incident);
                    incident.map(|i| i.account().since()).or(c.since)
                })
                .min()
                .unwrap_or(now);
            data["detectionTime"] = json!(rfc3339(detected, tz));
            let promises: Vec<_> = failing.iter().map(|c| said.promise(c.incident)).collect();
            if let Some(back) = expected_back(&promises, now) {
                data["expectedResolutionTime"] = json!(rfc3339(back, tz));
            }
        }
        CdrStatus::ScheduledOutage => {
            let in_force: Vec<WindowRow> = windows(&state, &bank.slug)
                .await?
                .into_iter()
                .filter(|w| w.active_at(now))
                .collect();
            let titles: Vec<String> = in_force
                .iter()
                .map(|w| {
                    Msg::new("discovery-window")
                        .arg("title", w.title.get(lang))
                        .text(lang)
                })
                .collect();
            data["explanation"] = json!(if titles.is_empty() {
                super::pages::preview(name, Some(bank_now), tz, lang)
            } else {
                titles.join(" ")
            });
            if let Some(end) = in_force.iter().map(|w| w.ends).max() {
                data["expectedResolutionTime"] = json!(rfc3339(end, tz));
            }
        }
    }
    let path = format!("/banks/{}/discovery/status", bank.slug);
    Ok(document(
        data,
        self_url(&state, &headers, &path, q.as_deref()),
    ))
}

/// The bank's windows not yet over and not called off.
async fn windows(state: &AppState, bank: &str) -> Result<Vec<WindowRow>, AppError> {
    let now = state.clock.now();
    Ok(state
        .store
        .windows(&WindowFilter {
            bank: Some(bank.to_owned()),
            open_only: true,
            ended_after: Some(now),
            limit: 100,
            ..Default::default()
        })
        .await?
        .into_iter()
        .filter(|w| w.cancelled_at.is_none())
        .collect())
}

/// `GET /banks/{slug}/discovery/outages`.
#[utoipa::path(get, path = "/banks/{slug}/discovery/outages", tag = "discovery", operation_id = "discovery_outages",
    params(("slug" = String, Path, description = "The bank"),
           ("lang" = Option<String>, Query, description = "ar, fr or en: the explanations' language; default: the config's")),
    responses((status = 200, description = "The bank's announced windows still to come or in force, in the CDR Common API's shape (ResponseDiscoveryOutagesList)"),
              (status = 404, description = "No such bank")))]
pub async fn outages(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let bank = known_bank(&state.config, &slug)?;
    let tz = state.config.timezone;
    let lang = lang_of(&state, q.as_deref());
    let probed = bank.probed_channels();
    let list: Vec<Value> = windows(&state, &bank.slug)
        .await?
        .iter()
        .map(|w| outage(w, &probed, tz, lang))
        .collect();
    let path = format!("/banks/{}/discovery/outages", bank.slug);
    Ok(document(
        json!({ "outages": list }),
        self_url(&state, &headers, &path, q.as_deref()),
    ))
}

/// One announced window as a `DiscoveryOutage`: partial when it leaves some of the bank's
/// probed channels working.
fn outage(w: &WindowRow, probed: &[Channel], tz: Tz, lang: Lang) -> Value {
    json!({
        "outageTime": rfc3339(w.starts, tz),
        "duration": iso_duration((w.ends - w.starts).num_seconds()),
        "isPartial": probed.iter().any(|c| !w.channels.contains(c)),
        "explanation": w.title.get(lang),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::live::ChannelNow;

    fn channel(channel: Channel, status: Status) -> ChannelNow {
        ChannelNow {
            status,
            ..ChannelNow::unknown(channel)
        }
    }

    fn bank(channels: Vec<ChannelNow>) -> BankNow {
        BankNow {
            slug: "bmce".into(),
            status: Status::worst(channels.iter().map(|c| c.status)),
            channels,
        }
    }

    #[test]
    fn statuses_map_to_the_standards_words() {
        use Channel::{Atm, Mobile, Web};
        let probed = [Web, Mobile];
        let ok = bank(vec![
            channel(Web, Status::Operational),
            channel(Mobile, Status::Degraded),
        ]);
        assert_eq!(status_of(&ok, &probed), CdrStatus::Ok);
        let some = bank(vec![
            channel(Web, Status::MajorOutage),
            channel(Mobile, Status::Operational),
        ]);
        assert_eq!(status_of(&some, &probed), CdrStatus::PartialFailure);
        let reports = bank(vec![
            channel(Web, Status::Operational),
            channel(Mobile, Status::Operational),
            channel(Atm, Status::PartialOutage),
        ]);
        assert_eq!(status_of(&reports, &probed), CdrStatus::PartialFailure);
        let all = bank(vec![
            channel(Web, Status::MajorOutage),
            channel(Mobile, Status::PartialOutage),
        ]);
        assert_eq!(status_of(&all, &probed), CdrStatus::Unavailable);
        let window = bank(vec![
            channel(Web, Status::Maintenance),
            channel(Mobile, Status::Maintenance),
        ]);
        assert_eq!(status_of(&window, &probed), CdrStatus::ScheduledOutage);
        let both = bank(vec![
            channel(Web, Status::Maintenance),
            channel(Mobile, Status::MajorOutage),
        ]);
        assert_eq!(status_of(&both, &probed), CdrStatus::PartialFailure);
        let unknown = bank(vec![channel(Web, Status::Unknown)]);
        assert_eq!(status_of(&unknown, &probed), CdrStatus::Ok);
    }

    #[test]
    fn durations_are_iso_8601() {
        assert_eq!(iso_duration(50 * 3600), "P2DT2H");
        assert_eq!(iso_duration(60), "PT1M");
        assert_eq!(iso_duration(90), "PT1M30S");
        assert_eq!(iso_duration(0), "PT0S");
        assert_eq!(iso_duration(86_400), "P1D");
        assert_eq!(iso_duration(86_400 + 5), "P1DT5S");
    }

    #[test]
    fn the_expected_resolution_is_a_promise_every_failing_channel_has() {
        let now: DateTime<Utc> = "2026-02-10T15:00:00Z".parse().expect("time");
        let at = |h: i64| now + chrono::Duration::hours(h);
        assert_eq!(expected_back(&[Some(at(1)), Some(at(3))], now), Some(at(3)));
        assert_eq!(expected_back(&[Some(at(1)), None], now), None);
        assert_eq!(
            expected_back(&[Some(at(-1))], now),
            None,
            "a passed promise is no expectation"
        );
        assert_eq!(expected_back(&[], now), None);
    }
}
