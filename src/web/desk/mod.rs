//! The operator's desk, `/desk`: every operator action as a plain form, server-rendered in
//! Arabic, French and English, without script, for a phone as much as a desk.
//!
//! Where each part lives:
//! - `session.rs`: signing in with an operator token (throttled per address) and out; the
//!   session cookie and its lifetime.
//! - `form.rs`: what every form shares: the origin and form-token checks, the
//!   idempotency key, the redirect to the result.
//! - `page.rs`: the language, the form token, the desk's bar, fields in three languages.
//! - `home.rs`: the first screen and the result of an action; `attention.rs` what needs
//!   attention there.
//! - One module per form: `windows.rs`, `incidents.rs` (outages and advisories),
//!   `statements.rs`, `updates.rs` (with ready texts and the preview), `corrections.rs`,
//!   `withdrawals.rs`, `moderation.rs`.
//!
//! The forms check nothing of their own beyond what a form needs: each calls the same
//! action as the JSON API (`web/operator/actions.rs`, `web/statements/create.rs`).

pub mod attention;
pub mod corrections;
pub mod form;
pub mod home;
pub mod incidents;
pub mod moderation;
pub mod page;
pub mod session;
pub mod statements;
pub mod updates;
pub mod windows;
pub mod withdrawals;
