//! The hashprice index and the work it divides by: one exact-integer implementation,
//! used by the indexer's window table, the API and the signers, so the index the API
//! shows is the index the signers sign.
//!
//! - **Work of a block** = `2^256 / (target + 1)` expected hashes (Bitcoin Core's
//!   `GetBlockProof`), from the header's `bits`.
//! - **Index of a window** (design.md, "Network index") =
//!   `floor(86400 · 10^12 · INDEX_UNIT · Σ(subsidy + fees) / Σ work)` in units of
//!   10^-8 sat per TH/s·day. Carrying 8 decimals matters: at a difficulty of ~1.5·10^14
//!   and a reward of ~3.16·10^8 sats the exact value is ~42.38 sats, and whole sats
//!   would attest 42, 0.9% to 2.4% against buyers, doubling at each halving.
//! - **Due of a window** = `floor(sold · index / INDEX_UNIT)` sats: one rounding per
//!   window, down; the remainder (< 1 sat per window) stays with the miner. The
//!   `silica` contract computes the same.
//!
//! ```
//! use alkahest_protocol::index::{due, window_index, WorkModel, INDEX_UNIT};
//! // One block at difficulty 1: 2^32 · 65536/65535 expected hashes.
//! let work = WorkModel::SimulatedDifficulty(1).block_work(0).unwrap();
//! assert_eq!(work, 4_295_032_833);
//! let index = window_index(5_000_000_000, work).unwrap();
//! assert_eq!(due(10, index).unwrap(), 10 * index / INDEX_UNIT);
//! ```

use bitcoin::pow::{CompactTarget, Target};

/// The index's unit is 10^-8 sat per TH/s·day: the index value 100,000,000 is 1 sat.
pub const INDEX_UNIT: u128 = 100_000_000;

/// `86400 · 10^12`: seconds per day times hashes per TH.
pub const HASHES_PER_TH_DAY: u128 = 86_400 * 1_000_000_000_000;

/// Why an index or work figure could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// A block's work does not fit 128 bits (no real block comes close: mainnet's
    /// whole chain is about 2^95).
    #[error("block work exceeds 2^128 (bits {0:#010x})")]
    WorkOverflow(u32),
    /// The result does not fit 128 bits.
    #[error("index arithmetic overflows 128 bits")]
    Overflow,
    /// A simulated difficulty of 0.
    #[error("simulated difficulty must be at least 1")]
    ZeroDifficulty,
}

/// Where a window's work comes from.
///
/// Production reads each block header's `bits`. A regtest devnet cannot: its
/// minimum-difficulty proof of work makes each block worth 2 expected hashes and the
/// index about 2·10^26 sats per TH/s·day, far past any real value. The devnet therefore
/// declares a simulated network difficulty for the *index only* (target =
/// `Target::MAX / difficulty`, then the same work formula); blocks, payouts and
/// deliveries are the real regtest consensus bytes. The indexer and the signers of one
/// network must use the same model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkModel {
    /// `2^256 / (target + 1)` of each header's `bits` (mainnet, testnet, signet).
    #[default]
    Header,
    /// Every block has the work of a block at this difficulty (devnet simulation).
    SimulatedDifficulty(u64),
}

impl WorkModel {
    /// The work of a block whose header has `bits`.
    ///
    /// # Errors
    /// [`IndexError::WorkOverflow`] past 2^128, [`IndexError::ZeroDifficulty`].
    pub fn block_work(self, bits: u32) -> Result<u128, IndexError> {
        let target = match self {
            WorkModel::Header => Target::from_compact(CompactTarget::from_consensus(bits)),
            WorkModel::SimulatedDifficulty(0) => return Err(IndexError::ZeroDifficulty),
            WorkModel::SimulatedDifficulty(d) => {
                Target::from_be_bytes(div_256(Target::MAX.to_be_bytes(), u128::from(d)))
            }
        };
        let work = target.to_work().to_be_bytes();
        if work[..16].iter().any(|&b| b != 0) {
            return Err(IndexError::WorkOverflow(bits));
        }
        let mut low = [0u8; 16];
        low.copy_from_slice(&work[16..]);
        Ok(u128::from_be_bytes(low))
    }
}

/// The index of a window that paid `reward` sats (Σ subsidy + fees) for `work`
/// expected hashes; 0 for a window without work.
///
/// # Errors
/// [`IndexError::Overflow`] when the index does not fit 128 bits.
pub fn window_index(reward: u128, work: u128) -> Result<u128, IndexError> {
    if work == 0 {
        return Ok(0);
    }
    mul_div(HASHES_PER_TH_DAY * INDEX_UNIT, reward, work)
}

/// What `sold` TH/s owe for one window at `index`: `floor(sold · index / INDEX_UNIT)`.
///
/// # Errors
/// [`IndexError::Overflow`] when it does not fit 128 bits.
pub fn due(sold: u128, index: u128) -> Result<u128, IndexError> {
    mul_div(sold, index, INDEX_UNIT)
}

/// The index as a decimal number of sats per TH/s·day, for display.
pub fn index_sats(index: u128) -> f64 {
    index as f64 / INDEX_UNIT as f64
}

/// `floor(a · b / d)` exactly, with a 256-bit intermediate product.
fn mul_div(a: u128, b: u128, d: u128) -> Result<u128, IndexError> {
    if d == 0 {
        return Err(IndexError::Overflow);
    }
    // 256-bit product as (hi, lo) from 64-bit limbs.
    let (a1, a0) = (a >> 64, a & u128::from(u64::MAX));
    let (b1, b0) = (b >> 64, b & u128::from(u64::MAX));
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & u128::from(u64::MAX)) + (p10 & u128::from(u64::MAX));
    let lo = (p00 & u128::from(u64::MAX)) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    if hi >= d {
        return Err(IndexError::Overflow);
    }
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(&hi.to_be_bytes());
    bytes[16..].copy_from_slice(&lo.to_be_bytes());
    let q = div_256(bytes, d);
    let mut low = [0u8; 16];
    low.copy_from_slice(&q[16..]);
    Ok(u128::from_be_bytes(low))
}

/// A 256-bit big-endian number divided by `d > 0`, floor, by binary long division.
fn div_256(n: [u8; 32], d: u128) -> [u8; 32] {
    let mut q = [0u8; 32];
    let mut rem: u128 = 0;
    for bit in 0..256 {
        let carry = rem >> 127;
        rem = (rem << 1) | u128::from((n[bit / 8] >> (7 - bit % 8)) & 1);
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            q[bit / 8] |= 1 << (7 - bit % 8);
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_work_matches_bitcoin_core() {
        // Genesis bits 0x1d00ffff: 0x100010001 = 4,295,032,833 expected hashes.
        assert_eq!(WorkModel::Header.block_work(0x1d00_ffff), Ok(4_295_032_833));
        // Regtest minimum difficulty 0x207fffff: 2 expected hashes.
        assert_eq!(WorkModel::Header.block_work(0x207f_ffff), Ok(2));
        // Simulated difficulty 1 is exactly the genesis target.
        assert_eq!(
            WorkModel::SimulatedDifficulty(1).block_work(0),
            Ok(4_295_032_833)
        );
        assert_eq!(
            WorkModel::SimulatedDifficulty(0).block_work(0),
            Err(IndexError::ZeroDifficulty)
        );
    }

    #[test]
    fn today_index_keeps_its_decimals() {
        // Mainnet block 702861 bits 0x170e1b7e (difficulty ~1.7e13) would give a
        // whole-sat index; the fine unit keeps 8 decimals of it.
        let work = WorkModel::SimulatedDifficulty(150_000_000_000_000)
            .block_work(0)
            .unwrap();
        let idx = window_index(316_000_000, work).unwrap();
        // 86400e12·316e6 / (1.5e14·2^32·65536/65535) = 42.379... sats.
        assert_eq!(idx / INDEX_UNIT, 42);
        assert!(
            idx % INDEX_UNIT > 37_000_000 && idx % INDEX_UNIT < 39_000_000,
            "{idx}"
        );
        assert_eq!(due(1_000, idx).unwrap(), 1_000 * idx / INDEX_UNIT);
    }

    #[test]
    fn empty_window_and_overflow() {
        assert_eq!(window_index(1, 0), Ok(0));
        assert_eq!(window_index(u128::MAX, 1), Err(IndexError::Overflow));
        assert_eq!(due(u128::MAX, u128::MAX), Err(IndexError::Overflow));
    }

    #[test]
    fn index_sats_divides_by_the_unit() {
        assert_eq!(index_sats(4_237_900_000), 42.379);
        assert_eq!(index_sats(INDEX_UNIT), 1.0);
        assert_eq!(index_sats(0), 0.0);
    }

    #[test]
    fn mul_div_at_full_width() {
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX), Ok(u128::MAX));
        // (2^128 - 1)^2 / 2^127 = 2^129 - 4 + 2^-127: overflows.
        assert_eq!(
            mul_div(u128::MAX, u128::MAX, 1 << 127),
            Err(IndexError::Overflow)
        );
        // 2^127 · 6 / (2^127 + 1) = 5 (and a remainder just under the divisor).
        assert_eq!(mul_div(1 << 127, 6, (1 << 127) + 1), Ok(5));
    }

    proptest! {
        #[test]
        fn mul_div_is_exact(a in any::<u64>(), b in any::<u64>(), d in 1u64..) {
            let want = u128::from(a) * u128::from(b) / u128::from(d);
            prop_assert_eq!(mul_div(u128::from(a), u128::from(b), u128::from(d)), Ok(want));
        }

        #[test]
        fn mul_div_wide(a in any::<u128>(), b in 1u128..1_000_000) {
            // (a·b)/b == a, through a product wider than 128 bits.
            prop_assert_eq!(mul_div(a, b, b), Ok(a));
        }

        #[test]
        fn mul_div_full_width(a in any::<u128>(), b in 1u128..) {
            // Both factors up to 2^128: every partial product, the carries out of the
            // middle limb, and divisors above 2^127 in the long division.
            prop_assert_eq!(mul_div(a, b, b), Ok(a));
            prop_assert_eq!(mul_div(b, a, b), Ok(a));
        }
    }
}
