//! The hot path: reads the 80-byte header and the coinbase transaction from raw block
//! bytes, and nothing else. The other transactions are never decoded.

use bitcoin::block::Header;
use bitcoin::consensus::Decodable;
use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::{Amount, ScriptBuf, TxOut, Txid};

use super::CoinbaseParseError;

/// Bytes in a serialized block header.
pub const HEADER_SIZE: usize = 80;

/// The smallest possible serialized transaction (version 4, one input of 41 bytes with an
/// empty script, one output of 9 bytes, lock time 4, two 1-byte counts) is 60 bytes, so a
/// block of `n` bytes holds at most `(n - 80) / 60` transactions. Bitcoin Core uses the
/// same bound as `MIN_TRANSACTION_WEIGHT / WITNESS_SCALE_FACTOR` in `consensus/consensus.h`.
const MIN_TX_SIZE: u64 = 60;

/// Consensus bounds on the coinbase scriptSig length (`bad-cb-length` in Bitcoin Core's
/// `CheckTransaction`).
const SCRIPT_SIG_MIN: usize = 2;
const SCRIPT_SIG_MAX: usize = 100;

/// A block's header and coinbase, as read by [`parse_coinbase`]. Not yet validated
/// against a chain position; see [`super::CoinbaseBlock`].
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedCoinbase {
    /// The decoded 80-byte header.
    pub header: Header,
    /// The number of transactions the block declares.
    pub tx_count: u64,
    /// The size of the raw block in bytes.
    pub size: u64,
    /// The coinbase's txid (hash of its non-witness serialization).
    pub txid: Txid,
    /// The coinbase input's scriptSig.
    pub script_sig: ScriptBuf,
    /// The coinbase outputs, in order.
    pub outputs: Vec<TxOut>,
    /// The coinbase's witness stack items (the witness reserved value on segwit blocks).
    pub witness: Vec<Vec<u8>>,
    /// Byte offset just past the coinbase in the raw block.
    pub coinbase_end: usize,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CoinbaseParseError> {
        let available = self.bytes.len() - self.pos;
        if n > available {
            return Err(CoinbaseParseError::Truncated {
                offset: self.pos,
                needed: n,
                available,
            });
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, CoinbaseParseError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, CoinbaseParseError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, CoinbaseParseError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// Reads a CompactSize, rejecting non-canonical encodings (as Bitcoin Core's
    /// `ReadCompactSize` does) and values above `limit`.
    fn compact_size(&mut self, limit: u64) -> Result<u64, CoinbaseParseError> {
        let offset = self.pos;
        let first = self.u8()?;
        let (value, min) = match first {
            0xfd => {
                let b = self.take(2)?;
                (u64::from(u16::from_le_bytes([b[0], b[1]])), 0xfd)
            }
            0xfe => (u64::from(self.u32()?), 0x1_0000),
            0xff => (self.u64()?, 0x1_0000_0000),
            n => (u64::from(n), 0),
        };
        if value < min {
            return Err(CoinbaseParseError::NonCanonicalVarint { offset });
        }
        if value > limit {
            return Err(CoinbaseParseError::OversizeVarint {
                offset,
                value,
                limit,
            });
        }
        Ok(value)
    }

    /// Reads a length prefix that must fit in the remaining bytes.
    fn length(&mut self) -> Result<usize, CoinbaseParseError> {
        let remaining = (self.bytes.len() - self.pos) as u64;
        // The prefix itself takes at least one byte, so the limit is checked after it.
        let offset = self.pos;
        let value = self.compact_size(u64::MAX)?;
        let remaining_after = remaining - (self.pos - offset) as u64;
        if value > remaining_after {
            return Err(CoinbaseParseError::OversizeVarint {
                offset,
                value,
                limit: remaining_after,
            });
        }
        // Fits in usize because it is at most the slice length.
        Ok(value as usize)
    }
}

/// Reads the header and the coinbase transaction of a raw, serialized block.
///
/// Only the first transaction is decoded; the rest of the block is not touched except
/// that the declared transaction count is bounded by the block size.
///
/// # Errors
///
/// Returns [`CoinbaseParseError`] for truncated input, an oversize or non-canonical
/// CompactSize, a block without transactions, or a first transaction that is not a
/// coinbase. It never panics, whatever the input.
pub fn parse_coinbase(block: &[u8]) -> Result<ParsedCoinbase, CoinbaseParseError> {
    parse_coinbase_prefix(block, block.len() as u64)
}

/// Like [`parse_coinbase`], but `prefix` may be only the start of a block of
/// `block_size` bytes, as long as it holds the header and the whole coinbase. The
/// transaction count is bounded by `block_size`; every read is bounded by `prefix`.
///
/// # Errors
///
/// As [`parse_coinbase`]; [`CoinbaseParseError::Truncated`] when the prefix ends inside
/// the coinbase.
pub fn parse_coinbase_prefix(
    prefix: &[u8],
    block_size: u64,
) -> Result<ParsedCoinbase, CoinbaseParseError> {
    let block = prefix;
    let mut c = Cursor {
        bytes: block,
        pos: 0,
    };
    let mut header_bytes = c.take(HEADER_SIZE)?;
    let header =
        Header::consensus_decode(&mut header_bytes).map_err(|_| CoinbaseParseError::Truncated {
            offset: 0,
            needed: HEADER_SIZE,
            available: block.len(),
        })?;

    let max_txs = block_size
        .max(block.len() as u64)
        .saturating_sub(HEADER_SIZE as u64)
        / MIN_TX_SIZE;
    let tx_count = c.compact_size(max_txs)?;
    if tx_count == 0 {
        return Err(CoinbaseParseError::NoTransactions);
    }

    // The txid covers version, inputs, outputs and lock time, but not the segwit marker,
    // flag or witnesses, so the engine is fed the non-witness spans only.
    let mut engine = sha256d::Hash::engine();
    let tx_start = c.pos;
    engine.input(c.take(4)?);
    let mut segwit = false;
    if c.bytes.get(c.pos) == Some(&0) {
        c.pos += 1;
        let flag = c.u8()?;
        if flag != 1 {
            return Err(CoinbaseParseError::BadSegwitFlag(flag));
        }
        segwit = true;
    }
    let body_start = c.pos;
    let inputs = c.compact_size(u64::MAX)?;
    if inputs != 1 {
        return Err(CoinbaseParseError::CoinbaseInputCount(inputs));
    }
    let prevout = c.take(36)?;
    if prevout[..32].iter().any(|b| *b != 0) || prevout[32..] != [0xff; 4] {
        return Err(CoinbaseParseError::NotCoinbase);
    }
    let sig_len = c.length()?;
    let script_sig = ScriptBuf::from_bytes(c.take(sig_len)?.to_vec());
    if !(SCRIPT_SIG_MIN..=SCRIPT_SIG_MAX).contains(&sig_len) {
        return Err(CoinbaseParseError::ScriptSigLength(sig_len));
    }
    c.take(4)?; // sequence
    let remaining = (block.len() - c.pos) as u64;
    // Each output takes at least 9 bytes (value and a 1-byte script length).
    let n_out = c.compact_size(remaining / 9)?;
    let mut outputs = Vec::with_capacity(n_out as usize);
    for _ in 0..n_out {
        let value = Amount::from_sat(c.u64()?);
        let len = c.length()?;
        let script_pubkey = ScriptBuf::from_bytes(c.take(len)?.to_vec());
        outputs.push(TxOut {
            value,
            script_pubkey,
        });
    }
    let body_end = c.pos;
    let mut witness = Vec::new();
    if segwit {
        let remaining = (block.len() - c.pos) as u64;
        let items = c.compact_size(remaining)?;
        for _ in 0..items {
            let len = c.length()?;
            witness.push(c.take(len)?.to_vec());
        }
    }
    let lock_time_start = c.pos;
    c.take(4)?;
    engine.input(&block[body_start..body_end]);
    engine.input(&block[lock_time_start..c.pos]);
    debug_assert!(tx_start + 4 <= body_start);
    let txid = Txid::from_raw_hash(sha256d::Hash::from_engine(engine));

    Ok(ParsedCoinbase {
        header,
        tx_count,
        size: block_size.max(block.len() as u64),
        txid,
        script_sig,
        outputs,
        witness,
        coinbase_end: c.pos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::consensus::serialize;
    use bitcoin::constants::genesis_block;
    use bitcoin::Network;
    use proptest::prelude::*;

    #[test]
    fn genesis_coinbase_matches_full_decode() {
        let block = genesis_block(Network::Bitcoin);
        let bytes = serialize(&block);
        let parsed = parse_coinbase(&bytes).expect("genesis parses");
        assert_eq!(parsed.header, block.header);
        assert_eq!(parsed.tx_count, 1);
        assert_eq!(parsed.txid, block.txdata[0].compute_txid());
        assert_eq!(parsed.outputs, block.txdata[0].output);
        assert_eq!(parsed.coinbase_end, bytes.len());
    }

    #[test]
    fn every_truncation_of_genesis_is_an_error() {
        let bytes = serialize(&genesis_block(Network::Bitcoin));
        for len in 0..bytes.len() {
            assert!(
                parse_coinbase(&bytes[..len]).is_err(),
                "prefix of {len} bytes parsed"
            );
        }
    }

    #[test]
    fn oversize_tx_count_is_rejected() {
        let mut bytes = serialize(&genesis_block(Network::Bitcoin));
        bytes.truncate(80);
        bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(
            parse_coinbase(&bytes),
            Err(CoinbaseParseError::OversizeVarint { offset: 80, .. })
        ));
    }

    #[test]
    fn non_canonical_varint_is_rejected() {
        let mut bytes = serialize(&genesis_block(Network::Bitcoin));
        // Replace the 1-byte tx count with a 3-byte encoding of 1.
        bytes.splice(80..81, [0xfd, 0x01, 0x00]);
        assert_eq!(
            parse_coinbase(&bytes),
            Err(CoinbaseParseError::NonCanonicalVarint { offset: 80 })
        );
    }

    /// Genesis has 285 bytes, so at most (285 - 80) / 60 = 3 transactions: a declared
    /// count of exactly 3 is read (only the coinbase is decoded), 4 is refused.
    #[test]
    fn tx_count_is_bounded_by_the_block_size_inclusively() {
        let mut bytes = serialize(&genesis_block(Network::Bitcoin));
        assert_eq!(bytes.len(), 285);
        bytes[80] = 3;
        assert_eq!(parse_coinbase(&bytes).map(|p| p.tx_count), Ok(3));
        bytes[80] = 4;
        assert_eq!(
            parse_coinbase(&bytes),
            Err(CoinbaseParseError::OversizeVarint {
                offset: 80,
                value: 4,
                limit: 3
            })
        );
    }

    /// A 5-byte (0xfe) CompactSize is decoded, not only recognised: 65,536 declared
    /// transactions are reported as such, above the block's limit.
    #[test]
    fn four_byte_compact_size_is_decoded() {
        let mut bytes = serialize(&genesis_block(Network::Bitcoin));
        bytes.splice(80..81, [0xfe, 0x00, 0x00, 0x01, 0x00]);
        assert_eq!(
            parse_coinbase(&bytes),
            Err(CoinbaseParseError::OversizeVarint {
                offset: 80,
                value: 0x1_0000,
                limit: (289 - 80) / 60
            })
        );
    }

    /// Genesis's scriptSig length prefix is at offset 122. A length past the end of the
    /// block is refused before reading, with the exact bytes left after the prefix as the
    /// limit, for a 1-byte and a 3-byte (0xfd) prefix alike.
    #[test]
    fn length_prefix_is_bounded_by_the_bytes_after_it() {
        let genesis = serialize(&genesis_block(Network::Bitcoin));
        assert_eq!(genesis[122], 77);
        let mut one = genesis.clone();
        one[122] = 0xfc;
        assert_eq!(
            parse_coinbase(&one),
            Err(CoinbaseParseError::OversizeVarint {
                offset: 122,
                value: 0xfc,
                limit: 285 - 123
            })
        );
        let mut three = genesis;
        three.splice(122..123, [0xfd, 0x00, 0x01]);
        assert_eq!(
            parse_coinbase(&three),
            Err(CoinbaseParseError::OversizeVarint {
                offset: 122,
                value: 0x100,
                limit: 287 - 125
            })
        );
    }

    /// A scriptSig length equal to the bytes left is read; the prefix then ends inside
    /// the sequence, which is reported as truncation there, not as an oversize length.
    #[test]
    fn length_equal_to_the_bytes_left_is_read() {
        let genesis = serialize(&genesis_block(Network::Bitcoin));
        assert_eq!(
            parse_coinbase(&genesis[..123 + 77]),
            Err(CoinbaseParseError::Truncated {
                offset: 200,
                needed: 4,
                available: 0
            })
        );
    }

    /// The coinbase input spends the null outpoint: hash all zero *and* index
    /// 0xffffffff. Either part alone is not a coinbase.
    #[test]
    fn both_halves_of_the_null_outpoint_are_required() {
        let genesis = serialize(&genesis_block(Network::Bitcoin));
        let mut index = genesis.clone();
        index[118..122].copy_from_slice(&[0, 0, 0, 0]);
        assert_eq!(parse_coinbase(&index), Err(CoinbaseParseError::NotCoinbase));
        let mut hash = genesis;
        hash[86] = 1;
        assert_eq!(parse_coinbase(&hash), Err(CoinbaseParseError::NotCoinbase));
    }

    /// Genesis's output count is at offset 204 with 81 bytes left: at most 81 / 9 = 9
    /// outputs can fit, so 10 is refused before any is read.
    #[test]
    fn output_count_is_bounded_by_the_bytes_left() {
        let mut bytes = serialize(&genesis_block(Network::Bitcoin));
        assert_eq!(bytes[204], 1);
        bytes[204] = 10;
        assert_eq!(
            parse_coinbase(&bytes),
            Err(CoinbaseParseError::OversizeVarint {
                offset: 204,
                value: 10,
                limit: 9
            })
        );
    }

    /// A segwit coinbase: its witness is read, the txid leaves it out, and a witness
    /// item count larger than the bytes left is refused with that exact limit.
    #[test]
    fn segwit_coinbase_witness_is_read_and_bounded() {
        let mut block = genesis_block(Network::Bitcoin);
        block.txdata[0].input[0].witness = bitcoin::Witness::from_slice(&[[0u8; 32]]);
        let mut bytes = serialize(&block);
        let parsed = parse_coinbase(&bytes).unwrap();
        assert_eq!(parsed.witness, vec![vec![0u8; 32]]);
        assert_eq!(parsed.txid, block.txdata[0].compute_txid());
        assert_eq!(parsed.coinbase_end, bytes.len());
        // Item count, then a 1-byte length, 32 bytes, and the 4-byte lock time.
        let at = bytes.len() - 4 - 32 - 1 - 1;
        assert_eq!(bytes[at], 1);
        bytes[at] = 0xfc;
        assert_eq!(
            parse_coinbase(&bytes),
            Err(CoinbaseParseError::OversizeVarint {
                offset: at,
                value: 0xfc,
                limit: (bytes.len() - at) as u64
            })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_coinbase(&bytes);
        }

        #[test]
        fn mutated_genesis_never_panics(pos in 0usize..285, byte in any::<u8>(), cut in 0usize..300) {
            let mut bytes = serialize(&genesis_block(Network::Bitcoin));
            if pos < bytes.len() { bytes[pos] = byte; }
            bytes.truncate(cut);
            let _ = parse_coinbase(&bytes);
        }
    }
}
