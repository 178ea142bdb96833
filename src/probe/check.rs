//! One HTTP check: timeout, redirects by the probe's rules with every hop kept, capped body
//! read, the body checks and maintenance pages, the certificate, error classes.

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::blocked::{refusal, signature};
use super::cert;
use super::maintenance::{maintenance_target, Detector};
use super::page::{decode, Page, UsualPages};
use crate::config::DnsConfig;
use crate::dns::{full_deadline, Resolver};
use crate::domain::{CheckEvidence, ErrorClass, Hop, Outcome, ProbeResult, ProbeSpec, Redirects};

/// The one client every probe shares, so connections and TLS sessions are reused. It
/// follows no redirect itself: each check follows them by its probe's rules and keeps
/// every hop. `public_url` is the status page's address, named in the User-Agent; names
/// resolve through `dns`'s servers on a resolver no other part of the service uses.
pub fn build_client(
    public_url: Option<&str>,
    ca_pem: Option<&[u8]>,
    dns: &DnsConfig,
) -> anyhow::Result<reqwest::Client> {
    build_client_for(public_url, None, ca_pem, dns)
}

/// The User-Agent every check sends, the same on every check, so that a bank's team can
/// recognise bankstatus and let it through its bot protection: the service, its version
/// and the status page's address (`site`), and for an agent its region, so that their
/// operators can tell the vantage points apart.
pub fn user_agent(site: Option<&str>, region: Option<&str>) -> String {
    let mut about = match site {
        Some(url) => format!("+{url}; public status page"),
        None => "public status page".to_owned(),
    };
    if let Some(r) = region {
        about.push_str(&format!("; region {r}"));
    }
    format!("bankstatus/{} ({about})", env!("CARGO_PKG_VERSION"))
}

/// The client of the service (`region` none) or of an agent; `site` is the status page's
/// address, `ca_pem` an extra CA to trust, `dns` the name servers to ask.
pub fn build_client_for(
    site: Option<&str>,
    region: Option<&str>,
    ca_pem: Option<&[u8]>,
    dns: &DnsConfig,
) -> anyhow::Result<reqwest::Client> {
    let resolver = Resolver::new(dns, full_deadline(dns))?;
    let mut builder = reqwest::Client::builder()
        .dns_resolver(Arc::new(resolver))
        .user_agent(user_agent(site, region))
        .redirect(reqwest::redirect::Policy::none())
        .tls_info(true)
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(90));
    if let Some(pem) = ca_pem {
        for cert in reqwest::Certificate::from_pem_bundle(pem)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder.build()?)
}

/// What every check reads its answer with.
#[derive(Debug, Clone)]
pub struct Reading {
    /// Bodies are read up to this many bytes, then the connection is dropped.
    pub max_body_bytes: usize,
    pub detector: Arc<Detector>,
    /// Each probe's usual page, learned from its healthy checks.
    pub usual: Arc<UsualPages>,
}

impl Reading {
    /// Bodies read up to `max_body_bytes`; maintenance pages found by `phrases` (the shipped
    /// ones and the config's) and the shipped words.
    pub fn new(max_body_bytes: usize, phrases: &[String]) -> Reading {
        Reading {
            max_body_bytes,
            detector: Arc::new(Detector::new(phrases)),
            usual: Arc::new(UsualPages::default()),
        }
    }
}

/// Runs one check of `spec`, started `at`. Never fails: a broken target is an
/// [`Outcome::Down`].
#[tracing::instrument(skip_all, fields(probe = %spec.id))]
pub async fn run_check(
    client: &reqwest::Client,
    spec: &ProbeSpec,
    reading: &Reading,
    at: DateTime<Utc>,
) -> ProbeResult {
    let started = Instant::now();
    let mut evidence = CheckEvidence::default();
    // The request timeout covers the body too, so a target that drips bytes ends on time;
    // the outer timeout is a second guard for anything the client does not bound.
    let attempt = tokio::time::timeout(
        spec.timeout + Duration::from_millis(50),
        attempt(client, spec, reading, at, &mut evidence),
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
        evidence,
        covers_ms: u64::try_from(spec.interval.as_millis()).unwrap_or(u64::MAX),
    }
}

fn down(class: ErrorClass, detail: impl Into<String>) -> Outcome {
    Outcome::Down {
        class,
        detail: detail.into(),
    }
}

/// The request, its redirects by the probe's rules, then the answer judged.
async fn attempt(
    client: &reqwest::Client,
    spec: &ProbeSpec,
    reading: &Reading,
    at: DateTime<Utc>,
    evidence: &mut CheckEvidence,
) -> (Option<u16>, Outcome) {
    let expect = &spec.expect;
    let Ok(mut url) = reqwest::Url::parse(&spec.url) else {
        return (
            None,
            down(ErrorClass::Connect, "the probe's URL cannot be read"),
        );
    };
    let mut method =
        reqwest::Method::from_bytes(spec.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut followed = 0u8;
    let response = loop {
        let response = match client
            .request(method.clone(), url.clone())
            .timeout(spec.timeout)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => return (None, down_from(&e)),
        };
        if followed == 0 {
            note_certificate(&response, evidence);
        }
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url.join(l).ok());
        let (true, Some(target)) = (status.is_redirection(), location) else {
            break response;
        };
        let code = status.as_u16();
        let to = target.to_string();
        evidence.hops.push(Hop {
            status: code,
            location: to.clone(),
        });
        if expect.detect_maintenance_page && maintenance_target(&to) {
            evidence.matched = Some(to.clone());
            return (
                Some(code),
                down(
                    ErrorClass::MaintenancePage,
                    format!("redirects to a maintenance page: {to}"),
                ),
            );
        }
        if let Some(bad) = expect
            .redirect_not_to
            .iter()
            .find(|b| to.contains(b.as_str()))
        {
            return (
                Some(code),
                down(
                    ErrorClass::Redirect,
                    format!("redirects to {to} (matches `{bad}`)"),
                ),
            );
        }
        match expect.redirects {
            Redirects::Refuse => {
                return (
                    Some(code),
                    down(
                        ErrorClass::Redirect,
                        format!("HTTP {code}: redirects to {to}"),
                    ),
                )
            }
            Redirects::Follow(0) => break response,
            Redirects::Follow(n) if followed >= n => {
                return (
                    Some(code),
                    down(ErrorClass::Redirect, format!("more than {n} redirects")),
                )
            }
            Redirects::Follow(_) => {
                followed += 1;
                // 307 and 308 keep the method; the others ask for the page with GET.
                if !matches!(code, 307 | 308) {
                    method = reqwest::Method::GET;
                }
                url = target;
            }
        }
    };
    if followed > 0 {
        evidence.final_url = Some(url.to_string());
    }
    judge(response, spec, reading, at, evidence).await
}

/// The final answer against the probe's expectations: refused by the bank's protection,
/// a maintenance page, a status or body failure, or fine (and then a lesson in what the
/// bank's page usually looks like).
async fn judge(
    response: reqwest::Response,
    spec: &ProbeSpec,
    reading: &Reading,
    at: DateTime<Utc>,
    evidence: &mut CheckEvidence,
) -> (Option<u16>, Outcome) {
    let expect = &spec.expect;
    let status = response.status().as_u16();
    if matches!(status, 429 | 503) {
        evidence.retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, at));
    }
    let html = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.to_ascii_lowercase().contains("html"));
    let guard = signature(response.headers());
    let accepted = spec.accepts_status(status);
    // A failing answer is read only to tell a maintenance page or a refusal by the bank's
    // protection from any other failure.
    let may_be_page = expect.detect_maintenance_page && html != Some(false);
    let may_be_refusal = guard.is_some() || matches!(status, 403 | 429);
    if !accepted && !may_be_page && !may_be_refusal {
        return (
            Some(status),
            down(ErrorClass::Status, format!("HTTP {status}")),
        );
    }
    let body = match read_capped(response, reading.max_body_bytes).await {
        Ok(b) => b,
        Err(e) if accepted => return (Some(status), down_from(&e)),
        Err(_) => Vec::new(),
    };
    let text = String::from_utf8_lossy(&body);
    if let Some(r) = refusal(status, guard.as_ref(), &text) {
        let by = format!("{}: {}", r.vendor.name(), r.evidence);
        let detail = format!("HTTP {status}: refused by {by}");
        evidence.refused_by = Some(by);
        return (Some(status), down(ErrorClass::Blocked, detail));
    }
    let html = html.unwrap_or_else(|| text.trim_start().starts_with('<'));
    let page = (expect.detect_maintenance_page && html).then(|| Page::read(&decode(&body)));
    if let Some(page) = &page {
        let usual = reading.usual.get(&spec.id);
        if let Some(found) = reading.detector.judge(page, usual.as_ref()) {
            let detail = format!("HTTP {status}: the page says \"{}\"", found.evidence);
            evidence.matched = Some(found.evidence);
            return (Some(status), down(ErrorClass::MaintenancePage, detail));
        }
    }
    if !accepted {
        return (
            Some(status),
            down(ErrorClass::Status, format!("HTTP {status}")),
        );
    }
    let outcome = body_outcome(expect, &text, reading.max_body_bytes);
    if let (Outcome::Up, Some(page)) = (&outcome, &page) {
        reading.usual.learn(&spec.id, page);
    }
    (Some(status), outcome)
}

/// The body checks, in the order a reader expects them: words that must not be there,
/// words that must, the pattern, the JSON value.
fn body_outcome(expect: &crate::domain::Expect, text: &str, cap: usize) -> Outcome {
    if let Some(bad) = expect
        .body_not_contains
        .iter()
        .find(|b| text.contains(b.as_str()))
    {
        return down(ErrorClass::Body, format!("the page contains \"{bad}\""));
    }
    if let Some(needle) = &expect.body_contains {
        if !text.contains(needle.as_str()) {
            return down(
                ErrorClass::Body,
                format!("the first {cap} bytes of the page do not contain the expected text"),
            );
        }
    }
    if let Some(p) = &expect.body_matches {
        if !p.is_match(text) {
            return down(
                ErrorClass::Body,
                format!("the page does not match `{}`", p.as_str()),
            );
        }
    }
    if let Some(check) = &expect.json {
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
            return down(ErrorClass::Body, "the answer is not JSON");
        };
        match check.find(&doc) {
            None => return down(ErrorClass::Body, format!("no value at `{}`", check.path)),
            Some(v) if *v != check.equals => {
                return down(
                    ErrorClass::Body,
                    format!("`{}` is {v}, not {}", check.path, check.equals),
                )
            }
            Some(_) => {}
        }
    }
    Outcome::Up
}

/// `Retry-After` as seconds from the check or as an HTTP date; a time in the past or more
/// than a month away is no announcement.
fn retry_after(value: &str, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let t = match value.parse::<i64>() {
        Ok(secs) => at + chrono::Duration::try_seconds(secs)?,
        Err(_) => DateTime::parse_from_rfc2822(value)
            .ok()?
            .with_timezone(&Utc),
    };
    (t >= at && t - at <= chrono::Duration::days(31)).then_some(t)
}

/// Keeps the expiry and issuer of the certificate the server showed, for HTTPS.
fn note_certificate(response: &reqwest::Response, evidence: &mut CheckEvidence) {
    let facts = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .and_then(cert::facts);
    if let Some(f) = facts {
        evidence.tls_expires_at = Some(f.expires_at);
        evidence.tls_issuer = f.issuer;
    }
}

/// Reads at most `cap` bytes of the body, then drops the connection.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> reqwest::Result<Vec<u8>> {
    let mut seen: Vec<u8> = Vec::new();
    while seen.len() < cap {
        let Some(chunk) = response.chunk().await? else {
            break;
        };
        let take = chunk.len().min(cap - seen.len());
        seen.extend_from_slice(&chunk[..take]);
    }
    Ok(seen)
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
