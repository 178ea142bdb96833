//! The bearer tokens of the operator API and of agents: checked in constant time, never
//! printed, and known in the audit table only by a short id derived from it.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use super::error::AppError;
use super::AppState;
use crate::i18n::Msg;
use crate::keys;
use crate::throttle::Throttle;

/// The operator API's token; without it the operator API answers 403.
pub const ENV: &str = "BANKSTATUS_ADMIN_TOKEN";
/// The token agents present; without it the agents' API answers 403.
pub const AGENT_ENV: &str = "BANKSTATUS_AGENT_TOKEN";

#[derive(Clone)]
pub struct BearerToken {
    digest: [u8; 32],
    id: String,
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BearerToken({})", self.id)
    }
}

impl BearerToken {
    pub fn new(token: &str) -> Self {
        let digest = keys::sha256(token.as_bytes());
        let id = format!("token:{}", keys::hex(&digest[..4]));
        BearerToken { digest, id }
    }

    /// From the environment variable `name`; an empty value counts as none.
    pub fn from_var(name: &str) -> Option<Self> {
        std::env::var(name)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| Self::new(t.trim()))
    }

    /// Compares digests, so neither the length nor a prefix of the token leaks.
    pub fn matches(&self, given: &str) -> bool {
        keys::same(&keys::sha256(given.as_bytes()), &self.digest)
    }
}

/// An authenticated operator; `actor` is the token's id for the audit table.
pub struct Operator {
    pub actor: String,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = &state.tokens.admin else {
            return Err(AppError::Forbidden(
                Msg::new("err-operator-disabled").arg("env", ENV),
            ));
        };
        match bearer(&parts.headers) {
            Some(g) if token.matches(g) => Ok(Operator {
                actor: token.id.clone(),
            }),
            Some(_) => Err(refused(state, parts, "operator", "err-token-wrong")),
            None => Err(refused(state, parts, "operator", "err-token-missing")),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header; the scheme's name is
/// case-insensitive (RFC 9110, section 11.1).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Someone tried a token-guarded API without the right token: counted, and logged at most
/// every few seconds so a guessing client cannot flood the log.
fn refused(state: &AppState, parts: &Parts, api: &'static str, msg: &'static str) -> AppError {
    state.metrics.unauthorized.fetch_add(1, Ordering::Relaxed);
    if let Some(held_back) = REFUSED_LOG.admit(Instant::now()) {
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|peer| {
                super::client::Client::of(state, peer.0, &parts.headers)
                    .ip
                    .to_string()
            });
        tracing::warn!(
            api,
            client = client.as_deref().unwrap_or("unknown"),
            reason = msg,
            earlier_refusals_not_logged = held_back,
            "refused a request without a valid bearer token"
        );
    }
    AppError::Unauthorized(Msg::new(msg))
}

static REFUSED_LOG: Throttle = Throttle::new(Duration::from_secs(10));

/// An authenticated agent, by `BANKSTATUS_AGENT_TOKEN`.
pub struct AgentAuth;

impl FromRequestParts<AppState> for AgentAuth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = &state.tokens.agent else {
            return Err(AppError::Forbidden(
                Msg::new("err-agents-disabled").arg("env", AGENT_ENV),
            ));
        };
        match bearer(&parts.headers) {
            Some(g) if token.matches(g) => Ok(AgentAuth),
            Some(_) => Err(refused(state, parts, "agent", "err-agent-token-wrong")),
            None => Err(refused(state, parts, "agent", "err-agent-token-missing")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let t = BearerToken::new("s3cret-value");
        assert!(!format!("{t:?}").contains("s3cret"));
        assert!(t.matches("s3cret-value"));
        assert!(!t.matches("s3cret-valu"));
    }
}
