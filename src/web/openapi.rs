//! The API described in OpenAPI 3, generated from the handlers' annotations, and the table
//! of API routes the router is built from, so the two cannot drift apart.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::statuspage as sp;
use super::AppState;
use super::{agents, api, operator, reports};

/// Every API route as (method, path). The router is built from this table.
pub const API_ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/status"),
    ("get", "/api/v1/banks/{slug}"),
    ("get", "/api/v1/incidents"),
    ("post", "/api/v1/incidents"),
    ("get", "/api/v1/incidents/{id}"),
    ("post", "/api/v1/incidents/{id}/updates"),
    ("get", "/api/v1/maintenance"),
    ("post", "/api/v1/maintenance"),
    ("post", "/api/v1/reports"),
    ("delete", "/api/v1/reports/{id}"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/agents/assignment"),
    ("post", "/api/v1/agents/results"),
    ("get", "/api/v2/summary.json"),
    ("get", "/api/v2/status.json"),
    ("get", "/api/v2/components.json"),
    ("get", "/api/v2/incidents.json"),
    ("get", "/api/v2/incidents/unresolved.json"),
    ("get", "/api/v2/scheduled-maintenances.json"),
    ("get", "/api/v2/scheduled-maintenances/upcoming.json"),
    ("get", "/api/v2/scheduled-maintenances/active.json"),
    ("get", "/banks/{slug}/api/v2/summary.json"),
    ("get", "/banks/{slug}/api/v2/status.json"),
    ("get", "/banks/{slug}/api/v2/components.json"),
    ("get", "/banks/{slug}/api/v2/incidents.json"),
    ("get", "/banks/{slug}/api/v2/incidents/unresolved.json"),
    ("get", "/banks/{slug}/api/v2/scheduled-maintenances.json"),
    (
        "get",
        "/banks/{slug}/api/v2/scheduled-maintenances/upcoming.json",
    ),
    (
        "get",
        "/banks/{slug}/api/v2/scheduled-maintenances/active.json",
    ),
];

/// The handler of one row of [`API_ROUTES`]; `None` for a row without one.
pub fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("get", "/api/v1/status") => get(api::status),
        ("get", "/api/v1/banks/{slug}") => get(api::bank),
        ("get", "/api/v1/incidents") => get(api::list_incidents),
        ("post", "/api/v1/incidents") => post(operator::create_incident),
        ("get", "/api/v1/incidents/{id}") => get(api::incident),
        ("post", "/api/v1/incidents/{id}/updates") => post(operator::add_update),
        ("get", "/api/v1/maintenance") => get(api::maintenance),
        ("post", "/api/v1/maintenance") => post(operator::create_window),
        ("post", "/api/v1/reports") => post(reports::post_report),
        ("delete", "/api/v1/reports/{id}") => delete(operator::delete_report),
        ("get", "/api/v1/openapi.json") => get(openapi_json),
        ("get", "/api/v1/agents/assignment") => get(agents::assignment),
        ("post", "/api/v1/agents/results") => post(agents::results),
        ("get", "/api/v2/summary.json") => get(sp::summary),
        ("get", "/api/v2/status.json") => get(sp::status),
        ("get", "/api/v2/components.json") => get(sp::components),
        ("get", "/api/v2/incidents.json") => get(sp::incidents),
        ("get", "/api/v2/incidents/unresolved.json") => get(sp::unresolved),
        ("get", "/api/v2/scheduled-maintenances.json") => get(sp::maintenances),
        ("get", "/api/v2/scheduled-maintenances/upcoming.json") => get(sp::upcoming),
        ("get", "/api/v2/scheduled-maintenances/active.json") => get(sp::active),
        ("get", "/banks/{slug}/api/v2/summary.json") => get(sp::bank_summary),
        ("get", "/banks/{slug}/api/v2/status.json") => get(sp::bank_status),
        ("get", "/banks/{slug}/api/v2/components.json") => get(sp::bank_components),
        ("get", "/banks/{slug}/api/v2/incidents.json") => get(sp::bank_incidents),
        ("get", "/banks/{slug}/api/v2/incidents/unresolved.json") => get(sp::bank_unresolved),
        ("get", "/banks/{slug}/api/v2/scheduled-maintenances.json") => get(sp::bank_maintenances),
        ("get", "/banks/{slug}/api/v2/scheduled-maintenances/upcoming.json") => {
            get(sp::bank_upcoming)
        }
        ("get", "/banks/{slug}/api/v2/scheduled-maintenances/active.json") => get(sp::bank_active),
        _ => return None,
    })
}

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "bankstatus", description = "Bank status: statuses, incidents, maintenance and crowd reports."),
    paths(
        api::status,
        api::bank,
        api::list_incidents,
        api::incident,
        api::maintenance,
        operator::create_incident,
        operator::add_update,
        operator::create_window,
        operator::delete_report,
        reports::post_report,
        agents::assignment,
        agents::results,
        openapi_json,
        sp::summary, sp::status, sp::components, sp::incidents, sp::unresolved,
        sp::maintenances, sp::upcoming, sp::active,
        sp::bank_summary, sp::bank_status, sp::bank_components, sp::bank_incidents,
        sp::bank_unresolved, sp::bank_maintenances, sp::bank_upcoming, sp::bank_active,
    ),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
});

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3 document of this API")))]
pub async fn openapi_json() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT.as_str(),
    )
        .into_response()
}
