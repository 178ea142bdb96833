//! HTTP: the router, pages, JSON API, operations endpoints and errors.

pub mod api;
pub mod assets;
pub mod auth;
pub mod cache;
pub mod error;
pub mod input;
pub mod lang;
pub mod operator;
pub mod ops;
pub mod pages;
pub mod reports;
pub mod svg;
pub mod views;

use axum::http::{header, HeaderValue};
use axum::routing::{delete, get, post};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::app::AppState;

/// No script at all, styles only from our own origin, never framed.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/banks/{slug}", get(pages::bank))
        .route("/incidents/{id}", get(pages::incident))
        .route(
            "/report",
            get(reports::report_form).post(reports::submit_form),
        )
        .route("/static/{file}", get(assets::serve))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/api/v1/status", get(api::status))
        .route("/api/v1/banks/{slug}", get(api::bank))
        .route("/api/v1/incidents", post(operator::create_incident))
        .route("/api/v1/incidents/{id}", get(api::incident))
        .route("/api/v1/incidents/{id}/updates", post(operator::add_update))
        .route(
            "/api/v1/maintenance",
            get(api::maintenance).post(operator::create_window),
        )
        .route("/api/v1/reports", post(reports::post_report))
        .route("/api/v1/reports/{id}", delete(operator::delete_report))
        .fallback(error::fallback)
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .with_state(state)
}
