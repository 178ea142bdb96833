//! The bearer tokens of the operator API and of agents, checked by digest and never
//! printed; the operators who may act (`BANKSTATUS_ADMIN_TOKEN`, named `admin`, and each of
//! `[[operators]]`), known in the audit table by their names.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use super::auth_throttle::Verdict;
use super::error::AppError;
use super::AppState;
use crate::config::{OperatorDecl, OperatorToken};
use crate::i18n::Msg;
use crate::keys;
use crate::store::AuditEntry;
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

/// The name `BANKSTATUS_ADMIN_TOKEN` acts under.
pub const ADMIN_NAME: &str = "admin";
/// The longest `Idempotency-Key` taken.
const MAX_KEY: usize = 128;

/// Who may act as operator: each with a name for the audit log and the SHA-256 of its token.
#[derive(Default)]
pub struct Operators {
    known: Vec<(String, [u8; 32])>,
}

impl fmt::Debug for Operators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.known.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Operators {
    /// `admin` (`BANKSTATUS_ADMIN_TOKEN`) when set, then each declared operator whose token
    /// is known: by its digest, or from the variable `env` reads now (one not set here
    /// cannot sign in; the config check said so).
    pub fn new(
        admin: Option<&BearerToken>,
        declared: &[OperatorDecl],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let mut known = Vec::new();
        if let Some(t) = admin {
            known.push((ADMIN_NAME.to_owned(), t.digest));
        }
        for op in declared {
            let digest = match &op.token {
                OperatorToken::Sha256(d) => Some(*d),
                OperatorToken::Env(var) => env(var)
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .map(|t| keys::sha256(t.as_bytes())),
            };
            if let Some(digest) = digest {
                known.push((op.name.clone(), digest));
            }
        }
        Operators { known }
    }

    /// No operator can act: the operator API answers 403, the desk says how to set one.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The name of the operator whose token is `given`. Every digest is compared, so the
    /// time taken does not tell which one matched.
    pub fn who(&self, given: &str) -> Option<&str> {
        let digest = keys::sha256(given.trim().as_bytes());
        let mut found = None;
        for (name, d) in &self.known {
            if keys::same(&digest, d) && found.is_none() {
                found = Some(name.as_str());
            }
        }
        found
    }

    /// Whether `name` may still act (a session outlives nothing removed from the config).
    pub fn knows(&self, name: &str) -> bool {
        self.known.iter().any(|(n, _)| n == name)
    }
}

/// An operator acting: its name for the audit table, and the request key that makes the
/// action happen once (a form's idempotency key, an API client's `Idempotency-Key`).
#[derive(Debug, Clone)]
pub struct Operator {
    pub name: String,
    pub request: Option<String>,
}

impl Operator {
    /// The audit entry of an action on `target` (`None` for what the action makes: the
    /// store names it).
    pub fn audit(
        &self,
        action: &str,
        target: Option<String>,
        detail: Option<String>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> AuditEntry {
        AuditEntry {
            at,
            actor: self.name.clone(),
            action: action.to_owned(),
            target,
            detail,
            request: self.request.clone(),
        }
    }
}

/// An API client's `Idempotency-Key`, scoped to the operator so two clients never share
/// one; printable ASCII, at most 128 characters.
fn idempotency_key(headers: &HeaderMap, operator: &str) -> Result<Option<String>, AppError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key =
        raw.to_str().ok().map(str::trim).filter(|k| {
            !k.is_empty() && k.len() <= MAX_KEY && k.bytes().all(|b| b.is_ascii_graphic())
        });
    match key {
        Some(k) => Ok(Some(format!("api:{operator}:{k}"))),
        None => Err(AppError::BadRequest(
            Msg::new("err-idempotency-key").arg("max", MAX_KEY),
        )),
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.operators.is_empty() {
            return Err(AppError::Forbidden(
                Msg::new("err-operator-disabled").arg("env", ENV),
            ));
        }
        let tries = Tries::start(state, parts)?;
        match bearer(&parts.headers).map(|g| state.operators.who(g)) {
            Some(Some(name)) => {
                tries.succeeded(state);
                Ok(Operator {
                    request: idempotency_key(&parts.headers, name)?,
                    name: name.to_owned(),
                })
            }
            Some(None) => {
                tries.failed(state);
                Err(refused(state, parts, "operator", "err-token-wrong"))
            }
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

/// A token presented by one client address, under the same back-off as the desk's sign-in:
/// a few wrong tokens are free, then the address waits longer after each.
struct Tries {
    /// None when the connection's address is unknown (a router driven without a socket).
    ip: Option<std::net::IpAddr>,
}

impl Tries {
    /// 429 with `Retry-After` while the client's address must wait; its token is not even
    /// compared then, and the try counts as one more failure.
    fn start(state: &AppState, parts: &Parts) -> Result<Tries, AppError> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|peer| super::client::Client::of(state, peer.0, &parts.headers).ip);
        if let Some(ip) = ip {
            let now = state.clock.now();
            if let Verdict::Wait(wait) = state.sign_ins.check(ip, now) {
                // A client that keeps trying while told to wait waits longer: a script that
                // ignores `Retry-After` stays shut out.
                state.sign_ins.failed(ip, now);
                let wait = match state.sign_ins.check(ip, now) {
                    Verdict::Wait(longer) => longer,
                    Verdict::Allowed => wait,
                };
                state.metrics.unauthorized.fetch_add(1, Ordering::Relaxed);
                let secs = wait.num_seconds().max(1).unsigned_abs();
                return Err(AppError::TooManyTries(
                    Msg::new("err-token-throttled").arg("seconds", secs),
                    secs,
                ));
            }
        }
        Ok(Tries { ip })
    }

    fn failed(&self, state: &AppState) {
        if let Some(ip) = self.ip {
            state.sign_ins.failed(ip, state.clock.now());
        }
    }

    fn succeeded(&self, state: &AppState) {
        if let Some(ip) = self.ip {
            state.sign_ins.succeeded(ip);
        }
    }
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
        let tries = Tries::start(state, parts)?;
        match bearer(&parts.headers) {
            Some(g) if token.matches(g) => {
                tries.succeeded(state);
                Ok(AgentAuth)
            }
            Some(_) => {
                tries.failed(state);
                Err(refused(state, parts, "agent", "err-agent-token-wrong"))
            }
            None => Err(refused(state, parts, "agent", "err-agent-token-missing")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_known_by_name_whatever_holds_their_token() {
        let decl = |name: &str, token: OperatorToken| OperatorDecl {
            name: name.into(),
            token,
        };
        let declared = [
            decl(
                "desk-1",
                OperatorToken::Sha256(keys::sha256(b"token-of-desk-1")),
            ),
            decl("desk-2", OperatorToken::Env("DESK_2".into())),
            decl("desk-3", OperatorToken::Env("UNSET".into())),
        ];
        let env = |var: &str| (var == "DESK_2").then(|| " token-of-desk-2\n".to_owned());
        let ops = Operators::new(Some(&BearerToken::new("the-admin-token")), &declared, &env);
        assert_eq!(ops.who("the-admin-token"), Some(ADMIN_NAME));
        assert_eq!(ops.who("token-of-desk-1"), Some("desk-1"));
        assert_eq!(
            ops.who("token-of-desk-2"),
            Some("desk-2"),
            "trimmed as read"
        );
        assert_eq!(ops.who("token-of-desk-3"), None);
        assert_eq!(ops.who(""), None);
        assert!(
            ops.knows("desk-2") && !ops.knows("desk-3"),
            "unset: cannot act"
        );
        assert!(!format!("{ops:?}").contains("token-of"));
        assert!(Operators::new(None, &[], &env).is_empty());
    }

    #[test]
    fn an_idempotency_key_is_printable_and_scoped_to_its_operator() {
        let mut h = HeaderMap::new();
        assert_eq!(idempotency_key(&h, "admin").ok(), Some(None));
        h.insert("idempotency-key", "retry-7".parse().expect("value"));
        assert_eq!(
            idempotency_key(&h, "desk-1").ok().flatten().as_deref(),
            Some("api:desk-1:retry-7")
        );
        h.insert("idempotency-key", "two words".parse().expect("value"));
        assert!(idempotency_key(&h, "admin").is_err());
        h.insert("idempotency-key", "k".repeat(129).parse().expect("value"));
        assert!(idempotency_key(&h, "admin").is_err());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = BearerToken::new("s3cret-value");
        assert!(!format!("{t:?}").contains("s3cret"));
        assert!(t.matches("s3cret-value"));
        assert!(!t.matches("s3cret-valu"));
    }
}
