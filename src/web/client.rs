//! Who is asking: the client's address (behind a trusted proxy, the one it appended), the
//! keyed hashes that stand for a reporter (its address, its network, and its browser when
//! the site's pages vouched for one), and the form token every form of the site carries in
//! one cookie and a hidden field.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use chrono::{DateTime, Utc};
use rand::RngCore;

use super::AppState;
use crate::keys;

/// The cookie that holds the form token, for every form of the site.
pub const FORM_COOKIE: &str = "csrf";
/// The cookie that tells browsers behind one address apart.
pub const BROWSER_COOKIE: &str = "bid";
/// How long a browser keeps its token.
pub const BROWSER_TOKEN_SECS: i64 = 30 * 86_400;
/// A browser counts as a reporter of its own only when at least this long passed between
/// the page that issued its form and the report: a script posting at once counts as its
/// address alone.
pub const MIN_FORM_SECS: i64 = 3;
/// How long a form token is taken: as long as its cookie lives.
pub const FORM_TOKEN_SECS: i64 = 7200;

/// The client address as the limits see it: behind a trusted proxy, the address the proxy
/// appended last to `X-Forwarded-For`.
pub fn client_ip(trust_forwarded_for: bool, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    if trust_forwarded_for {
        // Only the entry our own proxy appended counts; one it cannot parse means the
        // request is not what the proxy should send, and the peer is used.
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim);
        if let Some(ip) = last.and_then(|a| {
            a.parse::<IpAddr>()
                .ok()
                .or_else(|| a.parse::<SocketAddr>().ok().map(|s| s.ip()))
        }) {
            return ip;
        }
    }
    peer.ip()
}

/// The bytes that stand for an address: IPv4 whole, IPv6 by its /64, which one subscriber
/// usually holds whole.
fn address_bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v6.octets()[..8].to_vec(),
        },
    }
}

/// A keyed hash of the address; IPv6 by its /64.
pub fn reporter_id(key: &[u8], ip: IpAddr) -> String {
    keys::mac_hex(key, "reporter", &address_bytes(ip))
}

/// A keyed hash of the address's network: an IPv4 /24, an IPv6 /48 (a home or office
/// prefix is a /48 to a /64, so all of one home's /64s fall in one network).
pub fn network_id(key: &[u8], ip: IpAddr) -> String {
    let bytes = match ip {
        IpAddr::V4(v4) => v4.octets()[..3].to_vec(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets()[..3].to_vec(),
            None => v6.octets()[..6].to_vec(),
        },
    };
    keys::mac_hex(key, "network", &bytes)
}

/// What a report is counted by: its reporter (the address, or the address and a browser),
/// the address and the network, each a keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterIds {
    pub reporter: String,
    pub address: String,
    pub network: String,
}

/// The client of a request, by its address.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub ip: IpAddr,
}

impl Client {
    /// The client behind `peer`, as [`client_ip`] reads it with the service's setting.
    pub fn of(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> Self {
        Client {
            ip: client_ip(state.config.reports.trust_forwarded_for, peer, headers),
        }
    }

    /// The keyed hash that stands for this client's address in the limits.
    pub fn reporter(&self, state: &AppState) -> String {
        reporter_id(&state.reporter_key, self.ip)
    }

    /// What this client's reports are counted by; `browser` is the nonce of a browser
    /// token that counts (see [`browser_counts`]).
    pub fn reporter_ids(&self, key: &[u8], browser: Option<&str>) -> ReporterIds {
        let address = reporter_id(key, self.ip);
        let reporter = match browser {
            Some(nonce) => {
                let mut data = address_bytes(self.ip);
                data.extend_from_slice(nonce.as_bytes());
                keys::mac_hex(key, "browser", &data)
            }
            None => address.clone(),
        };
        ReporterIds {
            reporter,
            address,
            network: network_id(key, self.ip),
        }
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Without ConnectInfo (a router test with `oneshot`), the client is unspecified.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |c| c.0);
        Ok(Client::of(state, peer, &parts.headers))
    }
}

/// A fresh form token: when it was issued, a nonce, and their MAC; the same in the cookie
/// and the hidden field. The time is inside the MAC, so an old token cannot be refreshed.
pub fn new_form_token(key: &[u8], now: DateTime<Utc>) -> String {
    let mut nonce = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    let signed = format!("{}.{}", now.timestamp(), keys::hex(&nonce));
    let tag = keys::mac_hex(key, "csrf", signed.as_bytes());
    format!("{signed}.{tag}")
}

/// The request's form token when it is still good for a while (younger than half of
/// [`FORM_TOKEN_SECS`]), else a fresh one; `true` when fresh, so its cookie must be set.
/// Pages that stay open side by side (the desk's tabs) then share one token, and a page
/// loaded in one tab does not void the forms of another.
pub fn reuse_form_token(key: &[u8], headers: &HeaderMap, now: DateTime<Utc>) -> (String, bool) {
    let reusable = cookie(headers, FORM_COOKIE).filter(|t| {
        form_token_valid(key, headers, t, now)
            && form_issued(t).is_some_and(|issued| now.timestamp() - issued < FORM_TOKEN_SECS / 2)
    });
    match reusable {
        Some(t) => (t.to_owned(), false),
        None => (new_form_token(key, now), true),
    }
}

/// The value of cookie `name` in a request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the form's token is ours, matches its cookie, and is younger than
/// [`FORM_TOKEN_SECS`] at `now` (the cookie's age is the browser's word only).
pub fn form_token_valid(key: &[u8], headers: &HeaderMap, field: &str, now: DateTime<Utc>) -> bool {
    let Some((signed, tag)) = field.rsplit_once('.') else {
        return false;
    };
    let Some(issued) = signed
        .split_once('.')
        .and_then(|(t, _)| t.parse::<i64>().ok())
    else {
        return false;
    };
    let age = now.timestamp() - issued;
    cookie(headers, FORM_COOKIE) == Some(field)
        && (-60..=FORM_TOKEN_SECS).contains(&age)
        && keys::same(
            keys::mac_hex(key, "csrf", signed.as_bytes()).as_bytes(),
            tag.as_bytes(),
        )
}

/// A fresh browser token: when it was issued, a nonce, and their MAC.
pub fn new_browser_token(key: &[u8], now: DateTime<Utc>) -> String {
    let mut nonce = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    let signed = format!("{}.{}", now.timestamp(), keys::hex(&nonce));
    let tag = keys::mac_hex(key, "bid", signed.as_bytes());
    format!("{signed}.{tag}")
}

/// The browser token of a request, if it is ours and not expired: its issue time and nonce.
pub fn browser_token(key: &[u8], headers: &HeaderMap, now: DateTime<Utc>) -> Option<(i64, String)> {
    let value = cookie(headers, BROWSER_COOKIE)?;
    let (signed, tag) = value.rsplit_once('.')?;
    let (issued, nonce) = signed.split_once('.')?;
    let issued: i64 = issued.parse().ok()?;
    let age = now.timestamp() - issued;
    let ours = keys::same(
        keys::mac_hex(key, "bid", signed.as_bytes()).as_bytes(),
        tag.as_bytes(),
    );
    (ours && (-60..=BROWSER_TOKEN_SECS).contains(&age)).then(|| (issued, nonce.to_owned()))
}

/// The nonce of the request's browser token when it counts as a reporter of its own: the
/// token is valid, and the page that issued it, or the form (`form_issued`, a form token's
/// time), was loaded at least [`MIN_FORM_SECS`] before `now`.
pub fn browser_counts(
    key: &[u8],
    headers: &HeaderMap,
    form_issued: Option<i64>,
    now: DateTime<Utc>,
) -> Option<String> {
    let (issued, nonce) = browser_token(key, headers, now)?;
    let loaded = form_issued.unwrap_or(issued).max(issued);
    (now.timestamp() - loaded >= MIN_FORM_SECS).then_some(nonce)
}

/// When a form token was issued, if it has the form token's shape.
pub fn form_issued(token: &str) -> Option<i64> {
    token.split_once('.').and_then(|(t, _)| t.parse().ok())
}

/// The `Set-Cookie` value that hands a browser token to the browser.
pub fn browser_cookie(token: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{BROWSER_COOKIE}={token}; Path=/; Max-Age={BROWSER_TOKEN_SECS}; HttpOnly; SameSite=Strict"
    ))
    .ok()
}

/// Whether a form post comes from a page of this site, by the browser's own headers:
/// `Sec-Fetch-Site`, else `Origin` against the request's `Host` (or `public_url`). A post
/// that says neither is not taken for one.
pub fn same_origin(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin";
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = origin.split_once("://").map_or(origin, |(_, h)| h);
    match public_url {
        Some(url) => origin.trim_end_matches('/') == url.trim_end_matches('/'),
        None => headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|h| h.eq_ignore_ascii_case(host)),
    }
}

/// The `Set-Cookie` value that hands a form token to the browser.
pub fn form_cookie(token: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{FORM_COOKIE}={token}; Path=/; Max-Age={FORM_TOKEN_SECS}; HttpOnly; SameSite=Strict"
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_expire_on_the_server() {
        let issued = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000);
        let token = new_form_token(b"k", issued);
        let mut headers = HeaderMap::new();
        let cookie = format!("{FORM_COOKIE}={token}");
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&cookie).expect("cookie"),
        );
        let later = |s| issued + chrono::Duration::seconds(s);
        assert!(form_token_valid(
            b"k",
            &headers,
            &token,
            later(FORM_TOKEN_SECS)
        ));
        assert!(!form_token_valid(
            b"k",
            &headers,
            &token,
            later(FORM_TOKEN_SECS + 1)
        ));
        assert!(!form_token_valid(b"other", &headers, &token, later(1)));
        // A token whose time was moved forward no longer matches its MAC.
        let (_, rest) = token.split_once('.').expect("time");
        let moved = format!("{}.{rest}", later(3600).timestamp());
        let cookie = format!("{FORM_COOKIE}={moved}");
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&cookie).expect("cookie"),
        );
        assert!(!form_token_valid(
            b"k",
            &headers,
            &moved,
            later(FORM_TOKEN_SECS + 10)
        ));
    }

    #[test]
    fn a_young_form_token_is_shared_and_an_old_one_replaced() {
        let issued = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000);
        let token = new_form_token(b"k", issued);
        let mut headers = HeaderMap::new();
        assert!(
            reuse_form_token(b"k", &headers, issued).1,
            "none yet: fresh"
        );
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{FORM_COOKIE}={token}")).expect("cookie"),
        );
        let later = |s| issued + chrono::Duration::seconds(s);
        assert_eq!(
            reuse_form_token(b"k", &headers, later(60)),
            (token.clone(), false)
        );
        let (other, fresh) = reuse_form_token(b"k", &headers, later(FORM_TOKEN_SECS / 2));
        assert!(fresh && other != token);
        assert!(reuse_form_token(b"other", &headers, later(1)).1, "not ours");
    }

    #[test]
    fn reporters_are_hashed_by_key_and_v6_prefix() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2::ffff".parse().expect("ip");
        assert_eq!(reporter_id(b"k", a), reporter_id(b"k", b));
        assert_ne!(reporter_id(b"k", a), reporter_id(b"other", a));
        let v4: IpAddr = "192.0.2.7".parse().expect("ip");
        assert!(!reporter_id(b"k", v4).contains("192"));
    }

    #[test]
    fn networks_are_v4_24_and_v6_48() {
        let id = |s: &str| network_id(b"k", s.parse().expect("ip"));
        assert_eq!(id("192.0.2.1"), id("192.0.2.254"));
        assert_ne!(id("192.0.2.1"), id("192.0.3.1"));
        assert_eq!(id("2001:db8:1:ff00::1"), id("2001:db8:1:1::1"));
        assert_ne!(id("2001:db8:1::1"), id("2001:db8:2::1"));
        assert_eq!(id("::ffff:192.0.2.9"), id("192.0.2.1"));
    }

    #[test]
    fn a_browser_counts_once_its_page_is_old_enough() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000);
        let token = new_browser_token(b"k", t0);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{BROWSER_COOKIE}={token}")).expect("cookie"),
        );
        let at = |s| t0 + chrono::Duration::seconds(s);
        assert!(
            browser_counts(b"k", &headers, None, at(1)).is_none(),
            "too quick"
        );
        let nonce = browser_counts(b"k", &headers, None, at(MIN_FORM_SECS));
        assert!(nonce.is_some());
        // A form loaded just now counts from its own time.
        let form = at(100).timestamp();
        assert!(browser_counts(b"k", &headers, Some(form), at(101)).is_none());
        assert_eq!(browser_counts(b"k", &headers, Some(form), at(104)), nonce);
        assert!(browser_counts(b"other", &headers, None, at(10)).is_none());
        assert!(browser_counts(b"k", &headers, None, at(BROWSER_TOKEN_SECS + 1)).is_none());
        // Two browsers behind one address are two reporters, at one address.
        let c = Client {
            ip: "192.0.2.7".parse().expect("ip"),
        };
        let (a, b) = (
            c.reporter_ids(b"k", Some("1")),
            c.reporter_ids(b"k", Some("2")),
        );
        assert_ne!(a.reporter, b.reporter);
        assert_eq!(a.address, b.address);
        assert_eq!(c.reporter_ids(b"k", None).reporter, a.address);
    }

    #[test]
    fn only_a_post_from_our_own_pages_is_same_origin() {
        let mut h = HeaderMap::new();
        assert!(!same_origin(&h, None), "nothing said");
        h.insert(header::HOST, HeaderValue::from_static("status.example.ma"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://status.example.ma"),
        );
        assert!(same_origin(&h, None));
        assert!(same_origin(&h, Some("https://status.example.ma")));
        assert!(!same_origin(&h, Some("https://other.example")));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h, None));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h, None), "the browser's word first");
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h, None));
    }

    #[test]
    fn the_proxy_entry_counts_only_when_trusted() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().expect("peer");
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("10.0.0.1, 192.0.2.9"),
        );
        assert_eq!(client_ip(false, peer, &headers), peer.ip());
        assert_eq!(client_ip(true, peer, &headers).to_string(), "192.0.2.9");
    }
}
