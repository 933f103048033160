//! `GET /v1/health`: liveness plus the indexed tip.

use std::sync::Arc;

use alkahest_indexer::storage::DbRead;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;

/// Returns `{"status": "ok", "tip": {height, hash} | null}`.
pub async fn health<D: DbRead>(State(store): State<Arc<D>>) -> Result<Json<Value>, ApiError> {
    let tip = store.tip().await?;
    Ok(Json(json!({
        "status": "ok",
        "tip": tip.map(|(h, hash)| json!({"height": h.0, "hash": hash.to_string()})),
    })))
}
