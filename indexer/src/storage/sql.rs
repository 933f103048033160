//! Conversions between stored columns and the crate's types, shared by the read and
//! write halves of the store.

use bitcoin::hashes::Hash;
use bitcoin::{Amount, BlockHash, Txid};

use super::StorageError;
use crate::types::Height;

/// A block's expected hashes, `2^256 / (target + 1)` from its `bits`: the one work
/// formula the signers sign with ([`alkahest_protocol::index`]), as an `f64` for the
/// window table (exact below 2^53, within 1e-16 relative above).
pub(crate) fn block_work(model: alkahest_protocol::index::WorkModel, bits: u32) -> f64 {
    model
        .block_work(bits)
        .map(|w| w as f64)
        .unwrap_or(f64::INFINITY)
}

pub(crate) fn to_u32(v: i64, what: &'static str) -> Result<u32, StorageError> {
    u32::try_from(v).map_err(|_| StorageError::Corrupt(what))
}

pub(crate) fn to_u64(v: i64, what: &'static str) -> Result<u64, StorageError> {
    u64::try_from(v).map_err(|_| StorageError::Corrupt(what))
}

pub(crate) fn to_amount(v: i64, what: &'static str) -> Result<Amount, StorageError> {
    Ok(Amount::from_sat(to_u64(v, what)?))
}

pub(crate) fn to_bytes32(v: &[u8], what: &'static str) -> Result<[u8; 32], StorageError> {
    v.try_into().map_err(|_| StorageError::Corrupt(what))
}

pub(crate) fn to_hash(v: &[u8], what: &'static str) -> Result<BlockHash, StorageError> {
    Ok(BlockHash::from_byte_array(to_bytes32(v, what)?))
}

pub(crate) fn to_txid(v: &[u8], what: &'static str) -> Result<Txid, StorageError> {
    Ok(Txid::from_byte_array(to_bytes32(v, what)?))
}

/// An amount as the `BIGINT` both backends store; amounts never exceed 21e14 sats.
pub(crate) fn sats(a: Amount) -> i64 {
    i64::try_from(a.to_sat()).unwrap_or(i64::MAX)
}

/// Returns Bitcoin Core's median-time-past: the median of up to 11 times, the last being
/// the block's own.
pub(crate) fn median_time(times: &[u32]) -> u32 {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    sorted[sorted.len() / 2]
}

/// Bitcoin Core's `nMedianTimeSpan`.
pub(crate) const MEDIAN_TIME_SPAN: usize = 11;

/// Returns the highest stored height that `rollback_to` leaves, for logs.
pub(crate) fn describe_rollback(rollback_to: Option<Height>) -> String {
    rollback_to.map_or_else(|| "none".to_owned(), |h| h.to_string())
}

/// The `blocks` columns, in the order [`super::write`] inserts them and
/// [`super::read`] selects them.
pub(crate) const BLOCK_COLUMNS: &str =
    "height, hash, prev_hash, time, median_time_past, bits, difficulty, work, tx_count, size, \
     coinbase_txid, script_sig, tag, bip34_height, subsidy, output_total, fees, underclaimed, \
     pool_id, window_id";
