//! The coinbase Merkle proof: the coinbase txid and the branch of sibling hashes that
//! leads to the header's Merkle root.
//!
//! It needs every txid of the block, so it is computed on demand from the full block,
//! never on the indexing hot path.

use alkahest_protocol::spv::{merkle_branch, merkle_root, verify_branch};
use bitcoin::consensus::deserialize;
use bitcoin::hashes::Hash;
use bitcoin::{Block, TxMerkleNode, Txid};

/// Why a proof could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MerkleProofError {
    /// The bytes are not a full block.
    #[error("block does not decode")]
    Decode(#[source] bitcoin::consensus::encode::Error),
    /// The block has no transactions.
    #[error("block has no transactions")]
    Empty,
    /// The recomputed root differs from the header's.
    #[error("computed merkle root {computed} differs from header root {header}")]
    RootMismatch {
        /// Computed from the transactions.
        computed: TxMerkleNode,
        /// Found in the header.
        header: TxMerkleNode,
    },
}

/// A Merkle branch from the coinbase (index 0) to the block's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinbaseProof {
    /// The coinbase txid, the leaf.
    pub txid: Txid,
    /// Sibling hashes from the leaf level upwards.
    pub branch: Vec<TxMerkleNode>,
    /// The header's Merkle root.
    pub root: TxMerkleNode,
    /// Transactions in the block.
    pub tx_count: usize,
}

impl CoinbaseProof {
    /// Returns true when folding the branch onto the txid yields the root. The coinbase
    /// is always the left-most leaf, so it is always hashed on the left.
    pub fn verify(&self) -> bool {
        let branch: Vec<[u8; 32]> = self.branch.iter().map(|n| n.to_byte_array()).collect();
        verify_branch(
            self.txid.to_byte_array(),
            0,
            &branch,
            self.root.to_byte_array(),
        )
    }
}

/// Builds the coinbase Merkle proof from a full serialized block.
///
/// # Errors
///
/// [`MerkleProofError`] when the block does not decode or its root does not match.
pub fn coinbase_proof(block_bytes: &[u8]) -> Result<CoinbaseProof, MerkleProofError> {
    let block: Block = deserialize(block_bytes).map_err(MerkleProofError::Decode)?;
    let txids: Vec<[u8; 32]> = block
        .txdata
        .iter()
        .map(|tx| tx.compute_txid().to_byte_array())
        .collect();
    // The one Merkle implementation the contracts' proofs are built with.
    let root = merkle_root(&txids).ok_or(MerkleProofError::Empty)?;
    let branch = merkle_branch(&txids, 0).ok_or(MerkleProofError::Empty)?;
    let computed = TxMerkleNode::from_byte_array(root);
    if computed != block.header.merkle_root {
        return Err(MerkleProofError::RootMismatch {
            computed,
            header: block.header.merkle_root,
        });
    }
    Ok(CoinbaseProof {
        txid: Txid::from_byte_array(txids[0]),
        branch: branch
            .into_iter()
            .map(TxMerkleNode::from_byte_array)
            .collect(),
        root: computed,
        tx_count: txids.len(),
    })
}
