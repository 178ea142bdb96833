//! The one integration test binary: the real server on a random port, real SQLite files,
//! fake banks on 127.0.0.1.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod agents;
mod agree;
mod alerts;
mod browser;
mod cli;
mod cluster;
mod contract;
mod controls;
mod crowd;
mod desk;
mod detect;
mod dns;
mod feeds;
mod figures;
mod freshness;
mod helpers;
mod history;
mod incidents;
mod injections;
mod languages;
mod limits;
mod log;
mod openapi;
mod operator;
mod pages;
mod probes;
mod record;
mod refusals;
mod reports;
mod scenarios;
mod shape;
mod sharing;
mod statements;
mod statuspage;
mod storage;
mod truth;
mod verify;
