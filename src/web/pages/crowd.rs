//! What customers say of a channel, in sentences for its bank page: over the surge window
//! now (weighed, from how many networks, against the usual level), and over the last day
//! the top problems, the cities and those it works for. The figures come from
//! [`crate::record::voices`] and the live count, as the JSON API gives them.

use crate::config::Config;
use crate::domain::Lang;
use crate::i18n::{decimal, message, Msg};
use crate::record::voices::Voices;
use crate::signals::live::ChannelNow;
use crate::web::views::CrowdRow;

/// A list as the language writes it: "a, b, c" (Arabic with its own comma).
fn joined(items: Vec<String>, lang: Lang) -> String {
    items.join(if lang == Lang::Ar { "، " } else { ", " })
}

/// The channel's crowd row, or `None` when nobody reported anything.
pub fn crowd_row(
    config: &Config,
    now: Option<&ChannelNow>,
    voices: Option<&Voices>,
    lang: Lang,
) -> Option<CrowdRow> {
    let minutes = config.reports.window.as_secs() / 60;
    let live = now.filter(|c| c.reports > 0 || c.works > 0).map(|c| {
        Msg::new("crowd-now")
            .arg("count", c.reports)
            .arg("networks", c.networks)
            .arg("minutes", minutes)
            .arg("usual", decimal(c.baseline, lang))
            .text(lang)
    });
    let problems = voices.filter(|v| !v.symptoms.is_empty()).map(|v| {
        let list = v
            .symptoms
            .iter()
            .map(|s| {
                Msg::new("crowd-share")
                    .arg("percent", s.percent)
                    .arg(
                        "what",
                        message(lang, &format!("symptom-{}", s.what.as_str())),
                    )
                    .text(lang)
            })
            .collect();
        Msg::new("crowd-problems")
            .arg("list", joined(list, lang))
            .text(lang)
    });
    let cities = voices.filter(|v| !v.cities.is_empty()).map(|v| {
        let list = v
            .cities
            .iter()
            .map(|c| {
                let name = config
                    .city(&c.what)
                    .map_or(c.what.as_str(), |city| city.names.get(lang));
                Msg::new("crowd-city-share")
                    .arg("city", name)
                    .arg("percent", c.percent)
                    .text(lang)
            })
            .collect();
        Msg::new("crowd-cities")
            .arg("count", v.city_count)
            .arg("list", joined(list, lang))
            .text(lang)
    });
    let works = voices
        .filter(|v| v.works > 0)
        .map(|v| Msg::new("crowd-works").arg("count", v.works).text(lang));
    (live.is_some() || problems.is_some() || cities.is_some() || works.is_some()).then_some(
        CrowdRow {
            now: live,
            problems,
            cities,
            works,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_writes_a_decimal_comma() {
        assert_eq!(decimal(1.5, Lang::Fr), "1,5");
        assert_eq!(decimal(1.5, Lang::En), "1.5");
        assert_eq!(decimal(0.04, Lang::Fr), "0,0");
        assert_eq!(decimal(-2.25, Lang::En), "-2.3");
        assert_eq!(joined(vec!["a".into(), "b".into()], Lang::Ar), "a، b");
    }
}
