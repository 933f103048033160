//! `GET /v1/pools?from=&to=`: blocks per mining pool over a height range.

use std::sync::Arc;

use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::Height;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{BadRequest, Internal};
use crate::error::ApiError;
use crate::params::types::{check_range, HEIGHTS};
use crate::params::ApiQuery;

/// Query of `/v1/pools`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PoolsQuery {
    /// First height.
    pub from: u32,
    /// Last height, inclusive.
    pub to: u32,
}

/// Blocks per pool over a range of heights.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolShares {
    /// First height.
    pub from: u32,
    /// Last height.
    pub to: u32,
    /// Blocks indexed in the range.
    pub blocks: u64,
    /// Pools, most blocks first.
    pub pools: Vec<PoolShare>,
}

/// One pool's blocks in the range.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolShare {
    /// The pool; null for blocks no pool was identified for.
    #[schema(required = true)]
    pub pool_id: Option<u32>,
    /// Its name; "unknown" when unidentified.
    pub name: String,
    /// Blocks it found.
    pub blocks: u64,
    /// Its fraction of the range's blocks, 0 to 1.
    pub share: f64,
}

/// Pool shares over heights `[from, to]` (both required).
#[utoipa::path(get, path = "/v1/pools", operation_id = "getPoolShares", params(PoolsQuery), responses(
    (status = 200, description = "Blocks per mining pool", body = PoolShares),
    BadRequest, Internal))]
pub async fn pools<D: DbRead>(
    State(store): State<Arc<D>>,
    ApiQuery(query): ApiQuery<PoolsQuery>,
) -> Result<Json<PoolShares>, ApiError> {
    let (from, to) = check_range(HEIGHTS, query.from, query.to)?;
    let shares = store.pool_shares(Height(from), Height(to)).await?;
    let total: u64 = shares.iter().map(|s| s.blocks).sum();
    Ok(Json(PoolShares {
        from,
        to,
        blocks: total,
        pools: shares
            .iter()
            .map(|s| PoolShare {
                pool_id: s.pool.map(|p| p.0),
                name: s.name.clone(),
                blocks: s.blocks,
                share: if total == 0 {
                    0.0
                } else {
                    s.blocks as f64 / total as f64
                },
            })
            .collect(),
    }))
}
