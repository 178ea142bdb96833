//! What customers say of a channel, as shares: the top problems ("62 % no cash"), the
//! cities reports come from, and how many say it works for them. One function for the bank
//! page, the JSON API and an incident's evidence, so they show the same figures.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{Channel, Symptom};
use crate::store::ReportFacet;

/// Problems shown, at most.
pub const TOP_SYMPTOMS: usize = 3;
/// Cities named, at most; the rest are counted.
pub const TOP_CITIES: usize = 5;

/// One thing said and by how many: distinct reporters and their share, in whole percent of
/// those who said which (rounded to the nearest, so shares may not add to 100).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Share<T> {
    pub what: T,
    pub reporters: i64,
    pub percent: i64,
}

/// A channel's voices over a span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Voices {
    pub channel: Channel,
    /// Distinct reporters of a problem.
    pub reporters: i64,
    /// Distinct reporters it works for.
    pub works: i64,
    /// The most reported problems, most first, as shares of those who named one.
    #[schema(value_type = Vec<Object>)]
    pub symptoms: Vec<Share<Symptom>>,
    /// The cities most reported from (their slugs), as shares of those who named one.
    #[schema(value_type = Vec<Object>)]
    pub cities: Vec<Share<String>>,
    /// How many cities were named in all.
    pub city_count: usize,
}

/// Each channel's voices from a bank's facets, in channel order; channels nobody spoke of
/// are left out.
pub fn voices(facets: &[ReportFacet]) -> Vec<Voices> {
    let mut channels: BTreeMap<Channel, Vec<&ReportFacet>> = BTreeMap::new();
    for f in facets {
        channels.entry(f.channel).or_default().push(f);
    }
    channels
        .into_iter()
        .map(|(channel, facets)| {
            // The symptom rows cover every reporter once per symptom said: the problem rows
            // without a city are those.
            let problems = facets.iter().filter(|f| !f.works && f.city.is_none());
            let reporters = problems.clone().map(|f| f.reporters).sum();
            let works = facets
                .iter()
                .filter(|f| f.works && f.city.is_none())
                .map(|f| f.reporters)
                .sum();
            let symptoms = shares(
                problems.filter_map(|f| f.symptom.map(|s| (s, f.reporters))),
                TOP_SYMPTOMS,
            );
            let cities_named: Vec<(String, i64)> = facets
                .iter()
                .filter(|f| !f.works)
                .filter_map(|f| f.city.clone().map(|c| (c, f.reporters)))
                .collect();
            let city_count = cities_named.len();
            Voices {
                channel,
                reporters,
                works,
                symptoms,
                cities: shares(cities_named.into_iter(), TOP_CITIES),
                city_count,
            }
        })
        .collect()
}

/// The `top` largest, most first (ties by name), with their shares of the whole.
fn shares<T: Ord + Clone>(items: impl Iterator<Item = (T, i64)>, top: usize) -> Vec<Share<T>> {
    let mut summed: BTreeMap<T, i64> = BTreeMap::new();
    for (what, n) in items {
        *summed.entry(what).or_default() += n;
    }
    let total: i64 = summed.values().sum();
    let mut all: Vec<(T, i64)> = summed.into_iter().collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.into_iter()
        .take(top)
        .map(|(what, reporters)| Share {
            what,
            reporters,
            percent: if total == 0 {
                0
            } else {
                (reporters * 100 + total / 2) / total
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facet(symptom: Option<Symptom>, city: Option<&str>, works: bool, n: i64) -> ReportFacet {
        ReportFacet {
            channel: Channel::Atm,
            works,
            symptom,
            city: city.map(str::to_owned),
            reporters: n,
        }
    }

    #[test]
    fn problems_and_cities_as_shares() {
        let facets = [
            facet(Some(Symptom::NoCash), None, false, 5),
            facet(Some(Symptom::CardRetained), None, false, 2),
            facet(Some(Symptom::OutOfService), None, false, 1),
            facet(None, None, false, 4),
            facet(None, None, true, 3),
            facet(None, Some("casablanca"), false, 6),
            facet(None, Some("rabat"), false, 3),
            facet(None, Some("fes"), false, 1),
        ];
        let [v] = &voices(&facets)[..] else {
            panic!("one channel")
        };
        assert_eq!(v.reporters, 12);
        assert_eq!(v.works, 3);
        assert_eq!(
            v.symptoms
                .iter()
                .map(|s| (s.what, s.percent))
                .collect::<Vec<_>>(),
            [
                (Symptom::NoCash, 63),
                (Symptom::CardRetained, 25),
                (Symptom::OutOfService, 13)
            ]
        );
        assert_eq!(v.city_count, 3);
        assert_eq!(v.cities[0].what, "casablanca");
        assert_eq!(v.cities[0].percent, 60);
    }

    #[test]
    fn no_facets_no_voices() {
        assert!(voices(&[]).is_empty());
        let only_works = voices(&[facet(None, None, true, 2)]);
        assert_eq!(only_works[0].reporters, 0);
        assert!(only_works[0].symptoms.is_empty());
    }
}
