//! `GET /v1/amm/pools` and `GET /v1/amm/pools/{id}`: the AMM pools as the chain-state
//! store derived them from `amm-pool`'s prints: tokens, curve, reserves, LP supply, fee
//! settings, spot and EMA prices and the swap fees booked to the reserve. Amounts are
//! Clarity `uint`s, sent as decimal strings.

use alkahest_indexer::storage::DbRead;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{BadRequest, Internal, NotFound};
use crate::chainstate::model::AmmPoolRow;
use crate::error::ApiError;
use crate::params::ApiPath;
use crate::AppState;

/// One AMM pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AmmPoolView {
    /// Pool id.
    pub id: u32,
    /// Token x contract.
    pub token_x: String,
    /// Token y contract.
    pub token_y: String,
    /// `weighted` or `stable`.
    pub curve: String,
    /// Weight of x, 8 decimals (50000000 = 50%).
    pub weight_x: String,
    /// Fee rate, 8 decimals.
    pub fee_rate: String,
    /// Share of the fee rebated to LPs (stays in the pool), 8 decimals.
    pub fee_rebate: String,
    /// Reserve of x in the pool.
    pub balance_x: String,
    /// Reserve of y in the pool.
    pub balance_y: String,
    /// LP tokens outstanding.
    pub lp_supply: String,
    /// Spot price of x in y from the reserves, 8 decimals (the contract's
    /// `get-oracle-instant` formula); null if it overflows.
    #[schema(required = true)]
    pub spot_price: Option<String>,
    /// EMA (resilient) price of x in y, 8 decimals; 0 before the first swap.
    pub ema_price: String,
    /// The last swap's pre-trade price, 8 decimals; 0 before the first swap.
    pub last_swap_price: String,
    /// Swap fees in x booked to `amm-reserve` by this pool.
    pub reserve_fees_x: String,
    /// Swap fees in y booked to `amm-reserve` by this pool.
    pub reserve_fees_y: String,
    /// Paused by governance.
    pub paused: bool,
    /// Swaps so far.
    pub swaps: u64,
}

impl From<&AmmPoolRow> for AmmPoolView {
    fn from(p: &AmmPoolRow) -> AmmPoolView {
        AmmPoolView {
            id: p.id,
            token_x: p.token_x.clone(),
            token_y: p.token_y.clone(),
            curve: match p.curve {
                1 => "weighted".into(),
                2 => "stable".into(),
                other => format!("curve-{other}"),
            },
            weight_x: p.weight_x.to_string(),
            fee_rate: p.fee_rate.to_string(),
            fee_rebate: p.fee_rebate.to_string(),
            balance_x: p.balance_x.to_string(),
            balance_y: p.balance_y.to_string(),
            lp_supply: p.lp_supply.to_string(),
            spot_price: p.spot_price().map(|v| v.to_string()),
            ema_price: p.ema_price.to_string(),
            last_swap_price: p.last_price.to_string(),
            reserve_fees_x: p.reserve_x.to_string(),
            reserve_fees_y: p.reserve_y.to_string(),
            paused: p.paused,
            swaps: p.swaps,
        }
    }
}

/// Every AMM pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AmmPools {
    /// Pools by id.
    pub pools: Vec<AmmPoolView>,
}

/// Path of `/v1/amm/pools/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AmmPoolPath {
    /// Pool id.
    pub id: u32,
}

/// Every AMM pool, by id.
#[utoipa::path(get, path = "/v1/amm/pools", operation_id = "listAmmPools", responses(
    (status = 200, description = "Every pool from chain state", body = AmmPools),
    Internal))]
pub async fn list<D: DbRead, G: Send + Sync, L: Send + Sync>(
    State(state): State<AppState<D, G, L>>,
) -> Result<Json<AmmPools>, ApiError> {
    let rows = match state.chain() {
        Some(chain) => chain.amm_pools().await?,
        None => Vec::new(),
    };
    Ok(Json(AmmPools {
        pools: rows.iter().map(AmmPoolView::from).collect(),
    }))
}

/// AMM pool `id`.
#[utoipa::path(get, path = "/v1/amm/pools/{id}", operation_id = "getAmmPool", params(AmmPoolPath), responses(
    (status = 200, description = "The pool from chain state", body = AmmPoolView),
    BadRequest, NotFound, Internal))]
pub async fn one<D: DbRead, G: Send + Sync, L: Send + Sync>(
    State(state): State<AppState<D, G, L>>,
    ApiPath(path): ApiPath<AmmPoolPath>,
) -> Result<Json<AmmPoolView>, ApiError> {
    let row = match state.chain() {
        Some(chain) => chain.amm_pool(path.id).await?,
        None => None,
    };
    row.map(|p| Json(AmmPoolView::from(&p)))
        .ok_or_else(|| ApiError::not_found(format!("no AMM pool {}", path.id)))
}
