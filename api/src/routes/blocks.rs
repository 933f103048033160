//! `GET /v1/blocks?from=&limit=`, `GET /v1/blocks/{height}` and
//! `GET /v1/blocks/{height}/coinbase`.

use std::sync::Arc;

use alkahest_indexer::storage::{BlockRecord, DbRead};
use alkahest_indexer::types::Height;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{BadRequest, Block, Internal, NotFound, Output};
use crate::error::ApiError;
use crate::params::types::Limit;
use crate::params::{ApiPath, ApiQuery};

/// Blocks per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 20;
/// The largest page: bounds the work one request can ask for.
pub const MAX_LIMIT: u32 = 500;

/// The `limit` of `/v1/blocks`.
pub type BlocksLimit = Limit<MAX_LIMIT, DEFAULT_LIMIT>;

/// Query of `/v1/blocks`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlocksQuery {
    /// First height.
    #[serde(default)]
    #[param(default = 0)]
    pub from: u32,
    /// Blocks per page.
    #[serde(default)]
    #[param(inline)]
    pub limit: BlocksLimit,
}

/// A page of blocks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockPage {
    /// Blocks by height.
    pub blocks: Vec<Block>,
    /// The `from` of the next page; null when this page is the last.
    #[schema(required = true)]
    pub next_from: Option<u32>,
}

/// A page of blocks from `from` (default 0) upwards.
#[utoipa::path(get, path = "/v1/blocks", operation_id = "listBlocks", params(BlocksQuery), responses(
    (status = 200, description = "Blocks, and where the next page starts", body = BlockPage),
    BadRequest, Internal))]
pub async fn list<D: DbRead>(
    State(store): State<Arc<D>>,
    ApiQuery(query): ApiQuery<BlocksQuery>,
) -> Result<Json<BlockPage>, ApiError> {
    let limit = query.limit.get();
    let blocks = store.blocks(Height(query.from), limit).await?;
    let next_from = blocks
        .last()
        .filter(|_| blocks.len() as u32 == limit)
        .and_then(|b| b.height.next())
        .map(|h| h.0);
    Ok(Json(BlockPage {
        blocks: blocks.iter().map(Block::from).collect(),
        next_from,
    }))
}

/// Path of the routes under one block.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct HeightPath {
    /// Block height.
    pub height: u32,
}

/// The stored block at `height`, or a 404 naming it.
async fn find_block<D: DbRead>(store: &D, height: u32) -> Result<BlockRecord, ApiError> {
    store
        .block(Height(height))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no block at height {height}")))
}

/// One block by height.
#[utoipa::path(get, path = "/v1/blocks/{height}", operation_id = "getBlock", params(HeightPath), responses(
    (status = 200, description = "The block", body = Block),
    BadRequest, NotFound, Internal))]
pub async fn one<D: DbRead>(
    State(store): State<Arc<D>>,
    ApiPath(path): ApiPath<HeightPath>,
) -> Result<Json<Block>, ApiError> {
    Ok(Json(Block::from(
        &find_block(store.as_ref(), path.height).await?,
    )))
}

/// A block's coinbase transaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct Coinbase {
    /// Height of the block.
    pub height: u32,
    /// Block hash, hex.
    pub hash: String,
    /// Coinbase txid, hex.
    pub txid: String,
    /// Coinbase scriptSig, hex.
    pub script_sig: String,
    /// Printable ASCII of the scriptSig.
    pub tag: String,
    /// Block subsidy in sats.
    pub subsidy_sats: u64,
    /// Fees in sats.
    pub fees_sats: u64,
    /// Σ outputs in sats.
    pub output_total_sats: u64,
    /// The coinbase claimed less than the subsidy.
    pub underclaimed: bool,
    /// Every output, by index.
    pub outputs: Vec<Output>,
}

/// The coinbase of one block: its tag, totals and every output.
#[utoipa::path(get, path = "/v1/blocks/{height}/coinbase", operation_id = "getCoinbase", params(HeightPath), responses(
    (status = 200, description = "The coinbase and its outputs", body = Coinbase),
    BadRequest, NotFound, Internal))]
pub async fn coinbase<D: DbRead>(
    State(store): State<Arc<D>>,
    ApiPath(path): ApiPath<HeightPath>,
) -> Result<Json<Coinbase>, ApiError> {
    let block = find_block(store.as_ref(), path.height).await?;
    let outputs = store.coinbase_outputs(block.height).await?;
    Ok(Json(Coinbase {
        height: block.height.0,
        hash: block.hash.to_string(),
        txid: block.coinbase_txid.to_string(),
        script_sig: hex::encode(block.script_sig.as_bytes()),
        tag: block.tag,
        subsidy_sats: block.subsidy.to_sat(),
        fees_sats: block.fees.to_sat(),
        output_total_sats: block.output_total.to_sat(),
        underclaimed: block.underclaimed,
        outputs: outputs.iter().map(Output::from).collect(),
    }))
}
