//! What every desk form shares: its fields, the checks that it comes from the desk (the
//! browser's origin and the site's HMAC form token, `web/client.rs`), and its idempotency
//! key. The key is made when the form is shown and written with the action's audit entry
//! in the action's transaction, so a form sent twice carries out one action; either way
//! the browser is sent on to the action's result (post, redirect, get).

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::response::Response;
use rand::RngCore;

use crate::i18n::Msg;
use crate::keys;
use crate::web::client::{form_token_valid, same_origin};
use crate::web::error::AppError;
use crate::web::input;
use crate::web::operator::NamesBody;
use crate::web::AppState;

/// The largest form the desk takes: three languages of an advisory, percent-encoded.
pub const MAX_FORM: usize = 64 * 1024;
/// The hidden field that carries the form token.
pub const CSRF_FIELD: &str = "csrf";
/// The hidden field that carries the idempotency key.
pub const KEY_FIELD: &str = "idem";
/// What the desk's keys start with; an API client's are `api:...`.
const KEY_PREFIX: &str = "desk:";

/// A form's fields, as sent.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Fields(pairs)
    }

    /// The first value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed, when it is not blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// Every value of `name` (checkboxes), in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether the form has field `name` (which button was pressed).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// `{name}_ar`, `{name}_fr` and `{name}_en` as the API's texts.
    pub fn texts(&self, name: &str) -> NamesBody {
        let one = |lang: &str| Some(self.get(&format!("{name}_{lang}")).to_owned());
        NamesBody {
            ar: one("ar"),
            fr: one("fr"),
            en: one("en"),
        }
    }

    /// The non-blank lines of a text area.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.get(name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Reads a form posted to the desk, once it is known to come from one of the desk's own
/// pages: the browser says the post is same-origin, and the form token is ours, young
/// enough and the same as its cookie. Anything else is a 403 and changes nothing.
pub async fn read(state: &AppState, headers: &HeaderMap, req: Request) -> Result<Fields, AppError> {
    if !same_origin(headers, state.config.public_url.as_deref()) {
        return Err(AppError::Forbidden(Msg::new("desk-err-origin")));
    }
    let fields = Fields::new(input::form_up_to(req, MAX_FORM).await?);
    let now = state.clock.now();
    if !form_token_valid(&state.reporter_key, headers, fields.get(CSRF_FIELD), now) {
        return Err(AppError::Forbidden(Msg::new("desk-err-csrf")));
    }
    Ok(fields)
}

/// A new idempotency key for a form about to be shown.
pub fn fresh_key() -> String {
    let mut raw = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut raw);
    format!("{KEY_PREFIX}{}", keys::hex(&raw))
}

/// The form's idempotency key, when it has the shape [`fresh_key`] gives.
pub fn key(fields: &Fields) -> Result<String, AppError> {
    let k = fields.get(KEY_FIELD);
    let ok = k
        .strip_prefix(KEY_PREFIX)
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(k.to_owned())
    } else {
        Err(AppError::BadRequest(Msg::new("desk-err-key")))
    }
}

/// `303 See Other` to `path`.
/// Where the browser sees what the action under `key` did.
pub fn done(key: &str) -> Response {
    crate::web::see_other(&format!("/desk/done/{key}"))
}

/// The result page, when an action was already carried out under `key` (the form sent
/// again): nothing is done twice.
pub async fn done_before(state: &AppState, key: &str) -> Result<Option<Response>, AppError> {
    Ok(state.store.audit_by_request(key).await?.map(|_| done(key)))
}

/// Whether an action was refused because its key had carried one out already (the same
/// form sent twice at once).
pub fn repeated(e: &AppError) -> bool {
    matches!(e, AppError::Conflict(m) if m.id() == "err-request-repeated")
}

/// An action's result as the browser should meet it: on to the result page when it was
/// carried out (now, or under the same key before); its error otherwise, for the form to
/// show.
pub fn finish<T>(result: Result<T, AppError>, key: &str) -> Result<Response, AppError> {
    match result {
        Ok(_) => Ok(done(key)),
        Err(e) if repeated(&e) => Ok(done(key)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_as_forms_send_them() {
        let f = Fields::new(vec![
            ("channels".into(), "web".into()),
            ("title_fr".into(), "  Arrêt  ".into()),
            ("channels".into(), "mobile".into()),
            ("fakes".into(), "bmce-secure.com\r\n\r\n +212 600 \n".into()),
        ]);
        assert_eq!(f.all("channels"), ["web", "mobile"]);
        assert_eq!(f.get("nothing"), "");
        assert_eq!(f.opt("title_fr").as_deref(), Some("Arrêt"));
        assert_eq!(f.opt("title_ar"), None);
        assert_eq!(f.lines("fakes"), ["bmce-secure.com", "+212 600"]);
        let t = f.texts("title");
        assert_eq!(
            (t.fr.as_deref(), t.ar.as_deref()),
            (Some("  Arrêt  "), Some(""))
        );
    }

    #[test]
    fn only_keys_of_the_desk_shape_are_taken() {
        let k = fresh_key();
        let with = |v: &str| Fields::new(vec![(KEY_FIELD.into(), v.into())]);
        assert_eq!(key(&with(&k)).expect("valid"), k);
        assert!(key(&with("desk:xyz")).is_err());
        assert!(key(&with("api:admin:1234")).is_err());
        assert!(key(&Fields::default()).is_err());
        assert_ne!(fresh_key(), k);
    }

    #[test]
    fn a_repeated_key_goes_on_to_the_result() {
        let again = AppError::Conflict(Msg::new("err-request-repeated"));
        let other = AppError::Conflict(Msg::new("err-incident-over"));
        assert!(repeated(&again) && !repeated(&other));
        assert_eq!(
            finish::<()>(Err(again), "desk:k").expect("done").status(),
            axum::http::StatusCode::SEE_OTHER
        );
        assert!(finish::<()>(Err(other), "desk:k").is_err());
    }
}
