//! Alerts for people and their machines, without an account: the subscribe page (email and
//! webhooks work without JavaScript; Web Push needs the small script it serves), the JSON
//! API, confirmation, the manage page and one-click unsubscribe, and the operator's view.
//!
//! - `request.rs`: a subscription request checked into what it asks for, pure;
//! - `create.rs`: the checks that need the network or the database, then the store;
//! - `access.rs`: subscription ids and their manage tokens;
//! - `api.rs`: the JSON API; `form.rs`: the subscribe page; `manage.rs`: the pages a
//!   subscription's links open; `page.rs`: what those pages share.

mod access;
mod api;
mod create;
mod form;
mod manage;
mod page;
mod request;

pub use api::{
    __path_delete_subscription, __path_post_subscription, __path_subscription_stats,
    __path_vapid_public_key, delete_subscription, post_subscription, subscription_stats,
    vapid_public_key,
};
pub use form::{push_script, push_worker, submit_subscribe, subscribe_form, Choice, SubscribePage};
pub use manage::{confirm, confirm_page, manage, unsubscribe};
pub use page::{SubscriptionPage, Words};
pub use request::SubscriptionBody;
