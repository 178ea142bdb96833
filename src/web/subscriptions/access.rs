//! Subscription ids, and who may manage a subscription: whoever holds its manage token,
//! given as `?token=` (the links in every message) or `Authorization: Bearer` (scripts).

use axum::http::{HeaderMap, Uri};
use rand::RngCore;

use crate::alerts::manage_token;
use crate::i18n::Msg;
use crate::store::alerts::Subscription;
use crate::web::auth::bearer;
use crate::web::error::AppError;
use crate::web::input::query_param;
use crate::web::AppState;

/// The longest id part, in hex digits, that [`well_formed`] takes.
const MAX_ID_DIGITS: usize = 64;

/// A fresh subscription id: `sub_` and 24 random hex digits.
pub(super) fn new_id() -> String {
    let mut b = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("sub_{}", crate::keys::hex(&b))
}

/// An id as [`new_id`] makes them; anything else names no subscription, and never reaches
/// the database (PostgreSQL refuses a NUL in a string, which would read as a storage fault).
pub(super) fn well_formed(id: &str) -> Result<(), AppError> {
    if id_shape(id) {
        Ok(())
    } else {
        Err(AppError::NotFound(
            Msg::new("err-sub-not-found").arg("id", id),
        ))
    }
}

fn id_shape(id: &str) -> bool {
    id.strip_prefix("sub_").is_some_and(|h| {
        (1..=MAX_ID_DIGITS).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The manage token of a request: `?token=` or `Authorization: Bearer`.
pub(super) fn given_token(uri: &Uri, headers: &HeaderMap) -> Option<String> {
    query_param(uri.query(), "token").or_else(|| bearer(headers).map(str::to_owned))
}

/// Whether `token` manages subscription `id`, compared in constant time.
pub(super) fn token_ok(state: &AppState, id: &str, token: Option<&str>) -> bool {
    token.is_some_and(|t| {
        crate::keys::same(t.as_bytes(), manage_token(&state.alerts.key, id).as_bytes())
    })
}

/// The subscription `id` if `token` manages it: 404 for an id that cannot be one, 403 for
/// the wrong token, 404 for one that is gone.
pub(super) async fn managed(
    state: &AppState,
    id: &str,
    token: Option<&str>,
) -> Result<Subscription, AppError> {
    well_formed(id)?;
    if !token_ok(state, id, token) {
        return Err(AppError::Forbidden(Msg::new("err-sub-token")));
    }
    state
        .store
        .subscription(id)
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new("err-sub-not-found").arg("id", id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_well_formed_and_fresh() {
        let (a, b) = (new_id(), new_id());
        assert!(id_shape(&a), "{a}");
        assert_eq!(a.len(), 4 + 24);
        assert_ne!(a, b);
    }

    #[test]
    fn anything_else_names_no_subscription() {
        assert!(id_shape("sub_0A9f"));
        assert!(id_shape(&format!("sub_{}", "a".repeat(MAX_ID_DIGITS))));
        for id in [
            "",
            "sub_",
            "0a9f",
            "msg_0a9f",
            "sub_0a9g",
            "sub_0a\u{0}",
            "sub_../x",
            &format!("sub_{}", "a".repeat(MAX_ID_DIGITS + 1)),
        ] {
            assert!(!id_shape(id), "{id:?}");
            assert!(
                matches!(well_formed(id), Err(AppError::NotFound(_))),
                "{id:?}"
            );
        }
        assert!(well_formed("sub_0a9f").is_ok());
    }

    #[test]
    fn the_token_comes_from_the_query_first_then_the_bearer_header() {
        let uri: Uri = "/subscriptions/sub_1?token=abc".parse().expect("uri");
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer xyz".parse().expect("header"));
        assert_eq!(given_token(&uri, &headers).as_deref(), Some("abc"));
        let bare: Uri = "/subscriptions/sub_1".parse().expect("uri");
        assert_eq!(given_token(&bare, &headers).as_deref(), Some("xyz"));
        assert_eq!(given_token(&bare, &HeaderMap::new()), None);
    }
}
