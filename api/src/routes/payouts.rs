//! `GET /v1/addresses/{addr}/payouts?from=&to=`: coinbase outputs paying an address.

use std::str::FromStr;
use std::sync::Arc;

use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::Height;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use bitcoin::address::NetworkUnchecked;
use bitcoin::Address;
use serde_json::{json, Value};

use super::output_json;
use crate::error::ApiError;
use crate::params::Params;

/// Payouts to `addr` over heights `[from, to]` (default: everything indexed).
pub async fn payouts<D: DbRead>(
    State(store): State<Arc<D>>,
    Path(addr): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Address::<NetworkUnchecked>::from_str(&addr)
        .map_err(|e| ApiError::bad_request(format!("{addr:?} is not a Bitcoin address: {e}")))?;
    let params = Params::parse(raw.as_deref())?;
    let from = params.u32("from")?.unwrap_or(0);
    let to = params.u32("to")?.unwrap_or(u32::MAX);
    if from > to {
        return Err(ApiError::bad_request(format!(
            "from ({from}) is above to ({to})"
        )));
    }
    let outputs = store
        .outputs_by_address(&addr, Height(from), Height(to))
        .await?;
    let total: u64 = outputs.iter().map(|o| o.value.to_sat()).sum();
    Ok(Json(json!({
        "address": addr,
        "total_sats": total,
        "payouts": outputs.iter().map(output_json).collect::<Vec<_>>(),
    })))
}
