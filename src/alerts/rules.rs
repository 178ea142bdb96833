//! Who is told what, and when: pure rules of the timeline entry, the subscription and `now`.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{IncidentKind, IncidentState};
use crate::store::alerts::Subscription;
use crate::store::IncidentRow;

/// What a timeline entry means to a subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Opened,
    Updated,
    Resolved,
    /// A maintenance window was announced.
    Announced,
    WindowStarted,
    WindowEnded,
    /// The operator withdrew it as a false alarm.
    Withdrawn,
    /// The bank said something about it: a statement was published.
    Statement,
}

impl Change {
    /// The word in webhook bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Opened => "opened",
            Change::Updated => "updated",
            Change::Resolved => "resolved",
            Change::Announced => "announced",
            Change::WindowStarted => "window_started",
            Change::WindowEnded => "window_ended",
            Change::Withdrawn => "withdrawn",
            Change::Statement => "statement",
        }
    }

    /// The catalogue id of its headline.
    pub fn msg_id(self) -> &'static str {
        match self {
            Change::Opened => "alert-opened",
            Change::Updated => "alert-updated",
            Change::Resolved => "alert-resolved",
            Change::Announced => "alert-announced",
            Change::WindowStarted => "alert-window-started",
            Change::WindowEnded => "alert-window-ended",
            Change::Withdrawn => "alert-withdrawn",
            Change::Statement => "alert-statement",
        }
    }

    /// Ends what a "tell me when it's fixed" subscription waits for.
    pub fn ends_incident(self) -> bool {
        matches!(
            self,
            Change::Resolved | Change::WindowEnded | Change::Withdrawn
        )
    }

    /// The event type webhooks receive.
    pub fn event_type(self) -> &'static str {
        match self {
            Change::Withdrawn => "incident.withdrawn",
            _ => "incident.updated",
        }
    }
}

/// The change an entry in `state` makes after an entry in `previous` (none: the first).
pub fn change(kind: IncidentKind, previous: Option<IncidentState>, state: IncidentState) -> Change {
    if kind == IncidentKind::Maintenance {
        return match state {
            IncidentState::InProgress => Change::WindowStarted,
            s if s.is_closed() => Change::WindowEnded,
            _ if previous.is_none() => Change::Announced,
            _ => Change::Updated,
        };
    }
    match (previous, state) {
        (_, IncidentState::Withdrawn) => Change::Withdrawn,
        (_, s) if s.is_closed() => Change::Resolved,
        (None, _) => Change::Opened,
        // A resolved outage that fails again is news, not a detail.
        (Some(p), _) if p.is_closed() => Change::Opened,
        _ => Change::Updated,
    }
}

/// An entry this much older than its fan-out was recorded after the fact (a past event from
/// the press, a restart's catch-up): it goes to the record, not to people's phones.
pub const STALE_AFTER: Duration = Duration::hours(1);

pub fn is_stale(entry_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - entry_at > STALE_AFTER
}

/// Whether `sub` covers the incident: its banks, channels and kinds (empty: all), or the
/// one incident it follows.
pub fn covers(sub: &Subscription, incident: &IncidentRow) -> bool {
    if let Some(id) = sub.incident_id {
        return id == incident.id;
    }
    if !sub.incident_kinds.is_empty() && !sub.incident_kinds.contains(&incident.kind) {
        return false;
    }
    incident.scopes.iter().any(|(bank, channel)| {
        (sub.banks.is_empty() || sub.banks.contains(bank))
            && (sub.channels.is_empty() || sub.channels.contains(channel))
    })
}

/// Emails of one incident: at most one this often to each subscriber, whatever changed.
pub const EMAIL_GAP: Duration = Duration::minutes(15);

/// When an email about `change` goes, given when this subscriber was last emailed about
/// the incident, or is due to be (`last`): at once, or at the end of the [`EMAIL_GAP`]
/// since that email, so a flapping channel sends one email a gap and a resolution within
/// it is held back, never lost (the held email carries the latest change: a later one in
/// the same gap takes its place, see [`email_held`]). What people said always goes at
/// once: a maintenance window's announcement, start and end, set by the operator hours
/// apart, and a statement of the bank.
pub fn email_due(change: Change, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    if matches!(
        change,
        Change::Announced | Change::WindowStarted | Change::WindowEnded | Change::Statement
    ) {
        return now;
    }
    match last {
        Some(due) if due > now => due,
        Some(sent) if now - sent < EMAIL_GAP => sent + EMAIL_GAP,
        _ => now,
    }
}

/// Whether an email due at `due` is held back by the gap: the incident's next held email
/// replaces it, so only the latest news goes when the gap ends.
pub fn email_held(due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    due > now
}

/// Retries stop after this long; the subscription is then quarantined.
pub const GIVE_UP_AFTER: Duration = Duration::days(3);
const LONGEST_RETRY: Duration = Duration::hours(6);

/// When to try again after `attempts` failures of a delivery created at `created`, or
/// `None` to give up. Exponential from `first` (30 s by default) to 6 h, spread by `jitter` (0..1, ±20 %) so
/// receivers that come back are not hit all at once; a receiver's `Retry-After` is honoured
/// when it asks for longer.
pub fn retry_at(
    created: DateTime<Utc>,
    attempts: u32,
    now: DateTime<Utc>,
    retry_after: Option<Duration>,
    jitter: f64,
    first: Duration,
) -> Option<DateTime<Utc>> {
    let exp = attempts.saturating_sub(1).min(20);
    let base = first
        .checked_mul(1 << exp)
        .unwrap_or(LONGEST_RETRY)
        .min(LONGEST_RETRY);
    let spread = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    let wait = Duration::milliseconds((base.num_milliseconds() as f64 * spread) as i64);
    let wait = retry_after.map_or(wait, |r| r.min(LONGEST_RETRY).max(wait));
    let due = now + wait;
    (due - created <= GIVE_UP_AFTER).then_some(due)
}

/// Whether a client that made subscriptions at `history` may make another at `now`, at
/// most `per_hour` an hour; forgets what is older and records this one when admitted.
pub fn admit(history: &mut Vec<DateTime<Utc>>, now: DateTime<Utc>, per_hour: u32) -> bool {
    history.retain(|t| now - *t < Duration::hours(1));
    if history.len() >= per_hour as usize {
        return false;
    }
    history.push(now);
    true
}

/// The id of the message an event owes a subscription: the same on every attempt.
pub fn event_delivery_id(event_id: i64, subscription: &str) -> String {
    format!("msg_{event_id}_{subscription}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::domain::{Channel, Lang};
    use crate::store::alerts::{SubState, Via};
    use IncidentState::*;

    const FIRST: Duration = Duration::seconds(30);

    fn start() -> DateTime<Utc> {
        "2026-02-13T16:00:00Z".parse().expect("time")
    }

    fn sub(banks: &[&str], channels: &[Channel], kinds: &[IncidentKind]) -> Subscription {
        Subscription {
            id: "s".into(),
            via: Via::Webhook,
            target: "https://example.org".into(),
            secret: None,
            manage_hash: String::new(),
            banks: banks.iter().map(|b| (*b).to_owned()).collect(),
            channels: channels.to_vec(),
            incident_kinds: kinds.to_vec(),
            incident_id: None,
            lang: Lang::Fr,
            base_url: String::new(),
            state: SubState::Active,
            created_at: DateTime::UNIX_EPOCH,
            expires_at: None,
            quarantined_at: None,
        }
    }

    fn incident(id: i64, kind: IncidentKind, scopes: &[(&str, Channel)]) -> IncidentRow {
        IncidentRow {
            id,
            kind,
            state: Investigating,
            title: Default::default(),
            started_at: DateTime::UNIX_EPOCH,
            resolved_at: None,
            updated_at: DateTime::UNIX_EPOCH,
            created_at: DateTime::UNIX_EPOCH,
            open_key: None,
            overrun_of: None,
            channel_key: None,
            reopens: 0,
            gaps: Vec::new(),
            scopes: scopes.iter().map(|(b, c)| ((*b).to_owned(), *c)).collect(),
            sources: Vec::new(),
            alerted: true,
        }
    }

    #[test]
    fn changes_follow_the_states() {
        use IncidentKind::*;
        assert_eq!(change(Outage, None, Investigating), Change::Opened);
        assert_eq!(
            change(Outage, Some(Investigating), Identified),
            Change::Updated
        );
        assert_eq!(change(Outage, Some(Monitoring), Resolved), Change::Resolved);
        assert_eq!(
            change(Outage, Some(Resolved), Investigating),
            Change::Opened
        );
        assert_eq!(change(Advisory, None, Investigating), Change::Opened);
        assert_eq!(change(Maintenance, None, Scheduled), Change::Announced);
        assert_eq!(
            change(Maintenance, Some(Scheduled), InProgress),
            Change::WindowStarted
        );
        assert_eq!(
            change(Maintenance, Some(InProgress), Completed),
            Change::WindowEnded
        );
        assert_eq!(
            change(Maintenance, Some(Scheduled), Scheduled),
            Change::Updated
        );
    }

    #[test]
    fn scope_empty_means_all() {
        let bmce_atm = incident(1, IncidentKind::Outage, &[("bmce", Channel::Atm)]);
        assert!(covers(&sub(&[], &[], &[]), &bmce_atm));
        assert!(covers(&sub(&["bmce"], &[Channel::Atm], &[]), &bmce_atm));
        assert!(!covers(&sub(&["cdm"], &[], &[]), &bmce_atm));
        assert!(!covers(&sub(&["bmce"], &[Channel::Web], &[]), &bmce_atm));
        assert!(!covers(
            &sub(&[], &[], &[IncidentKind::Maintenance]),
            &bmce_atm
        ));
        // Bank and channel must match in the same scope.
        let two = incident(
            2,
            IncidentKind::Outage,
            &[("bmce", Channel::Web), ("cdm", Channel::Atm)],
        );
        assert!(!covers(&sub(&["bmce"], &[Channel::Atm], &[]), &two));
    }

    #[test]
    fn a_followed_incident_is_all_that_counts() {
        let mut s = sub(&["cdm"], &[], &[IncidentKind::Maintenance]);
        s.incident_id = Some(7);
        assert!(covers(
            &s,
            &incident(7, IncidentKind::Outage, &[("bmce", Channel::Atm)])
        ));
        assert!(!covers(
            &s,
            &incident(8, IncidentKind::Maintenance, &[("cdm", Channel::Atm)])
        ));
    }

    #[test]
    fn one_email_per_incident_per_fifteen_minutes_whatever_changed() {
        let clock = ManualClock::at(start());
        let t0 = clock.now();
        assert_eq!(email_due(Change::Opened, None, t0), t0);
        // A flapping channel: resolved, reopened, resolved again within the gap. Each is
        // held to the gap's end; the subscriber's last email is then that slot.
        let slot = t0 + EMAIL_GAP;
        for change in [Change::Resolved, Change::Opened, Change::Updated] {
            clock.advance(Duration::seconds(3 * 60));
            assert_eq!(email_due(change, Some(t0), clock.now()), slot, "{change:?}");
            assert_eq!(
                email_due(change, Some(slot), clock.now()),
                slot,
                "{change:?}"
            );
            assert!(email_held(slot, clock.now()));
        }
        // The operator's windows and the bank's statements are never held back.
        for change in [
            Change::Statement,
            Change::WindowStarted,
            Change::WindowEnded,
            Change::Announced,
        ] {
            assert_eq!(email_due(change, Some(slot), clock.now()), clock.now());
        }
        clock.advance(Duration::seconds(5 * 60 + 59));
        assert_eq!(email_due(Change::Resolved, Some(t0), clock.now()), slot);
        clock.advance(Duration::seconds(1));
        assert_eq!(clock.now(), slot);
        assert!(!email_held(slot, clock.now()));
        assert_eq!(email_due(Change::Resolved, Some(t0), clock.now()), slot);
        // Once the held email went at the slot, the next change waits for the next gap.
        clock.advance(Duration::seconds(60));
        assert_eq!(
            email_due(Change::Opened, Some(slot), clock.now()),
            slot + EMAIL_GAP
        );
    }

    #[test]
    fn retries_back_off_then_give_up_after_three_days() {
        let clock = ManualClock::at(start());
        let created = clock.now();
        let first = retry_at(created, 1, created, None, 0.5, FIRST).expect("retry");
        assert_eq!(first - created, Duration::seconds(30));
        let fifth = retry_at(created, 5, created, None, 0.5, FIRST).expect("retry");
        assert_eq!(fifth - created, Duration::seconds(480));
        let low = retry_at(created, 5, created, None, 0.0, FIRST).expect("retry");
        let high = retry_at(created, 5, created, None, 1.0, FIRST).expect("retry");
        assert!(low < fifth && fifth < high);
        let capped = retry_at(created, 40, created, None, 0.5, FIRST).expect("retry");
        assert_eq!(capped - created, Duration::hours(6));
        let asked = retry_at(created, 1, created, Some(Duration::minutes(10)), 0.5, FIRST);
        assert_eq!(asked.map(|t| t - created), Some(Duration::minutes(10)));
        clock.advance(Duration::seconds(3 * 86_400 - 3600));
        assert_eq!(retry_at(created, 30, clock.now(), None, 0.5, FIRST), None);
    }

    #[test]
    fn subscriptions_per_hour_are_capped() {
        let clock = ManualClock::at(start());
        let mut seen = Vec::new();
        assert!(admit(&mut seen, clock.now(), 2));
        assert!(admit(&mut seen, clock.now(), 2));
        assert!(!admit(&mut seen, clock.now(), 2));
        clock.advance(Duration::minutes(61));
        assert!(admit(&mut seen, clock.now(), 2));
        assert_eq!(seen.len(), 1);
    }

    #[test]
    fn entries_recorded_long_after_are_not_sent() {
        let clock = ManualClock::at(start());
        let at = clock.now();
        clock.advance(Duration::seconds(59 * 60));
        assert!(!is_stale(at, clock.now()));
        clock.advance(Duration::seconds(2 * 60));
        assert!(is_stale(at, clock.now()));
    }
}
