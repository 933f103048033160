//! The follower's look for payouts in ordinary transactions ([`crate::payouts`]): a
//! block's filter first, the whole block only on a match, and rescans of stored blocks
//! for scripts watched after those blocks were stored.

use std::collections::HashSet;

use bitcoin::{Block, BlockHash, ScriptBuf};

use crate::payouts::{may_pay, payments_in, TxPayment};
use crate::source::{BlockSource, SourceError};
use crate::storage::{DbRead, DbWrite, Rescan, StorageError};
use crate::types::Height;

use super::FollowError;

/// The watched scripts whose payouts are looked for at `height` (watched from at or
/// below it).
pub(super) fn scanned_at(starts: &[(ScriptBuf, Height)], height: Height) -> Vec<ScriptBuf> {
    starts
        .iter()
        .filter(|(_, from)| *from <= height)
        .map(|(s, _)| s.clone())
        .collect()
}

/// Returns the outputs of block `hash` at `height` that pay one of `scripts` outside its
/// coinbase; fetches the whole block only when its filter matches, or when the source
/// serves no filters.
///
/// # Errors
/// [`FollowError::Source`], including [`SourceError::WrongBlock`] when the source's block
/// at `height` is no longer `hash`.
pub(super) async fn payments_of<S: BlockSource>(
    source: &mut S,
    height: Height,
    hash: BlockHash,
    scripts: &[ScriptBuf],
) -> Result<Vec<TxPayment>, FollowError> {
    if scripts.is_empty() {
        return Ok(Vec::new());
    }
    let filter = source
        .filter(height, hash)
        .await
        .map_err(FollowError::Source)?;
    if let Some(filter) = filter {
        if !may_pay(&filter, &hash, scripts) {
            return Ok(Vec::new());
        }
        tracing::debug!(%height, %hash, "block filter matches a watched script; reading the block");
    }
    let bytes = source
        .block(height, hash)
        .await
        .map_err(FollowError::Source)?;
    let block: Block = bitcoin::consensus::deserialize(&bytes).map_err(|source| {
        FollowError::Source(SourceError::Decode {
            what: "block",
            source,
        })
    })?;
    if block.block_hash() != hash {
        return Err(FollowError::Source(SourceError::WrongBlock {
            requested: hash,
            returned: block.block_hash(),
        }));
    }
    let watched: HashSet<ScriptBuf> = scripts.iter().cloned().collect();
    Ok(payments_in(&block, &watched))
}

/// Whether a failure means the source moved (a reorg under way), so the work is simply
/// redone on the next step.
pub(super) fn source_moved(e: &FollowError) -> bool {
    matches!(
        e,
        FollowError::Source(SourceError::WrongBlock { .. } | SourceError::Missing(_))
            | FollowError::Storage(StorageError::RescanStale { .. })
    )
}

/// Scans the stored blocks for the scripts whose rescans are pending, up to the stored
/// tip, and commits what it found. The caller runs it only while the stored tip is on the
/// source's best chain.
///
/// # Errors
/// Source and storage failures; see [`source_moved`] for those a reorg causes.
pub(super) async fn rescan<S: BlockSource, D: DbRead + DbWrite>(
    source: &mut S,
    store: &D,
) -> Result<(), FollowError> {
    let scripts = store.rescans().await.map_err(FollowError::Storage)?;
    let Some(start) = scripts.iter().map(|(_, from)| *from).min() else {
        return Ok(());
    };
    let tip = store.tip().await.map_err(FollowError::Storage)?;
    let mut rescan = Rescan {
        scripts,
        scanned_to: tip,
        found: Vec::new(),
    };
    if let Some((tip_height, _)) = tip {
        tracing::info!(scripts = rescan.scripts.len(), from = %start, to = %tip_height, "rescanning stored blocks for newly watched scripts");
        for h in start.0..=tip_height.0 {
            let height = Height(h);
            let Some(hash) = store
                .block_hash(height)
                .await
                .map_err(FollowError::Storage)?
            else {
                continue;
            };
            let wanted = scanned_at(&rescan.scripts, height);
            let found = payments_of(source, height, hash, &wanted).await?;
            if !found.is_empty() {
                rescan.found.push((height, hash, found));
            }
        }
    }
    store
        .finish_rescan(&rescan)
        .await
        .map_err(FollowError::Storage)
}
