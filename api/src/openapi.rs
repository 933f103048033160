//! `GET /v1/openapi.json`: the OpenAPI 3.0 document of this API, written next to the
//! routes it describes. A test checks that every route of the router is documented.

use axum::Json;
use serde_json::{json, Value};

fn param(name: &str, location: &str, required: bool, description: &str) -> Value {
    json!({"name": name, "in": location, "required": required, "description": description,
           "schema": {"type": if location == "path" && name == "addr" { "string" } else { "integer" }, "minimum": 0}})
}

fn responses(ok: &str) -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    json!({
        "200": {"description": ok, "content": {"application/json": {"schema": {"type": "object"}}}},
        "400": {"description": "a parameter is malformed or out of range", "content": {"application/json": {"schema": error}}},
        "404": {"description": "not found", "content": {"application/json": {"schema": error}}}
    })
}

/// The OpenAPI document.
pub fn document() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Alkahest API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Coinbase payouts, pool shares and the hashprice index, read from the Alkahest indexer."
        },
        "paths": {
            "/v1/health": {"get": {"summary": "Liveness and indexed tip", "responses": responses("status and tip")}},
            "/v1/blocks": {"get": {"summary": "A page of blocks", "parameters": [
                param("from", "query", false, "first height (default 0)"),
                param("limit", "query", false, "blocks per page, 1..=500 (default 20)")],
                "responses": responses("blocks and next_from")}},
            "/v1/blocks/{height}": {"get": {"summary": "One block", "parameters": [
                param("height", "path", true, "block height")], "responses": responses("the block")}},
            "/v1/blocks/{height}/coinbase": {"get": {"summary": "A block's coinbase and outputs", "parameters": [
                param("height", "path", true, "block height")], "responses": responses("the coinbase")}},
            "/v1/addresses/{addr}/payouts": {"get": {"summary": "Coinbase payouts to an address", "parameters": [
                param("addr", "path", true, "a Bitcoin address"),
                param("from", "query", false, "first height (default 0)"),
                param("to", "query", false, "last height (default: tip)")],
                "responses": responses("payouts and their total")}},
            "/v1/index": {"get": {"summary": "Hashprice index per day-window (sats per TH/s per day)", "parameters": [
                param("from_window", "query", true, "first window"),
                param("to_window", "query", true, "last window (at most 10,000 windows)")],
                "responses": responses("index rows")}},
            "/v1/pools": {"get": {"summary": "Blocks per mining pool", "parameters": [
                param("from", "query", true, "first height"),
                param("to", "query", true, "last height")],
                "responses": responses("pool shares")}},
            "/v1/silica/{id}": {"get": {"summary": "A Silica: terms and status from chain state, per-window attested and indexed deliveries", "parameters": [
                param("id", "path", true, "Silica id")], "responses": responses("the Silica")}},
            "/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.0 document"}}}}
        },
        "components": {"schemas": {"Error": {"type": "object", "required": ["error", "message"], "properties": {
            "error": {"type": "string", "enum": ["bad_request", "not_found", "internal"]},
            "message": {"type": "string"}}}}}
    })
}

/// Serves [`document`].
pub async fn serve() -> Json<Value> {
    Json(document())
}
