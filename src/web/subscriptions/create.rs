//! A new subscription, from the JSON API or the form: the request checked
//! (`request.rs`), then what needs the network or the database (the target's address, a
//! followed incident still open, the client's hourly allowance), then the subscription
//! stored with its first delivery: a webhook's challenge or an email's confirmation.

use super::access::new_id;
use super::request::{self, refused, SubscriptionBody, Target};
use crate::alerts::guard::check_url;
use crate::alerts::{manage_token, manage_url, token_hash, webhook, CONFIRM_WITHIN};
use crate::domain::Lang;
use crate::i18n::Msg;
use crate::store::alerts::{NewDelivery, Purpose, SubState, Subscription, Via};
use crate::web::error::AppError;
use crate::web::AppState;

/// A confirmation goes to one address at most this often.
const CONFIRM_EVERY: chrono::Duration = chrono::Duration::hours(1);

/// What a new subscription hands back.
pub(super) enum Created {
    Webhook {
        id: String,
        secret: String,
        manage_url: String,
    },
    /// Accepted; a confirmation is on its way (or was sent within the hour).
    Email,
    Push {
        id: String,
        manage_url: String,
    },
}

/// Checks a request from `client` (its keyed hash) and stores the subscription it asks
/// for; its links start at `base`, and `fallback_lang` is its language unless it names one.
pub(super) async fn create(
    state: &AppState,
    client: &str,
    body: SubscriptionBody,
    base: String,
    fallback_lang: Lang,
) -> Result<Created, AppError> {
    let known: Vec<&str> = state.config.banks.iter().map(|b| b.slug.as_str()).collect();
    let asked = request::check(body, &known, state.config.email.is_some(), fallback_lang)
        .map_err(AppError::Unprocessable)?;
    if let Some(id) = asked.incident {
        let open = state
            .store
            .incident(id)
            .await?
            .is_some_and(|(i, _)| i.resolved_at.is_none());
        if !open {
            return Err(AppError::Unprocessable(
                Msg::new("err-sub-incident").arg("id", id),
            ));
        }
    }
    let allow_private = state.config.alerts.allow_private_targets;
    let via = asked.target.via();
    let (target, secret) = match asked.target {
        Target::Webhook { url } => {
            check_url(&url, allow_private)
                .await
                .map_err(|why| AppError::Unprocessable(refused(&url, why)))?;
            (url, Some(webhook::new_secret()))
        }
        Target::Email { address } => (address, None),
        Target::Push { endpoint, keys } => {
            check_url(&endpoint, allow_private)
                .await
                .map_err(|why| AppError::Unprocessable(refused(&endpoint, why)))?;
            let keys =
                serde_json::to_string(&keys).map_err(|e| AppError::Internal(e.to_string()))?;
            (endpoint, Some(keys))
        }
    };
    if !state.alerts.admit(client) {
        return Err(AppError::TooManyRequests(
            Msg::new("err-sub-too-many").arg("max", state.config.alerts.subscriptions_per_hour),
        ));
    }
    let now = state.clock.now();
    if via == Via::Email
        && state
            .store
            .subscribed_since(Via::Email, &target, now - CONFIRM_EVERY)
            .await?
    {
        // Said the same way as a fresh one: nobody learns whether an address is known.
        return Ok(Created::Email);
    }
    let id = new_id();
    let token = manage_token(&state.alerts.key, &id);
    let (sub_state, first) = match via {
        Via::Webhook => (SubState::Pending, Some(Purpose::Verify)),
        Via::Email => (SubState::Pending, Some(Purpose::Confirm)),
        Via::Push => (SubState::Active, None),
    };
    let sub = Subscription {
        id: id.clone(),
        via,
        target,
        secret: secret.clone(),
        manage_hash: token_hash(&token),
        banks: asked.banks,
        channels: asked.channels,
        incident_kinds: asked.kinds,
        incident_id: asked.incident,
        lang: asked.lang,
        base_url: base.clone(),
        state: sub_state,
        created_at: now,
        expires_at: (via == Via::Email).then(|| now + CONFIRM_WITHIN),
        quarantined_at: None,
    };
    let first = first.map(|purpose| NewDelivery {
        id: format!("{}_{id}", purpose.as_str()),
        subscription_id: id.clone(),
        purpose,
        event_id: None,
        ends_it: false,
        due_at: now,
    });
    state.alerts.subscribe(&sub, first.as_ref()).await?;
    let manage_url = manage_url(&state.alerts.key, &base, &id);
    Ok(match via {
        Via::Webhook => Created::Webhook {
            id,
            secret: secret.unwrap_or_default(),
            manage_url,
        },
        Via::Email => Created::Email,
        Via::Push => Created::Push { id, manage_url },
    })
}
