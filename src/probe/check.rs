//! One HTTP check: timeout, capped body read, bounded redirects, error classes.

use std::error::Error as _;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::domain::{ErrorClass, Outcome, ProbeResult, ProbeSpec};

/// Redirects followed before a check fails with class `redirect`.
const MAX_REDIRECTS: usize = 5;

/// The one client every probe shares, so connections and TLS sessions are reused.
pub fn build_client() -> reqwest::Result<reqwest::Client> {
    build_client_for(None)
}

/// The client of an agent names its region to the sites it checks, so that their operators
/// can tell the vantage points apart.
pub fn build_client_for(region: Option<&str>) -> reqwest::Result<reqwest::Client> {
    let agent = match region {
        None => concat!(
            "bankstatus/",
            env!("CARGO_PKG_VERSION"),
            " (public status page)"
        )
        .to_owned(),
        Some(r) => format!(
            "bankstatus/{} (public status page; region {r})",
            env!("CARGO_PKG_VERSION")
        ),
    };
    reqwest::Client::builder()
        .user_agent(agent)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
}

/// Runs one check of `spec`. Never fails: a broken target is an [`Outcome::Down`].
#[tracing::instrument(skip_all, fields(probe = %spec.id))]
pub async fn run_check(
    client: &reqwest::Client,
    spec: &ProbeSpec,
    max_body_bytes: usize,
) -> ProbeResult {
    let at = Utc::now();
    let started = Instant::now();
    // The request timeout covers the body too, so a target that drips bytes ends on time;
    // the outer timeout is a second guard for anything the client does not bound.
    let attempt = tokio::time::timeout(
        spec.timeout + Duration::from_millis(50),
        attempt(client, spec, max_body_bytes),
    )
    .await;
    let latency = started.elapsed();
    let (http_status, outcome) = match attempt {
        Ok(r) => r,
        Err(_) => (
            None,
            Outcome::Down {
                class: ErrorClass::Timeout,
                detail: format!(
                    "no complete answer within {}",
                    humantime::format_duration(spec.timeout)
                ),
            },
        ),
    };
    let outcome = match outcome {
        Outcome::Up if spec.degraded_after.is_some_and(|d| latency > d) => Outcome::Degraded,
        other => other,
    };
    ProbeResult {
        probe_id: spec.id.clone(),
        target: spec.target.clone(),
        at,
        latency_ms: u32::try_from(latency.as_millis()).unwrap_or(u32::MAX),
        http_status,
        outcome,
        counted: true,
        region: None,
    }
}

async fn attempt(
    client: &reqwest::Client,
    spec: &ProbeSpec,
    max_body_bytes: usize,
) -> (Option<u16>, Outcome) {
    let method =
        reqwest::Method::from_bytes(spec.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let response = match client
        .request(method, &spec.url)
        .timeout(spec.timeout)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return (None, down_from(&e)),
    };
    let status = response.status().as_u16();
    if !spec.accepts_status(status) {
        return (
            Some(status),
            Outcome::Down {
                class: ErrorClass::Status,
                detail: format!("HTTP {status}"),
            },
        );
    }
    match read_capped(response, max_body_bytes, spec.body_contains.as_deref()).await {
        Ok(true) => (Some(status), Outcome::Up),
        Ok(false) => (
            Some(status),
            Outcome::Down {
                class: ErrorClass::Body,
                detail: format!(
                    "the first {max_body_bytes} bytes of the page do not contain the expected text"
                ),
            },
        ),
        Err(e) => (Some(status), down_from(&e)),
    }
}

/// Reads at most `cap` bytes of the body, then drops the connection. Returns whether
/// `needle` was found (always true without a needle).
async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
    needle: Option<&str>,
) -> reqwest::Result<bool> {
    let mut seen: Vec<u8> = Vec::new();
    let mut read = 0usize;
    while read < cap {
        let Some(chunk) = response.chunk().await? else {
            break;
        };
        let take = chunk.len().min(cap - read);
        read += take;
        if let Some(needle) = needle {
            seen.extend_from_slice(&chunk[..take]);
            if contains(&seen, needle.as_bytes()) {
                return Ok(true);
            }
        }
    }
    Ok(needle.is_none())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Puts a transport error into one of the classes of the public vocabulary.
fn down_from(e: &reqwest::Error) -> Outcome {
    let chain = error_chain(e);
    let lower = chain.to_ascii_lowercase();
    let class = if e.is_timeout() || lower.contains("timed out") {
        ErrorClass::Timeout
    } else if e.is_redirect() {
        ErrorClass::Redirect
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        ErrorClass::Dns
    } else if lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("invalidcontenttype")
        || lower.contains("corrupt message")
    {
        ErrorClass::Tls
    } else if e.is_connect() {
        ErrorClass::Connect
    } else if e.is_body() || e.is_decode() {
        ErrorClass::Body
    } else {
        ErrorClass::Connect
    };
    Outcome::Down {
        class,
        detail: chain,
    }
}

/// The error and its causes on one line, without the URL (the probe names it already).
fn error_chain(e: &reqwest::Error) -> String {
    let mut top = e.to_string();
    if let Some(url) = e.url() {
        top = top.replace(&format!(" for url ({url})"), "");
    }
    let mut parts = vec![top];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    let line = parts.join(": ");
    line[..line.floor_char_boundary(300)].to_owned()
}
