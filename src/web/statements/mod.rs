//! The banks' statements on the web: recorded by the operator, listed by anyone, quoted on
//! the pages.
//!
//! - `request.rs`: a statement request checked into what it asks to record, pure;
//! - `create.rs`: the incidents it speaks of, then the store; the JSON API and the
//!   operator's form both call [`create`];
//! - `api.rs`: `POST` and `GET /api/v1/statements`, and the JSON view the incident's JSON
//!   and feeds share;
//! - `panel.rs`: the "What {bank} says" panel, the home page's line, the bank's promise as
//!   a channel's "until when".

mod api;
mod create;
pub mod panel;
mod request;

pub use api::{
    __path_list_statements, __path_post_statement, anchor, list_statements, post_statement,
    statement_view, StatementView,
};
pub use create::create;
pub use request::{check, Checked, StatementBody, Texts};
