//! Signing in and out of the desk. A session is a random id in a cookie (`HttpOnly`,
//! `SameSite=Strict`, `Secure` when `public_url` is https, `Path=/desk`), stored by its
//! SHA-256 with the operator's name, so every instance on the database knows it; it ends 8
//! hours after its last use or 24 hours after it began, and when the operator is no longer
//! configured. Wrong tokens are throttled per client address (`web/auth_throttle.rs`).

use askama::Template;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;

use super::form;
use super::page::Ctx;
use crate::i18n::Msg;
use crate::keys;
use crate::store::{AuditEntry, SessionRow};
use crate::web::auth::Operator;
use crate::web::auth_throttle::Verdict;
use crate::web::client::{cookie, Client};
use crate::web::error::{AppError, PageError};
use crate::web::pages::page_lang;
use crate::web::views::Layout;
use crate::web::AppState;

/// The session cookie.
pub const COOKIE: &str = "desk_session";
/// A session unused this long has ended.
pub const IDLE: Duration = Duration::hours(8);
/// No session lasts longer than this.
pub const MAX_AGE: Duration = Duration::hours(24);
/// A session's last use is written at most this often.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Whether a session opened at `created` and last used at `seen` is alive at `now`.
pub fn alive(created: DateTime<Utc>, seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - seen < IDLE && now - created < MAX_AGE
}

/// The `Set-Cookie` value that hands session `id` to the browser; `id` `None` clears it.
fn session_cookie(id: Option<&str>, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    let value = match id {
        Some(id) => format!(
            "{COOKIE}={id}; Path=/desk; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
            MAX_AGE.num_seconds()
        ),
        None => format!("{COOKIE}=; Path=/desk; Max-Age=0; HttpOnly; SameSite=Strict{secure}"),
    };
    HeaderValue::from_str(&value).ok()
}

/// Whether cookies are sent over https only: when the site's public address is https.
pub fn secure(state: &AppState) -> bool {
    state
        .config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
}

fn hash(id: &str) -> String {
    keys::hex(&keys::sha256(id.as_bytes()))
}

/// A signed-in operator at the desk.
#[derive(Debug, Clone)]
pub struct DeskSession {
    pub operator: String,
}

impl DeskSession {
    /// The operator acting under the form's idempotency key `request`.
    pub fn acting(&self, request: &str) -> Operator {
        Operator {
            name: self.operator.clone(),
            request: Some(request.to_owned()),
        }
    }
}

/// The session of a request, if it is alive and its operator may still act; a dead one
/// is deleted on the way.
pub async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<DeskSession>, AppError> {
    let Some(id) = cookie(headers, COOKIE).filter(|id| !id.is_empty()) else {
        return Ok(None);
    };
    let id_hash = hash(id);
    let Some(row) = state.store.session(&id_hash).await? else {
        return Ok(None);
    };
    let now = state.clock.now();
    // Writes here are housekeeping: when the record cannot be written, the desk still shows
    // what needs attention, storage first.
    if !alive(row.created_at, row.seen_at, now) || !state.operators.knows(&row.operator) {
        if let Err(e) = state.store.close_session(&id_hash, None).await {
            tracing::warn!(error = %e, "could not delete an ended desk session");
        }
        return Ok(None);
    }
    if now - row.seen_at >= TOUCH_EVERY {
        if let Err(e) = state.store.touch_session(&id_hash, now).await {
            tracing::warn!(error = %e, "could not note a desk session's use");
        }
    }
    Ok(Some(DeskSession {
        operator: row.operator,
    }))
}

/// Signed out: a page asks to sign in, a form post is refused.
impl FromRequestParts<AppState> for DeskSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = page_lang(state, parts.uri.query(), &parts.headers)
            .map(|(l, _)| l)
            .unwrap_or(state.config.default_language);
        match current(state, &parts.headers).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) if parts.method == Method::GET => Err(crate::web::see_other(&format!(
                "/desk?lang={}",
                lang.as_str()
            ))),
            Ok(None) => Err(AppError::Forbidden(Msg::new("desk-err-signed-out"))
                .page(lang)
                .into_response()),
            Err(e) => Err(e.page(lang).into_response()),
        }
    }
}

#[derive(Template)]
#[template(path = "desk/sign_in.html")]
struct SignInPage {
    l: Layout,
    csrf: String,
    /// No operator is configured: nobody can sign in, and the page says how to set one.
    closed: bool,
    error: Option<String>,
}

/// The sign-in form, with `error` when a sign-in was refused.
pub fn sign_in_page(
    ctx: &Ctx,
    closed: bool,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let page = SignInPage {
        l: ctx.layout(ctx.msg("desk-sign-in-title"), "/desk"),
        csrf: ctx.csrf.clone(),
        closed,
        error,
    };
    ctx.render(status, &page)
}

/// `POST /desk/sign-in`: an operator's token for a session.
pub async fn sign_in(
    State(state): State<AppState>,
    client: Client,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let headers = req.headers().clone();
    let (lang, _) = page_lang(&state, uri.query(), &headers)?;
    let fields = form::read(&state, &headers, req)
        .await
        .map_err(|e| e.page(lang))?;
    let now = state.clock.now();
    let ctx = Ctx::new(&state, &headers, uri.query(), None)?;
    if let Verdict::Wait(wait) = state.sign_ins.check(client.ip, now) {
        let secs = wait.num_seconds().max(1);
        let msg = Msg::new("desk-err-throttled")
            .arg("seconds", secs)
            .text(lang);
        let mut res = sign_in_page(&ctx, false, StatusCode::TOO_MANY_REQUESTS, Some(msg))?;
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(res);
    }
    let Some(name) = state.operators.who(fields.get("token")).map(str::to_owned) else {
        state.sign_ins.failed(client.ip, now);
        tracing::warn!(client = %client.ip, "a wrong token at the desk's sign-in");
        let msg = Msg::new("desk-err-token").text(lang);
        return sign_in_page(&ctx, false, StatusCode::UNAUTHORIZED, Some(msg));
    };
    state.sign_ins.succeeded(client.ip);
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let id = keys::hex(&raw);
    let session = SessionRow {
        id_hash: hash(&id),
        operator: name.clone(),
        created_at: now,
        seen_at: now,
    };
    let audit = AuditEntry {
        at: now,
        actor: name,
        action: "sign_in".to_owned(),
        target: None,
        detail: None,
        request: None,
    };
    state
        .store
        .open_session(&session, &audit)
        .await
        .map_err(|e| AppError::from(e).page(lang))?;
    // Sessions that ended long ago go as others begin.
    if let Err(e) = state.store.purge_sessions(now - IDLE, now - MAX_AGE).await {
        tracing::warn!(error = %e, "could not purge ended desk sessions");
    }
    let mut res = crate::web::see_other(&format!("/desk?lang={}", lang.as_str()));
    if let Some(v) = session_cookie(Some(&id), secure(&state)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `POST /desk/sign-out`: the session ends here and everywhere.
pub async fn sign_out(
    State(state): State<AppState>,
    uri: Uri,
    req: Request,
) -> Result<Response, PageError> {
    let headers = req.headers().clone();
    let (lang, _) = page_lang(&state, uri.query(), &headers)?;
    form::read(&state, &headers, req)
        .await
        .map_err(|e| e.page(lang))?;
    if let Some(id) = cookie(&headers, COOKIE).filter(|id| !id.is_empty()) {
        let id_hash = hash(id);
        if let Some(row) = state
            .store
            .session(&id_hash)
            .await
            .map_err(|e| AppError::from(e).page(lang))?
        {
            let audit = AuditEntry {
                at: state.clock.now(),
                actor: row.operator,
                action: "sign_out".to_owned(),
                target: None,
                detail: None,
                request: None,
            };
            state
                .store
                .close_session(&id_hash, Some(&audit))
                .await
                .map_err(|e| AppError::from(e).page(lang))?;
        }
    }
    let mut res = crate::web::see_other(&format!("/desk?lang={}", lang.as_str()));
    if let Some(v) = session_cookie(None, secure(&state)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_session_ends_when_idle_or_old() {
        let t = |h: i64| {
            Utc.with_ymd_and_hms(2026, 2, 10, 0, 0, 0)
                .single()
                .expect("time")
                + Duration::hours(h)
        };
        assert!(alive(t(0), t(0), t(7)));
        assert!(!alive(t(0), t(0), t(8)), "8 hours idle");
        assert!(alive(t(0), t(20), t(23)));
        assert!(!alive(t(0), t(23), t(24)), "24 hours in all");
    }

    #[test]
    fn the_cookie_is_strict_http_only_and_secure_behind_https() {
        let c = session_cookie(Some("abc"), true).expect("cookie");
        let c = c.to_str().expect("ascii");
        for part in [
            "desk_session=abc",
            "Path=/desk",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Max-Age=86400",
        ] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
        let plain = session_cookie(Some("abc"), false).expect("cookie");
        assert!(!plain.to_str().expect("ascii").contains("Secure"));
        let gone = session_cookie(None, false).expect("cookie");
        assert!(gone.to_str().expect("ascii").contains("Max-Age=0"));
    }
}
