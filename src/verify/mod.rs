//! `bankstatus verify`: checks a running instance's log, or a copy saved in a directory,
//! with nothing but the log's public key: the checkpoint's signature, every tile and entry
//! against it, that an older checkpoint someone kept is a prefix of it, that the site's
//! facts are the log's, an evidence pack offline, and a month's scorecard recomputed from
//! the entries. One line per result: `ok`, `FAIL` or `note`, then what and why.
//!
//! Where each part lives: `source` reading a site or a directory; `tree` the tiles and
//! entries; `facts` the site's incidents against the entries; `month` the scorecard;
//! `evidence` a pack; this file the order of the checks and the report.

pub mod evidence;
pub mod facts;
pub mod month;
pub mod source;
pub mod tree;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::domain::fact::{read_entry, CorrectionFact, IncidentFact, Logged};
use crate::log::pack::EvidencePack;
use crate::record::replay::Replay;
use crate::record::Month;
use crate::tlog::hash_text;
use crate::tlog::note::{check_verifier_key, open, parse_unverified};
use source::Source;
use tree::{listed, Verified};

/// What the command line gives.
#[derive(Debug, Clone, Default)]
pub struct VerifyArgs {
    /// A URL or a directory.
    pub place: Option<String>,
    /// The verifier key, or a file holding it.
    pub key: Option<String>,
    /// A checkpoint saved earlier, to prove the current one extends it.
    pub since: Option<PathBuf>,
    pub evidence: Option<PathBuf>,
    /// `YYYY-MM`.
    pub month: Option<String>,
    /// Where to keep a copy of what is read from a site.
    pub save: Option<PathBuf>,
}

/// The results, one line each.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
    pub failed: bool,
}

impl Report {
    pub fn ok(&mut self, what: &str, detail: impl Into<String>) {
        self.lines.push(format!("ok   {what}: {}", detail.into()));
    }

    pub fn fail(&mut self, what: &str, detail: impl Into<String>) {
        self.failed = true;
        self.lines.push(format!("FAIL {what}: {}", detail.into()));
    }

    pub fn note(&mut self, what: &str, detail: impl Into<String>) {
        self.lines.push(format!("note {what}: {}", detail.into()));
    }
}

/// What the arguments ask, checked: `Err` with a sentence for bad input.
struct Asked {
    source: Option<Source>,
    key: Option<String>,
    since: Option<Vec<u8>>,
    evidence: Option<EvidencePack>,
    month: Option<Month>,
}

fn asked(args: VerifyArgs) -> Result<Asked, String> {
    if args.place.is_none() && args.evidence.is_none() {
        return Err("verify: give a URL or a directory, or --evidence FILE with --key".to_owned());
    }
    let source =
        match &args.place {
            Some(p) => Some(Source::open(p, args.save.clone()).ok_or_else(|| {
                format!("verify: `{p}` is neither an http(s) URL nor a directory")
            })?),
            None => None,
        };
    let key = match args.key {
        Some(k) => {
            let text = match std::fs::read_to_string(&k) {
                Ok(t) => t.trim().to_owned(),
                Err(_) => k.trim().to_owned(),
            };
            check_verifier_key(&text).map_err(|e| format!("verify: --key: {e}"))?;
            Some(text)
        }
        None => None,
    };
    if args.evidence.is_some() && key.is_none() && source.is_none() {
        return Err(
            "verify: --evidence needs --key (the log's key, as you saved it) to be checked offline"
                .to_owned(),
        );
    }
    let read = |p: &PathBuf, what: &str| {
        std::fs::read(p).map_err(|e| format!("verify: {what} {}: {e}", p.display()))
    };
    let since = args
        .since
        .as_ref()
        .map(|p| read(p, "--since"))
        .transpose()?;
    let evidence = match &args.evidence {
        Some(p) => Some(
            serde_json::from_slice::<EvidencePack>(&read(p, "--evidence")?).map_err(|e| {
                format!(
                    "verify: --evidence {}: not an evidence pack: {e}",
                    p.display()
                )
            })?,
        ),
        None => None,
    };
    let month = args
        .month
        .as_deref()
        .map(|m| Month::parse(m).map_err(|e| format!("verify: --month: {e}")))
        .transpose()?;
    if month.is_some() && source.is_none() {
        return Err("verify: --month needs a URL or a directory".to_owned());
    }
    Ok(Asked {
        source,
        key,
        since,
        evidence,
        month,
    })
}

/// Runs every check asked for; `Err` for bad input (exit 2).
pub async fn run(args: VerifyArgs) -> Result<Report, String> {
    let asked = asked(args)?;
    let mut report = Report::default();
    let mut key = asked.key.clone();
    let mut tree: Option<Verified> = None;
    if let Some(source) = &asked.source {
        if key.is_none() {
            key = site_key(source, &mut report).await;
        }
        if let Some(key) = &key {
            tree = current(source, key, &mut report).await;
            if let (Some(saved), Some(t)) = (&asked.since, &tree) {
                since(saved, key, t, &mut report);
            }
            if let Some(t) = &tree {
                let facts = grouped(t, &mut report);
                if source.is_site() {
                    if let Some((replay, facts, corrections)) = &facts {
                        check_site(source, replay, facts, corrections, &mut report).await;
                    }
                } else {
                    report.note(
                        "facts",
                        "a saved copy has no site to compare the facts with",
                    );
                }
                if let Some(month) = asked.month {
                    month::check(source, month, key, t, &mut report).await;
                }
            }
        }
    }
    if let Some(pack) = &asked.evidence {
        match &key {
            Some(key) => evidence::check(pack, key, tree.as_ref(), &mut report),
            None => report.fail("evidence", "no key to check its checkpoint with"),
        }
    }
    Ok(report)
}

/// The key the site publishes, when none was given.
async fn site_key(source: &Source, report: &mut Report) -> Option<String> {
    match source.get("log/key").await {
        Ok(Some(body)) => {
            let key = String::from_utf8_lossy(&body).trim().to_owned();
            match check_verifier_key(&key) {
                Ok(()) => {
                    report.note(
                        "key",
                        format!("{key} as the site publishes it: pass --key with a key you saved to check it is the same"),
                    );
                    Some(key)
                }
                Err(e) => {
                    report.fail("key", format!("the published key: {e}"));
                    None
                }
            }
        }
        Ok(None) => {
            report.fail("key", "the site publishes no key at log/key; pass --key");
            None
        }
        Err(e) => {
            report.fail("key", e.0);
            None
        }
    }
}

/// The current checkpoint, its signature, and its tree.
async fn current(source: &Source, key: &str, report: &mut Report) -> Option<Verified> {
    let note = match source.get("log/checkpoint").await {
        Ok(Some(n)) => n,
        Ok(None) => {
            report.fail("checkpoint", "none is published at log/checkpoint");
            return None;
        }
        Err(e) => {
            report.fail("checkpoint", e.0);
            return None;
        }
    };
    let checkpoint = match open(&note, key) {
        Ok(c) => c,
        Err(e) => {
            report.fail("checkpoint", e.to_string());
            return None;
        }
    };
    report.ok(
        "checkpoint",
        format!(
            "{}, {} entries, root {}, signed by {}",
            checkpoint.origin,
            checkpoint.size,
            hash_text(&checkpoint.root),
            key.splitn(3, '+').take(2).collect::<Vec<_>>().join("+")
        ),
    );
    tree::check(source, &checkpoint, report).await
}

/// An older checkpoint proven a prefix of the current tree.
fn since(saved: &[u8], key: &str, tree: &Verified, report: &mut Report) {
    let what = "consistency";
    let old = match open(saved, key) {
        Ok(c) => c,
        Err(e) => {
            let size = parse_unverified(saved).map(|c| c.size).ok();
            return report.fail(
                what,
                format!(
                    "the saved checkpoint{}: {e}",
                    size.map(|s| format!(" of {s} entries")).unwrap_or_default()
                ),
            );
        }
    };
    match tree.extends(old.size, old.root) {
        Ok(()) => report.ok(
            what,
            format!(
                "the saved checkpoint of {} entries is a prefix of the current one of {}: nothing before it was changed or removed",
                old.size, tree.size
            ),
        ),
        Err(why) => report.fail(
            what,
            format!("the saved checkpoint of {} entries: {why}", old.size),
        ),
    }
}

/// Every incident's entries, in log order.
type Facts = BTreeMap<i64, Vec<(u64, IncidentFact)>>;

/// Every incident's corrections, in log order.
type Corrections = BTreeMap<i64, Vec<(u64, CorrectionFact)>>;

/// The record rebuilt from the tree's entries, with each incident's entries and
/// corrections.
fn grouped(tree: &Verified, report: &mut Report) -> Option<(Replay, Facts, Corrections)> {
    let mut replay = Replay::default();
    let mut facts: Facts = BTreeMap::new();
    let mut corrections: Corrections = BTreeMap::new();
    for (i, e) in tree.entries.iter().enumerate() {
        if let Err(why) = replay.apply(i as u64, e) {
            report.fail("record", why.to_string());
            return None;
        }
        match read_entry(e) {
            Ok(Logged::Incident(f)) => facts.entry(f.incident).or_default().push((i as u64, *f)),
            Ok(Logged::Correction(f)) => corrections
                .entry(f.incident)
                .or_default()
                .push((i as u64, *f)),
            _ => {}
        }
    }
    Some((replay, facts, corrections))
}

/// The site's incidents against the log's: each incident in the log as the site serves it,
/// and no incident on the site the log does not hold.
async fn check_site(
    source: &Source,
    replay: &Replay,
    facts: &Facts,
    corrections: &Corrections,
    report: &mut Report,
) {
    let what = "facts";
    let newest_update = facts
        .values()
        .flatten()
        .filter_map(|(_, f)| f.update)
        .max()
        .unwrap_or(0);
    let newest_incident = facts.keys().max().copied().unwrap_or(0);
    let newest_correction = corrections
        .values()
        .flatten()
        .map(|(_, c)| c.correction)
        .max()
        .unwrap_or(0);
    let paths: Vec<String> = facts
        .keys()
        .map(|id| format!("api/v1/incidents/{id}"))
        .collect();
    let mut differ = Vec::new();
    let mut updates = 0;
    for ((id, logged), (_, got)) in facts.iter().zip(source.get_many(paths).await) {
        let entries = logged
            .iter()
            .map(|(i, _)| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        match got {
            Ok(Some(body)) => match serde_json::from_slice::<facts::SiteIncident>(&body) {
                Ok(site) => {
                    updates += site.updates.len();
                    differ.extend(facts::differences(&site, logged, newest_update));
                    let logged_corrections = corrections.get(id).map_or(&[][..], Vec::as_slice);
                    differ.extend(facts::correction_differences(
                        &site,
                        logged_corrections,
                        newest_correction,
                    ));
                }
                Err(e) => differ.push((
                    format!("incident {id}"),
                    format!("the site's answer cannot be read: {e}"),
                )),
            },
            Ok(None) => differ.push((
                format!("incident {id}"),
                format!("is in the log (entries {entries}) but the site does not have it"),
            )),
            Err(e) => differ.push((format!("incident {id}"), e.0)),
        }
    }
    let mut listed_ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("api/v1/incidents?limit=200&cursor={c}"),
            None => "api/v1/incidents?limit=200".to_owned(),
        };
        let page: serde_json::Value = match source.get(&path).await {
            Ok(Some(body)) => serde_json::from_slice(&body).unwrap_or_default(),
            Ok(None) => break,
            Err(e) => {
                differ.push(("incident list".to_owned(), e.0));
                break;
            }
        };
        listed_ids.extend(
            page["incidents"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["id"].as_i64()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut newer = 0;
    for id in listed_ids {
        if facts.contains_key(&id) {
            continue;
        }
        if id > newest_incident {
            newer += 1;
        } else {
            differ.push((
                format!("incident {id}"),
                "is on the site but not in the log".to_owned(),
            ));
        }
    }
    if differ.is_empty() {
        report.ok(
            what,
            format!(
                "the site's {} incidents and {updates} updates agree with the log's {} entries",
                facts.len(),
                replay.size()
            ),
        );
    } else {
        listed(report, &differ, "facts differ");
    }
    if newer > 0 {
        report.note(
            what,
            format!("{newer} incidents are newer than the checkpoint: not compared"),
        );
    }
}
