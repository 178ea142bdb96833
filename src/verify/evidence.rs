//! An evidence pack checked offline: its checkpoint's signature with the log's key, each
//! entry's inclusion proof into that checkpoint, and the incident's facts against its
//! entries; with a source at hand, its checkpoint proven a prefix of the current one.

use super::facts::{differences, SiteIncident};
use super::tree::{listed, Verified};
use super::Report;
use crate::domain::fact::{read_entry, Logged};
use crate::log::pack::EvidencePack;
use crate::tlog::note::open;
use crate::tlog::{leaf_hash, parse_hash};

pub fn check(pack: &EvidencePack, key: &str, current: Option<&Verified>, report: &mut Report) {
    let what = "evidence";
    let Some(log) = &pack.log else {
        return report.fail(
            what,
            "the pack holds no checkpoint: it was made before the log signed one",
        );
    };
    let checkpoint = match open(log.checkpoint.as_bytes(), key) {
        Ok(c) => c,
        Err(e) => return report.fail(what, format!("its checkpoint: {e}")),
    };
    if checkpoint.size != log.tree_size || Some(checkpoint.root) != parse_hash(&log.root) {
        return report.fail(
            what,
            "its tree size and root are not what its checkpoint signs",
        );
    }
    report.ok(
        what,
        format!(
            "its checkpoint of {} entries is signed by {}",
            checkpoint.size,
            key.split('+').next().unwrap_or_default()
        ),
    );
    let mut broken = Vec::new();
    let mut logged = Vec::new();
    for e in &log.entries {
        let proof: Option<Vec<_>> = e.proof.iter().map(|h| parse_hash(h)).collect();
        let holds = proof.is_some_and(|p| {
            tlog_tiles::check_record(
                &p,
                checkpoint.size,
                checkpoint.root,
                e.index,
                leaf_hash(e.entry.as_bytes()),
            )
            .is_ok()
        });
        if !holds {
            broken.push((
                format!("evidence entry {}", e.index),
                "its inclusion proof does not hold: the entry is not in the signed tree as it stands in the pack".to_owned(),
            ));
        }
        if let Ok(Logged::Incident(f)) = read_entry(e.entry.as_bytes()) {
            logged.push((e.index, *f));
        }
    }
    if broken.is_empty() {
        report.ok(
            what,
            format!(
                "its {} entries ({}) are proven in that checkpoint",
                log.entries.len(),
                log.entries
                    .iter()
                    .map(|e| e.index.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    } else {
        listed(report, &broken, "entries are not proven");
    }
    if !log.pending.is_empty() {
        report.note(
            what,
            format!(
                "{} of its entries were not yet in a checkpoint when it was made: fetch it again to have them proven",
                log.pending.len()
            ),
        );
    }
    let newest = logged
        .iter()
        .filter_map(|(_, f)| f.update)
        .max()
        .unwrap_or(0);
    match serde_json::from_value::<SiteIncident>(pack.incident.clone()) {
        Ok(site) => {
            let proven: Vec<_> = logged
                .into_iter()
                .filter(|(i, _)| log.entries.iter().any(|e| e.index == *i))
                .collect();
            let d = differences(&site, &proven, newest);
            if d.is_empty() {
                report.ok(
                    what,
                    format!("the facts of incident {} agree with its entries", site.id),
                );
            } else {
                listed(report, &d, "facts differ from the entries");
            }
        }
        Err(e) => report.fail(what, format!("its incident cannot be read: {e}")),
    }
    if let Some(tree) = current {
        match tree.extends(checkpoint.size, checkpoint.root) {
            Ok(()) => report.ok(
                what,
                format!(
                    "its checkpoint of {} entries is a prefix of the current one of {}",
                    checkpoint.size, tree.size
                ),
            ),
            Err(why) => report.fail(
                what,
                format!("its checkpoint of {} entries: {why}", checkpoint.size),
            ),
        }
    }
}
