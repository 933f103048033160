//! `GET /v1/blocks?from=&limit=`, `GET /v1/blocks/{height}` and
//! `GET /v1/blocks/{height}/coinbase`.

use std::sync::Arc;

use alkahest_indexer::storage::{BlockRecord, DbRead};
use alkahest_indexer::types::Height;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use super::{block_json, output_json};
use crate::error::ApiError;
use crate::params::{parse_u32, Params};

/// Blocks per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 20;
/// The largest page: bounds the work one request can ask for.
pub const MAX_LIMIT: u32 = 500;

/// A page of blocks from `from` (default 0) upwards.
pub async fn list<D: DbRead>(
    State(store): State<Arc<D>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(raw.as_deref())?;
    let from = params.u32("from")?.unwrap_or(0);
    let limit = params.u32("limit")?.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}, got {limit}"
        )));
    }
    let blocks = store.blocks(Height(from), limit).await?;
    let next = blocks
        .last()
        .filter(|_| blocks.len() as u32 == limit)
        .and_then(|b| b.height.next())
        .map(|h| h.0);
    Ok(Json(json!({
        "blocks": blocks.iter().map(block_json).collect::<Vec<_>>(),
        "next_from": next,
    })))
}

/// The stored block at the height in `raw`, or a 400/404 naming it.
async fn find_block<D: DbRead>(store: &D, raw: &str) -> Result<BlockRecord, ApiError> {
    let height = Height(parse_u32("height", raw)?);
    store
        .block(height)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no block at height {height}")))
}

/// One block by height.
pub async fn one<D: DbRead>(
    State(store): State<Arc<D>>,
    Path(height): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(block_json(
        &find_block(store.as_ref(), &height).await?,
    )))
}

/// The coinbase of one block: its tag, totals and every output.
pub async fn coinbase<D: DbRead>(
    State(store): State<Arc<D>>,
    Path(height): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let block = find_block(store.as_ref(), &height).await?;
    let height = block.height;
    let outputs = store.coinbase_outputs(height).await?;
    Ok(Json(json!({
        "height": height.0,
        "hash": block.hash.to_string(),
        "txid": block.coinbase_txid.to_string(),
        "script_sig": hex::encode(block.script_sig.as_bytes()),
        "tag": block.tag,
        "subsidy_sats": block.subsidy.to_sat(),
        "fees_sats": block.fees.to_sat(),
        "output_total_sats": block.output_total.to_sat(),
        "underclaimed": block.underclaimed,
        "outputs": outputs.iter().map(output_json).collect::<Vec<_>>(),
    })))
}
