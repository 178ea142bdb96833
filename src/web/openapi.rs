//! The API described in OpenAPI 3.1. Each API route is registered once, by its handler's
//! `#[utoipa::path]` in [`api_routes`]: the router and this document both come from there.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::statuspage as sp;
use super::AppState;
use super::{agents, api, discovery, operator, reports, statements, subscriptions};
use crate::domain::{
    Channel, IncidentKind, IncidentState, Lang, Source, SourceKind, Status, Vocabulary,
};

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
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

/// Every API route, each registered once with its handler; routes sharing a path share a
/// `routes!` call.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::status))
        .routes(routes!(api::bank))
        .routes(routes!(api::list_incidents, operator::create_incident))
        .routes(routes!(api::incident))
        .routes(routes!(operator::add_update))
        .routes(routes!(operator::correct_update))
        .routes(routes!(operator::withdraw_incident))
        .routes(routes!(api::maintenance, operator::create_window))
        .routes(routes!(operator::change_window))
        .routes(routes!(
            statements::list_statements,
            statements::post_statement
        ))
        .routes(routes!(discovery::status))
        .routes(routes!(discovery::outages))
        .routes(routes!(reports::post_report))
        .routes(routes!(operator::delete_report))
        .routes(routes!(operator::delete_reporter_reports))
        .routes(routes!(openapi_json))
        .routes(routes!(agents::assignment))
        .routes(routes!(agents::results))
        .routes(routes!(subscriptions::post_subscription))
        .routes(routes!(subscriptions::subscription_stats))
        .routes(routes!(subscriptions::delete_subscription))
        .routes(routes!(subscriptions::vapid_public_key))
        .routes(routes!(sp::summary))
        .routes(routes!(sp::status))
        .routes(routes!(sp::components))
        .routes(routes!(sp::incidents))
        .routes(routes!(sp::unresolved))
        .routes(routes!(sp::maintenances))
        .routes(routes!(sp::upcoming))
        .routes(routes!(sp::active))
        .routes(routes!(sp::bank_summary))
        .routes(routes!(sp::bank_status))
        .routes(routes!(sp::bank_components))
        .routes(routes!(sp::bank_incidents))
        .routes(routes!(sp::bank_unresolved))
        .routes(routes!(sp::bank_maintenances))
        .routes(routes!(sp::bank_upcoming))
        .routes(routes!(sp::bank_active))
}

/// The document of [`api_routes`], completed.
pub fn document() -> Value {
    let (_, api) = api_routes().split_for_parts();
    let mut doc = serde_json::to_value(api).unwrap_or_else(|e| json!({ "error": e.to_string() }));
    complete(&mut doc);
    doc
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| document().to_string());

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
        for (name, schema) in schemas
            .iter_mut()
            .filter(|(name, _)| !name.starts_with("Sp"))
        {
            // A window's `source` is where the bank announced it, not a signal source.
            if WINDOW_SCHEMAS.contains(&name.as_str()) {
                if let Some(source) = schema.pointer_mut("/properties/source") {
                    let nullable = source.get("type") == Some(&json!(["string", "null"]));
                    *source = json!({
                        "type": if nullable { json!(["string", "null"]) } else { json!("string") },
                        "format": "uri",
                        "description": "Where the bank announced it",
                    });
                }
            }
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

/// The schemas whose `source` is the announcement's address rather than a signal source.
const WINDOW_SCHEMAS: &[&str] = &["WindowView", "WindowBody"];

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
        "source_kind" => Some(SourceKind::NAMES.to_vec()),
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
    // Set by name already (a window's announcement address).
    if target.get("format") == Some(&json!("uri")) {
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
        | "said_at" | "expected_back_at" | "recorded_at"
            if is_string =>
        {
            target.insert("format".into(), json!("date-time"));
        }
        "limit" if !is_string => {
            target.insert("minimum".into(), json!(1));
            target.insert("maximum".into(), json!(super::api::MAX_PAGE));
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
