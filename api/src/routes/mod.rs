//! One module per endpoint group; each handler reads through `DbRead` only.

pub mod blocks;
pub mod health;
pub mod index;
pub mod payouts;
pub mod pools;
pub mod silica;

use alkahest_indexer::storage::{BlockRecord, OutputRecord};
use serde_json::{json, Value};

/// The JSON form of a stored block.
pub(crate) fn block_json(b: &BlockRecord) -> Value {
    json!({
        "height": b.height.0,
        "hash": b.hash.to_string(),
        "prev_hash": b.prev_hash.to_string(),
        "time": b.time,
        "median_time_past": b.median_time_past,
        "bits": format!("{:08x}", b.bits),
        "difficulty": b.difficulty,
        "tx_count": b.tx_count,
        "size": b.size,
        "coinbase_txid": b.coinbase_txid.to_string(),
        "tag": b.tag,
        "subsidy_sats": b.subsidy.to_sat(),
        "fees_sats": b.fees.to_sat(),
        "output_total_sats": b.output_total.to_sat(),
        "underclaimed": b.underclaimed,
        "pool_id": b.pool.map(|p| p.0),
        "window": b.window.map(|w| w.0),
    })
}

/// The JSON form of a coinbase output.
pub(crate) fn output_json(o: &OutputRecord) -> Value {
    json!({
        "height": o.height.0,
        "vout": o.vout,
        "value_sats": o.value.to_sat(),
        "script_pubkey": hex::encode(o.script_pubkey.as_bytes()),
        "address": o.address,
    })
}
