//! From signals to statuses and incidents. The functional core ([`core`], built from the
//! [`tracker`], [`windows`], [`crowd`], [`book`] and [`fusion`] rules) decides; the
//! [`engine`] feeds it (what it reads from the record is in `inputs.rs`, reporters counted
//! with the [`tally`]), writes the [`effects`] it returns and publishes what pages read
//! ([`live`]). What the engine asks of the incident record, and the story the store and the
//! core's test ledger both answer, is [`ledger`].

pub mod book;
pub mod core;
pub mod crowd;
pub mod effects;
pub mod engine;
pub mod fusion;
mod inputs;
pub mod ledger;
pub mod live;
pub mod surge;
pub mod tally;
pub mod tracker;
pub mod windows;

pub use live::{Live, Snapshot};
