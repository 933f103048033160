//! The generated OpenAPI document against the running router: it lists exactly the
//! routes served, every documented parameter is read by its handler, and every real
//! response — successes and errors of every route — validates against the schema the
//! document gives for its status, strictly (no undocumented property).

use axum::http::StatusCode;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::fixture::{fixture, get, payee};

/// The routes the API serves.
const ROUTES: [&str; 17] = [
    "/v1/health",
    "/v1/blocks",
    "/v1/blocks/{height}",
    "/v1/blocks/{height}/coinbase",
    "/v1/blocks/{height}/proof",
    "/v1/addresses/{addr}/payouts",
    "/v1/index",
    "/v1/pools",
    "/v1/openapi.json",
    "/v1/silica/{id}",
    "/v1/silica",
    "/v1/amm/pools",
    "/v1/amm/pools/{id}",
    "/v1/governance/proposals",
    "/v1/governance/proposals/{id}",
    "/v1/lending/pools",
    "/v1/lending/pools/{expiry}",
];

/// A valid value for each parameter name the API uses.
fn sample(name: &str) -> String {
    match name {
        "height" => "3".into(),
        "addr" => payee().to_string(),
        "id" => "1".into(),
        "expiry" => "100".into(),
        "from" | "from_window" => "0".into(),
        "to" => "12".into(),
        "to_window" => "2".into(),
        "limit" => "2".into(),
        "after" => "2:1".into(),
        "status" => "finished".into(),
        // Absent from the fixture's blocks: the documented 404.
        "txid" => "00".repeat(32),
        other => panic!("no sample for parameter {other}"),
    }
}

async fn document(app: &Router) -> Value {
    let (status, doc) = get(app, "/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    doc
}

/// Every `(path, operation)` of the document.
fn operations(doc: &Value) -> Vec<(String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert_eq!(method, "get", "{path}: only GET routes exist");
            ops.push((path.clone(), op.clone()));
        }
    }
    ops
}

fn params(op: &Value) -> Vec<Value> {
    op["parameters"].as_array().cloned().unwrap_or_default()
}

/// A URI for `path` with every path parameter and required query parameter filled by
/// [`sample`], then `name` set to `value` (or left out when `None`).
fn fill(path: &str, op: &Value, name: &str, value: Option<&str>) -> String {
    let mut uri = path.to_string();
    let mut query = Vec::new();
    for p in params(op) {
        let n = p["name"].as_str().unwrap();
        let v = if n == name {
            match value {
                Some(v) => v.to_string(),
                None => continue,
            }
        } else if p["required"] == true {
            sample(n)
        } else {
            continue;
        };
        if p["in"] == "path" {
            uri = uri.replace(&format!("{{{n}}}"), &v);
        } else {
            query.push(format!("{n}={v}"));
        }
    }
    if query.is_empty() {
        uri
    } else {
        format!("{uri}?{}", query.join("&"))
    }
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_served() {
    let f = fixture().await;
    let doc = document(&f.app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    let mut served = ROUTES.to_vec();
    documented.sort_unstable();
    served.sort_unstable();
    assert_eq!(documented, served);

    // OpenAPI requires unique operationIds: client generators name methods by them.
    let mut ids: Vec<String> = operations(&doc)
        .iter()
        .map(|(path, op)| {
            op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{path} has no operationId"))
                .to_owned()
        })
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operationIds: {ids:?}");

    for (path, op) in operations(&doc) {
        // Path parameters are exactly the template's `{name}`s, and required.
        let in_template: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let in_doc: Vec<String> = params(&op)
            .iter()
            .filter(|p| p["in"] == "path")
            .inspect(|p| assert_eq!(p["required"], true, "{path}: {p}"))
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(in_doc, in_template, "{path}");
        // Each documented operation is served, answering a documented status.
        let uri = fill(&path, &op, "", None);
        let (status, body) = get(&f.app, &uri).await;
        assert_ne!(body["message"], "no such route", "{uri}");
        assert!(
            op["responses"].get(status.as_str()).is_some(),
            "{uri}: status {status} is not documented"
        );
    }
}

#[tokio::test]
async fn every_documented_parameter_is_read_and_a_bad_value_is_a_400_naming_it() {
    let f = fixture().await;
    let doc = document(&f.app).await;
    let mut checked = 0;
    for (path, op) in operations(&doc) {
        for p in params(&op) {
            let name = p["name"].as_str().unwrap();
            let uri = fill(&path, &op, name, Some("x9"));
            let (status, body) = get(&f.app, &uri).await;
            let message = body["message"].as_str().unwrap_or_default();
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            assert!(
                message.starts_with(name) && message.contains("\"x9\""),
                "{uri}: {message:?} should name {name} and the value"
            );
            if p["required"] == true && p["in"] == "query" {
                let uri = fill(&path, &op, name, None);
                let (status, body) = get(&f.app, &uri).await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
                assert_eq!(body["message"], format!("{name} is required"), "{uri}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 22, "parameters in the document");
}

/// `schema` with every object schema closed (`additionalProperties: false`) and every
/// `allOf` (serde `flatten`) merged into one closed object, so a response property the
/// document does not list fails validation. Checks on the way that every documented
/// property is required: the API never leaves a field out (absent values are null).
fn strict(schema: &Value, components: &Map<String, Value>) -> Value {
    match schema {
        Value::Object(m) if m.contains_key("allOf") => {
            let (mut properties, mut required) = (Map::new(), Vec::new());
            for part in m["allOf"].as_array().unwrap() {
                let part = match part["$ref"].as_str() {
                    Some(r) => &components[r.trim_start_matches("#/components/schemas/")],
                    None => part,
                };
                let part = strict(part, components);
                properties.extend(part["properties"].as_object().cloned().unwrap_or_default());
                required.extend(part["required"].as_array().cloned().unwrap_or_default());
            }
            json!({"type": "object", "properties": properties, "required": required,
                   "additionalProperties": false})
        }
        Value::Object(m) => {
            let mut out: Map<String, Value> = m
                .iter()
                .map(|(k, v)| (k.clone(), strict(v, components)))
                .collect();
            if let Some(properties) = m.get("properties").and_then(Value::as_object) {
                let mut names: Vec<&String> = properties.keys().collect();
                let mut required: Vec<&str> = m["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                names.sort_unstable();
                required.sort_unstable();
                assert_eq!(
                    names, required,
                    "a documented property is not required: {m:?}"
                );
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| strict(v, components)).collect()),
        other => other.clone(),
    }
}

/// The documented template of a concrete request path.
fn template_of<'a>(doc: &'a Value, path: &str) -> &'a str {
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .find(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segments.len()
                && ts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || t.starts_with('{'))
        })
        .unwrap_or_else(|| panic!("{path} matches no documented route"))
}

#[tokio::test]
async fn every_response_validates_strictly_against_its_documented_schema() {
    let f = fixture().await;
    let doc = document(&f.app).await;
    let components = doc["components"]["schemas"].as_object().unwrap().clone();
    let strict_components: Map<String, Value> = components
        .iter()
        .map(|(k, v)| (k.clone(), strict(v, &components)))
        .collect();
    let addr = payee().to_string();
    let uris = [
        "/v1/health".to_string(),
        "/v1/blocks?from=0&limit=3".into(),
        "/v1/blocks?from=11".into(),
        "/v1/blocks?limit=0".into(),
        "/v1/blocks/3".into(),
        "/v1/blocks/abc".into(),
        "/v1/blocks/999".into(),
        "/v1/blocks/5/coinbase".into(),
        "/v1/blocks/999/coinbase".into(),
        format!("/v1/addresses/{addr}/payouts"),
        format!("/v1/addresses/{addr}/payouts?limit=1"),
        format!("/v1/addresses/{}/payouts?after=5:1", addr.to_uppercase()),
        "/v1/addresses/%FF/payouts".into(),
        "/v1/index?from_window=0&to_window=3".into(),
        "/v1/index?from_window=3&to_window=0".into(),
        "/v1/pools?from=1&to=12".into(),
        "/v1/pools?from=1".into(),
        "/v1/pools?from=100&to=200".into(),
        "/v1/index?from_window=50&to_window=60".into(),
        "/v1/silica/1".into(),
        "/v1/silica/2".into(),
        "/v1/silica/x".into(),
        "/v1/silica".into(),
        "/v1/silica?status=OPEN&limit=1".into(),
        "/v1/silica?status=bogus".into(),
        "/v1/amm/pools".into(),
        "/v1/amm/pools/1".into(),
        "/v1/amm/pools/9".into(),
        "/v1/amm/pools/x".into(),
        "/v1/governance/proposals".into(),
        "/v1/governance/proposals/1".into(),
        "/v1/governance/proposals/2".into(),
        "/v1/governance/proposals/x".into(),
        "/v1/lending/pools".into(),
        "/v1/lending/pools/100".into(),
        "/v1/lending/pools/200".into(),
        "/v1/lending/pools/300".into(),
        "/v1/lending/pools/x".into(),
        "/v1/openapi.json".into(),
    ];
    let mut statuses = std::collections::BTreeSet::new();
    for uri in &uris {
        let (status, body) = get(&f.app, uri).await;
        let path = uri.split('?').next().unwrap();
        let template = template_of(&doc, path);
        let response = &doc["paths"][template]["get"]["responses"][status.as_str()];
        assert!(
            response.is_object(),
            "{uri}: status {status} is not documented"
        );
        let schema = &response["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{uri}: no JSON schema for {status}");
        let mut root = strict(schema, &strict_components);
        root["components"] = json!({"schemas": strict_components});
        let validator = jsonschema::draft202012::new(&root)
            .unwrap_or_else(|e| panic!("{uri}: documented schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{uri} ({status}): {errors:?}\n{body}");
        statuses.insert(status.as_u16());
    }
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), [200, 400, 404]);
}

#[tokio::test]
async fn the_strict_check_catches_an_undocumented_or_mistyped_property() {
    let f = fixture().await;
    let doc = document(&f.app).await;
    let components = doc["components"]["schemas"].as_object().unwrap().clone();
    let (_, mut block) = get(&f.app, "/v1/blocks/3").await;
    let mut root = strict(&json!({"$ref": "#/components/schemas/Block"}), &components);
    root["components"] = json!({"schemas": components
        .iter()
        .map(|(k, v)| (k.clone(), strict(v, &components)))
        .collect::<Map<_, _>>()});
    let validator = jsonschema::draft202012::new(&root).unwrap();
    assert!(validator.is_valid(&block));
    block["extra"] = json!(1);
    assert!(
        !validator.is_valid(&block),
        "an undocumented property passes"
    );
    block.as_object_mut().unwrap().remove("extra");
    block["height"] = json!("3");
    assert!(!validator.is_valid(&block), "a string height passes");
}
