//! The OpenAPI document drives a fuzzer's worth of requests through the real server: values
//! taken from its enums, formats and patterns, then broken one field at a time, with and
//! without the tokens. No answer is a 5xx, and every status is one the document lists for
//! that operation.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

use crate::helpers::{bank_config, TestApp, ADMIN, AGENT};

/// A valid value for `schema`, resolving references in `doc`.
fn example(doc: &Value, schema: &Value, rng: &mut StdRng, depth: u32) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let target = doc
            .pointer(r.trim_start_matches('#'))
            .cloned()
            .unwrap_or(Value::Null);
        return example(doc, &target, rng, depth);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema[key].as_array() {
            let part = parts
                .iter()
                .find(|p| p["type"] != "null")
                .cloned()
                .unwrap_or(Value::Null);
            return example(doc, &part, rng, depth);
        }
    }
    if let Some(words) = schema["enum"].as_array() {
        return words[rng.gen_range(0..words.len())].clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types
            .iter()
            .find(|t| *t != "null")
            .cloned()
            .unwrap_or(Value::Null),
        t => t.clone(),
    };
    match ty.as_str().unwrap_or("object") {
        "string" if schema["format"] == "date-time" => json!("2026-02-13T16:00:00+01:00"),
        "string" if schema["pattern"].is_string() => json!("acme"),
        "string" => json!(["panne", "عطل في الشبكة", "x"][rng.gen_range(0..3)]),
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "array" if depth < 4 => json!([example(doc, &schema["items"], rng, depth + 1)]),
        "object" if depth < 4 => {
            let mut out = Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (name, prop) in props {
                    out.insert(name.clone(), example(doc, prop, rng, depth + 1));
                }
            }
            Value::Object(out)
        }
        _ => Value::Null,
    }
}

/// A value that breaks a field: the wrong type, a word from no vocabulary, an extreme.
fn broken(rng: &mut StdRng) -> Value {
    let choices = [
        json!(null),
        json!(-1),
        json!(99_999_999_999_999_999u64),
        json!("NOPE"),
        json!(""),
        json!("x".repeat(5000)),
        json!([]),
        json!({}),
        json!(true),
        json!("2026-13-45T99:00"),
        json!("ATM \u{202e}gnp.exe"),
    ];
    choices[rng.gen_range(0..choices.len())].clone()
}

/// Values for a path or query parameter: valid ones from its schema, then hostile ones.
fn parameter_values(schema: &Value) -> Vec<String> {
    let mut values: Vec<String> = schema["enum"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    values.extend(
        [
            "acme",
            "1",
            "0",
            "-1",
            "abc",
            "",
            "NOPE",
            "true",
            "1.5",
            "2026-02-13T16:00:00Z",
            "2026-02-13",
            "99999999999999999999",
            "%00",
            "%E2%80%AE",
            "..%2F..",
        ]
        .map(str::to_owned),
    );
    values.push("z".repeat(300));
    values
}

struct Call {
    method: String,
    path: String,
    body: Option<String>,
    content_type: &'static str,
    auth: Option<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_driven_requests_get_no_5xx_and_only_documented_answers() {
    let app = TestApp::spawn(&bank_config("acme", &[], &[])).await;
    // Something of each kind on the record, so the lists answer with real objects.
    for (path, body) in [
        (
            "/api/v1/maintenance",
            json!({"bank": "acme", "channels": ["web"], "starts": "2026-02-13T16:00",
                   "ends": "2026-02-15T18:00", "title": {"fr": "Arrêt"},
                   "source": "https://bank.example/annonce"}),
        ),
        (
            "/api/v1/incidents",
            json!({"kind": "outage", "banks": ["acme"], "channels": ["atm"],
                   "title": {"fr": "Panne"}, "message": {"fr": "Pas d'argent"}}),
        ),
        (
            "/api/v1/statements",
            json!({"bank": "acme", "text": {"fr": "Un problème dans le système."},
                   "source_url": "https://bank.example/post", "source_kind": "facebook",
                   "said_at": "2026-02-13T12:00"}),
        ),
    ] {
        let (status, v) = app.post(path, &body, true).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{path}: {v}");
    }
    let (status, v) = app
        .report_with(
            "192.0.2.7",
            json!({"bank": "acme", "channel": "atm", "symptom": "no_cash"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{v}");
    let doc = app.json("/api/v1/openapi.json").await;
    let mut rng = StdRng::seed_from_u64(15);
    let mut calls = Vec::new();
    // Each round draws other values, broken fields and tokens.
    for (template, item) in (0..4).flat_map(|_| doc["paths"].as_object().unwrap()) {
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let token = if template.contains("/agents/") {
                AGENT
            } else {
                ADMIN
            };
            let auths = [
                Some(format!("Bearer {token}")),
                Some(format!("bearer {token}")),
                Some("Bearer wrong".to_owned()),
                Some("Basic YTpi".to_owned()),
                None,
            ];
            let mut paths = Vec::new();
            for p in params.iter().filter(|p| p["in"] == "path") {
                for v in parameter_values(&p["schema"]) {
                    paths.push(
                        template.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), &v),
                    );
                }
            }
            if paths.is_empty() {
                paths.push(template.clone());
            }
            let valid_query: Vec<(String, String)> = params
                .iter()
                .filter(|p| p["in"] == "query" && p["required"] == true)
                .map(|p| {
                    let v = example(&doc, &p["schema"], &mut rng, 0);
                    (
                        p["name"].as_str().unwrap().to_owned(),
                        v.as_str().map_or(v.to_string(), str::to_owned),
                    )
                })
                .collect();
            let mut queries = vec![valid_query.clone()];
            for p in params.iter().filter(|p| p["in"] == "query") {
                for v in parameter_values(&p["schema"]) {
                    let mut q: Vec<_> = valid_query
                        .iter()
                        .filter(|(k, _)| k != p["name"].as_str().unwrap())
                        .cloned()
                        .collect();
                    q.push((p["name"].as_str().unwrap().to_owned(), v));
                    queries.push(q);
                }
            }
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let mut bodies: Vec<(Option<String>, &'static str)> = vec![(None, "application/json")];
            if !schema.is_null() {
                for _ in 0..6 {
                    bodies.push((
                        Some(example(&doc, schema, &mut rng, 0).to_string()),
                        "application/json",
                    ));
                }
                let valid = example(&doc, schema, &mut rng, 0);
                if let Some(fields) = valid.as_object() {
                    for name in fields.keys() {
                        let mut without = fields.clone();
                        without.remove(name);
                        bodies.push((Some(Value::Object(without).to_string()), "application/json"));
                        for _ in 0..4 {
                            let mut changed = fields.clone();
                            changed.insert(name.clone(), broken(&mut rng));
                            bodies.push((
                                Some(Value::Object(changed).to_string()),
                                "application/json",
                            ));
                        }
                    }
                }
                bodies.extend([
                    (Some("not json".to_owned()), "application/json"),
                    (Some("[]".to_owned()), "application/json"),
                    (Some(valid.to_string()), "text/plain"),
                    (
                        Some(format!("{{\"pad\":\"{}\"}}", "p".repeat(40_000))),
                        "application/json",
                    ),
                ]);
            }
            for path in &paths {
                for query in &queries {
                    let qs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    let url = if qs.is_empty() {
                        path.clone()
                    } else {
                        format!("{path}?{}", qs.join("&"))
                    };
                    let bodies_here: Vec<_> = if path == &paths[0] && query == &queries[0] {
                        bodies.clone()
                    } else {
                        vec![bodies[bodies.len().min(2) - 1].clone()]
                    };
                    for (body, content_type) in bodies_here {
                        let auth = auths[rng.gen_range(0..auths.len())].clone();
                        let auth = if path == &paths[0] && query == &queries[0] {
                            Some(format!("Bearer {token}"))
                        } else {
                            auth
                        };
                        calls.push(Call {
                            method: method.clone(),
                            path: url.clone(),
                            body,
                            content_type,
                            auth,
                        });
                    }
                }
            }
            for auth in auths {
                calls.push(Call {
                    method: method.clone(),
                    path: paths[0].clone(),
                    body: bodies.last().and_then(|b| b.0.clone()),
                    content_type: "application/json",
                    auth,
                });
            }
        }
    }
    assert!(calls.len() > 1000, "only {} requests", calls.len());
    let mut failures = Vec::new();
    let mut answers = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        let url = app.url(&call.path);
        let method = reqwest::Method::from_bytes(call.method.to_uppercase().as_bytes()).unwrap();
        let send = |client: &reqwest::Client| {
            let mut req = client.request(method.clone(), &url).header(
                "x-forwarded-for",
                format!("10.9.{}.{}", i / 250 % 250, i % 250),
            );
            if let Some(auth) = &call.auth {
                req = req.header("authorization", auth);
            }
            if let Some(body) = &call.body {
                req = req
                    .header("content-type", call.content_type)
                    .body(body.clone());
            }
            req.send()
        };
        // A body refused before it was read (413) may close the connection under the
        // client's write: that answer stands, on a fresh connection.
        let answer = match send(&app.client).await {
            Ok(r) => r,
            Err(_) => send(&reqwest::Client::new()).await.unwrap(),
        };
        let status = answer.status().as_u16();
        let is_json = answer
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("application/json"));
        let body = answer.text().await.unwrap_or_default();
        let template = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .find(|t| matches(t, &call.path))
            .unwrap();
        let documented = doc["paths"][template][&call.method]["responses"]
            .get(status.to_string())
            .is_some();
        if status >= 500 || !documented {
            failures.push(format!(
                "{} {} {:?} -> {status}",
                call.method,
                call.path,
                call.body.as_deref().map(|b| &b[..b.len().min(120)])
            ));
        }
        // What it answered, against what the document says it answers.
        let schema = &doc["paths"][template][&call.method]["responses"][status.to_string()]
            ["content"]["application/json"]["schema"];
        if documented && is_json && !schema.is_null() {
            let escape = |s: &str| s.replace('~', "~0").replace('/', "~1");
            answers.push(json!({
                "where": format!("{} {} -> {status}", call.method, call.path),
                "pointer": format!(
                    "/paths/{}/{}/responses/{status}/content/application~1json/schema",
                    escape(template),
                    call.method
                ),
                "instance": serde_json::from_str::<Value>(&body).unwrap_or(Value::Null),
            }));
        }
    }
    // The document is valid OpenAPI 3.1, and every answer keeps to it.
    assert!(
        answers.len() > 500,
        "only {} answers to check",
        answers.len()
    );
    let request = json!({ "document": doc, "answers": answers }).to_string();
    let mut child = std::process::Command::new(crate::alerts::python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/it/py/openapi_conformance.py"
        ))
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(request.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "answers outside their schemas:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        failures.is_empty(),
        "{} of {} requests answered outside the document:\n{}",
        failures.len(),
        calls.len(),
        failures[..failures.len().min(30)].join("\n")
    );
}

/// Whether `path` (with its query) is an instance of the template `t`.
fn matches(t: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap();
    let (ts, ps): (Vec<_>, Vec<_>) = (t.split('/').collect(), path.split('/').collect());
    ts.len() == ps.len()
        && ts
            .iter()
            .zip(&ps)
            .all(|(a, b)| a.starts_with('{') || a == b)
}
