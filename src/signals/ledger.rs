//! The incident record as the core's effects reach it. [`Ledger`] is the little the engine
//! asks of it: open, join or reopen an incident under a bank and channel's key, add an
//! entry, and read back what a restart takes up. The store answers through [`StoreLedger`]
//! with the engine's own calls; the core's unit tests answer with a fake that applies each
//! effect in memory. [`story`] is what both must answer alike: the fake tells it in the
//! core's tests, the store on each backend in `tests/it/contract/`, so the fake the core's
//! rules are tested against cannot drift from the SQL.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::effects::{Effect, Entry};
use crate::domain::{Channel, IncidentKind, IncidentState, Names, OpenKey, Source};
use crate::i18n::Msg;
use crate::store::{
    from_ms, IncidentFilter, IncidentRow, IncidentStore, NewIncident, NewUpdate, Opened,
    StoreResult,
};

/// One timeline entry as the record keeps it: when, the state it moved to, its source.
pub type Line = (DateTime<Utc>, IncidentState, Source);

/// What the engine asks of the incident record.
#[async_trait]
pub trait Ledger: Send {
    /// Opens an incident, joins the one open under its key, or reopens `new.reopen`; as
    /// [`IncidentStore::open_incident`].
    async fn open(&mut self, new: &NewIncident) -> StoreResult<Opened>;

    /// Adds an entry and moves the incident to its state; as [`IncidentStore::add_update`].
    /// An error, writing nothing, for an incident the record does not hold.
    async fn add(&mut self, id: i64, update: &NewUpdate) -> StoreResult<()>;

    /// Every incident still open, newest first: see [`open_incidents`].
    async fn open_incidents(&mut self) -> StoreResult<Vec<IncidentRow>>;

    /// The automatic outages resolved lately: see [`resolved_since`].
    async fn resolved_since(&mut self, since: DateTime<Utc>) -> StoreResult<Vec<IncidentRow>>;

    /// One incident's timeline in order (by time, then as written); empty for an unknown id.
    async fn timeline(&mut self, id: i64) -> StoreResult<Vec<Line>>;
}

/// Every incident still open, newest first (by start, then id): what the engine takes back
/// at start and after a refused write.
pub async fn open_incidents<S>(store: &S) -> StoreResult<Vec<IncidentRow>>
where
    S: IncidentStore + ?Sized,
{
    store
        .incidents(&IncidentFilter {
            open_only: true,
            limit: 10_000,
            ..Default::default()
        })
        .await
}

/// The automatic outages (those with a bank and channel's key) resolved at or after `since`,
/// newest first: what the engine remembers, so that a channel failing again reopens its own.
pub async fn resolved_since<S>(store: &S, since: DateTime<Utc>) -> StoreResult<Vec<IncidentRow>>
where
    S: IncidentStore + ?Sized,
{
    let rows = store
        .incidents(&IncidentFilter {
            kind: Some(IncidentKind::Outage),
            since: Some(since),
            limit: 10_000,
            ..Default::default()
        })
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.resolved_at.is_some() && r.channel_key.is_some())
        .collect())
}

/// The store as a [`Ledger`], through the calls the engine makes.
pub struct StoreLedger<'a, S: ?Sized>(pub &'a S);

#[async_trait]
impl<S: IncidentStore + ?Sized> Ledger for StoreLedger<'_, S> {
    async fn open(&mut self, new: &NewIncident) -> StoreResult<Opened> {
        self.0.open_incident(new).await
    }

    async fn add(&mut self, id: i64, update: &NewUpdate) -> StoreResult<()> {
        self.0.add_update(id, update).await
    }

    async fn open_incidents(&mut self) -> StoreResult<Vec<IncidentRow>> {
        open_incidents(self.0).await
    }

    async fn resolved_since(&mut self, since: DateTime<Utc>) -> StoreResult<Vec<IncidentRow>> {
        resolved_since(self.0, since).await
    }

    async fn timeline(&mut self, id: i64) -> StoreResult<Vec<Line>> {
        Ok(self
            .0
            .incident(id)
            .await?
            .map(|(_, updates)| {
                updates
                    .into_iter()
                    .map(|u| (u.at, u.state, u.source))
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// An entry of the story.
fn entry(at: DateTime<Utc>, state: IncidentState, source: Source) -> Entry {
    Entry {
        at,
        state,
        source,
        message: vec![Msg::new(if state.is_closed() {
            "channel-back"
        } else {
            "probe-failing"
        })],
    }
}

/// An automatic opening as the core asks for it, written as the engine writes it.
fn opening(
    key: &OpenKey,
    started_at: DateTime<Utc>,
    first: Entry,
    overrun_of: Option<i64>,
    reopen: Option<i64>,
) -> NewIncident {
    let at = first.at;
    Effect::Open {
        key: key.clone(),
        title: Msg::new("outage-title"),
        started_at,
        overrun_of,
        entry: first,
        reopen,
    }
    .incident(at)
    .expect("an opening writes an incident")
}

/// An incident the operator opens, without a key.
fn declared(kind: IncidentKind, scopes: &[Channel], first: &Entry) -> NewIncident {
    NewIncident {
        kind,
        title: Names::new("عطل", "Panne", "Outage"),
        started_at: first.at,
        recorded_at: first.at,
        open_key: None,
        overrun_of: None,
        scopes: scopes.iter().map(|c| ("bmce".to_owned(), *c)).collect(),
        first_update: first.update(),
        later: Vec::new(),
        audit: None,
        reopen: None,
    }
}

fn ids(rows: &[IncidentRow]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

fn sources(row: &IncidentRow) -> Vec<(Source, DateTime<Utc>)> {
    row.sources
        .iter()
        .map(|s| (s.source, s.first_seen_at))
        .collect()
}

fn row(rows: Vec<IncidentRow>, id: i64) -> IncidentRow {
    rows.into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("incident {id} is not among the rows read back"))
}

/// The incidents story: open under a key, join it, add entries, resolve, reopen within the
/// span, one open incident per key, and what a restart reads back. Times carry
/// milliseconds, which the record keeps. Panics where the ledger answers otherwise than the
/// record must; returns the ledger's errors where it fails.
pub async fn story(ledger: &mut dyn Ledger) -> StoreResult<()> {
    use IncidentState::{Completed, Identified, Investigating, Monitoring, Resolved, Scheduled};
    use Source::{Operator, Probe, Reports};
    // 2026-03-02 09:00:00.123 UTC.
    let t0 = from_ms(1_772_442_000_123);
    let t = |s: i64| t0 + Duration::seconds(s);
    let web = OpenKey::new("bmce", Channel::Web);
    let mobile = OpenKey::new("bmce", Channel::Mobile);
    let atm = OpenKey::new("bmce", Channel::Atm);

    assert!(ledger.open_incidents().await?.is_empty(), "a fresh record");
    assert!(ledger.resolved_since(t(-3600)).await?.is_empty());
    assert!(ledger.timeline(1).await?.is_empty());

    // The probes open the web's outage; a surge of the same channel joins it.
    let first = opening(&web, t(1), entry(t(2), Investigating, Probe), None, None);
    let Opened::New(a) = ledger.open(&first).await? else {
        panic!("the first opening under a key is a new incident");
    };
    let surge = opening(&web, t(2), entry(t(3), Investigating, Reports), None, None);
    assert_eq!(
        ledger.open(&surge).await?,
        Opened::Existing(a),
        "one open incident per key: a second opening joins it"
    );
    let open = ledger.open_incidents().await?;
    assert_eq!(ids(&open), [a]);
    let r = row(open, a);
    assert_eq!(r.kind, IncidentKind::Outage);
    assert_eq!(r.state, Investigating);
    assert_eq!(
        r.started_at,
        t(1),
        "from the first failure, to the millisecond"
    );
    assert_eq!(r.created_at, t(2));
    assert_eq!(r.updated_at, t(3));
    assert_eq!(r.resolved_at, None);
    assert_eq!(r.open_key, Some(web.clone()));
    assert_eq!(r.channel_key, Some(web.clone()));
    assert_eq!((r.reopens, r.overrun_of), (0, None));
    assert_eq!(r.scopes, [("bmce".to_owned(), Channel::Web)]);
    assert_eq!(sources(&r), [(Probe, t(2)), (Reports, t(3))]);
    assert_eq!(
        ledger.timeline(a).await?,
        [(t(2), Investigating, Probe), (t(3), Investigating, Reports)]
    );

    // Another channel is its own incident. An entry written late with an earlier time
    // takes its place in the timeline; the incident takes the state written last, and
    // its last change stays the latest time.
    let reports = opening(
        &mobile,
        t(4),
        entry(t(4), Investigating, Reports),
        None,
        None,
    );
    let Opened::New(b) = ledger.open(&reports).await? else {
        panic!("another key opens another incident");
    };
    assert_ne!(a, b);
    let early = t(4) - Duration::milliseconds(500);
    ledger
        .add(b, &entry(early, Identified, Probe).update())
        .await?;
    let open = ledger.open_incidents().await?;
    assert_eq!(ids(&open), [b, a], "newest first");
    let r = row(open, b);
    assert_eq!((r.state, r.updated_at), (Identified, t(4)));
    assert_eq!(sources(&r), [(Probe, early), (Reports, t(4))]);
    assert_eq!(
        ledger.timeline(b).await?,
        [(early, Identified, Probe), (t(4), Investigating, Reports)]
    );

    // Resolved, the web's outage frees its key and is remembered for reopening.
    ledger
        .add(a, &entry(t(5), Identified, Probe).update())
        .await?;
    ledger
        .add(a, &entry(t(6), Resolved, Probe).update())
        .await?;
    assert_eq!(ids(&ledger.open_incidents().await?), [b]);
    let resolved = ledger.resolved_since(t(0)).await?;
    assert_eq!(ids(&resolved), [a]);
    let r = row(resolved, a);
    assert_eq!((r.state, r.resolved_at), (Resolved, Some(t(6))));
    assert_eq!(r.open_key, None, "a resolved incident frees its key");
    assert_eq!(r.channel_key, Some(web.clone()), "and keeps its channel");
    assert_eq!(
        ids(&ledger.resolved_since(t(6)).await?),
        [a],
        "at its resolution"
    );
    assert!(ledger
        .resolved_since(t(6) + Duration::milliseconds(1))
        .await?
        .is_empty());

    // Failing again within the span reopens it: the same incident, from its first start.
    let again = opening(&web, t(7), entry(t(8), Investigating, Probe), None, Some(a));
    assert_eq!(ledger.open(&again).await?, Opened::Existing(a));
    let open = ledger.open_incidents().await?;
    assert_eq!(ids(&open), [b, a]);
    let r = row(open, a);
    assert_eq!(
        (r.state, r.resolved_at, r.reopens),
        (Investigating, None, 1)
    );
    assert_eq!((r.started_at, r.updated_at), (t(1), t(8)));
    assert_eq!(r.open_key, Some(web.clone()));
    assert!(ledger.resolved_since(t(0)).await?.is_empty());
    assert_eq!(ledger.timeline(a).await?.len(), 5);

    // Without `reopen` a new one opens; then naming the resolved one joins the one open.
    ledger
        .add(a, &entry(t(9), Resolved, Probe).update())
        .await?;
    let fresh = opening(&web, t(10), entry(t(10), Investigating, Probe), None, None);
    let Opened::New(c) = ledger.open(&fresh).await? else {
        panic!("an opening that names nothing to reopen is a new incident");
    };
    let late = opening(
        &web,
        t(11),
        entry(t(11), Investigating, Reports),
        None,
        Some(a),
    );
    assert_eq!(ledger.open(&late).await?, Opened::Existing(c));
    ledger
        .add(c, &entry(t(11), Monitoring, Probe).update())
        .await?;
    assert_eq!(
        ledger.timeline(c).await?,
        [
            (t(10), Investigating, Probe),
            (t(11), Investigating, Reports),
            (t(11), Monitoring, Probe)
        ],
        "entries of one time stay in the order written"
    );
    let r = row(ledger.resolved_since(t(0)).await?, a);
    assert_eq!(
        (r.reopens, r.resolved_at),
        (1, Some(t(9))),
        "left as it was"
    );

    // A window's overrun names the window; naming an incident still open to reopen (the
    // mobile one) opens a new incident under the key.
    let window = entry(t(12), Scheduled, Operator);
    let Opened::New(m) = ledger
        .open(&declared(
            IncidentKind::Maintenance,
            &[Channel::Atm],
            &window,
        ))
        .await?
    else {
        panic!("a window is a new incident");
    };
    ledger
        .add(m, &entry(t(13), Completed, Operator).update())
        .await?;
    let overrun = opening(
        &atm,
        t(13),
        entry(t(14), Investigating, Probe),
        Some(m),
        Some(b),
    );
    let Opened::New(d) = ledger.open(&overrun).await? else {
        panic!("an incident still open is not reopened under another key");
    };
    let open = ledger.open_incidents().await?;
    assert_eq!(row(open.clone(), d).overrun_of, Some(m));
    let r = row(open, b);
    assert_eq!((r.open_key, r.reopens), (Some(mobile.clone()), 0));

    // The operator's outage has no key: open, it is read back like any; resolved, it is
    // not remembered for reopening, nor is a window.
    let outage = entry(t(15), Identified, Operator);
    let Opened::New(e) = ledger
        .open(&declared(
            IncidentKind::Outage,
            &[Channel::Web, Channel::Atm],
            &outage,
        ))
        .await?
    else {
        panic!("an incident without a key is always new");
    };
    let r = row(ledger.open_incidents().await?, e);
    assert_eq!((r.open_key, r.channel_key), (None, None));
    assert_eq!(
        r.scopes,
        [
            ("bmce".to_owned(), Channel::Atm),
            ("bmce".to_owned(), Channel::Web)
        ],
        "scopes by bank, then channel"
    );
    ledger
        .add(e, &entry(t(16), Resolved, Operator).update())
        .await?;
    assert_eq!(ids(&ledger.resolved_since(t(0)).await?), [a]);

    // An entry for an incident the record does not hold is refused.
    let unknown = [a, b, c, d, e, m].into_iter().max().unwrap_or(0) + 1000;
    assert!(ledger
        .add(unknown, &entry(t(17), Resolved, Probe).update())
        .await
        .is_err());
    assert!(ledger.timeline(unknown).await?.is_empty());

    // What a restart reads back: the open incidents under their keys, newest first, and
    // the outage resolved lately with its reopenings.
    let open = ledger.open_incidents().await?;
    let keys: Vec<_> = open.iter().map(|r| (r.id, r.open_key.clone())).collect();
    assert_eq!(keys, [(d, Some(atm)), (c, Some(web)), (b, Some(mobile))]);
    let resolved = ledger.resolved_since(t(0)).await?;
    assert_eq!(ids(&resolved), [a]);
    assert_eq!(ledger.timeline(a).await?.len(), 6);
    Ok(())
}
