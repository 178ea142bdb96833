//! Probes: one HTTP check ([`check`]) and the scheduler that runs every probe on its own
//! interval under one concurrency cap ([`scheduler`]). An answer is read for a refusal by the
//! bank's protection ([`blocked`]) and for a maintenance page ([`maintenance`], on the
//! normalised text of [`normalise`], against the usual page of [`page`]).

pub mod blocked;
pub mod cert;
pub mod check;
pub mod maintenance;
pub mod normalise;
pub mod page;
pub mod scheduler;

pub use check::{build_client, run_check};
pub use scheduler::spawn_probes;
