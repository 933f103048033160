//! What this signer's own index says about a Silica window: the sats its blocks paid to
//! the Silica's payout script (coinbase outputs and outputs of ordinary transactions,
//! such as an FPPS pool's payout), and the network index over the same blocks.
//!
//! Payments outside the coinbase are stored only for watched scripts
//! ([`alkahest_indexer::payouts`]), so a window is observed only once the payout script
//! is watched and every stored block was scanned for it; before that the count would be
//! short, and a short count signed is a delivery the miner loses.
//!
//! Everything is integer arithmetic on stored block records, so every honest signer
//! derives bit-identical numbers from the same chain.

use alkahest_indexer::storage::{DbRead, StorageError, WatchState};
use alkahest_indexer::types::Height;
use alkahest_protocol::index::{window_index, IndexError, WorkModel};
use bitcoin::ScriptBuf;

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

/// The signer's own view of one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The window.
    pub window: u32,
    /// Its last block's height.
    pub last_height: Height,
    /// Sats paid to the payout script in the window's blocks, coinbase or not.
    pub delivered: u128,
    /// The window's index ([`alkahest_protocol::index`]), 10^-8 sat per TH/s·day.
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
    /// A block's work or the index does not fit 128 bits.
    #[error("index of block {0}")]
    Index(Height, #[source] IndexError),
    /// The payout script's payments outside coinbases are not all indexed yet.
    #[error(
        "this index has not scanned the payout script's ordinary transactions yet ({0:?}); \
         the signer watches every Silica's payout script, retry shortly"
    )]
    NotScanned(WatchState),
    /// Sums overflowed.
    #[error("arithmetic overflow summing window {0}")]
    Overflow(u32),
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
        let w = work_model
            .block_work(b.bits)
            .map_err(|e| ObserveError::Index(b.height, e))?;
        work = work.checked_add(w).ok_or_else(overflow)?;
    }
    match store.watch_state(&terms.payout_script).await? {
        WatchState::Scanned => {}
        state => return Err(ObserveError::NotScanned(state)),
    }
    let coinbase = store
        .outputs_by_script(&terms.payout_script, first, last)
        .await?;
    let payments = store.payments(&terms.payout_script, first, last).await?;
    let delivered = coinbase
        .iter()
        .map(|o| o.value)
        .chain(payments.iter().map(|p| p.payment.value))
        .map(|v| u128::from(v.to_sat()))
        .sum::<u128>();
    let index = window_index(reward, work).map_err(|e| ObserveError::Index(last, e))?;
    Ok(Some(Observation {
        window,
        last_height: last,
        delivered,
        index,
    }))
}
