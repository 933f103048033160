//! What this signer's own index says about a Silica window: the sats its coinbases paid
//! to the Silica's payout script, and the network index over the same blocks.
//!
//! Everything is integer arithmetic on stored block records, so every honest signer
//! derives bit-identical numbers from the same chain.

use alkahest_indexer::storage::{BlockRecord, DbRead, StorageError};
use alkahest_indexer::types::Height;
use bitcoin::ScriptBuf;

/// `86400 · 10^12`: seconds per day times hashes per TH (design.md, "Network index").
pub const INDEX_SCALE: u128 = 86_400 * 1_000_000_000_000;

/// The on-chain terms of a Silica that fix which blocks and outputs a window covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowTerms {
    /// The Silica id.
    pub silica_id: u128,
    /// The Bitcoin scriptPubKey its pool pays.
    pub payout_script: ScriptBuf,
    /// Bitcoin height of window 0's first block.
    pub start: Height,
    /// Blocks per window (144 on mainnet).
    pub window_length: u32,
}

impl WindowTerms {
    /// First and last height of `window`, or `None` on overflow.
    pub fn heights(&self, window: u32) -> Option<(Height, Height)> {
        let first = window
            .checked_mul(self.window_length)?
            .checked_add(self.start.0)?;
        let last = first.checked_add(self.window_length.checked_sub(1)?)?;
        Some((Height(first), Height(last)))
    }
}

/// Where a window's work (expected hashes) comes from.
///
/// Production reads each block header's work. A regtest devnet cannot: its
/// minimum-difficulty proof of work makes each block worth 2 expected hashes and the
/// hashprice index about 2·10^26 sats per TH/s·day, far past any real value. The devnet
/// therefore declares a simulated network difficulty for the *index only*; blocks,
/// payouts and deliveries are still the real regtest consensus bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkModel {
    /// Σ of each stored block's header work (mainnet, testnet, signet).
    #[default]
    Header,
    /// Every block counts `difficulty · 2^32` expected hashes (devnet simulation).
    SimulatedDifficulty(u64),
}

impl WorkModel {
    fn work_of(self, b: &BlockRecord) -> Result<u128, ObserveError> {
        match self {
            WorkModel::Header => work_of(b),
            WorkModel::SimulatedDifficulty(d) => Ok(u128::from(d) << 32),
        }
    }
}

/// The signer's own view of one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The window.
    pub window: u32,
    /// Its last block's height.
    pub last_height: Height,
    /// Sats paid to the payout script by the window's coinbases.
    pub delivered: u128,
    /// `floor(86400·10^12 · Σ(subsidy + fees) / Σ work)`, sats per TH/s·day.
    pub index: u128,
}

/// Why a window could not be observed.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    /// The store failed.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// The window's heights overflow.
    #[error("window {0} is out of range")]
    OutOfRange(u32),
    /// A block's work does not fit 128 bits (no real block comes close).
    #[error("work of block {0} exceeds 2^128")]
    WorkOverflow(Height),
    /// Sums overflowed.
    #[error("arithmetic overflow summing window {0}")]
    Overflow(u32),
}

fn work_of(b: &BlockRecord) -> Result<u128, ObserveError> {
    let bytes = b.work.to_be_bytes();
    if bytes[..16].iter().any(|&x| x != 0) {
        return Err(ObserveError::WorkOverflow(b.height));
    }
    let mut low = [0u8; 16];
    low.copy_from_slice(&bytes[16..]);
    Ok(u128::from_be_bytes(low))
}

/// Observes `window` from `store`; `None` while the store lacks any of its blocks.
///
/// # Errors
/// [`ObserveError`] on storage failure or overflow.
pub async fn observe<D: DbRead>(
    store: &D,
    terms: &WindowTerms,
    window: u32,
    work_model: WorkModel,
) -> Result<Option<Observation>, ObserveError> {
    let (first, last) = terms
        .heights(window)
        .ok_or(ObserveError::OutOfRange(window))?;
    let blocks = store.blocks(first, terms.window_length).await?;
    if blocks.len() != terms.window_length as usize || blocks.last().map(|b| b.height) != Some(last)
    {
        return Ok(None);
    }
    let overflow = || ObserveError::Overflow(window);
    let (mut reward, mut work) = (0u128, 0u128);
    for b in &blocks {
        let r = u128::from(b.subsidy.to_sat()) + u128::from(b.fees.to_sat());
        reward = reward.checked_add(r).ok_or_else(overflow)?;
        work = work
            .checked_add(work_model.work_of(b)?)
            .ok_or_else(overflow)?;
    }
    let outputs = store
        .outputs_by_script(&terms.payout_script, first, last)
        .await?;
    let delivered = outputs
        .iter()
        .map(|o| u128::from(o.value.to_sat()))
        .sum::<u128>();
    // An empty window has no work and so no index: 0.
    let index = INDEX_SCALE
        .checked_mul(reward)
        .ok_or_else(overflow)?
        .checked_div(work)
        .unwrap_or(0);
    Ok(Some(Observation {
        window,
        last_height: last,
        delivered,
        index,
    }))
}
