//! The API described in OpenAPI 3, generated from the handlers' annotations, and the table
//! of API routes the router is built from, so the two cannot drift apart.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use serde_json::{json, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::statuspage as sp;
use super::AppState;
use super::{agents, api, operator, reports, subscriptions};
use crate::domain::{Channel, IncidentKind, IncidentState, Lang, Source, Status, Vocabulary};

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
    ("post", "/api/v1/subscriptions"),
    ("get", "/api/v1/subscriptions/stats"),
    ("delete", "/api/v1/subscriptions/{id}"),
    ("get", "/api/v1/push/vapid-public-key"),
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
        ("post", "/api/v1/subscriptions") => post(subscriptions::post_subscription),
        ("get", "/api/v1/subscriptions/stats") => get(subscriptions::subscription_stats),
        ("delete", "/api/v1/subscriptions/{id}") => delete(subscriptions::delete_subscription),
        ("get", "/api/v1/push/vapid-public-key") => get(subscriptions::vapid_public_key),
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
        subscriptions::post_subscription,
        subscriptions::subscription_stats,
        subscriptions::delete_subscription,
        subscriptions::vapid_public_key,
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
    let mut doc = match serde_json::to_value(ApiDoc::openapi()) {
        Ok(doc) => doc,
        Err(e) => return format!("{{\"error\":\"{e}\"}}"),
    };
    complete(&mut doc);
    doc.to_string()
});

/// What the annotations leave out, added by name so every operation says it the same way:
/// the vocabulary's words as enums, times as `date-time`, slugs and regions as patterns,
/// and every status an operation can answer (the extractors' 400/413/415, the tokens'
/// 401/403, a path's 404, storage's 503). Generic clients and fuzzers can then reach the
/// write paths, and a test holds every answer to this list.
fn complete(doc: &mut Value) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                complete_operation(path, method, op);
            }
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        // The Statuspage-compatible documents (`Sp...`) speak Statuspage's words, not ours:
        // their fields say which.
        for (_, schema) in schemas
            .iter_mut()
            .filter(|(name, _)| !name.starts_with("Sp"))
        {
            complete_properties(schema);
        }
    }
}

fn complete_operation(path: &str, method: &str, op: &mut Value) {
    let secured = op.get("security").is_some();
    let has_query = op
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    let has_body = op.get("requestBody").is_some() || method == "post";
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params {
            let name = p["name"].as_str().unwrap_or("").to_owned();
            if let Some(schema) = p.get_mut("schema") {
                constrain(&name, schema);
            }
        }
    }
    let mut statuses: Vec<(&str, &str)> = vec![(
        "503",
        "Storage cannot take the request now; try again after `Retry-After` seconds",
    )];
    if has_query || path.contains('{') {
        statuses.push(("400", "A bad parameter"));
    }
    if path.contains('{') {
        statuses.push(("404", "Nothing at this path"));
    }
    if has_body {
        statuses.extend([
            ("400", "Malformed body"),
            ("408", "The body did not arrive in time"),
            ("413", "Body too large"),
            ("415", "Not JSON"),
            ("422", "Invalid fields"),
        ]);
    }
    if secured {
        statuses.extend([
            ("401", "Missing or wrong token"),
            ("403", "No token configured on the server"),
        ]);
    }
    if path.ends_with("/updates") {
        statuses.push((
            "409",
            "The incident is resolved, or the state does not fit its kind",
        ));
    }
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    for (code, description) in statuses {
        responses.entry(code).or_insert_with(|| {
            json!({
                "description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
            })
        });
    }
}

/// Adds what a value named `name` may be to its schema.
fn constrain(name: &str, schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let words: Option<Vec<&str>> = match name {
        "channel" | "channels" => Some(Channel::NAMES.to_vec()),
        "kind" | "incident_kinds" => Some(IncidentKind::NAMES.to_vec()),
        "state" => Some(IncidentState::NAMES.to_vec()),
        "status" => Some(
            [
                Status::MajorOutage,
                Status::PartialOutage,
                Status::Degraded,
                Status::Maintenance,
                Status::Operational,
                Status::Unknown,
            ]
            .iter()
            .map(|s| s.as_str())
            .collect(),
        ),
        "lang" => Some(Lang::NAMES.to_vec()),
        "source" | "sources" => Some(Source::NAMES.to_vec()),
        _ => None,
    };
    let is_array = obj.get("type") == Some(&json!("array"));
    let target = if is_array {
        match obj.get_mut("items").and_then(Value::as_object_mut) {
            Some(items) => items,
            None => return,
        }
    } else {
        obj
    };
    if target.contains_key("$ref") || target.contains_key("allOf") {
        return;
    }
    let is_string = target
        .get("type")
        .is_some_and(|t| t == "string" || t == &json!(["string", "null"]));
    if let Some(words) = words {
        if is_string {
            target.insert("enum".into(), json!(words));
        }
        return;
    }
    match name {
        "bank" | "banks" | "slug" | "region" if is_string => {
            target.insert("pattern".into(), json!("^[a-z0-9-]{1,32}$"));
        }
        "since" | "at" | "starts" | "ends" | "started_at" | "resolved_at" | "updated_at"
        | "created_at" | "first_seen_at" | "checked_at" | "next_check_at" | "network_cut_since"
            if is_string =>
        {
            target.insert("format".into(), json!("date-time"));
        }
        "id" | "incident_id" if !is_string => {
            target.insert("format".into(), json!("int64"));
            target.insert("minimum".into(), json!(1));
        }
        _ => {}
    }
}

/// [`constrain`] on each property of an object schema, and of the objects inside it.
fn complete_properties(schema: &mut Value) {
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, prop) in props.iter_mut() {
            constrain(name, prop);
            complete_properties(prop);
            if let Some(items) = prop.get_mut("items") {
                complete_properties(items);
            }
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get_mut(key).and_then(Value::as_array_mut) {
            parts.iter_mut().for_each(complete_properties);
        }
    }
}

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
