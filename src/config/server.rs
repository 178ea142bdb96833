//! `[server]`: how long clients may hold a connection, and how many may.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::validator::{whole, Validator};

/// The shortest and longest any of the connection timeouts may be.
const TIMEOUTS: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(3600);

/// How long clients may hold a connection, and how many may: `[server]`.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// A client has this long to send a complete request head (nginx
    /// `client_header_timeout`).
    pub header_timeout: Duration,
    /// A request body must arrive whole within this, or it is answered 408 (nginx
    /// `client_body_timeout`).
    pub body_timeout: Duration,
    /// A connection quiet this long after its last answer is closed (nginx
    /// `keepalive_timeout`).
    pub keepalive_timeout: Duration,
    /// Open connections at most; past it, the connection idle the longest is closed (nginx
    /// `worker_connections`). Lowered at start to fit the open-file limit.
    pub max_connections: usize,
    /// Open connections from one address at most (nginx `limit_conn`); past it, that
    /// address's own stalled connection makes room, or the new one is refused. Generous,
    /// since many people may share one address behind a carrier's NAT.
    pub max_connections_per_address: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            header_timeout: Duration::from_secs(10),
            // Under the 9 s that shutdown waits for requests in flight.
            body_timeout: Duration::from_secs(5),
            keepalive_timeout: Duration::from_secs(5),
            max_connections: 4096,
            max_connections_per_address: 256,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    header_timeout: Option<Spanned<String>>,
    body_timeout: Option<Spanned<String>>,
    keepalive_timeout: Option<Spanned<String>>,
    max_connections: Option<Spanned<i64>>,
    max_connections_per_address: Option<Spanned<i64>>,
}

impl Validator<'_> {
    pub(super) fn server(&mut self, raw: Option<RawServer>) -> ServerConfig {
        let default = ServerConfig::default();
        let Some(raw) = raw else { return default };
        let keepalive_span = raw.keepalive_timeout.as_ref().map(Spanned::span);
        let header_timeout = self.duration_in(raw.header_timeout, default.header_timeout, TIMEOUTS);
        let body_timeout = self.duration_in(raw.body_timeout, default.body_timeout, TIMEOUTS);
        let keepalive_timeout =
            self.duration_in(raw.keepalive_timeout, default.keepalive_timeout, TIMEOUTS);
        // The head timer also runs while a connection waits for its next request, so a
        // longer keep-alive would be cut at the head timeout anyway: it is capped there,
        // with a warning when it was set longer.
        if let Some(span) = keepalive_span.filter(|_| keepalive_timeout > header_timeout) {
            self.warn(
                span,
                format!(
                    "keepalive_timeout ({}) is longer than header_timeout ({}): a connection waiting for its next request is closed at header_timeout; raise header_timeout to keep connections longer",
                    whole(keepalive_timeout),
                    whole(header_timeout)
                ),
            );
        }
        let keepalive_timeout = keepalive_timeout.min(header_timeout);
        ServerConfig {
            header_timeout,
            body_timeout,
            keepalive_timeout,
            max_connections: self
                .int_in(raw.max_connections, 1..=1_000_000, "max_connections")
                .map_or(default.max_connections, |n| n as usize),
            max_connections_per_address: self
                .int_in(
                    raw.max_connections_per_address,
                    1..=1_000_000,
                    "max_connections_per_address",
                )
                .map_or(default.max_connections_per_address, |n| n as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{errors, parse};

    #[test]
    fn server_limits_are_checked_together() {
        let ok = parse(
            "[server]\nheader_timeout = \"20s\"\nbody_timeout = \"30s\"\nkeepalive_timeout = \"15s\"\nmax_connections = 100\n",
            "t.toml",
        )
        .expect("valid");
        assert_eq!(ok.server.body_timeout, Duration::from_secs(30));
        assert_eq!(ok.server.keepalive_timeout, Duration::from_secs(15));
        // The keep-alive is capped at the head timeout; set longer by hand, with a warning
        // where it was set.
        let short = parse("[server]\nheader_timeout = \"2s\"\n", "t.toml").expect("valid");
        assert_eq!(short.server.keepalive_timeout, Duration::from_secs(2));
        assert!(short.warnings.is_empty());
        let long = parse(
            "[server]\nheader_timeout = \"2s\"\nkeepalive_timeout = \"3s\"\n",
            "t.toml",
        )
        .expect("valid, with a warning");
        assert_eq!(long.server.keepalive_timeout, Duration::from_secs(2));
        let warned: Vec<String> = long.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(
            warned[0].starts_with(
                "t.toml:3:21: warning: keepalive_timeout (3s) is longer than header_timeout (2s)"
            ),
            "{warned:?}"
        );
        let e = errors("[server]\nkeepalive_timeout = \"2h\"\nbody_timeout = \"0s\"\n");
        assert_eq!(e.len(), 2, "{e:?}");
    }
}
