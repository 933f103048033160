//! `GET /v1/index?from_window=&to_window=`: the hashprice index per day-window.

use std::sync::Arc;

use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::WindowId;
use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::params::Params;

/// The most windows one request may span.
pub const MAX_WINDOWS: u32 = 10_000;

/// Index rows for windows `[from_window, to_window]` (both required).
pub async fn index<D: DbRead>(
    State(store): State<Arc<D>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(raw.as_deref())?;
    let from = params
        .u32("from_window")?
        .ok_or_else(|| ApiError::bad_request("from_window is required"))?;
    let to = params
        .u32("to_window")?
        .ok_or_else(|| ApiError::bad_request("to_window is required"))?;
    if from > to {
        return Err(ApiError::bad_request(format!(
            "from_window ({from}) is above to_window ({to})"
        )));
    }
    if to - from >= MAX_WINDOWS {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_WINDOWS} windows per request"
        )));
    }
    let spec = store.window_spec();
    let rows = store.windows(WindowId(from), WindowId(to)).await?;
    Ok(Json(json!({
        "window_origin": spec.origin.0,
        "window_length": spec.length,
        "unit": "sats per TH/s per day",
        "windows": rows.iter().map(|w| json!({
            "window": w.window.0,
            "first_height": w.first_height.0,
            "block_count": w.block_count,
            "reward_sats": w.reward.to_sat(),
            "work": w.work,
            "index": w.index,
        })).collect::<Vec<_>>(),
    })))
}
