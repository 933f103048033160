//! `GET /v1/silica/{id}`: a Silica's terms and status from chain state, and per window
//! the delivered/due/index the contract recorded next to the sats this server's own
//! indexer saw paid to the payout script.

use std::future::Future;

use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::Height;
use axum::extract::State;
use axum::Json;
use bitcoin::ScriptBuf;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{BadRequest, Internal, NotFound};
use crate::error::ApiError;
use crate::params::ApiPath;
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

/// Where the API reads Silica chain state (a Stacks node, or the devnet's simnet).
pub trait SilicaSource: Send + Sync {
    /// The Silica `id`, if it exists.
    fn silica(&self, id: u128) -> impl Future<Output = Result<Option<SilicaView>, String>> + Send;
}

/// A server with no Stacks access: every Silica is unknown.
pub struct NoSilica;

impl SilicaSource for NoSilica {
    async fn silica(&self, _id: u128) -> Result<Option<SilicaView>, String> {
        Ok(None)
    }
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
    /// Every window, attested or not.
    pub per_window: Vec<SilicaWindow>,
}

/// The Silica with this server's own per-window delivery count.
#[utoipa::path(get, path = "/v1/silica/{id}", params(SilicaPath), responses(
    (status = 200, description = "Terms and status from chain state, per-window attested and indexed deliveries", body = SilicaDetail),
    BadRequest, NotFound, Internal))]
pub async fn silica<D: DbRead, S: SilicaSource, G: Send + Sync, L: Send + Sync>(
    State(state): State<AppState<D, S, G, L>>,
    ApiPath(path): ApiPath<SilicaPath>,
) -> Result<Json<SilicaDetail>, ApiError> {
    let id = u128::from(path.id);
    let view = state
        .silica
        .silica(id)
        .await
        .map_err(|e| ApiError::internal(&std::io::Error::other(e)))?
        .ok_or_else(|| ApiError::not_found(format!("no silica {id}")))?;
    let script = hex::decode(&view.payout_script)
        .map(ScriptBuf::from_bytes)
        .map_err(|e| ApiError::internal(&e))?;
    let mut per_window = Vec::new();
    for w in 0..view.windows {
        let first = view
            .start
            .saturating_add(w.saturating_mul(view.window_length));
        let last = first.saturating_add(view.window_length.saturating_sub(1));
        let outputs = state
            .store
            .outputs_by_script(&script, Height(first), Height(last))
            .await?;
        let attested = view.attested.iter().find(|a| a.window == w);
        per_window.push(SilicaWindow {
            window: w,
            first_height: first,
            last_height: last,
            indexed_delivered_sats: outputs.iter().map(|o| o.value.to_sat()).sum(),
            attested_delivered_sats: attested.map(|a| a.delivered.to_string()),
            due_sats: attested.map(|a| a.due.to_string()),
            index: attested.map(|a| a.index.to_string()),
        });
    }
    Ok(Json(SilicaDetail { view, per_window }))
}
