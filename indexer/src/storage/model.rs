//! Row types returned by [`super::DbRead`] and accepted by [`super::DbWrite`].

use bitcoin::pow::Work;
use bitcoin::{Amount, BlockHash, ScriptBuf, Txid};

use crate::coinbase::CoinbaseBlock;
use crate::payouts::TxPayment;
use crate::types::{Height, PoolId, WindowId};

/// A validated block ready to store, with its identified pool.
#[derive(Debug, Clone)]
pub struct IndexedBlock {
    /// The validated coinbase and header.
    pub coinbase: CoinbaseBlock,
    /// The pool, if identified.
    pub pool: Option<PoolId>,
    /// Outputs of its other transactions that pay a watched script
    /// ([`crate::payouts`]); empty unless the block's filter matched.
    pub payments: Vec<TxPayment>,
}

/// Whether a script's payments in ordinary transactions are all in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchState {
    /// Not watched: only its coinbase outputs are stored.
    Unwatched,
    /// Watched, but the stored blocks from this height are still to be rescanned.
    Rescanning(Height),
    /// Watched, and every stored block was scanned for it.
    Scanned,
}

/// What a rescan of stored blocks for newly watched scripts found, committed by
/// [`super::DbWrite::finish_rescan`].
#[derive(Debug, Clone, Default)]
pub struct Rescan {
    /// The scripts and the heights their rescans started at, as
    /// [`super::DbRead::rescans`] listed them.
    pub scripts: Vec<(ScriptBuf, Height)>,
    /// The last stored block scanned; the commit is refused if it is no longer stored.
    pub scanned_to: Option<(Height, BlockHash)>,
    /// Payments found, with their blocks.
    pub found: Vec<(Height, BlockHash, Vec<TxPayment>)>,
}

/// A stored block.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockRecord {
    /// Chain position.
    pub height: Height,
    /// Block hash.
    pub hash: BlockHash,
    /// Parent hash.
    pub prev_hash: BlockHash,
    /// Header time.
    pub time: u32,
    /// Median of the last 11 block times including this one, when all are stored.
    pub median_time_past: Option<u32>,
    /// Compact target.
    pub bits: u32,
    /// Difficulty as `f64`.
    pub difficulty: f64,
    /// Expected hashes of this block (stored as 32 bytes big-endian).
    pub work: Work,
    /// Transactions in the block.
    pub tx_count: u64,
    /// Raw size in bytes.
    pub size: u64,
    /// Coinbase txid.
    pub coinbase_txid: Txid,
    /// Coinbase scriptSig.
    pub script_sig: ScriptBuf,
    /// Printable ASCII of the scriptSig.
    pub tag: String,
    /// The scriptSig's first push read as a height (garbage before BIP-0034).
    pub bip34_height: Option<i64>,
    /// Subsidy.
    pub subsidy: Amount,
    /// Σ outputs.
    pub output_total: Amount,
    /// Fees (zero when under-claimed).
    pub fees: Amount,
    /// The coinbase claimed less than the subsidy.
    pub underclaimed: bool,
    /// Identified pool.
    pub pool: Option<PoolId>,
    /// Day-window, if at or above the origin.
    pub window: Option<WindowId>,
}

/// A stored coinbase output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRecord {
    /// Block height.
    pub height: Height,
    /// Output index.
    pub vout: u32,
    /// Value.
    pub value: Amount,
    /// Locking script.
    pub script_pubkey: ScriptBuf,
    /// Standard address, if any.
    pub address: Option<String>,
}

/// Sats paid to one script in one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The window.
    pub window: WindowId,
    /// Σ values of outputs paying the script.
    pub sats: Amount,
    /// How many outputs.
    pub outputs: u64,
}

/// One window's index.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowRecord {
    /// The window.
    pub window: WindowId,
    /// Its first height.
    pub first_height: Height,
    /// Blocks stored in it so far.
    pub block_count: u32,
    /// Σ (subsidy + fees).
    pub reward: Amount,
    /// Σ `2^256 / (target + 1)`: expected hashes, the signers' work formula.
    pub work: f64,
    /// `86400·10^12·reward / work`, sats per TH/s·day.
    pub index: f64,
}

/// Blocks mined by one pool in a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolShare {
    /// The pool, `None` for unidentified blocks.
    pub pool: Option<PoolId>,
    /// Its name, "unknown" when unidentified.
    pub name: String,
    /// Blocks found.
    pub blocks: u64,
}

/// A position in the `(height, vout)` order of coinbase outputs, for paging through
/// [`super::DbRead::outputs_by_script_page`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutputCursor {
    /// Block height.
    pub height: Height,
    /// Output index.
    pub vout: u32,
}

impl OutputCursor {
    /// The cursor just past `record`: pass the last record of a page to get the next.
    pub fn of(record: &OutputRecord) -> OutputCursor {
        OutputCursor {
            height: record.height,
            vout: record.vout,
        }
    }
}
