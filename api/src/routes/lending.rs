//! `GET /v1/lending/pools` and `GET /v1/lending/pools/{expiry}`: fixed-rate lending
//! as chain state holds it, per expiry: the collateral-rebalancing pool (`crp`), its
//! state at the AMM's EMA price, its settlement once settled, and the yield-token pool
//! (`ytp`) of the same expiry, read through a [`LendingSource`].
//!
//! Every amount and rate is a Clarity `uint` (or `int`) sent as a decimal string, as
//! the contracts hold it: sats, micro-STX, and 8-decimal fixed point for prices, rates,
//! weights and fractions (10^8 = 1). They exceed the integers JSON readers hold exactly.

use std::future::Future;

use alkahest_indexer::storage::DbRead;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{BadRequest, Internal, NotFound};
use crate::error::ApiError;
use crate::params::ApiPath;
use crate::AppState;

/// The CRP pool of one expiry (`crp get-pool`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CrpPoolView {
    /// STX collateral held, micro-STX.
    pub collateral: String,
    /// sBTC held, sats.
    pub sbtc: String,
    /// Yield tokens outstanding (each a claim on 1 sat at expiry).
    pub yield_supply: String,
    /// Key tokens outstanding (the residual claim).
    pub key_supply: String,
    /// Whether the pool has converted to sBTC for good.
    pub converted: bool,
    /// Burn height of the pool's last trade (0 before any).
    pub traded_at: u64,
}

/// The CRP pool valued at the AMM's EMA price (`crp get-state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CrpStateView {
    /// EMA price of the wSTX/sBTC pool, sats per micro-STX, 8 decimals.
    pub price: String,
    /// Value of the pool (collateral at the price plus sBTC), sats.
    pub value: String,
    /// Loan-to-value: yield supply / value, 8 decimals.
    pub ltv: String,
    /// Target collateral weight at this LTV, 8 decimals.
    pub weight: String,
    /// Value of the collateral at the price, sats.
    pub collateral_value: String,
}

/// How a settled CRP pool pays out (`crp get-settlement`), in sats unless noted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CrpSettlementView {
    /// Yield debt the pool's sBTC did not cover.
    pub shortfall: String,
    /// Drawn from amm-reserve's sBTC toward the shortfall.
    pub from_reserve: String,
    /// ALEX minted (base units) for the capped ALEX cover.
    pub alex_minted: String,
    /// sBTC from selling that ALEX, applied to the shortfall.
    pub from_alex: String,
    /// sBTC from the ALEX sale beyond the shortfall, booked to the reserve.
    pub alex_excess: String,
    /// sBTC for yield holders.
    pub yield_pool: String,
    /// sBTC for key holders.
    pub key_pool: String,
    /// Yield tokens outstanding at settlement.
    pub yield_at_settle: String,
    /// Key tokens outstanding at settlement.
    pub key_at_settle: String,
    /// sBTC paid to yield holders so far.
    pub yield_paid: String,
    /// sBTC paid to key holders so far.
    pub key_paid: String,
}

/// The yield-token pool of one expiry (`ytp get-pool` and its views).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct YtpPoolView {
    /// sBTC held, sats.
    pub balance_x: String,
    /// Yield tokens held.
    pub balance_y: String,
    /// Virtual yield tokens added to the curve's Y.
    pub virtual_y: String,
    /// LP shares outstanding.
    pub supply: String,
    /// Fee on the yield of a trade, 8 decimals.
    pub fee_rate: String,
    /// Share of the fee left to LPs, 8 decimals.
    pub fee_rebate: String,
    /// Largest trade in, as a fraction of the balance, 8 decimals.
    pub max_in_ratio: String,
    /// Largest trade out, as a fraction of the balance, 8 decimals.
    pub max_out_ratio: String,
    /// Weight of the old value in the rate oracle's EMA, 8 decimals.
    pub oracle_average: String,
    /// The oracle's EMA of ln(Y/X), 8 decimals, may be negative (`get-oracle-rate`).
    pub oracle_rate: String,
    /// Burn height of the oracle's last update (0 before any trade).
    pub oracle_height: u64,
    /// Whether this pool is paused.
    pub paused: bool,
    /// Yield tokens per sat at the margin, (Y/X)^t, 8 decimals (`get-price`).
    pub price: String,
    /// The fixed term yield a lender locks until expiry, (Y/X)^t - 1, 8 decimals
    /// (`get-yield`).
    #[serde(rename = "yield")]
    pub term_yield: String,
    /// ln(Y/X), 8 decimals, may be negative: the rate per four-year horizon,
    /// continuously compounded (`get-ln-rate`).
    pub ln_rate: String,
    /// Time to expiry as a fraction of the horizon, 8 decimals; 0 at and after expiry
    /// (`get-t`).
    pub t: String,
}

/// One expiry of fixed-rate lending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LendingPoolView {
    /// The expiry: the burn height at which yield tokens pay 1 sat each.
    pub expiry: u64,
    /// The collateral-rebalancing pool.
    pub crp: CrpPoolView,
    /// The pool at the EMA price; null while the price is missing or stale.
    #[schema(required = true)]
    pub state: Option<CrpStateView>,
    /// The settlement; null until the pool has settled.
    #[schema(required = true)]
    pub settlement: Option<CrpSettlementView>,
    /// The yield-token pool of the same expiry; null if none is listed.
    #[schema(required = true)]
    pub ytp: Option<YtpPoolView>,
}

/// Where the API reads lending chain state (a Stacks node, or the devnet's simnet).
pub trait LendingSource: Send + Sync {
    /// Every expiry opened, oldest first (`crp get-expiries`).
    fn expiries(&self) -> impl Future<Output = Result<Vec<u64>, String>> + Send;
    /// The pools of `expiry`, if a CRP pool exists for it.
    fn pool(
        &self,
        expiry: u64,
    ) -> impl Future<Output = Result<Option<LendingPoolView>, String>> + Send;
}

/// A server with no Stacks access: no expiry exists.
pub struct NoLending;

impl LendingSource for NoLending {
    async fn expiries(&self) -> Result<Vec<u64>, String> {
        Ok(Vec::new())
    }

    async fn pool(&self, _expiry: u64) -> Result<Option<LendingPoolView>, String> {
        Ok(None)
    }
}

/// Every expiry's pools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LendingPools {
    /// One entry per expiry, oldest first.
    pub pools: Vec<LendingPoolView>,
}

/// Path of `/v1/lending/pools/{expiry}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ExpiryPath {
    /// The expiry burn height.
    pub expiry: u32,
}

/// Every expiry's CRP and YTP pools, as chain state holds them.
#[utoipa::path(get, path = "/v1/lending/pools", operation_id = "listLendingPools", responses(
    (status = 200, description = "Every expiry's CRP and YTP pools, oldest first", body = LendingPools),
    Internal))]
pub async fn list<D: DbRead, G: Send + Sync, L: LendingSource>(
    State(state): State<AppState<D, G, L>>,
) -> Result<Json<LendingPools>, ApiError> {
    let source = &state.lending;
    let mut pools = Vec::new();
    for expiry in source
        .expiries()
        .await
        .map_err(ApiError::internal_message)?
    {
        if let Some(p) = source
            .pool(expiry)
            .await
            .map_err(ApiError::internal_message)?
        {
            pools.push(p);
        }
    }
    Ok(Json(LendingPools { pools }))
}

/// One expiry's CRP pool (with its state and settlement) and YTP pool.
#[utoipa::path(get, path = "/v1/lending/pools/{expiry}", operation_id = "getLendingPool", params(ExpiryPath), responses(
    (status = 200, description = "The expiry's CRP pool, state, settlement and YTP pool", body = LendingPoolView),
    BadRequest, NotFound, Internal))]
pub async fn one<D: DbRead, G: Send + Sync, L: LendingSource>(
    State(state): State<AppState<D, G, L>>,
    ApiPath(path): ApiPath<ExpiryPath>,
) -> Result<Json<LendingPoolView>, ApiError> {
    let expiry = u64::from(path.expiry);
    state
        .lending
        .pool(expiry)
        .await
        .map_err(ApiError::internal_message)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no lending pool for expiry {expiry}")))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    /// Expiry 100 exists, settled; expiry 200 exists, priced, not settled.
    struct Two;

    fn crp() -> CrpPoolView {
        CrpPoolView {
            collateral: "0".into(),
            sbtc: "41000000".into(),
            yield_supply: "30000000".into(),
            key_supply: "30000000".into(),
            converted: false,
            traded_at: 100,
        }
    }

    fn settlement() -> CrpSettlementView {
        CrpSettlementView {
            shortfall: "0".into(),
            from_reserve: "0".into(),
            alex_minted: "0".into(),
            from_alex: "0".into(),
            alex_excess: "0".into(),
            yield_pool: "30000000".into(),
            key_pool: "11000000".into(),
            yield_at_settle: "30000000".into(),
            key_at_settle: "30000000".into(),
            yield_paid: "0".into(),
            key_paid: "0".into(),
        }
    }

    fn ytp() -> YtpPoolView {
        YtpPoolView {
            balance_x: "470000000".into(),
            balance_y: "30000000".into(),
            virtual_y: "500000000".into(),
            supply: "500000000".into(),
            fee_rate: "1000000".into(),
            fee_rebate: "50000000".into(),
            max_in_ratio: "10000000".into(),
            max_out_ratio: "10000000".into(),
            oracle_average: "95000000".into(),
            oracle_rate: "-12".into(),
            oracle_height: 9,
            paused: false,
            price: "100000000".into(),
            term_yield: "0".into(),
            ln_rate: "12000000".into(),
            t: "0".into(),
        }
    }

    impl LendingSource for Two {
        async fn expiries(&self) -> Result<Vec<u64>, String> {
            Ok(vec![100, 200])
        }

        async fn pool(&self, expiry: u64) -> Result<Option<LendingPoolView>, String> {
            Ok(match expiry {
                100 => Some(LendingPoolView {
                    expiry,
                    crp: crp(),
                    state: None,
                    settlement: Some(settlement()),
                    ytp: Some(ytp()),
                }),
                200 => Some(LendingPoolView {
                    expiry,
                    crp: crp(),
                    state: Some(CrpStateView {
                        price: "200000".into(),
                        value: "40000000".into(),
                        ltv: "75000000".into(),
                        weight: "50000000".into(),
                        collateral_value: "40000000".into(),
                    }),
                    settlement: None,
                    ytp: None,
                }),
                _ => None,
            })
        }
    }

    async fn memory_store() -> alkahest_indexer::storage::SqliteStore {
        alkahest_indexer::storage::SqliteStore::open(
            "sqlite::memory:",
            alkahest_indexer::types::WindowSpec::default(),
            true,
        )
        .await
        .unwrap()
    }

    async fn get_from(app: axum::Router, uri: &str) -> (StatusCode, serde_json::Value) {
        let resp = app
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    async fn get(uri: &str) -> (StatusCode, serde_json::Value) {
        let app = crate::router_with_sources(
            Arc::new(memory_store().await),
            None,
            Arc::new(crate::routes::governance::NoGovernance),
            Arc::new(Two),
            bitcoin::Network::Bitcoin,
        );
        get_from(app, uri).await
    }

    #[tokio::test]
    async fn the_list_and_one_expiry_are_served() {
        let (s, body) = get("/v1/lending/pools").await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let pools = body["pools"].as_array().unwrap();
        assert_eq!(pools.len(), 2);
        assert_eq!(
            (pools[0]["expiry"].as_u64(), pools[1]["expiry"].as_u64()),
            (Some(100), Some(200))
        );

        let (s, body) = get("/v1/lending/pools/100").await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["crp"]["yield_supply"], "30000000");
        assert_eq!(body["crp"]["converted"], false);
        assert_eq!(body["state"], serde_json::Value::Null);
        assert_eq!(body["settlement"]["yield_pool"], "30000000");
        assert_eq!(body["settlement"]["key_pool"], "11000000");
        assert_eq!(body["settlement"].as_object().unwrap().len(), 11);
        assert_eq!(body["ytp"]["yield"], "0");
        assert_eq!(body["ytp"]["oracle_rate"], "-12");
        assert_eq!(body["ytp"]["virtual_y"], "500000000");

        let (s, body) = get("/v1/lending/pools/200").await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["state"]["ltv"], "75000000");
        assert_eq!(body["settlement"], serde_json::Value::Null);
        assert_eq!(body["ytp"], serde_json::Value::Null);
    }

    #[tokio::test]
    async fn an_unknown_expiry_is_404_and_a_bad_one_400_both_json() {
        for (uri, status, mentions) in [
            ("/v1/lending/pools/101", StatusCode::NOT_FOUND, "expiry 101"),
            ("/v1/lending/pools/0", StatusCode::NOT_FOUND, "expiry 0"),
            ("/v1/lending/pools/abc", StatusCode::BAD_REQUEST, "abc"),
            ("/v1/lending/pools/-1", StatusCode::BAD_REQUEST, "-1"),
            ("/v1/lending/pools/1.5", StatusCode::BAD_REQUEST, "1.5"),
            (
                "/v1/lending/pools/99999999999",
                StatusCode::BAD_REQUEST,
                "99999999999",
            ),
        ] {
            let (s, body) = get(uri).await;
            assert_eq!(s, status, "{uri}: {body}");
            assert!(body["error"].is_string(), "{uri}: {body}");
            let message = body["message"].as_str().unwrap();
            assert!(message.contains(mentions), "{uri}: {message}");
            if status == StatusCode::BAD_REQUEST {
                assert!(message.starts_with("expiry"), "{uri}: {message}");
            }
        }
    }

    #[tokio::test]
    async fn without_stacks_access_there_are_no_lending_pools() {
        let app = crate::router(Arc::new(memory_store().await));
        let (s, body) = get_from(app.clone(), "/v1/lending/pools").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["pools"].as_array().unwrap().len(), 0);
        let (s, body) = get_from(app, "/v1/lending/pools/100").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(body["error"], "not_found");
    }
}
