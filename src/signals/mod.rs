//! From probe results to statuses and incidents: the pure rules ([`tracker`]), the task
//! that applies them and records incidents ([`engine`]), and what pages read ([`live`]).

pub mod engine;
pub mod live;
pub mod maintenance;
pub mod surge;
pub mod tracker;

pub use live::{Live, Snapshot};
