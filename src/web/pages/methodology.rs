//! `/methodology`: the published rules, with their numbers as the service runs them (its
//! config and the constants the rules use), in the reader's language. Each area of the
//! service adds its section here.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{html, page_lang};
use crate::config::Config;
use crate::domain::Lang;
use crate::i18n::{text, Msg};
use crate::record::compare::SIGNIFICANT_MINUTES;
use crate::record::scorecard::shared_within;
use crate::record::shared::SHARED_BANKS;
use crate::signals::book::MAX_REPORTED_ONLY;
use crate::signals::surge::{GROWTH, GROWTH_SLACK, USUAL_WEEKS};
use crate::signals::weight::{
    BROWSERS_PER_ADDRESS, CHANNELS_PER_ADDRESS, CHANNELS_PER_NETWORK, MIN_NETWORKS, PER_NETWORK,
};
use crate::web::client::MIN_FORM_SECS;
use crate::web::error::{AppError, PageError};
use crate::web::views::{Layout, MethodSection, MethodologyPage};
use crate::web::AppState;

/// A section: its title and paragraphs, each a catalogue message with its numbers.
fn section(
    id: &'static str,
    title: &'static str,
    paragraphs: Vec<Msg>,
    lang: Lang,
) -> MethodSection {
    MethodSection {
        id,
        title: Msg::new(title).text(lang),
        paragraphs: paragraphs.iter().map(|m| m.text(lang)).collect(),
    }
}

/// The crowd's rules, with the numbers in force.
pub fn crowd_sections(config: &Config, lang: Lang) -> Vec<MethodSection> {
    let r = &config.reports;
    let minutes = r.window.as_secs() / 60;
    vec![
        section(
            "surges",
            "method-surge-title",
            vec![Msg::new("method-surge")
                .arg("minutes", minutes)
                .arg("floor", r.surge_floor)
                .arg("networks", MIN_NETWORKS)
                .arg("calm", r.surge_floor / 2)],
            lang,
        ),
        section(
            "networks",
            "method-networks-title",
            vec![
                Msg::new("method-networks")
                    .arg("browsers", BROWSERS_PER_ADDRESS)
                    .arg("per_network", PER_NETWORK)
                    .arg("seconds", MIN_FORM_SECS),
                Msg::new("method-channels")
                    .arg("per_address", CHANNELS_PER_ADDRESS)
                    .arg("per_network", CHANNELS_PER_NETWORK)
                    .arg("minutes", minutes)
                    .arg("per_hour", r.per_reporter_per_hour),
            ],
            lang,
        ),
        section(
            "usual",
            "method-usual-title",
            vec![Msg::new("method-usual")
                .arg("weeks", USUAL_WEEKS)
                .arg("growth", GROWTH)
                .arg("slack", GROWTH_SLACK)],
            lang,
        ),
        section(
            "evidence",
            "method-evidence-title",
            vec![
                Msg::new("method-works"),
                Msg::new("method-probes"),
                Msg::new("method-reported")
                    .arg("most", MAX_REPORTED_ONLY)
                    .arg("minutes", r.confirm_after.as_secs() / 60),
            ],
            lang,
        ),
        section(
            "confidence",
            "method-confidence-title",
            vec![Msg::new("method-confidence")],
            lang,
        ),
        section(
            "withdrawal",
            "method-withdrawal-title",
            vec![Msg::new("method-withdrawal")],
            lang,
        ),
        section(
            "privacy",
            "method-privacy-title",
            vec![Msg::new("method-privacy"), Msg::new("method-privacy-city")],
            lang,
        ),
    ]
}

/// `GET /methodology`.
pub async fn methodology(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (lang, set_cookie) = page_lang(&state, q.as_deref(), &headers)?;
    let title = Msg::new("methodology-title").text(lang);
    let page = MethodologyPage {
        l: Layout::new(
            lang,
            format!("{title} · {}", text(lang).site_title),
            "/methodology",
            state.config.timezone,
            state.live.snapshot().network_cut_since,
        ),
        title,
        sections: crowd_sections(&state.config, lang)
            .into_iter()
            .chain([
                section(
                    "figures",
                    "method-figures-title",
                    vec![
                        Msg::new("method-figures-time"),
                        Msg::new("method-figures-bank"),
                        Msg::new("method-figures-availability"),
                        Msg::new("method-figures-periods"),
                        Msg::new("shared-method")
                            .arg("banks", SHARED_BANKS)
                            .arg("minutes", shared_within(&state.config.banks) / 60_000),
                        Msg::new("method-figures-compare"),
                    ],
                    lang,
                ),
                section(
                    "compared",
                    "method-compared-title",
                    vec![
                        Msg::new("method-compared-sources"),
                        Msg::new("method-compared-significant").arg("minutes", SIGNIFICANT_MINUTES),
                        Msg::new("method-compared-hours"),
                        Msg::new("method-compared-availability"),
                        Msg::new("method-compared-announced"),
                        Msg::new("method-compared-recovery"),
                        Msg::new("method-compared-periods"),
                    ],
                    lang,
                ),
                section(
                    "bars",
                    "method-bars-title",
                    vec![
                        Msg::new("method-day-bars"),
                        Msg::new("method-availability-words"),
                    ],
                    lang,
                ),
                section(
                    "word",
                    "method-word-title",
                    crate::record::word::method(),
                    lang,
                ),
            ])
            .collect(),
    };
    let body = page.render().map_err(|e| AppError::from(e).page(lang))?;
    Ok(html(Bytes::from(body), lang, set_cookie))
}
