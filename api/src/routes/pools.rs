//! `GET /v1/pools?from=&to=`: blocks per mining pool over a height range.

use std::sync::Arc;

use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::Height;
use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::params::Params;

/// Pool shares over heights `[from, to]` (both required).
pub async fn pools<D: DbRead>(
    State(store): State<Arc<D>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(raw.as_deref())?;
    let from = params
        .u32("from")?
        .ok_or_else(|| ApiError::bad_request("from is required"))?;
    let to = params
        .u32("to")?
        .ok_or_else(|| ApiError::bad_request("to is required"))?;
    if from > to {
        return Err(ApiError::bad_request(format!(
            "from ({from}) is above to ({to})"
        )));
    }
    let shares = store.pool_shares(Height(from), Height(to)).await?;
    let total: u64 = shares.iter().map(|s| s.blocks).sum();
    Ok(Json(json!({
        "from": from,
        "to": to,
        "blocks": total,
        "pools": shares.iter().map(|s| json!({
            "pool_id": s.pool.map(|p| p.0),
            "name": s.name,
            "blocks": s.blocks,
            "share": if total == 0 { 0.0 } else { s.blocks as f64 / total as f64 },
        })).collect::<Vec<_>>(),
    })))
}
