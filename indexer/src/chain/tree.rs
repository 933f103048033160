//! A header tree that picks the best chain by cumulative work.

use std::collections::HashMap;

use bitcoin::block::Header;
use bitcoin::pow::Work;
use bitcoin::BlockHash;

use crate::types::Height;

#[derive(Debug, Clone)]
struct Entry {
    header: Header,
    height: Height,
    chainwork: Work,
    seq: usize,
}

/// Headers connected to a known anchor block, with the best chain resolved.
///
/// The anchor is a `(height, hash)` the caller trusts: the network's genesis block, or a
/// known starting block. The anchor's header may or may not be among the inserted ones.
/// Headers that do not descend from the anchor are orphans and are ignored. The best tip
/// has the most cumulative work; among equals, the header inserted first wins, as in
/// Bitcoin Core.
#[derive(Debug, Clone)]
pub struct HeaderTree {
    anchor: (Height, BlockHash),
    connected: HashMap<BlockHash, Entry>,
    active: Vec<BlockHash>,
    orphans: usize,
}

impl HeaderTree {
    /// Builds the tree from headers in file (first-seen) order.
    pub fn build(
        anchor: (Height, BlockHash),
        headers: impl IntoIterator<Item = Header>,
    ) -> HeaderTree {
        let mut by_hash: HashMap<BlockHash, (Header, usize)> = HashMap::new();
        let mut children: HashMap<BlockHash, Vec<BlockHash>> = HashMap::new();
        for (seq, header) in headers.into_iter().enumerate() {
            let hash = header.block_hash();
            if by_hash.contains_key(&hash) {
                continue;
            }
            by_hash.insert(hash, (header, seq));
            children
                .entry(header.prev_blockhash)
                .or_default()
                .push(hash);
        }
        let mut connected = HashMap::new();
        let mut stack = Vec::new();
        let (anchor_height, anchor_hash) = anchor;
        if let Some((header, seq)) = by_hash.get(&anchor_hash) {
            let entry = Entry {
                header: *header,
                height: anchor_height,
                chainwork: header.work(),
                seq: *seq,
            };
            connected.insert(anchor_hash, entry);
        }
        stack.push((
            anchor_hash,
            anchor_height,
            connected.get(&anchor_hash).map(|e: &Entry| e.chainwork),
        ));
        while let Some((hash, height, work)) = stack.pop() {
            for child in children.get(&hash).into_iter().flatten() {
                let (header, seq) = by_hash[child];
                let chainwork = match work {
                    Some(w) => w + header.work(),
                    None => header.work(),
                };
                let h = Height(height.0 + 1);
                connected.insert(
                    *child,
                    Entry {
                        header,
                        height: h,
                        chainwork,
                        seq,
                    },
                );
                stack.push((*child, h, Some(chainwork)));
            }
        }
        let orphans = by_hash.len() - connected.len();
        let best = connected
            .iter()
            .max_by(|a, b| {
                a.1.chainwork
                    .cmp(&b.1.chainwork)
                    .then(b.1.seq.cmp(&a.1.seq))
            })
            .map(|(h, _)| *h);
        let mut active = Vec::new();
        let mut cur = best;
        while let Some(hash) = cur {
            active.push(hash);
            cur = connected.get(&hash).and_then(|e| {
                let parent = e.header.prev_blockhash;
                connected.contains_key(&parent).then_some(parent)
            });
        }
        active.reverse();
        HeaderTree {
            anchor,
            connected,
            active,
            orphans,
        }
    }

    /// Returns the best tip, or `None` when no header connects to the anchor.
    pub fn tip(&self) -> Option<(Height, BlockHash)> {
        let hash = *self.active.last()?;
        Some((self.connected[&hash].height, hash))
    }

    /// Returns the cumulative work of the best tip above the anchor (zero when empty).
    pub fn tip_work(&self) -> Work {
        self.active
            .last()
            .map_or(Work::from_be_bytes([0; 32]), |h| {
                self.connected[h].chainwork
            })
    }

    /// Returns the height of the first block of the best chain held in the tree.
    pub fn first_height(&self) -> Option<Height> {
        self.active.first().map(|h| self.connected[h].height)
    }

    /// Returns the hash at `height` on the best chain.
    pub fn hash_at(&self, height: Height) -> Option<BlockHash> {
        let first = self.first_height()?;
        let idx = height.0.checked_sub(first.0)? as usize;
        self.active.get(idx).copied()
    }

    /// Returns the header of a connected block.
    pub fn header(&self, hash: &BlockHash) -> Option<&Header> {
        self.connected.get(hash).map(|e| &e.header)
    }

    /// Returns how many inserted headers do not descend from the anchor.
    pub fn orphans(&self) -> usize {
        self.orphans
    }

    /// Returns how many headers descend from the anchor (any branch).
    pub fn connected(&self) -> usize {
        self.connected.len()
    }

    /// Returns the anchor.
    pub fn anchor(&self) -> (Height, BlockHash) {
        self.anchor
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::block::Version;
    use bitcoin::hashes::Hash;
    use bitcoin::{CompactTarget, TxMerkleNode};

    fn header(prev: BlockHash, nonce: u32, bits: u32) -> Header {
        Header {
            version: Version::ONE,
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time: 0,
            bits: CompactTarget::from_consensus(bits),
            nonce,
        }
    }

    const EASY: u32 = 0x207f_ffff;
    const HARDER: u32 = 0x1f7f_ffff;

    #[test]
    fn more_work_wins_and_orphans_are_ignored() {
        let g = header(BlockHash::all_zeros(), 0, EASY);
        let a1 = header(g.block_hash(), 1, EASY);
        let a2 = header(a1.block_hash(), 2, EASY);
        let a3 = header(a2.block_hash(), 3, EASY);
        let b2 = header(a1.block_hash(), 20, EASY);
        let orphan = header(BlockHash::from_byte_array([7; 32]), 9, EASY);
        // Out of order on purpose: children before parents.
        let tree = HeaderTree::build((Height(0), g.block_hash()), [a3, b2, orphan, a2, a1, g]);
        assert_eq!(tree.tip(), Some((Height(3), a3.block_hash())));
        assert_eq!(tree.orphans(), 1);
        // Both branches descend from the anchor: g, a1, a2, a3 and b2.
        assert_eq!(tree.connected(), 5);
        assert_eq!(tree.hash_at(Height(2)), Some(a2.block_hash()));

        // A shorter branch with more work overtakes: a reorg at depth 2.
        let b3 = header(b2.block_hash(), 21, HARDER);
        let tree = HeaderTree::build((Height(0), g.block_hash()), [g, a1, a2, a3, b2, b3]);
        assert_eq!(tree.tip(), Some((Height(3), b3.block_hash())));
        assert_eq!(tree.hash_at(Height(2)), Some(b2.block_hash()));
        assert_eq!(tree.hash_at(Height(1)), Some(a1.block_hash()));
    }

    #[test]
    fn equal_work_keeps_the_first_seen_tip() {
        let g = header(BlockHash::all_zeros(), 0, EASY);
        let a1 = header(g.block_hash(), 1, EASY);
        let b1 = header(g.block_hash(), 2, EASY);
        let tree = HeaderTree::build((Height(0), g.block_hash()), [b1, a1]);
        assert_eq!(tree.tip(), Some((Height(1), b1.block_hash())));
        assert_eq!(
            tree.first_height(),
            Some(Height(1)),
            "the anchor header itself is absent"
        );
        assert_eq!(tree.hash_at(Height(0)), None);
    }
}
