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
