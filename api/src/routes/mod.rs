//! One module per endpoint group; each handler reads through `DbRead` only, takes its
//! parameters as typed structs ([`crate::params`]) and answers with a serde struct
//! whose schema is in the OpenAPI document.
//!
//! Responses never leave a field out: an absent value is `null`. So `Option` fields
//! carry `#[schema(required = true)]`, documenting them as required and nullable, which
//! is what a client generated from the document should expect.

pub mod amm;
pub mod blocks;
pub mod governance;
pub mod health;
pub mod index;
pub mod lending;
pub mod payouts;
pub mod pools;
pub mod proof;
pub mod silica;

use alkahest_indexer::storage::{BlockRecord, OutputRecord};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use crate::error::ErrorBody;

/// A stored block.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Block {
    /// Height.
    pub height: u32,
    /// Block hash, hex.
    pub hash: String,
    /// Parent hash, hex.
    pub prev_hash: String,
    /// Header time, Unix seconds.
    pub time: u32,
    /// Median of the last 11 block times, once all 11 are indexed.
    #[schema(required = true)]
    pub median_time_past: Option<u32>,
    /// Compact target, 8 hex digits.
    pub bits: String,
    /// Difficulty.
    pub difficulty: f64,
    /// Transactions in the block.
    pub tx_count: u64,
    /// Raw size in bytes.
    pub size: u64,
    /// Coinbase txid, hex.
    pub coinbase_txid: String,
    /// Printable ASCII of the coinbase scriptSig.
    pub tag: String,
    /// Block subsidy in sats.
    pub subsidy_sats: u64,
    /// Fees in sats (zero when the coinbase under-claimed).
    pub fees_sats: u64,
    /// Σ coinbase outputs in sats.
    pub output_total_sats: u64,
    /// The coinbase claimed less than the subsidy.
    pub underclaimed: bool,
    /// Identified mining pool.
    #[schema(required = true)]
    pub pool_id: Option<u32>,
    /// Day-window, when at or above the window origin.
    #[schema(required = true)]
    pub window: Option<u32>,
}

impl From<&BlockRecord> for Block {
    fn from(b: &BlockRecord) -> Block {
        Block {
            height: b.height.0,
            hash: b.hash.to_string(),
            prev_hash: b.prev_hash.to_string(),
            time: b.time,
            median_time_past: b.median_time_past,
            bits: format!("{:08x}", b.bits),
            difficulty: b.difficulty,
            tx_count: b.tx_count,
            size: b.size,
            coinbase_txid: b.coinbase_txid.to_string(),
            tag: b.tag.clone(),
            subsidy_sats: b.subsidy.to_sat(),
            fees_sats: b.fees.to_sat(),
            output_total_sats: b.output_total.to_sat(),
            underclaimed: b.underclaimed,
            pool_id: b.pool.map(|p| p.0),
            window: b.window.map(|w| w.0),
        }
    }
}

/// A coinbase output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Output {
    /// Height of its block.
    pub height: u32,
    /// Output index.
    pub vout: u32,
    /// Value in sats.
    pub value_sats: u64,
    /// Locking script, hex.
    pub script_pubkey: String,
    /// Standard address of the script, if it has one.
    #[schema(required = true)]
    pub address: Option<String>,
}

impl From<&OutputRecord> for Output {
    fn from(o: &OutputRecord) -> Output {
        Output {
            height: o.height.0,
            vout: o.vout,
            value_sats: o.value.to_sat(),
            script_pubkey: hex::encode(o.script_pubkey.as_bytes()),
            address: o.address.clone(),
        }
    }
}

/// The documented 400: a parameter is missing, malformed or out of range.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "A parameter is missing, malformed or out of range; the message names it and its value"
)]
pub struct BadRequest(pub ErrorBody);

/// The documented 404: the thing asked for does not exist.
#[derive(IntoResponses)]
#[response(status = 404, description = "Not found")]
pub struct NotFound(pub ErrorBody);

/// The documented 500: the server failed; details are in its log only.
#[derive(IntoResponses)]
#[response(status = 500, description = "Internal error")]
pub struct Internal(pub ErrorBody);
