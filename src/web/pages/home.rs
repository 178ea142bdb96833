//! `/`: every bank with its status and channels, banks in trouble first; ongoing incidents
//! and maintenance.

use askama::Template;
use chrono::{DateTime, Utc};

use super::bank_namer;
use crate::domain::{IncidentKind, IncidentState, Lang, Status};
use crate::i18n::{channel_name, duration, local_time, message, text, Arg, Msg};
use crate::signals::live::ChannelNow;
use crate::signals::Snapshot;
use crate::store::{IncidentFilter, IncidentRow, WindowFilter, WindowRow};
use crate::web::error::AppError;
use crate::web::statements::panel::Said;
use crate::web::views::{
    BankCard, ChannelChip, HomePage, IncidentCard, Layout, RegionCard, StatusBadge, WindowCard,
};
use crate::web::AppState;

pub async fn render(state: &AppState, lang: Lang) -> Result<String, AppError> {
    let open = state
        .store
        .incidents(&IncidentFilter {
            open_only: true,
            limit: 100,
            ..Default::default()
        })
        .await?;
    let windows = state
        .store
        .windows(&WindowFilter {
            open_only: true,
            limit: 100,
            ..Default::default()
        })
        .await?;
    let said = Said {
        statements: Said::statements(state, None).await?,
        open: open.clone(),
    };
    let page = page(
        state,
        &state.live.snapshot(),
        (&open, &said),
        &windows,
        lang,
        state.clock.now(),
    );
    Ok(page.render()?)
}

fn page(
    state: &AppState,
    snapshot: &Snapshot,
    (open, said): (&[IncidentRow], &Said),
    windows: &[WindowRow],
    lang: Lang,
    now: DateTime<Utc>,
) -> HomePage {
    let tz = state.config.timezone;
    let namer = bank_namer(state, lang);
    let ongoing = open
        .iter()
        .filter(|r| r.kind != IncidentKind::Maintenance)
        .map(|r| IncidentCard::new(r, lang, tz, now, &namer))
        .collect();
    let (now_w, upcoming): (Vec<_>, Vec<_>) = windows
        .iter()
        .partition(|w| w.state == IncidentState::InProgress);
    let mut banks: Vec<(Status, BankCard)> = cards(state, snapshot, windows, said, None, lang, now);
    // Banks in trouble first (worst first); otherwise the config's order. Unknown and
    // operational rank alike: not knowing is no trouble to show first.
    banks.sort_by_key(|(status, _)| status.rank().min(Status::Operational.rank()));
    let trouble: Vec<String> = state
        .config
        .banks
        .iter()
        .filter_map(|b| {
            let now = snapshot.bank(&b.slug)?;
            now.status
                .is_outage()
                .then(|| super::preview(b.names.get(lang), Some(now), tz, lang))
        })
        .collect();
    let description = if trouble.is_empty() {
        Msg::new("preview-home-ok")
            .arg("count", state.config.banks.len())
            .text(lang)
    } else {
        trouble.join(" · ")
    };
    HomePage {
        l: Layout::new(
            lang,
            text(lang).site_title.to_owned(),
            "/",
            tz,
            snapshot.network_cut_since,
        )
        .describe(description)
        .picture(
            state.config.public_url.as_deref(),
            "/og.png",
            Status::worst(snapshot.banks.iter().map(|b| b.status)),
        ),
        ongoing,
        maintenance_now: now_w
            .into_iter()
            .map(|w| WindowCard::new(w, lang, tz, &namer))
            .collect(),
        maintenance_upcoming: upcoming
            .into_iter()
            .map(|w| WindowCard::new(w, lang, tz, &namer))
            .collect(),
        banks: banks.into_iter().map(|(_, card)| card).collect(),
        regions: snapshot
            .regions
            .iter()
            .map(|r| RegionCard {
                name: r.name.clone(),
                cut_since: r.cut_since.map(|t| local_time(t, tz, lang)),
            })
            .collect(),
    }
}

/// Each bank (or the one asked for) as a card: its status, each channel's with until when
/// (the bank's promise where it gave one), and for a bank in trouble since when and whether
/// it has spoken; `/` and the embed show them.
pub fn cards(
    state: &AppState,
    snapshot: &Snapshot,
    windows: &[WindowRow],
    said: &Said,
    only: Option<&str>,
    lang: Lang,
    now: DateTime<Utc>,
) -> Vec<(Status, BankCard)> {
    let tz = state.config.timezone;
    state
        .config
        .banks
        .iter()
        .filter(|b| only.is_none_or(|s| s == b.slug))
        .map(|b| {
            let bank_now = snapshot.bank(&b.slug);
            let status = bank_now.map_or(Status::Unknown, |n| n.status);
            let card = BankCard {
                slug: b.slug.clone(),
                name: b.names.get(lang).to_owned(),
                status: StatusBadge::new(status, lang),
                channels: bank_now
                    .map(|n| {
                        n.channels
                            .iter()
                            .map(|c| ChannelChip {
                                name: channel_name(c.channel, lang),
                                status: StatusBadge::new(c.status, lang),
                                crowd_note: c.crowd_note.map(|n| message(lang, n.msg_id())),
                                until: super::until_words(
                                    c,
                                    windows,
                                    said.promise(c.incident),
                                    tz,
                                    lang,
                                    now,
                                ),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                since: None,
                word: None,
            };
            let card = match said.card_lines(&b.slug, tz, lang, now) {
                Some((since, word)) => BankCard {
                    since: Some(since),
                    word: Some(word),
                    ..card
                },
                None => BankCard {
                    since: bank_now.and_then(|n| trouble_since(&n.channels, tz, lang, now)),
                    ..card
                },
            };
            (status, card)
        })
        .collect()
}

/// Since when a bank without an open outage (slow, or reported by its customers) has been in
/// trouble: from the earliest of its channels in trouble; `None` while none is.
fn trouble_since(
    channels: &[ChannelNow],
    tz: chrono_tz::Tz,
    lang: Lang,
    now: DateTime<Utc>,
) -> Option<String> {
    let since = channels
        .iter()
        .filter(|c| c.status.is_outage() || c.status == Status::Degraded)
        .filter_map(|c| c.since)
        .min()?;
    Some(
        Msg::new("card-trouble-since")
            .with("time", Arg::Time(since, tz))
            .arg("duration", duration(since, now, lang))
            .text(lang),
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::Channel;

    fn channel(channel: Channel, status: Status, since: DateTime<Utc>) -> ChannelNow {
        ChannelNow {
            status,
            since: Some(since),
            ..ChannelNow::unknown(channel)
        }
    }

    #[test]
    fn trouble_counts_from_the_earliest_channel_in_trouble() {
        let at = |h, m| Utc.with_ymd_and_hms(2026, 5, 4, h, m, 0).unwrap();
        let tz = chrono_tz::Africa::Casablanca;
        let now = at(12, 0);
        let channels = [
            channel(Channel::Web, Status::Operational, at(8, 0)),
            channel(Channel::Mobile, Status::Maintenance, at(9, 0)),
            channel(Channel::Atm, Status::PartialOutage, at(11, 15)),
            channel(Channel::Cards, Status::Degraded, at(10, 30)),
        ];
        let said = trouble_since(&channels, tz, Lang::En, now).unwrap();
        // Casablanca is UTC+1 outside Ramadan.
        assert!(said.contains("11:30"), "{said}");
        assert!(said.contains("1 h 30"), "{said}");
        assert_eq!(trouble_since(&channels[..2], tz, Lang::En, now), None);
    }
}
