//! `GET /v1/blocks/{height}/proof?txid=`: the SPV proof `btc-proof` / `silica-proof`
//! take for a transaction of an indexed block (the coinbase when `txid` is absent).
//!
//! The index holds coinbases, not whole blocks, so the proof is built on demand from a
//! block source ([`BlockBytes`]: a node's RPC for the `api` binary, the regtest chain on
//! the devnet), and only for the block this server indexed at that height: a source
//! whose block differs (a reorg the index has not followed yet) is an error, never a
//! proof of another chain. A server without a block source answers 404 saying so.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use alkahest_indexer::source::BlockSource;
use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::Height;
use alkahest_protocol::spv::BlockProof;
use axum::extract::State;
use axum::{Extension, Json};
use bitcoin::consensus::deserialize;
use bitcoin::{Block, Txid};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::blocks::HeightPath;
use super::{BadRequest, Internal, NotFound};
use crate::error::ApiError;
use crate::params::{ApiPath, ApiQuery};

/// What [`BlockBytes::block`] returns: the block's bytes, `None` above the source's
/// tip, or why the source failed.
pub type BlockFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Vec<u8>>, String>> + Send + 'a>>;

/// Full blocks by height, for building proofs on demand.
pub trait BlockBytes: Send + Sync + 'static {
    /// The serialized block at `height` on the source's best chain; `None` above its tip.
    fn block(&self, height: u32) -> BlockFuture<'_>;
}

/// Any indexer [`BlockSource`] (one request at a time) as a [`BlockBytes`].
pub struct FromSource<S>(tokio::sync::Mutex<S>);

impl<S: BlockSource> FromSource<S> {
    /// Wraps `source`.
    pub fn new(source: S) -> FromSource<S> {
        FromSource(tokio::sync::Mutex::new(source))
    }
}

impl<S: BlockSource + 'static> BlockBytes for FromSource<S> {
    fn block(&self, height: u32) -> BlockFuture<'_> {
        Box::pin(async move {
            let mut source = self.0.lock().await;
            let events = source
                .fetch(Height(height), 1)
                .await
                .map_err(|e| format!("block source: {e}"))?;
            Ok(events.into_iter().next().map(|e| e.bytes))
        })
    }
}

/// The block source the proof route reads, as a request extension (absent: no proofs).
pub type ProofSource = Arc<dyn BlockBytes>;

/// Query of the proof route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// The transaction to prove, hex in display order (as explorers show txids);
    /// absent: the coinbase.
    pub txid: Option<String>,
}

/// One transaction of a proof: what `verify-tx` / `prove-payment` take for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvenTx {
    /// Txid, hex in display order.
    pub txid: String,
    /// Index in the block.
    pub index: u32,
    /// The transaction in its legacy (witness-stripped) form, hex: what the txid hashes.
    pub tx: String,
    /// Merkle branch from the leaf up, hex in internal order (as the contracts take it).
    pub branch: Vec<String>,
}

/// A transaction's SPV proof against the block this server indexed at `height`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Proof {
    /// Block height.
    pub height: u32,
    /// Block hash, hex in display order (what `get-burn-block-info? header-hash` holds).
    pub hash: String,
    /// The 80-byte header, hex.
    pub header: String,
    /// The tree's depth: the coinbase branch's length, which every proof of the block
    /// must have.
    pub depth: u32,
    /// The coinbase with its branch (`verify-coinbase`, `prove-block`).
    pub coinbase: ProvenTx,
    /// The transaction asked for (the coinbase again when none was).
    pub tx: ProvenTx,
    /// Whether both transactions fit `btc-proof`'s limits (8,192 bytes, 64 inputs, 128
    /// outputs, 16 levels); a proof that does not cannot be submitted.
    pub fits_contract: bool,
}

fn proven(txid: Txid, bytes: &[u8], index: usize, branch: &[[u8; 32]]) -> ProvenTx {
    ProvenTx {
        txid: txid.to_string(),
        index: index as u32,
        tx: hex::encode(bytes),
        branch: branch.iter().map(hex::encode).collect(),
    }
}

/// The SPV proof of a transaction of the indexed block at `height` (default: its
/// coinbase), built from the server's block source.
#[utoipa::path(get, path = "/v1/blocks/{height}/proof", operation_id = "getBlockProof",
    params(HeightPath, ProofQuery), responses(
    (status = 200, description = "The header, the coinbase's and the transaction's Merkle branches", body = Proof),
    BadRequest, NotFound, Internal))]
pub async fn proof<D: DbRead>(
    State(store): State<Arc<D>>,
    source: Option<Extension<ProofSource>>,
    ApiPath(path): ApiPath<HeightPath>,
    ApiQuery(query): ApiQuery<ProofQuery>,
) -> Result<Json<Proof>, ApiError> {
    let wanted = match &query.txid {
        None => None,
        Some(t) => Some(
            t.parse::<Txid>()
                .map_err(|_| ApiError::bad_request(format!("txid {t:?} is not 64 hex digits")))?,
        ),
    };
    let Some(Extension(source)) = source else {
        return Err(ApiError::not_found(
            "this server builds no proofs: it has no block source (api setting proof_node_url)",
        ));
    };
    let height = path.height;
    let indexed = store
        .block(Height(height))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no block at height {height}")))?;
    let bytes = source
        .block(height)
        .await
        .map_err(ApiError::internal_message)?
        .ok_or_else(|| {
            ApiError::internal_message(format!("the block source has no block at {height}"))
        })?;
    let block: Block =
        deserialize(&bytes).map_err(|e| ApiError::internal_message(e.to_string()))?;
    if block.block_hash() != indexed.hash {
        return Err(ApiError::internal_message(format!(
            "the block source's block at {height} is {}, the index has {}",
            block.block_hash(),
            indexed.hash
        )));
    }
    let coinbase_txid = block.txdata[0].compute_txid();
    let txid = wanted.unwrap_or(coinbase_txid);
    let p = BlockProof::build(&block, txid)
        .map_err(|_| ApiError::not_found(format!("transaction {txid} is not in block {height}")))?;
    let fits_contract = p.fits_contract(&block);
    Ok(Json(Proof {
        height,
        hash: indexed.hash.to_string(),
        header: hex::encode(p.header),
        depth: p.coinbase_branch.len() as u32,
        coinbase: proven(coinbase_txid, &p.coinbase, 0, &p.coinbase_branch),
        tx: proven(txid, &p.tx, p.index, &p.branch),
        fits_contract,
    }))
}
