//! A new subscription, from the JSON API or the form: the request checked
//! (`request.rs`), then what needs the network or the database (the target's address, a
//! followed incident still open, the client's hourly allowance), then the subscription
//! stored with its first delivery: a webhook's challenge or an email's confirmation.

use super::access::new_id;
use super::request::{self, refused, SubscriptionBody, Target};
use crate::alerts::guard::Refusal;
use crate::alerts::{manage_token, manage_url, token_hash, webhook, CONFIRM_WITHIN};
use crate::domain::Lang;
use crate::i18n::Msg;
use crate::store::alerts::{NewDelivery, Purpose, SubState, Subscription, Via};
use crate::web::error::AppError;
use crate::web::AppState;

/// A confirmation goes to one mailbox at most this often.
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
    // Counted before any lookup, refusals included: a client naming a silent domain uses
    // up its allowance like any other.
    if !state.alerts.admit(client) {
        return Err(AppError::TooManyRequests(
            Msg::new("err-sub-too-many").arg("max", state.config.alerts.subscriptions_per_hour),
        ));
    }
    let via = asked.target.via();
    let targets = &state.alerts.targets;
    let mut mail = None;
    let (target, secret) = match asked.target {
        Target::Webhook { url } => {
            targets
                .check(client, &url)
                .await
                .map_err(|why| refused_target(&url, why))?;
            (url, Some(webhook::new_secret()))
        }
        Target::Email { address } => {
            let target = address.address.clone();
            mail = Some(address);
            (target, None)
        }
        Target::Push { endpoint, keys } => {
            targets
                .check(client, &endpoint)
                .await
                .map_err(|why| refused_target(&endpoint, why))?;
            let keys =
                serde_json::to_string(&keys).map_err(|e| AppError::Internal(e.to_string()))?;
            (endpoint, Some(keys))
        }
    };
    // Held from the count to the insert, so simultaneous requests for one mailbox see
    // each other.
    let _counting = match &mail {
        Some(_) => Some(state.alerts.mail_gate.lock().await),
        None => None,
    };
    let now = state.clock.now();
    if let Some(mail) = &mail {
        let limits = &state.config.alerts;
        let sent = state
            .store
            .mail_counts(mail, now - CONFIRM_EVERY, now - chrono::Duration::days(1))
            .await?;
        if sent.mailbox_hour > 0 || sent.mailbox_day >= i64::from(limits.confirmations_per_mailbox)
        {
            // Said the same way as a fresh one: nobody learns whether an address is known.
            return Ok(Created::Email);
        }
        if sent.domain_day >= i64::from(limits.confirmations_per_domain) {
            return Err(AppError::TooManyRequests(
                Msg::new("err-sub-mail-domain").arg("domain", mail.domain.as_str()),
            ));
        }
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

/// A target the guard refused: 429 when only its slots were full, else 422.
fn refused_target(url: &str, why: Refusal) -> AppError {
    if why == Refusal::Busy {
        AppError::TooManyRequests(refused(url, why))
    } else {
        AppError::Unprocessable(refused(url, why))
    }
}
