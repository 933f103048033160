//! Chain following: the header tree that resolves the best chain from unordered headers,
//! and the [`Follower`] that applies source events to storage, detects reorgs by parent
//! hash, walks back to the fork point and replaces the stale blocks in one transaction.

mod follower;
mod payouts;
mod tree;

pub use follower::{FollowError, Follower, FollowerConfig, Progress, Step};
pub use tree::HeaderTree;

use crate::coinbase::merkle::{coinbase_proof, CoinbaseProof, MerkleProofError};
use crate::source::{BlockSource, SourceError};
use crate::types::Height;

/// Why a coinbase proof for a height could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The source failed.
    #[error("block source failed")]
    Source(#[source] SourceError),
    /// The source has no block at the height.
    #[error("no block at height {0}")]
    Missing(Height),
    /// The block did not yield a proof.
    #[error("cannot build the coinbase proof")]
    Proof(#[source] MerkleProofError),
}

/// Fetches the full block at `height` from `source` and builds its coinbase Merkle
/// proof (txid and branch to the header's root). This decodes every transaction, so it
/// is for on-demand queries, never the indexing path.
///
/// # Errors
///
/// [`ProofError`] when the source fails or lacks the block, or the block is malformed.
pub async fn coinbase_proof_at<S: BlockSource>(
    source: &mut S,
    height: Height,
) -> Result<CoinbaseProof, ProofError> {
    let mut events = source.fetch(height, 1).await.map_err(ProofError::Source)?;
    let event = events.pop().ok_or(ProofError::Missing(height))?;
    coinbase_proof(&event.bytes).map_err(ProofError::Proof)
}
