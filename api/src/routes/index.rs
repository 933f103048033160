//! `GET /v1/index?from_window=&to_window=`: the hashprice index per day-window.

use std::sync::Arc;

use alkahest_indexer::storage::{DbRead, WindowRecord};
use alkahest_indexer::types::WindowId;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{BadRequest, Internal};
use crate::error::ApiError;
use crate::params::types::{check_range, RangeRule};
use crate::params::ApiQuery;

/// The most windows one request may span.
pub const MAX_WINDOWS: u32 = 10_000;

/// The window range of `/v1/index`.
const WINDOWS: RangeRule = RangeRule {
    from: "from_window",
    to: "to_window",
    max_len: Some(MAX_WINDOWS),
};

/// Query of `/v1/index`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndexQuery {
    /// First window.
    pub from_window: u32,
    /// Last window, inclusive; at most 10,000 windows per request.
    pub to_window: u32,
}

/// The index over a range of windows.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndexPage {
    /// First height of window 0.
    pub window_origin: u32,
    /// Blocks per window.
    pub window_length: u32,
    /// Unit of `index`.
    pub unit: String,
    /// The windows that have blocks, by number.
    pub windows: Vec<IndexWindow>,
}

/// One window's index.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndexWindow {
    /// Window number.
    pub window: u32,
    /// Its first height.
    pub first_height: u32,
    /// Blocks indexed in it so far.
    pub block_count: u32,
    /// Σ (subsidy + fees) in sats.
    pub reward_sats: u64,
    /// Σ `2^256 / (target + 1)`: expected hashes (the signers' work formula).
    pub work: f64,
    /// `86400·10^12·reward / work`: sats per TH/s per day.
    pub index: f64,
}

impl From<&WindowRecord> for IndexWindow {
    fn from(w: &WindowRecord) -> IndexWindow {
        IndexWindow {
            window: w.window.0,
            first_height: w.first_height.0,
            block_count: w.block_count,
            reward_sats: w.reward.to_sat(),
            work: w.work,
            index: w.index,
        }
    }
}

/// Index rows for windows `[from_window, to_window]` (both required).
#[utoipa::path(get, path = "/v1/index", operation_id = "getIndex", params(IndexQuery), responses(
    (status = 200, description = "Hashprice index per day-window, sats per TH/s per day", body = IndexPage),
    BadRequest, Internal))]
pub async fn index<D: DbRead>(
    State(store): State<Arc<D>>,
    ApiQuery(query): ApiQuery<IndexQuery>,
) -> Result<Json<IndexPage>, ApiError> {
    let (from, to) = check_range(WINDOWS, query.from_window, query.to_window)?;
    let spec = store.window_spec();
    let rows = store.windows(WindowId(from), WindowId(to)).await?;
    Ok(Json(IndexPage {
        window_origin: spec.origin.0,
        window_length: spec.length,
        unit: "sats per TH/s per day".into(),
        windows: rows.iter().map(IndexWindow::from).collect(),
    }))
}
