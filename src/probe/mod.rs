//! Probes: one HTTP check ([`check`]) and the scheduler that runs every probe on its own
//! interval under one concurrency cap ([`scheduler`]).

pub mod cert;
pub mod check;
pub mod maintenance;
pub mod scheduler;

pub use check::{build_client, run_check};
pub use scheduler::spawn_probes;
