//! `GET /v1/silica/{id}`: a Silica's terms and status from the chain-state store, and
//! per window the delivered/due/index the contract recorded next to the sats this
//! server's own indexer saw paid to the payout script. `GET /v1/silica`: the Silicas by
//! id, optionally of one status, a page at a time.

use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::Height;
use axum::extract::State;
use axum::Json;
use bitcoin::{Address, Network, ScriptBuf};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{BadRequest, Internal, NotFound};
use crate::error::ApiError;
use crate::params::types::{Limit, SilicaStatus};
use crate::params::{ApiPath, ApiQuery};
use crate::AppState;

/// A Silica as the contracts hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SilicaView {
    /// Id.
    pub id: u128,
    /// `OPEN`, `RUNNING`, `FINISHED`, `DEFAULTED`, `EXPIRED` or `CANCELLED`.
    pub status: String,
    /// The miner's principal.
    pub miner: String,
    /// TH/s listed and sold.
    pub hashrate: u128,
    /// TH/s sold.
    pub sold: u128,
    /// Number of windows.
    pub windows: u32,
    /// Burn height of window 0's first block.
    pub start: u32,
    /// Blocks per window.
    pub window_length: u32,
    /// Sats of sBTC per TH/s per window.
    pub price: u128,
    /// Collateral in sats.
    pub collateral: u128,
    /// The Bitcoin scriptPubKey the pool pays, hex.
    pub payout_script: String,
    /// Windows attested so far, in order.
    pub attested: Vec<AttestedWindow>,
    /// Settlement: buyers' pool and the miner's amount, once settled.
    #[schema(required = true)]
    pub settlement: Option<Settlement>,
}

/// One attested window, as recorded on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AttestedWindow {
    /// Window number.
    pub window: u32,
    /// Sats delivered, as attested.
    pub delivered: u128,
    /// Sats due.
    pub due: u128,
    /// Network index used.
    pub index: u128,
}

/// How a settled Silica pays out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Settlement {
    /// sBTC left for share holders.
    pub buyers_pool: u128,
    /// Shares outstanding.
    pub shares: u128,
    /// sBTC for the miner's `collect`.
    pub miner_amount: u128,
    /// Whether the miner collected.
    pub collected: bool,
}

/// Path of `/v1/silica/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SilicaPath {
    /// Silica id.
    pub id: u32,
}

/// One window of a Silica: the heights it covers, what this server's indexer saw paid
/// to the payout script, and what the contract recorded when it was attested.
///
/// The attested figures are Clarity `uint`s, sent as decimal strings because they can
/// exceed the integers JSON readers hold exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SilicaWindow {
    /// Window number.
    pub window: u32,
    /// Its first burn height.
    pub first_height: u32,
    /// Its last burn height.
    pub last_height: u32,
    /// Sats this server indexed as paid to the payout script in the window.
    pub indexed_delivered_sats: u64,
    /// Sats delivered, as attested; null until attested.
    #[schema(required = true)]
    pub attested_delivered_sats: Option<String>,
    /// Sats due, as attested; null until attested.
    #[schema(required = true)]
    pub due_sats: Option<String>,
    /// Network index used, as attested, in 10^-8 sat per TH/s·day; null until attested.
    #[schema(required = true)]
    pub index: Option<String>,
}

/// A Silica as the contracts hold it, with its windows as this server sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SilicaDetail {
    /// Terms, status, attested windows and settlement from chain state.
    #[serde(flatten)]
    pub view: SilicaView,
    /// The payout script as an address of this server's network (bech32 for segwit),
    /// to paste into a pool's payout settings; null for a script with no address form.
    #[schema(required = true)]
    pub payout_address: Option<String>,
    /// Every window, attested or not.
    pub per_window: Vec<SilicaWindow>,
}

/// The Silica with this server's own per-window delivery count.
#[utoipa::path(get, path = "/v1/silica/{id}", operation_id = "getSilica", params(SilicaPath), responses(
    (status = 200, description = "Terms and status from chain state, per-window attested and indexed deliveries", body = SilicaDetail),
    BadRequest, NotFound, Internal))]
pub async fn silica<D: DbRead, G: Send + Sync, L: Send + Sync>(
    State(state): State<AppState<D, G, L>>,
    ApiPath(path): ApiPath<SilicaPath>,
) -> Result<Json<SilicaDetail>, ApiError> {
    let id = path.id;
    let view = match state.chain() {
        Some(chain) => chain.silica(id).await?,
        None => None,
    }
    .ok_or_else(|| ApiError::not_found(format!("no silica {id}")))?;
    Ok(Json(detail(&*state.store, state.network, view).await?))
}

/// `view` with its payout address on `network` and its windows as this server's
/// indexer sees them.
async fn detail<D: DbRead>(
    store: &D,
    network: Network,
    view: SilicaView,
) -> Result<SilicaDetail, ApiError> {
    let script = hex::decode(&view.payout_script)
        .map(ScriptBuf::from_bytes)
        .map_err(|e| ApiError::internal(&e))?;
    let payout_address = Address::from_script(&script, network)
        .ok()
        .map(|a| a.to_string());
    let mut per_window = Vec::new();
    for w in 0..view.windows {
        let first = view
            .start
            .saturating_add(w.saturating_mul(view.window_length));
        let last = first.saturating_add(view.window_length.saturating_sub(1));
        // Coinbase outputs and payouts in ordinary transactions alike.
        let delivered = store
            .delivered_by_window(&script, Height(first), Height(last))
            .await?;
        let attested = view.attested.iter().find(|a| a.window == w);
        per_window.push(SilicaWindow {
            window: w,
            first_height: first,
            last_height: last,
            indexed_delivered_sats: delivered.iter().map(|d| d.sats.to_sat()).sum(),
            attested_delivered_sats: attested.map(|a| a.delivered.to_string()),
            due_sats: attested.map(|a| a.due.to_string()),
            index: attested.map(|a| a.index.to_string()),
        });
    }
    Ok(SilicaDetail {
        view,
        payout_address,
        per_window,
    })
}

/// Silicas per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 20;
/// The largest page: each Silica costs one indexer query per window.
pub const MAX_LIMIT: u32 = 100;

/// The `limit` of `/v1/silica`.
pub type SilicaLimit = Limit<MAX_LIMIT, DEFAULT_LIMIT>;

/// Query of `/v1/silica`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SilicaListQuery {
    /// Only Silicas with this status.
    #[param(inline)]
    pub status: Option<SilicaStatus>,
    /// First id (the previous page's `next_from`).
    #[serde(default)]
    #[param(default = 0)]
    pub from: u32,
    /// Silicas per page.
    #[serde(default)]
    #[param(inline)]
    pub limit: SilicaLimit,
}

/// A page of Silicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SilicaList {
    /// Silicas by id.
    pub silicas: Vec<SilicaDetail>,
    /// The `from` of the next page; null when this page is the last.
    #[schema(required = true)]
    pub next_from: Option<u32>,
}

/// Silicas by id from `from`, optionally of one status, each as `/v1/silica/{id}`
/// shows it.
#[utoipa::path(get, path = "/v1/silica", operation_id = "listSilicas", params(SilicaListQuery), responses(
    (status = 200, description = "A page of Silicas, and where the next page starts", body = SilicaList),
    BadRequest, Internal))]
pub async fn list<D: DbRead, G: Send + Sync, L: Send + Sync>(
    State(state): State<AppState<D, G, L>>,
    ApiQuery(query): ApiQuery<SilicaListQuery>,
) -> Result<Json<SilicaList>, ApiError> {
    let limit = query.limit.get();
    let views = match state.chain() {
        Some(chain) => {
            chain
                .silicas(query.status.map(SilicaStatus::name), query.from, limit)
                .await?
        }
        None => Vec::new(),
    };
    let next_from = views
        .last()
        .filter(|_| views.len() as u32 == limit)
        .and_then(|v| u32::try_from(v.id).ok())
        .and_then(|id| id.checked_add(1));
    let mut silicas = Vec::with_capacity(views.len());
    for view in views {
        silicas.push(detail(&*state.store, state.network, view).await?);
    }
    Ok(Json(SilicaList { silicas, next_from }))
}
