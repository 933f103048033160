//! Coinbase parsing and validation.
//!
//! Per block this module extracts, from the header and the coinbase only:
//! - the hash, previous hash, time, bits, difficulty (as `f64` and as exact target/work)
//!   and the transaction count;
//! - the coinbase outputs (value, script, address where standard);
//! - the scriptSig and its printable ASCII tag;
//! - the BIP-0034 height, cross-checked against the chain position where BIP-0034 is
//!   active;
//! - the subsidy by height and the fees, `Σoutputs − subsidy` with checked arithmetic.
//!
//! [`parse_coinbase`] reads; [`CoinbaseBlock::validate`] binds the result to a height.
//! [`PoolSet`] identifies the pool and [`merkle`] builds the coinbase Merkle proof.

pub mod merkle;
mod parse;
mod pools;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::pow::{Target, Work};
use bitcoin::{Address, Amount, BlockHash, Network, ScriptBuf, Txid};

pub use parse::{parse_coinbase, parse_coinbase_prefix, ParsedCoinbase, HEADER_SIZE};
pub use pools::{Pool, PoolLoadError, PoolSet};

use crate::types::Height;

/// Why raw block bytes could not be read as a header plus a coinbase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoinbaseParseError {
    /// The input ended before a field was complete.
    #[error("block truncated: {needed} bytes needed at offset {offset}, {available} available")]
    Truncated {
        /// Where the field starts.
        offset: usize,
        /// The bytes the field needs.
        needed: usize,
        /// The bytes left.
        available: usize,
    },
    /// A CompactSize declared more items or bytes than the block can hold.
    #[error("compact size at offset {offset} declares {value}, above the limit {limit}")]
    OversizeVarint {
        /// Where the CompactSize starts.
        offset: usize,
        /// The value it declares.
        value: u64,
        /// The largest value the remaining bytes allow.
        limit: u64,
    },
    /// A CompactSize used more bytes than its value needs.
    #[error("non-canonical compact size at offset {offset}")]
    NonCanonicalVarint {
        /// Where the CompactSize starts.
        offset: usize,
    },
    /// The block declares no transactions, so it has no coinbase.
    #[error("block declares zero transactions")]
    NoTransactions,
    /// The segwit marker was followed by a flag other than 1.
    #[error("segwit flag is {0:#04x}, expected 0x01")]
    BadSegwitFlag(u8),
    /// A coinbase has exactly one input.
    #[error("first transaction has {0} inputs, a coinbase has exactly one")]
    CoinbaseInputCount(u64),
    /// The single input does not spend the null outpoint.
    #[error("first transaction does not spend the null outpoint, so it is not a coinbase")]
    NotCoinbase,
    /// The scriptSig length is outside the consensus range 2..=100.
    #[error("coinbase scriptSig is {0} bytes, consensus requires 2 to 100")]
    ScriptSigLength(usize),
}

/// Why a parsed coinbase does not fit the chain position it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoinbaseValidationError {
    /// BIP-0034 is active at this height but the scriptSig does not start with it.
    #[error("block {hash} at height {height}: scriptSig does not start with the BIP-0034 height")]
    Bip34Mismatch {
        /// The block.
        hash: BlockHash,
        /// Its chain position.
        height: Height,
    },
    /// The outputs sum to more than 21 million BTC, which no valid coinbase can.
    #[error("block {0}: coinbase outputs overflow the money supply")]
    OutputOverflow(BlockHash),
}

/// Returns the height from which BIP-0034 is enforced on `network` (Bitcoin Core
/// `consensus.BIP34Height` in `kernel/chainparams.cpp`).
pub fn bip34_activation(network: Network) -> Height {
    match network {
        Network::Bitcoin => Height(227_931),
        Network::Testnet => Height(21_111),
        // Signet and regtest enforce it from height 1.
        _ => Height(1),
    }
}

/// Blocks between subsidy halvings (`consensus.nSubsidyHalvingInterval`): 150 on regtest,
/// 210,000 elsewhere.
pub fn halving_interval(network: Network) -> u32 {
    match network {
        Network::Regtest => 150,
        _ => 210_000,
    }
}

/// Returns the block subsidy at `height`, as Bitcoin Core's `GetBlockSubsidy`: 50 BTC
/// halved every [`halving_interval`] blocks, zero after 64 halvings.
pub fn block_subsidy(height: Height, network: Network) -> Amount {
    let halvings = height.0 / halving_interval(network);
    if halvings >= 64 {
        return Amount::ZERO;
    }
    Amount::from_sat((50 * 100_000_000u64) >> halvings)
}

/// Returns the minimal script encoding of `height` that BIP-0034 requires as the prefix
/// of the coinbase scriptSig (`CScript() << nHeight` in Bitcoin Core).
pub fn bip34_prefix(height: Height) -> Vec<u8> {
    alkahest_protocol::spv::bip34_push(height.0)
}

/// Decodes the first push of a scriptSig as a BIP-0034 height, whether or not BIP-0034
/// applies. Before activation this yields garbage, which is why heights come from chain
/// position.
pub fn decode_bip34_height(script_sig: &[u8]) -> Option<u64> {
    let first = *script_sig.first()?;
    match first {
        0x00 => Some(0),
        0x51..=0x60 => Some(u64::from(first - 0x50)),
        1..=8 => {
            let data = script_sig.get(1..1 + first as usize)?;
            let mut v: u64 = 0;
            for (i, b) in data.iter().enumerate() {
                v |= u64::from(*b) << (8 * i);
            }
            Some(v)
        }
        _ => None,
    }
}

/// Returns the printable ASCII (0x20..=0x7e) bytes of a scriptSig, in order.
pub fn ascii_tag(script_sig: &[u8]) -> String {
    script_sig
        .iter()
        .filter(|b| (0x20..=0x7e).contains(*b))
        .map(|b| char::from(*b))
        .collect()
}

/// One coinbase output, with its address where the script is standard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinbaseOutput {
    /// The output index in the coinbase.
    pub vout: u32,
    /// The value.
    pub value: Amount,
    /// The locking script.
    pub script_pubkey: ScriptBuf,
    /// The address for `network`, when the script is a standard form.
    pub address: Option<String>,
}

/// A coinbase bound to its chain position and checked: what storage accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct CoinbaseBlock {
    /// The chain position.
    pub height: Height,
    /// The block hash.
    pub hash: BlockHash,
    /// The header.
    pub header: Header,
    /// Transactions in the block.
    pub tx_count: u64,
    /// Raw block size in bytes.
    pub size: u64,
    /// The coinbase txid.
    pub txid: Txid,
    /// The coinbase scriptSig.
    pub script_sig: ScriptBuf,
    /// The printable ASCII of the scriptSig.
    pub tag: String,
    /// The first push of the scriptSig decoded as a height (garbage before BIP-0034).
    pub bip34_height: Option<u64>,
    /// The coinbase outputs.
    pub outputs: Vec<CoinbaseOutput>,
    /// The block subsidy at `height`.
    pub subsidy: Amount,
    /// Σ outputs.
    pub output_total: Amount,
    /// `Σ outputs − subsidy`, or zero when the miner claimed less than the subsidy.
    pub fees: Amount,
    /// True when the outputs sum to less than the subsidy.
    pub underclaimed: bool,
}

impl CoinbaseBlock {
    /// Binds a parsed coinbase to `height` on `network`.
    ///
    /// # Errors
    ///
    /// [`CoinbaseValidationError::Bip34Mismatch`] when BIP-0034 is active at `height`
    /// and the scriptSig does not start with that height, and
    /// [`CoinbaseValidationError::OutputOverflow`] when the outputs overflow.
    pub fn validate(
        parsed: ParsedCoinbase,
        height: Height,
        network: Network,
    ) -> Result<CoinbaseBlock, CoinbaseValidationError> {
        let hash = parsed.header.block_hash();
        let sig = parsed.script_sig.as_bytes();
        if height >= bip34_activation(network) && !sig.starts_with(&bip34_prefix(height)) {
            return Err(CoinbaseValidationError::Bip34Mismatch { hash, height });
        }
        let mut output_total = Amount::ZERO;
        let mut outputs = Vec::with_capacity(parsed.outputs.len());
        for (vout, out) in parsed.outputs.into_iter().enumerate() {
            output_total = output_total
                .checked_add(out.value)
                .filter(|t| *t <= Amount::MAX_MONEY)
                .ok_or(CoinbaseValidationError::OutputOverflow(hash))?;
            let address = Address::from_script(&out.script_pubkey, network)
                .ok()
                .map(|a| a.to_string());
            outputs.push(CoinbaseOutput {
                vout: vout as u32,
                value: out.value,
                script_pubkey: out.script_pubkey,
                address,
            });
        }
        let subsidy = block_subsidy(height, network);
        let (fees, underclaimed) = match output_total.checked_sub(subsidy) {
            Some(f) => (f, false),
            None => (Amount::ZERO, true),
        };
        Ok(CoinbaseBlock {
            height,
            hash,
            header: parsed.header,
            tx_count: parsed.tx_count,
            size: parsed.size,
            txid: parsed.txid,
            tag: ascii_tag(sig),
            bip34_height: decode_bip34_height(sig),
            script_sig: parsed.script_sig,
            outputs,
            subsidy,
            output_total,
            fees,
            underclaimed,
        })
    }

    /// Returns the previous block's hash.
    pub fn prev_hash(&self) -> BlockHash {
        self.header.prev_blockhash
    }

    /// Returns the difficulty as Bitcoin Core's `GetDifficulty` does (relative to the
    /// mainnet proof-of-work limit, on every network).
    pub fn difficulty(&self) -> f64 {
        self.header.difficulty_float()
    }

    /// Returns the exact target encoded by `bits`.
    pub fn target(&self) -> Target {
        self.header.target()
    }

    /// Returns the exact expected number of hashes, `2^256 / (target + 1)`.
    pub fn work(&self) -> Work {
        self.header.work()
    }

    /// Returns the reward `subsidy + fees` (equal to Σ outputs unless under-claimed).
    pub fn reward(&self) -> Amount {
        // Cannot overflow: both are at most the output total, itself below MAX_MONEY.
        self.subsidy
            .checked_add(self.fees)
            .unwrap_or(Amount::MAX_MONEY)
    }

    /// Returns the sum paid to `script` by this coinbase.
    pub fn paid_to(&self, script: &ScriptBuf) -> Amount {
        self.outputs
            .iter()
            .filter(|o| &o.script_pubkey == script)
            .fold(Amount::ZERO, |acc, o| {
                acc.checked_add(o.value).unwrap_or(Amount::MAX_MONEY)
            })
    }

    /// Returns the block hash bytes in internal (little-endian) order.
    pub fn hash_bytes(&self) -> [u8; 32] {
        self.hash.to_byte_array()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsidy_halves() {
        assert_eq!(
            block_subsidy(Height(0), Network::Bitcoin),
            Amount::from_sat(5_000_000_000)
        );
        assert_eq!(
            block_subsidy(Height(210_000), Network::Bitcoin),
            Amount::from_sat(2_500_000_000)
        );
        assert_eq!(
            block_subsidy(Height(702_861), Network::Bitcoin),
            Amount::from_sat(625_000_000)
        );
        assert_eq!(
            block_subsidy(Height(150), Network::Regtest),
            Amount::from_sat(2_500_000_000)
        );
        assert_eq!(
            block_subsidy(Height(64 * 210_000), Network::Bitcoin),
            Amount::ZERO
        );
    }

    #[test]
    fn bip34_prefix_round_trips() {
        for h in [
            0u32, 1, 16, 17, 127, 128, 255, 256, 32_767, 32_768, 227_931, 702_861, 8_388_608,
        ] {
            let p = bip34_prefix(Height(h));
            assert_eq!(decode_bip34_height(&p), Some(u64::from(h)), "height {h}");
        }
        assert_eq!(bip34_prefix(Height(702_861)), vec![3, 0x8d, 0xb9, 0x0a]);
    }

    #[test]
    fn ascii_tag_keeps_printables() {
        assert_eq!(ascii_tag(b"\x03\x8d\xb9\x0a/BTC.COM/\x00\xff"), "/BTC.COM/");
    }

    /// BIP-0034 binds the scriptSig to the height only from each network's activation
    /// height: a coinbase without the height prefix (genesis's) is accepted one block
    /// before and refused at it.
    #[test]
    fn bip34_is_enforced_from_each_networks_activation_height() {
        use bitcoin::consensus::serialize;
        let parsed = parse_coinbase(&serialize(&bitcoin::constants::genesis_block(
            Network::Bitcoin,
        )))
        .unwrap();
        for (network, from) in [
            (Network::Bitcoin, 227_931),
            (Network::Testnet, 21_111),
            (Network::Signet, 1),
            (Network::Regtest, 1),
        ] {
            assert_eq!(bip34_activation(network), Height(from), "{network}");
            let before = CoinbaseBlock::validate(parsed.clone(), Height(from - 1), network);
            assert!(before.is_ok(), "{network} at {}", from - 1);
            assert!(
                matches!(
                    CoinbaseBlock::validate(parsed.clone(), Height(from), network),
                    Err(CoinbaseValidationError::Bip34Mismatch { height, .. }) if height == Height(from)
                ),
                "{network} at {from}"
            );
        }
    }

    /// Heights 1 to 16 are pushed as OP_1..OP_16, larger ones as a minimal little-endian
    /// number with a sign byte when the top bit is set, as `CScript() << nHeight` does.
    #[test]
    fn bip34_prefix_is_the_minimal_push() {
        assert_eq!(bip34_prefix(Height(1)), vec![0x51]);
        assert_eq!(bip34_prefix(Height(16)), vec![0x60]);
        assert_eq!(bip34_prefix(Height(17)), vec![0x01, 0x11]);
        assert_eq!(bip34_prefix(Height(128)), vec![0x02, 0x80, 0x00]);
    }

    /// The reward is subsidy plus fees: the whole claim above the subsidy, the subsidy
    /// alone when the miner under-claims. The hash bytes are in internal order.
    #[test]
    fn reward_is_subsidy_plus_fees() {
        use bitcoin::consensus::serialize;
        let genesis = bitcoin::constants::genesis_block(Network::Bitcoin);
        let mut parsed = parse_coinbase(&serialize(&genesis)).unwrap();
        parsed.outputs[0].value = Amount::from_sat(5_000_001_000);
        let cb = CoinbaseBlock::validate(parsed.clone(), Height(0), Network::Bitcoin).unwrap();
        assert_eq!((cb.fees, cb.underclaimed), (Amount::from_sat(1_000), false));
        assert_eq!(cb.reward(), Amount::from_sat(5_000_001_000));
        assert_eq!(cb.hash_bytes(), genesis.block_hash().to_byte_array());
        parsed.outputs[0].value = Amount::from_sat(1);
        let cb = CoinbaseBlock::validate(parsed, Height(0), Network::Bitcoin).unwrap();
        assert_eq!((cb.fees, cb.underclaimed), (Amount::ZERO, true));
        assert_eq!(cb.reward(), Amount::from_sat(5_000_000_000));
    }
}
