//! How much a channel's reporters weigh: what a few addresses cannot buy. Reporters are
//! grouped by network (IPv4 /24, IPv6 /48) and by address; browsers behind one address
//! count as several people up to [`BROWSERS_PER_ADDRESS`], and a network weighs at most
//! [`PER_NETWORK`]. A surge also needs [`MIN_NETWORKS`] networks. Pure.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

/// The most one address counts for, however many browsers speak through it.
pub const BROWSERS_PER_ADDRESS: i64 = crate::store::admission::PER_ADDRESS as i64;
/// The most one network weighs, however many of its addresses report.
pub const PER_NETWORK: i64 = 4;
/// The fewest networks a surge comes from: one network alone, or two, never open anything.
pub const MIN_NETWORKS: i64 = 3;
/// The most bank channels one address counts towards within the surge window.
pub const CHANNELS_PER_ADDRESS: usize = 2;
/// The most bank channels one network counts towards within the surge window.
pub const CHANNELS_PER_NETWORK: usize = 4;

/// One reporter as the rules see it: the hashes of its network, address and unit (the
/// address, or the address and one browser).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Who {
    pub network: u64,
    pub address: u64,
    pub unit: u64,
}

impl Who {
    pub fn of(network: &str, address: &str, unit: &str) -> Who {
        Who {
            network: key_of(network),
            address: key_of(address),
            unit: key_of(unit),
        }
    }
}

/// What a channel's reporters weigh.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Weight {
    /// Reporters once capped per address and per network.
    pub reporters: i64,
    /// Distinct networks among them.
    pub networks: i64,
}

/// Weighs distinct reporters.
pub fn weigh<'a>(who: impl IntoIterator<Item = &'a Who>) -> Weight {
    let mut networks: BTreeMap<u64, BTreeMap<u64, BTreeSet<u64>>> = BTreeMap::new();
    for w in who {
        networks
            .entry(w.network)
            .or_default()
            .entry(w.address)
            .or_default()
            .insert(w.unit);
    }
    let reporters = networks
        .values()
        .map(|addresses| {
            let n: i64 = addresses
                .values()
                .map(|units| (units.len() as i64).min(BROWSERS_PER_ADDRESS))
                .sum();
            n.min(PER_NETWORK)
        })
        .sum();
    Weight {
        reporters,
        networks: networks.len() as i64,
    }
}

/// Which bank channels each address and each network may count towards: the first
/// [`CHANNELS_PER_ADDRESS`] an address reported in the window, and the first
/// [`CHANNELS_PER_NETWORK`] a network did, by the time of their first report there (ties by
/// channel). A few addresses then cannot put many channels in outage at once.
pub fn allowed<K: Ord + Clone>(
    first_reports: &[(K, Who, chrono::DateTime<chrono::Utc>)],
) -> BTreeSet<(K, u64)> {
    let mut by_address: HashMap<u64, BTreeMap<K, chrono::DateTime<chrono::Utc>>> = HashMap::new();
    let mut by_network: HashMap<u64, BTreeMap<K, chrono::DateTime<chrono::Utc>>> = HashMap::new();
    for (key, who, at) in first_reports {
        for (map, id) in [
            (&mut by_address, who.address),
            (&mut by_network, who.network),
        ] {
            let first = map.entry(id).or_default().entry(key.clone()).or_insert(*at);
            *first = (*first).min(*at);
        }
    }
    let firsts = |map: HashMap<u64, BTreeMap<K, chrono::DateTime<chrono::Utc>>>, n: usize| {
        map.into_iter().flat_map(move |(id, keys)| {
            let mut keys: Vec<(K, chrono::DateTime<chrono::Utc>)> = keys.into_iter().collect();
            keys.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            keys.into_iter().take(n).map(move |(k, _)| (k, id))
        })
    };
    let addresses: BTreeSet<(K, u64)> = firsts(by_address, CHANNELS_PER_ADDRESS).collect();
    let networks: BTreeSet<(K, u64)> = firsts(by_network, CHANNELS_PER_NETWORK).collect();
    first_reports
        .iter()
        .filter(|(k, who, _)| {
            addresses.contains(&(k.clone(), who.address))
                && networks.contains(&(k.clone(), who.network))
        })
        .map(|(k, who, _)| (k.clone(), who.unit))
        .collect()
}

/// The fixed-key SipHash of a keyed hash: the same in every run, and 64 bits make a clash
/// among a million reporters a one-in-ten-million chance.
pub fn key_of(hash: &str) -> u64 {
    let mut h = DefaultHasher::new();
    hash.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::*;

    fn who(network: u64, address: u64, unit: u64) -> Who {
        Who {
            network,
            address,
            unit,
        }
    }

    #[test]
    fn ten_addresses_of_one_network_weigh_as_one_network() {
        let w: Vec<Who> = (0..10).map(|a| who(1, a, a)).collect();
        assert_eq!(
            weigh(&w),
            Weight {
                reporters: PER_NETWORK,
                networks: 1
            }
        );
    }

    #[test]
    fn browsers_behind_one_address_count_up_to_the_cap() {
        let w: Vec<Who> = (0..20).map(|b| who(1, 1, b)).collect();
        let got = weigh(&w);
        assert!(got.reporters > 1 && got.reporters <= BROWSERS_PER_ADDRESS);
        assert_eq!(weigh(&[who(1, 1, 1), who(1, 1, 1)]).reporters, 1);
    }

    #[test]
    fn a_real_surge_from_many_networks_keeps_its_weight() {
        // 25 reporters over 8 networks, at most 4 in one.
        let w: Vec<Who> = (0..25).map(|i| who(i % 8, i, i)).collect();
        let got = weigh(&w);
        assert_eq!(got.networks, 8);
        assert_eq!(got.reporters, 25);
    }

    #[test]
    fn an_address_counts_towards_its_first_two_channels() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let a = who(1, 1, 1);
        let reports: Vec<(&str, Who, DateTime<Utc>)> = ["atm", "cards", "web", "branches"]
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, a, t0 + Duration::seconds(i as i64)))
            .collect();
        let got = allowed(&reports);
        assert_eq!(got, BTreeSet::from([("atm", 1), ("cards", 1)]));
    }

    #[test]
    fn a_network_counts_towards_its_first_four_channels() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        // Six addresses of one network, each on its own channel.
        let reports: Vec<(u32, Who, DateTime<Utc>)> = (0..6u32)
            .map(|i| {
                (
                    i,
                    who(9, u64::from(i), u64::from(i)),
                    t0 + Duration::seconds(i64::from(i)),
                )
            })
            .collect();
        let got = allowed(&reports);
        assert_eq!(got.len(), CHANNELS_PER_NETWORK);
        assert!(got.contains(&(0, 0)) && !got.contains(&(5, 5)));
    }
}
