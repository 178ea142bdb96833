//! Visible words in Arabic, French and English: Fluent catalogues under `locales/`, and
//! how times, durations and months are written.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use crate::domain::{Channel, ErrorClass, Lang, Names, SourceKind, Status};

mod catalogue;

pub use catalogue::{message, message_with};

/// The longest argument a message shows, in characters.
pub const MAX_ARG: usize = 200;

/// A sentence from the catalogue with its arguments, written in a language only when it is
/// shown, so one error reads in the language of whoever receives it, and what the tracker
/// writes on a timeline is written in all three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    id: &'static str,
    args: Vec<(&'static str, Arg)>,
}

/// An argument of a [`Msg`]: plain text, or a value each language writes its own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Channel(Channel),
    Status(Status),
    /// A text of its own in each language, e.g. a bank's name.
    Names(Names),
    /// The time from the first instant to the second, as a duration.
    Elapsed(DateTime<Utc>, DateTime<Utc>),
    /// An instant as a local time in the zone.
    Time(DateTime<Utc>, Tz),
    List(Vec<String>),
    /// How a check failed, in words: an HTTP status as such, every other class by its
    /// catalogue entry (the library's own English text never reaches a message).
    Failure(Option<ErrorClass>, String),
    /// A number with one decimal, written with the language's decimal sign.
    Decimal(OneDecimal),
}

/// A number kept to one decimal, in tenths, so that messages compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneDecimal(pub i64);

impl OneDecimal {
    pub fn of(x: f64) -> OneDecimal {
        OneDecimal((x * 10.0).round() as i64)
    }
}

/// `x` with one decimal as `lang` writes it: "1.5" in English, "1,5" in French and Arabic.
pub fn decimal(x: f64, lang: Lang) -> String {
    let OneDecimal(tenths) = OneDecimal::of(x);
    let sign = if tenths < 0 { "-" } else { "" };
    let sep = if lang == Lang::En { "." } else { "," };
    format!("{sign}{}{sep}{}", tenths.abs() / 10, tenths.abs() % 10)
}

impl Arg {
    fn text(&self, lang: Lang) -> String {
        match self {
            Arg::Text(s) => s.clone(),
            Arg::Channel(c) => channel_name(*c, lang).to_owned(),
            Arg::Status(s) => status_name(*s, lang).to_owned(),
            Arg::Names(n) => n.get(lang).to_owned(),
            Arg::Elapsed(from, to) => duration(*from, *to, lang),
            Arg::Time(t, tz) => local_time(*t, *tz, lang),
            Arg::List(items) => list(items, lang),
            Arg::Failure(class, detail) => failure_words(*class, detail, lang),
            Arg::Decimal(d) => decimal(d.0 as f64 / 10.0, lang),
        }
    }
}

impl Msg {
    pub fn new(id: &'static str) -> Msg {
        Msg {
            id,
            args: Vec::new(),
        }
    }

    /// The catalogue id.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// Adds an argument; one longer than [`MAX_ARG`] characters (a hostile path or query
    /// value echoed back) is cut there.
    pub fn arg(self, name: &'static str, value: impl std::fmt::Display) -> Msg {
        let mut value = value.to_string();
        if let Some((cut, _)) = value.char_indices().nth(MAX_ARG) {
            value.truncate(cut);
            value.push('…');
        }
        self.with(name, Arg::Text(value))
    }

    /// Adds an argument written in each language's own way.
    pub fn with(mut self, name: &'static str, value: Arg) -> Msg {
        self.args.push((name, value));
        self
    }

    /// The sentence in `lang`. A channel argument `$x` brings `$x-agree` with it, the
    /// channel's number and gender in that language ([`channel_agreement`]), for the
    /// sentence's selectors.
    pub fn text(&self, lang: Lang) -> String {
        let mut values: Vec<(String, String)> = self
            .args
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.text(lang)))
            .collect();
        for (k, v) in &self.args {
            if let Arg::Channel(c) = v {
                values.push((format!("{k}-agree"), channel_agreement(*c, lang).to_owned()));
            }
        }
        let args: Vec<(&str, &str)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        message_with(lang, self.id, &args)
    }
}

/// A time zone as people say it ("Morocco time"), or its tz id where the catalogue has
/// no name for it.
pub fn zone_name(tz: Tz, lang: Lang) -> String {
    let id = format!("zone-{}", tz.name().replace('/', "-"));
    catalogue::lookup(lang, &id).map_or_else(|| tz.name().to_owned(), str::to_owned)
}

/// The sentence that says which zone times are in: "All times are Morocco time.", or by its
/// tz id where the catalogue has no name for it.
pub fn times_line(tz: Tz, lang: Lang) -> String {
    let id = format!("zone-{}", tz.name().replace('/', "-"));
    match catalogue::lookup(lang, &id) {
        Some(zone) => Msg::new("times-in-zone").arg("zone", zone).text(lang),
        None => Msg::new("times-in-tz").arg("tz", tz.name()).text(lang),
    }
}

/// A failure class in the reader's language; `HTTP 503` stays as it is.
pub fn failure_words(class: Option<ErrorClass>, detail: &str, lang: Lang) -> String {
    match class {
        Some(ErrorClass::Status) if detail.starts_with("HTTP ") && detail.len() <= 12 => {
            detail.to_owned()
        }
        Some(ErrorClass::Tls) => message(lang, tls_words(detail)).to_owned(),
        Some(c) => message(lang, &format!("class-{}", c.as_str())).to_owned(),
        None => message(lang, "class-unknown").to_owned(),
    }
}

/// Which secure-connection failure `detail` tells of: a server speaking plain HTTP where
/// HTTPS was asked, a certificate refused, or another handshake failure.
fn tls_words(detail: &str) -> &'static str {
    let lower = detail.to_ascii_lowercase();
    if [
        "invalidcontenttype",
        "corrupt message",
        "wrong version number",
        "http request",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        "class-tls-plain"
    } else if lower.contains("certificate") || lower.contains("unknownissuer") {
        "class-tls"
    } else {
        "class-tls-handshake"
    }
}

/// Sentences written in every language, one after the other.
pub fn sentences(msgs: &[Msg]) -> Names {
    let [ar, fr, en] = Lang::ALL.map(|lang| {
        let text: Vec<String> = msgs.iter().map(|m| m.text(lang)).collect();
        Some(text.join(" "))
    });
    Names { ar, fr, en }
}

/// In English: logs and the fallback of the JSON API.
impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

macro_rules! texts {
    ($($field:ident),* $(,)?) => {
        /// Every fixed string a page shows, in one language, from the catalogue.
        pub struct Text {
            $(pub $field: &'static str,)*
        }

        impl Text {
            fn load(lang: Lang) -> Text {
                Text {
                    $($field: message(lang, stringify!($field)),)*
                }
            }
        }

        /// The catalogue ids that [`Text`] reads, for the completeness test.
        #[cfg(test)]
        const TEXT_IDS: &[&str] = &[$(stringify!($field)),*];
    };
}

texts! {
    lang_name,
    site_title,
    tagline,
    network_cut_title,
    network_cut_body,
    regions_title,
    regions_body,
    region_cut,
    region_checking,
    since,
    ongoing_incidents,
    no_ongoing_incidents,
    all_banks,
    channel,
    status,
    last_90_days,
    days_ago_90,
    today,
    response_time_24h,
    recent_incidents,
    no_incidents,
    started,
    resolved,
    ongoing,
    duration,
    timeline,
    affected,
    sources,
    website,
    last_check,
    not_checked_yet,
    availability,
    no_data,
    checks,
    home,
    not_found_title,
    not_found_body,
    bad_request_title,
    server_error_title,
    server_error_body,
    times_in,
    technical_detail,
    embed_title,
    posted,
    reports_heading,
    a11y_title,
    a11y_target_title,
    a11y_target,
    a11y_tests_title,
    a11y_tests,
    a11y_gaps_title,
    a11y_gaps,
    a11y_report_title,
    a11y_report,
    embed_help,
    reports_only_note,
    footer,
    language,
    ms,
    report_title,
    report_intro,
    report_bank,
    report_channel,
    report_comment,
    report_submit,
    report_choose_option,
    report_privacy,
    report_honeypot,
    report_thanks,
    report_repeat,
    report_expired,
    report_choose,
    report_too_many,
    report_back,
    report_another,
    maintenance_now,
    maintenance_upcoming,
    maintenance_title,
    window_from,
    window_to,
    announcement,
    overran,
    announced_end,
    overran_by,
    confidence,
    reports_24h,
    reports_recent,
    minutes,
    usual,
    usual_level,
    recorded_later,
    comments_title,
    subscribe,
    follow_alerts,
    tell_me_fixed,
    calendar,
    nav_history,
    nav_scorecard,
    history_intro,
    kind,
    month,
    all,
    show,
    older,
    newest,
    nothing_on_record,
    evidence,
    permalink,
    first_seen,
    first_failure,
    failing_checks,
    last_failure,
    raw_purged,
    reporters,
    first_reports,
    peak_reports,
    per,
    operator_words,
    closed_early,
    cancelled_before_start,
    as_data,
    recorded_on,
    scorecard_intro,
    so_far,
    rank,
    checked,
    announced_minutes,
    unannounced_minutes,
    overrun_minutes,
    incidents,
    maintenance_count,
    median_recovery,
    worst_recovery,
    all_channels,
    how_computed,
    method_outages,
    method_availability,
    month_minutes,
    no_data_month,
    download,
    chart_12_months,
    prev_month,
    next_month
}

pub fn text(lang: Lang) -> &'static Text {
    static TEXTS: OnceLock<[Text; 3]> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| Lang::ALL.map(Text::load));
    &texts[lang.index()]
}

pub fn channel_name(c: Channel, lang: Lang) -> &'static str {
    message(lang, &format!("channel-{}", c.as_str()))
}

/// How a sentence agrees with the channel's name in `lang`, as its catalogue says: "one"
/// or "many" in English, number and gender ("many-m") in French, gender in Arabic, where
/// a plural of things takes the feminine.
pub fn channel_agreement(c: Channel, lang: Lang) -> &'static str {
    message(lang, &format!("channel-{}-agree", c.as_str()))
}

/// Where a bank said something, in words: "Facebook", "SMS to customers".
pub fn source_kind_name(k: SourceKind, lang: Lang) -> &'static str {
    message(lang, &format!("source-kind-{}", k.as_str()))
}

pub fn status_name(s: Status, lang: Lang) -> &'static str {
    message(lang, &format!("status-{}", s.as_str()))
}

/// Words for incident states, kinds and sources as stored (`investigating`, `probe`...);
/// a word the catalogue does not know is shown as it is.
pub fn term(word: &str, lang: Lang) -> &str {
    catalogue::lookup(lang, &format!("term-{word}")).unwrap_or(word)
}

/// A short status icon, so status is never shown by colour alone.
pub fn status_icon(s: Status) -> &'static str {
    match s {
        Status::MajorOutage => "✕",
        Status::PartialOutage => "!",
        Status::Degraded => "~",
        Status::Maintenance => "⚙",
        Status::Operational => "✓",
        Status::Unknown => "?",
    }
}

/// Names joined as a list in `lang` (Arabic has its own comma).
pub fn list(items: &[impl AsRef<str>], lang: Lang) -> String {
    let sep = message(lang, "list-separator");
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(sep)
}

/// A month and year as each language writes them, e.g. `février 2026`; Arabic uses the
/// month names of Morocco.
pub fn month_name(year: i32, month: u32, lang: Lang) -> String {
    let name = message(lang, &format!("month-{}", month.clamp(1, 12)));
    message_with(
        lang,
        "month-year",
        &[("month", name), ("year", &year.to_string())],
    )
}

/// A local date and time as `lang` writes it, with Latin digits as in Morocco, e.g.
/// `13 févr. 2026 à 16:00`.
pub fn local_time(t: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let local = t.with_timezone(&tz);
    message_with(
        lang,
        "datetime",
        &[
            ("day", &local.day().to_string()),
            (
                "month",
                message(lang, &format!("month-short-{}", local.month())),
            ),
            ("year", &local.year().to_string()),
            ("time", &local.format("%H:%M").to_string()),
        ],
    )
}

/// A duration as people would cite it: seconds under an hour (`32 s`, `2 min 10 s`), then
/// hours and minutes (`2 h 15 min`). Never "0 min" for something that lasted.
pub fn duration(from: DateTime<Utc>, to: DateTime<Utc>, lang: Lang) -> String {
    duration_seconds((to - from).num_seconds(), lang)
}

/// A number of seconds; see [`duration`].
pub fn duration_seconds(seconds: i64, lang: Lang) -> String {
    let seconds = seconds.max(0);
    if seconds >= 3600 {
        return duration_minutes(seconds / 60, lang);
    }
    let (m, s) = (seconds / 60, seconds % 60);
    let mut parts = Vec::new();
    if m > 0 {
        parts.push(format!("{m} {}", message(lang, "unit-minute")));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s} {}", message(lang, "unit-second")));
    }
    parts.join(" ")
}

/// A number of minutes as days, hours and minutes, e.g. `1 d 3 h`.
pub fn duration_minutes(minutes: i64, lang: Lang) -> String {
    let minutes = minutes.max(0);
    let (d, h, m) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    let (day, hour, min) = (
        message(lang, "unit-day"),
        message(lang, "unit-hour"),
        message(lang, "unit-minute"),
    );
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} {day}"));
    }
    if h > 0 {
        parts.push(format!("{h} {hour}"));
    }
    if m > 0 || parts.is_empty() {
        parts.push(format!("{m} {min}"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// A sentence about `channel` as each language writes it.
    fn said(id: &'static str, channel: Channel, lang: Lang) -> String {
        Msg::new(id)
            .with("channel", Arg::Channel(channel))
            .with("late", Arg::Text("2 min".into()))
            .with("after", Arg::Text("1 min".into()))
            .with("end", Arg::Text("14:00".into()))
            .text(lang)
    }

    #[test]
    fn sentences_agree_with_each_channel_in_every_language() {
        let plural_en = [
            Channel::Atm,
            Channel::Cards,
            Channel::Transfers,
            Channel::Branches,
        ];
        for c in Channel::ALL {
            let many = plural_en.contains(&c);
            let name = channel_name(c, Lang::En);
            let (works, fails) = if many {
                ("work", "fail")
            } else {
                ("works", "fails")
            };
            for id in [
                "channel-back",
                "channel-back-overran",
                "channel-back-overran-briefly",
                "channel-back-reports-still",
                "channel-intermittent",
            ] {
                let en = said(id, c, Lang::En);
                assert!(en.starts_with(&format!("{name} {works} ")), "{en}");
            }
            for id in ["failing-again", "continues-as-overrun"] {
                let en = said(id, c, Lang::En);
                assert!(en.contains(&format!(" {fails} ")), "{en}");
            }
            // French: the verb after the quoted name agrees in number.
            let fr = said("channel-back", c, Lang::Fr);
            let verb = if channel_agreement(c, Lang::Fr).starts_with("many") {
                "fonctionnent"
            } else {
                "fonctionne "
            };
            assert!(fr.contains(&format!("» {verb}")), "{fr}");
            // Arabic: a verb before its subject takes its gender; a plural of things is
            // feminine.
            let ar = said("channel-back", c, Lang::Ar);
            let verb = match channel_agreement(c, Lang::Ar) {
                "f" => "عادت ",
                "m" => "عاد ",
                other => panic!("{c:?}: {other}"),
            };
            assert!(ar.starts_with(verb), "{ar}");
            for lang in Lang::ALL {
                for id in ["channel-back", "channel-intermittent", "failing-again"] {
                    let text = said(id, c, lang);
                    assert!(!text.contains('{') && !text.contains("agree"), "{text}");
                }
            }
        }
        assert_eq!(
            said("channel-back", Channel::Atm, Lang::En),
            "ATMs work normally again."
        );
        assert_eq!(
            said("channel-back", Channel::Mobile, Lang::Ar),
            "عاد تطبيق الهاتف إلى العمل بشكل عادي."
        );
        assert_eq!(
            said("channel-intermittent", Channel::Atm, Lang::Ar)
                .split(' ')
                .next(),
            Some("تعمل")
        );
    }

    #[test]
    fn a_secure_connection_failure_says_which() {
        let plain = "error sending request: received corrupt message of type InvalidContentType";
        assert!(
            failure_words(Some(ErrorClass::Tls), plain, Lang::En).contains("without encryption")
        );
        let cert = "invalid peer certificate: UnknownIssuer";
        assert!(failure_words(Some(ErrorClass::Tls), cert, Lang::En).contains("certificate"));
        let other = "handshake failure";
        let said = failure_words(Some(ErrorClass::Tls), other, Lang::Fr);
        assert!(!said.contains("certificat"), "{said}");
    }

    #[test]
    fn duration_across_the_ramadan_clock_change_counts_real_minutes() {
        let from = Utc
            .with_ymd_and_hms(2026, 2, 15, 0, 30, 0)
            .single()
            .expect("time");
        let to = Utc
            .with_ymd_and_hms(2026, 2, 15, 2, 45, 0)
            .single()
            .expect("time");
        assert_eq!(duration(from, to, Lang::Fr), "2 h 15 min");
        assert_eq!(duration(from, from, Lang::En), "0 s");
        let s = chrono::Duration::seconds;
        assert_eq!(duration(from, from + s(32), Lang::En), "32 s");
        assert_eq!(duration(from, from + s(130), Lang::Fr), "2 min 10 s");
        assert_eq!(duration(from, from + s(120), Lang::Ar), "2 د");
        let tz = chrono_tz::Africa::Casablanca;
        // 00:30 UTC is 01:30 before the switch; 02:45 UTC is 02:45 after it.
        assert_eq!(local_time(from, tz, Lang::En), "15 Feb 2026, 01:30");
        assert_eq!(local_time(to, tz, Lang::Fr), "15 févr. 2026 à 02:45");
        assert_eq!(local_time(to, tz, Lang::Ar), "15 فبراير 2026، 02:45");
        assert_eq!(list(&["الويب", "ATM"], Lang::Ar), "الويب، ATM");
        assert_eq!(list(&["Web", "ATM"], Lang::Fr), "Web, ATM");
    }
}
