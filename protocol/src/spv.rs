//! Bitcoin SPV proofs as the `btc-proof` contract checks them: a header, a transaction
//! in its legacy form and its Merkle branch. One implementation builds them for the
//! indexer (which serves them), the devnet (which submits them) and the contract tests.
//!
//! The contract learns a block's tree depth from the coinbase's branch (index 0), so
//! every proof of a block carries the coinbase's too ([`BlockProof`]). Hashes are in
//! internal byte order, as sha256d produces them; only the header hash the Stacks node
//! reports is in display order ([`display_hash`]).
//!
//! ```
//! use alkahest_protocol::spv::{merkle_branch, merkle_root, verify_branch};
//! let txids: Vec<[u8; 32]> = (0u8..5).map(|i| [i; 32]).collect();
//! let root = merkle_root(&txids).unwrap();
//! let branch = merkle_branch(&txids, 4).unwrap();
//! assert_eq!(branch.len(), 3); // 5 leaves: depth 3
//! assert!(verify_branch(txids[4], 4, &branch, root));
//! ```

use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::{Block, Transaction, Txid};

/// The most inputs `btc-proof` parses in one transaction.
pub const MAX_INPUTS: usize = 64;
/// The most outputs `btc-proof` parses in one transaction.
pub const MAX_OUTPUTS: usize = 128;
/// The largest transaction (legacy or segwit form) `btc-proof` takes, in bytes.
pub const MAX_TX_BYTES: usize = 8_192;
/// The deepest Merkle branch `btc-proof` takes (65,536 transactions).
pub const MAX_DEPTH: usize = 16;

/// `sha256(sha256(bytes))`, internal order.
pub fn sha256d(bytes: &[u8]) -> [u8; 32] {
    sha256d::Hash::hash(bytes).to_byte_array()
}

/// A block hash or txid in display order (reversed), as `get-burn-block-info?
/// header-hash` returns block hashes.
pub fn display_hash(internal: [u8; 32]) -> [u8; 32] {
    let mut h = internal;
    h.reverse();
    h
}

/// The transaction's legacy (witness-stripped) bytes: what its txid hashes.
pub fn legacy_bytes(tx: &Transaction) -> Vec<u8> {
    let mut stripped = tx.clone();
    for input in &mut stripped.input {
        input.witness.clear();
    }
    serialize(&stripped)
}

/// The BIP34 height push a coinbase's scriptSig starts with (`CScript() << height`):
/// OP_0, OP_1..OP_16, else the minimal little-endian number (a 0x00 appended when the
/// top bit is set). `btc-proof` reads it back; the regtest generator writes it.
pub fn bip34_push(height: u32) -> Vec<u8> {
    match height {
        0 => vec![0x00],
        1..=16 => vec![0x50 + height as u8],
        _ => {
            let mut num: Vec<u8> = height.to_le_bytes().to_vec();
            while num.last() == Some(&0) {
                num.pop();
            }
            if num.last().is_some_and(|b| b & 0x80 != 0) {
                num.push(0);
            }
            let mut out = vec![num.len() as u8];
            out.extend(num);
            out
        }
    }
}

/// The Merkle root of `txids` (internal order) as Bitcoin computes it, the last node of
/// an odd level paired with itself; `None` for no transactions.
pub fn merkle_root(txids: &[[u8; 32]]) -> Option<[u8; 32]> {
    let mut level = txids.to_vec();
    if level.is_empty() {
        return None;
    }
    while level.len() > 1 {
        level = next_level(&level);
    }
    level.first().copied()
}

/// The sibling hashes from leaf `index` up to the root, bottom first; `None` when
/// `index` is out of range.
pub fn merkle_branch(txids: &[[u8; 32]], index: usize) -> Option<Vec<[u8; 32]>> {
    if index >= txids.len() {
        return None;
    }
    let mut level = txids.to_vec();
    let mut i = index;
    let mut branch = Vec::new();
    while level.len() > 1 {
        let sibling = if i % 2 == 1 {
            level[i - 1]
        } else {
            *level.get(i + 1).unwrap_or(&level[i])
        };
        branch.push(sibling);
        level = next_level(&level);
        i /= 2;
    }
    Some(branch)
}

/// Whether `branch` leads from `txid` at `index` to `root`, with the contract's
/// refusal of a right child equal to its left sibling (CVE-2012-2459).
pub fn verify_branch(txid: [u8; 32], index: usize, branch: &[[u8; 32]], root: [u8; 32]) -> bool {
    if branch.len() < usize::BITS as usize && index >> branch.len() != 0 {
        return false;
    }
    let mut node = txid;
    let mut i = index;
    for sibling in branch {
        let mut pair = [0u8; 64];
        if i % 2 == 1 {
            if *sibling == node {
                return false;
            }
            pair[..32].copy_from_slice(sibling);
            pair[32..].copy_from_slice(&node);
        } else {
            pair[..32].copy_from_slice(&node);
            pair[32..].copy_from_slice(sibling);
        }
        node = sha256d(&pair);
        i /= 2;
    }
    node == root
}

fn next_level(level: &[[u8; 32]]) -> Vec<[u8; 32]> {
    level
        .chunks(2)
        .map(|pair| {
            let mut bytes = [0u8; 64];
            bytes[..32].copy_from_slice(&pair[0]);
            bytes[32..].copy_from_slice(pair.get(1).unwrap_or(&pair[0]));
            sha256d(&bytes)
        })
        .collect()
}

/// Everything `btc-proof` needs about one transaction of one block: the header, the
/// coinbase with its branch (which fixes the depth), and the transaction with its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockProof {
    /// The 80-byte header.
    pub header: [u8; 80],
    /// The coinbase in its legacy form.
    pub coinbase: Vec<u8>,
    /// The coinbase's branch (its length is the tree's depth).
    pub coinbase_branch: Vec<[u8; 32]>,
    /// The proven transaction's txid (internal order).
    pub txid: [u8; 32],
    /// The proven transaction in its legacy form.
    pub tx: Vec<u8>,
    /// Its index in the block.
    pub index: usize,
    /// Its branch.
    pub branch: Vec<[u8; 32]>,
}

/// Why a proof could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The block has no transaction with that txid.
    #[error("transaction {0} is not in the block")]
    NotInBlock(Txid),
    /// The block has no transactions.
    #[error("the block has no transactions")]
    Empty,
}

impl BlockProof {
    /// The proof of the transaction `txid` of `block`.
    ///
    /// # Errors
    /// [`ProofError::NotInBlock`] when `block` has no such transaction.
    pub fn build(block: &Block, txid: Txid) -> Result<BlockProof, ProofError> {
        let txids: Vec<[u8; 32]> = block
            .txdata
            .iter()
            .map(|t| t.compute_txid().to_byte_array())
            .collect();
        let index = txids
            .iter()
            .position(|t| *t == txid.to_byte_array())
            .ok_or(ProofError::NotInBlock(txid))?;
        let coinbase = block.txdata.first().ok_or(ProofError::Empty)?;
        let header: [u8; 80] = serialize(&block.header)
            .try_into()
            .expect("a header is 80 bytes");
        Ok(BlockProof {
            header,
            coinbase: legacy_bytes(coinbase),
            coinbase_branch: merkle_branch(&txids, 0).ok_or(ProofError::Empty)?,
            txid: txids[index],
            tx: legacy_bytes(&block.txdata[index]),
            index,
            branch: merkle_branch(&txids, index).ok_or(ProofError::NotInBlock(txid))?,
        })
    }

    /// The proof of the block's coinbase alone.
    ///
    /// # Errors
    /// [`ProofError::Empty`] for a block without transactions.
    pub fn coinbase(block: &Block) -> Result<BlockProof, ProofError> {
        let coinbase = block.txdata.first().ok_or(ProofError::Empty)?;
        BlockProof::build(block, coinbase.compute_txid())
    }

    /// Whether it fits the contract's limits (transaction sizes, inputs, outputs,
    /// depth); a proof that does not would be refused at the call's analysis.
    pub fn fits_contract(&self, block: &Block) -> bool {
        let fits = |tx: &Transaction, bytes: &[u8]| {
            bytes.len() <= MAX_TX_BYTES
                && tx.input.len() <= MAX_INPUTS
                && tx.output.len() <= MAX_OUTPUTS
        };
        fits(&block.txdata[0], &self.coinbase)
            && fits(&block.txdata[self.index], &self.tx)
            && self.branch.len() <= MAX_DEPTH
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u8) -> Vec<[u8; 32]> {
        (0..n).map(|i| sha256d(&[i])).collect()
    }

    #[test]
    fn every_leaf_of_every_small_tree_verifies() {
        for n in 1..=17u8 {
            let txids = leaves(n);
            let root = merkle_root(&txids).unwrap();
            for i in 0..usize::from(n) {
                let branch = merkle_branch(&txids, i).unwrap();
                assert!(verify_branch(txids[i], i, &branch, root), "n {n} i {i}");
                assert!(!verify_branch(txids[i], i ^ 1, &branch, root) || n == 1);
            }
            assert_eq!(merkle_branch(&txids, usize::from(n)), None);
        }
    }

    #[test]
    fn the_phantom_duplicate_of_an_odd_level_is_refused() {
        // 3 leaves: level 0 pads leaf 2 with itself, so leaf 2 "is" also index 3.
        let txids = leaves(3);
        let root = merkle_root(&txids).unwrap();
        let branch = merkle_branch(&txids, 2).unwrap();
        assert_eq!(branch[0], txids[2]);
        assert!(verify_branch(txids[2], 2, &branch, root));
        assert!(!verify_branch(txids[2], 3, &branch, root));
    }

    #[test]
    fn an_index_past_the_depth_is_refused() {
        let txids = leaves(4);
        let root = merkle_root(&txids).unwrap();
        let branch = merkle_branch(&txids, 1).unwrap();
        assert!(verify_branch(txids[1], 1, &branch, root));
        assert!(!verify_branch(txids[1], 5, &branch, root));
    }
}
