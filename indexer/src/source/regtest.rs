//! A regtest chain generator that produces consensus-valid blocks.
//!
//! Every block has a solved regtest proof of work (`bits = 0x207fffff`), the BIP-0034
//! height at the start of its coinbase scriptSig, a BIP-0141 witness commitment and a
//! witness reserved value, a timestamp above its parent's, and a coinbase that pays the
//! configured scripts. Blocks can be mined on any known block, so forks are easy.
//!
//! Three options make blocks that a full node would reject, and are documented as such:
//! a non-zero [`CoinbaseSpec::fees`] (the block claims fees that no transaction pays),
//! [`CoinbaseSpec::filler_txs`] (padding transactions spending made-up outpoints, used by
//! benchmarks to reach mainnet block sizes) and [`CoinbaseSpec::txs`] (ordinary
//! transactions whose inputs the generator does not check, such as a pool's payout
//! spending a made-up outpoint). The indexer validates none of them: it reads outputs.
//!
//! ```
//! use alkahest_indexer::source::regtest::{ChainBuilder, CoinbaseSpec};
//! use bitcoin::{Amount, ScriptBuf};
//!
//! let payout = ScriptBuf::new_op_return([1u8; 4]); // any script works
//! let mut chain = ChainBuilder::new();
//! let spec = CoinbaseSpec::default().pay(payout.clone(), Amount::from_sat(1_000));
//! let first = chain.mine_on_tip(&spec).unwrap();
//! let fork = chain.mine(chain.genesis_hash(), &spec).unwrap(); // a competing height-1 block
//! assert_ne!(first, fork);
//! assert_eq!(chain.tip().0 .0, 1);
//! ```

use std::collections::HashMap;

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::consensus::serialize;
use bitcoin::constants::genesis_block;
use bitcoin::hashes::Hash;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, Network, OutPoint, ScriptBuf, Sequence, Transaction,
    TxIn, TxMerkleNode, TxOut, Txid, Witness,
};

use crate::coinbase::{bip34_prefix, block_subsidy};
use crate::types::Height;

/// Regtest's proof-of-work limit in compact form (`powLimit` 0x7fff…ff).
pub const REGTEST_BITS: u32 = 0x207f_ffff;

/// Why a block could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// The parent is not a block this builder knows.
    #[error("unknown parent block {0}")]
    UnknownParent(BlockHash),
    /// The payouts claim more than subsidy plus fees.
    #[error("payouts total {payouts} exceeds subsidy plus fees {available}")]
    Overpaid {
        /// Σ payouts.
        payouts: Amount,
        /// subsidy + fees.
        available: Amount,
    },
    /// The tag makes the scriptSig longer than the consensus maximum of 100 bytes.
    #[error("coinbase tag of {0} bytes is too long")]
    TagTooLong(usize),
    /// No nonce solved the proof of work (cannot happen at regtest difficulty).
    #[error("no nonce solves the proof of work")]
    Unsolved,
}

/// What a generated block's coinbase pays.
#[derive(Debug, Clone, Default)]
pub struct CoinbaseSpec {
    /// Outputs paid first, in order (a TIDES-like split is several of these).
    pub payouts: Vec<(ScriptBuf, Amount)>,
    /// Fees the coinbase claims on top of the subsidy (see the module docs).
    pub fees: Amount,
    /// Receives `subsidy + fees − Σ payouts` when that is positive; an empty script when
    /// `None`.
    pub remainder: Option<ScriptBuf>,
    /// Bytes appended to the scriptSig after the height (a pool tag, say).
    pub tag: Vec<u8>,
    /// Padding transactions added after the coinbase (see the module docs).
    pub filler_txs: usize,
    /// scriptSig bytes of each padding transaction's input.
    pub filler_script_len: usize,
    /// Ordinary transactions placed right after the coinbase, before any padding: a
    /// pool's FPPS payout, say. Their inputs are not checked against any UTXO set.
    pub txs: Vec<Transaction>,
}

impl CoinbaseSpec {
    /// Adds a payout of `value` to `script`.
    pub fn pay(mut self, script: ScriptBuf, value: Amount) -> Self {
        self.payouts.push((script, value));
        self
    }

    /// Sets the fee total the coinbase claims.
    pub fn with_fees(mut self, fees: Amount) -> Self {
        self.fees = fees;
        self
    }

    /// Sets the tag written after the BIP-0034 height.
    pub fn with_tag(mut self, tag: &[u8]) -> Self {
        self.tag = tag.to_vec();
        self
    }

    /// Sets the remainder script.
    pub fn with_remainder(mut self, script: ScriptBuf) -> Self {
        self.remainder = Some(script);
        self
    }

    /// Sets the ordinary transactions that follow the coinbase.
    pub fn with_txs(mut self, txs: Vec<Transaction>) -> Self {
        self.txs = txs;
        self
    }
}

#[derive(Clone)]
struct Node {
    block: Block,
    height: Height,
}

/// Builds regtest block trees. The best tip is the highest block, first seen wins ties
/// (every regtest block has the same work).
#[derive(Clone)]
pub struct ChainBuilder {
    nodes: HashMap<BlockHash, Node>,
    genesis: BlockHash,
    tip: BlockHash,
    counter: u64,
}

impl Default for ChainBuilder {
    fn default() -> Self {
        ChainBuilder::new()
    }
}

impl ChainBuilder {
    /// Starts from the regtest genesis block.
    pub fn new() -> ChainBuilder {
        let genesis = genesis_block(Network::Regtest);
        let hash = genesis.block_hash();
        let mut nodes = HashMap::new();
        nodes.insert(
            hash,
            Node {
                block: genesis,
                height: Height(0),
            },
        );
        ChainBuilder {
            nodes,
            genesis: hash,
            tip: hash,
            counter: 0,
        }
    }

    /// Returns the genesis hash.
    pub fn genesis_hash(&self) -> BlockHash {
        self.genesis
    }

    /// Returns the best tip's height and hash.
    pub fn tip(&self) -> (Height, BlockHash) {
        (self.nodes[&self.tip].height, self.tip)
    }

    /// Returns a known block.
    pub fn block(&self, hash: &BlockHash) -> Option<&Block> {
        self.nodes.get(hash).map(|n| &n.block)
    }

    /// Returns the height of a known block.
    pub fn height_of(&self, hash: &BlockHash) -> Option<Height> {
        self.nodes.get(hash).map(|n| n.height)
    }

    /// Returns the blocks from genesis (included) to `tip`, in height order.
    pub fn chain_to(&self, tip: &BlockHash) -> Vec<&Block> {
        let mut out = Vec::new();
        let mut cur = self.nodes.get(tip);
        while let Some(node) = cur {
            out.push(&node.block);
            cur = if node.height.0 == 0 {
                None
            } else {
                self.nodes.get(&node.block.header.prev_blockhash)
            };
        }
        out.reverse();
        out
    }

    /// Returns the best chain from genesis (included) to the tip.
    pub fn best_chain(&self) -> Vec<&Block> {
        self.chain_to(&self.tip)
    }

    /// Mines a block on the best tip.
    ///
    /// # Errors
    ///
    /// See [`ChainBuilder::mine`].
    pub fn mine_on_tip(&mut self, spec: &CoinbaseSpec) -> Result<BlockHash, GenerateError> {
        self.mine(self.tip, spec)
    }

    /// Mines a block on `parent`, which may be any known block (a fork).
    ///
    /// # Errors
    ///
    /// [`GenerateError`] for an unknown parent, payouts above subsidy plus fees, or a tag
    /// that makes the scriptSig too long.
    pub fn mine(
        &mut self,
        parent: BlockHash,
        spec: &CoinbaseSpec,
    ) -> Result<BlockHash, GenerateError> {
        let parent_node = self
            .nodes
            .get(&parent)
            .ok_or(GenerateError::UnknownParent(parent))?;
        let height = Height(parent_node.height.0 + 1);
        let time = parent_node.block.header.time + 1;
        self.counter += 1;
        let block = build_block(parent, height, time, self.counter, spec)?;
        let hash = block.block_hash();
        self.nodes.insert(hash, Node { block, height });
        if height > self.nodes[&self.tip].height {
            self.tip = hash;
        }
        Ok(hash)
    }

    /// Adds a block mined earlier (read back from disk, say) on top of its known parent,
    /// so a restarted devnet continues the same chain.
    ///
    /// # Errors
    ///
    /// [`GenerateError::UnknownParent`] when its parent is not known.
    pub fn import(&mut self, block: Block) -> Result<BlockHash, GenerateError> {
        let parent = block.header.prev_blockhash;
        let parent_height = self
            .nodes
            .get(&parent)
            .ok_or(GenerateError::UnknownParent(parent))?
            .height;
        let height = Height(parent_height.0 + 1);
        let hash = block.block_hash();
        self.counter += 1;
        self.nodes.insert(hash, Node { block, height });
        if height > self.nodes[&self.tip].height {
            self.tip = hash;
        }
        Ok(hash)
    }
}

fn coinbase_tx(
    height: Height,
    extra_nonce: u64,
    spec: &CoinbaseSpec,
) -> Result<Transaction, GenerateError> {
    let mut sig = bip34_prefix(height);
    // An extra nonce keeps competing blocks at the same height distinct.
    sig.push(8);
    sig.extend_from_slice(&extra_nonce.to_le_bytes());
    sig.extend_from_slice(&spec.tag);
    if sig.len() > 100 {
        return Err(GenerateError::TagTooLong(spec.tag.len()));
    }
    let available = block_subsidy(height, Network::Regtest)
        .checked_add(spec.fees)
        .ok_or(GenerateError::Overpaid {
            payouts: Amount::MAX_MONEY,
            available: Amount::MAX_MONEY,
        })?;
    let paid = spec
        .payouts
        .iter()
        .try_fold(Amount::ZERO, |acc, (_, v)| acc.checked_add(*v));
    let paid = paid.ok_or(GenerateError::Overpaid {
        payouts: Amount::MAX_MONEY,
        available,
    })?;
    let remainder = available.checked_sub(paid).ok_or(GenerateError::Overpaid {
        payouts: paid,
        available,
    })?;
    let mut output: Vec<TxOut> = spec
        .payouts
        .iter()
        .map(|(s, v)| TxOut {
            value: *v,
            script_pubkey: s.clone(),
        })
        .collect();
    if remainder > Amount::ZERO {
        output.push(TxOut {
            value: remainder,
            script_pubkey: spec.remainder.clone().unwrap_or_default(),
        });
    }
    let mut witness = Witness::new();
    witness.push([0u8; 32]);
    Ok(Transaction {
        version: TxVersion::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(sig),
            sequence: Sequence::MAX,
            witness,
        }],
        output,
    })
}

/// An ordinary segwit transaction paying `outputs`, for [`CoinbaseSpec::txs`]: its one
/// input spends a made-up outpoint derived from `seed` (distinct seeds give distinct
/// txids) with a placeholder witness, since the generator keeps no UTXO set.
pub fn payment_tx(seed: &[u8], outputs: Vec<TxOut>) -> Transaction {
    let funding = Txid::from_raw_hash(bitcoin::hashes::sha256d::Hash::hash(seed));
    let mut witness = Witness::new();
    witness.push([0x30; 71]);
    witness.push([0x02; 33]);
    Transaction {
        version: TxVersion::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(funding, 0),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness,
        }],
        output: outputs,
    }
}

fn filler_tx(i: usize, spec: &CoinbaseSpec, height: Height) -> Transaction {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    seed[8..12].copy_from_slice(&height.0.to_le_bytes());
    let push = PushBytesBuf::try_from(vec![0x5a; spec.filler_script_len.min(520)])
        .expect("at most 520 bytes");
    Transaction {
        version: TxVersion::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::from_byte_array(seed),
                vout: 0,
            },
            script_sig: Builder::new().push_slice(push).into_script(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(1_000),
            script_pubkey: ScriptBuf::new_op_return([1u8; 20]),
        }],
    }
}

/// Builds and solves one block on `parent` at `height` without keeping it, for callers
/// that stream large chains (benchmarks write 2,000 mainnet-sized blocks this way).
/// `extra_nonce` distinguishes blocks with the same parent and spec.
///
/// # Errors
///
/// As [`ChainBuilder::mine`], except that the parent is not checked.
pub fn build_block(
    parent: BlockHash,
    height: Height,
    time: u32,
    extra_nonce: u64,
    spec: &CoinbaseSpec,
) -> Result<Block, GenerateError> {
    let mut txdata = vec![coinbase_tx(height, extra_nonce, spec)?];
    txdata.extend(spec.txs.iter().cloned());
    txdata.extend((0..spec.filler_txs).map(|i| filler_tx(i, spec, height)));
    let mut block = Block {
        header: Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: parent,
            merkle_root: TxMerkleNode::all_zeros(),
            time,
            bits: CompactTarget::from_consensus(REGTEST_BITS),
            nonce: 0,
        },
        txdata,
    };
    let witness_root = block.witness_root().expect("the block has a coinbase");
    let commitment = Block::compute_witness_commitment(&witness_root, &[0u8; 32]);
    let mut script = vec![0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
    script.extend_from_slice(commitment.as_byte_array());
    block.txdata[0].output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: ScriptBuf::from_bytes(script),
    });
    block.header.merkle_root = block
        .compute_merkle_root()
        .expect("the block has a coinbase");
    let target = block.header.target();
    for nonce in 0..=u32::MAX {
        block.header.nonce = nonce;
        if block.header.validate_pow(target).is_ok() {
            return Ok(block);
        }
    }
    Err(GenerateError::Unsolved)
}

/// Serializes a block to raw bytes.
pub fn block_bytes(block: &Block) -> Vec<u8> {
    serialize(block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coinbase::{parse_coinbase, CoinbaseBlock};

    #[test]
    fn generated_blocks_are_valid() {
        let mut chain = ChainBuilder::new();
        let a = ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::all_zeros());
        let spec = CoinbaseSpec::default()
            .pay(a.clone(), Amount::from_sat(7_000))
            .with_fees(Amount::from_sat(500))
            .with_tag(b"/alkahest/");
        for _ in 0..20 {
            // 20 blocks cover both height encodings.
            chain.mine_on_tip(&spec).unwrap();
        }
        for (h, block) in chain.best_chain().into_iter().enumerate().skip(1) {
            assert!(block.check_merkle_root());
            assert!(block.check_witness_commitment());
            assert!(block.header.validate_pow(block.header.target()).is_ok());
            // Bitcoin Core writes heights 1..=16 as OP_1..OP_16, which rust-bitcoin's
            // helper does not read; the indexer's own decoder does.
            if h > 16 {
                assert_eq!(block.bip34_block_height().unwrap(), h as u64);
            }
            let sig = block.txdata[0].input[0].script_sig.as_bytes();
            assert_eq!(crate::coinbase::decode_bip34_height(sig), Some(h as u64));
            let parsed = parse_coinbase(&block_bytes(block)).unwrap();
            let cb = CoinbaseBlock::validate(parsed, Height(h as u32), Network::Regtest).unwrap();
            assert_eq!(cb.paid_to(&a), Amount::from_sat(7_000));
            assert_eq!(cb.fees, Amount::from_sat(500));
            assert!(cb.tag.contains("/alkahest/"));
        }
    }

    #[test]
    fn longer_fork_becomes_tip() {
        let mut chain = ChainBuilder::new();
        let spec = CoinbaseSpec::default();
        let a1 = chain.mine_on_tip(&spec).unwrap();
        let a2 = chain.mine_on_tip(&spec).unwrap();
        let b2 = chain.mine(a1, &spec).unwrap();
        assert_eq!(chain.tip().1, a2, "first seen wins ties");
        let b3 = chain.mine(b2, &spec).unwrap();
        assert_eq!(chain.tip(), (Height(3), b3));
        assert!(matches!(
            chain.mine(BlockHash::all_zeros(), &spec),
            Err(GenerateError::UnknownParent(_))
        ));
        let over =
            CoinbaseSpec::default().pay(ScriptBuf::new(), Amount::from_sat(60 * 100_000_000));
        assert!(matches!(
            chain.mine_on_tip(&over),
            Err(GenerateError::Overpaid { .. })
        ));
    }
}
