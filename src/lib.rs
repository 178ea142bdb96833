//! bankstatus: a public status page for banks. Probes watch the banks' public endpoints,
//! failures become incidents with timelines, and pages, feeds and a JSON API show them in
//! Arabic, French and English. SQLite is the embedded default.

pub mod agent;
pub mod alerts;
pub mod app;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod dns;
pub mod domain;
pub mod fdlimit;
pub mod i18n;
pub mod keys;
pub mod log;
pub mod metrics;
pub mod probe;
pub mod record;
pub mod signals;
pub mod store;
pub mod throttle;
pub mod timezone;
pub mod tlog;
pub mod verify;
pub mod web;
