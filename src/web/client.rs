//! Who is asking: the client's address (behind a trusted proxy, the one it appended), the
//! keyed hash that stands for a reporter, and the form token every form of the site carries
//! in one cookie and a hidden field.

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

/// A keyed hash of the address; IPv6 by its /64, which one subscriber usually holds whole.
pub fn reporter_id(key: &[u8], ip: IpAddr) -> String {
    let bytes = match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v6.octets()[..8].to_vec(),
        },
    };
    keys::mac_hex(key, "reporter", &bytes)
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

    /// The keyed hash that stands for this client among reporters and in the limits.
    pub fn reporter(&self, state: &AppState) -> String {
        reporter_id(&state.reporter_key, self.ip)
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
    fn reporters_are_hashed_by_key_and_v6_prefix() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2::ffff".parse().expect("ip");
        assert_eq!(reporter_id(b"k", a), reporter_id(b"k", b));
        assert_ne!(reporter_id(b"k", a), reporter_id(b"other", a));
        let v4: IpAddr = "192.0.2.7".parse().expect("ip");
        assert!(!reporter_id(b"k", v4).contains("192"));
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
