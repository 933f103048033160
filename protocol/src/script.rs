//! The Bitcoin scripts the signers control: a Silica's payout script and the sBTC
//! deposit scripts share one template, `<commitment> OP_DROP M <keys> N
//! OP_CHECKMULTISIG`, wrapped as P2WSH. Only the 32-byte commitment differs; for a
//! payout it binds the Silica id *and the `silica` contract principal*, so a second
//! deployment's Silica #1 gets another address.

use crate::message::Binding;
use crate::{consensus, sha256, CompressedKey, MAX_SIGNERS};

/// Domain of the Silica payout commitment (`silica-payout` `DOMAIN_PAYOUT`).
pub const DOMAIN_PAYOUT: &str = "alkahest-silica-payout-v2";

/// A signer set that cannot be encoded as a script.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// N must be 1..=15.
    #[error("signer count {0} is outside 1..=15")]
    SignerCount(usize),
    /// M must satisfy N/2 < M <= N.
    #[error("threshold {threshold} is invalid for {signers} signers")]
    Threshold {
        /// M.
        threshold: usize,
        /// N.
        signers: usize,
    },
}

/// The 32-byte commitment a Silica's payout script carries:
/// `sha256(to-consensus-buff? {domain: DOMAIN_PAYOUT, chain-id, silica, silica-id})`.
pub fn payout_commitment(b: &Binding, silica_id: u128) -> [u8; 32] {
    sha256(&consensus::tuple(&[
        ("domain", consensus::ascii(DOMAIN_PAYOUT)),
        ("chain-id", consensus::uint(b.chain_id)),
        ("silica", consensus::principal(&b.silica)),
        ("silica-id", consensus::uint(silica_id)),
    ]))
}

/// `<commitment> OP_DROP OP_M <key_1> … <key_N> OP_N OP_CHECKMULTISIG`.
///
/// # Errors
/// [`ScriptError`] for an empty or oversized set or an invalid threshold.
pub fn committed_multisig_witness(
    commitment: &[u8; 32],
    signers: &[CompressedKey],
    threshold: usize,
) -> Result<Vec<u8>, ScriptError> {
    let n = signers.len();
    if n == 0 || n > MAX_SIGNERS {
        return Err(ScriptError::SignerCount(n));
    }
    if threshold * 2 <= n || threshold > n {
        return Err(ScriptError::Threshold {
            threshold,
            signers: n,
        });
    }
    // OP_1 is 0x51 … OP_15 is 0x5f; n and threshold are 1..=15 here.
    let op_n = |k: usize| 0x50 + k as u8;
    let mut script = vec![0x20];
    script.extend_from_slice(commitment);
    script.push(0x75); // OP_DROP
    script.push(op_n(threshold));
    for key in signers {
        script.push(0x21);
        script.extend_from_slice(key);
    }
    script.push(op_n(n));
    script.push(0xae); // OP_CHECKMULTISIG
    Ok(script)
}

/// P2WSH scriptPubKey of a witness script: `OP_0 <sha256(witness)>` (34 bytes).
pub fn p2wsh(witness: &[u8]) -> Vec<u8> {
    let mut spk = vec![0x00, 0x20];
    spk.extend_from_slice(&sha256(witness));
    spk
}

/// The witness script of a Silica's payout address, keys in the registry's
/// (ascending) order.
///
/// # Errors
/// [`ScriptError`] for an empty or oversized set or an invalid threshold.
pub fn payout_witness_script(
    b: &Binding,
    silica_id: u128,
    signers: &[CompressedKey],
    threshold: usize,
) -> Result<Vec<u8>, ScriptError> {
    committed_multisig_witness(&payout_commitment(b, silica_id), signers, threshold)
}

/// The Silica's payout scriptPubKey: P2WSH of [`payout_witness_script`].
///
/// # Errors
/// As [`payout_witness_script`].
pub fn payout_script(
    b: &Binding,
    silica_id: u128,
    signers: &[CompressedKey],
    threshold: usize,
) -> Result<Vec<u8>, ScriptError> {
    Ok(p2wsh(&payout_witness_script(
        b, silica_id, signers, threshold,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payout_script_is_p2wsh_and_checks_the_set() {
        let b = Binding::testnet("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap();
        let keys = [[2u8; 33], [3u8; 33], [3u8; 33]];
        let spk = payout_script(&b, 1, &keys, 2).unwrap();
        assert_eq!(spk.len(), 34);
        assert_eq!(&spk[..2], &[0x00, 0x20]);
        assert_ne!(spk, payout_script(&b, 2, &keys, 2).unwrap());
        let mut other = b.clone();
        other.silica = other.silica.deployer().contract("silica-v2").unwrap();
        assert_ne!(spk, payout_script(&other, 1, &keys, 2).unwrap());
        let ws = payout_witness_script(&b, 1, &keys, 2).unwrap();
        assert_eq!(ws.len(), 1 + 32 + 1 + 1 + 3 * 34 + 1 + 1);
        assert_eq!(
            payout_script(&b, 1, &keys, 1),
            Err(ScriptError::Threshold {
                threshold: 1,
                signers: 3
            })
        );
        assert_eq!(
            payout_script(&b, 1, &[], 1),
            Err(ScriptError::SignerCount(0))
        );
        assert_eq!(
            payout_script(&b, 1, &[[2u8; 33]; 16], 9),
            Err(ScriptError::SignerCount(16))
        );
        // 2-of-2 is valid; 1-of-2 is not a majority.
        assert!(payout_script(&b, 1, &keys[..2], 2).is_ok());
        assert!(payout_script(&b, 1, &keys[..2], 1).is_err());
    }

    /// The witness script byte for byte: push of the commitment, OP_DROP, OP_M, each
    /// key pushed, OP_N, OP_CHECKMULTISIG; and the commitment is the sha256 of the
    /// documented tuple, written out here by hand.
    #[test]
    fn witness_script_and_commitment_match_the_documented_bytes() {
        let b = Binding::testnet("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap();
        let mut tuple = hex::decode("0c00000004").unwrap();
        tuple.extend(hex::decode("08").unwrap());
        tuple.extend(b"chain-id");
        tuple.extend(hex::decode(format!("01{:032x}", 0x8000_0000u128)).unwrap());
        tuple.extend(hex::decode("06").unwrap());
        tuple.extend(b"domain");
        tuple.extend(hex::decode("0d00000019").unwrap());
        tuple.extend(b"alkahest-silica-payout-v2");
        tuple.extend(hex::decode("06").unwrap());
        tuple.extend(b"silica");
        tuple.extend(hex::decode("061a6d78de7b0625dfbfc16c3a8a5735f6dc3dc3f2ce06").unwrap());
        tuple.extend(b"silica");
        tuple.extend(hex::decode("09").unwrap());
        tuple.extend(b"silica-id");
        tuple.extend(hex::decode(format!("01{:032x}", 7u128)).unwrap());
        let commitment = sha256(&tuple);
        assert_eq!(payout_commitment(&b, 7), commitment);

        let keys = [[2u8; 33], [3u8; 33], [4u8; 33]];
        let mut want = vec![0x20];
        want.extend_from_slice(&commitment);
        want.extend([0x75, 0x52]); // OP_DROP OP_2
        for k in &keys {
            want.push(0x21);
            want.extend_from_slice(k);
        }
        want.extend([0x53, 0xae]); // OP_3 OP_CHECKMULTISIG
        assert_eq!(payout_witness_script(&b, 7, &keys, 2).unwrap(), want);
        let mut spk = vec![0x00, 0x20];
        spk.extend_from_slice(&sha256(&want));
        assert_eq!(payout_script(&b, 7, &keys, 2).unwrap(), spk);
    }

    /// N may be 15 (OP_15) but not 16; M must be a majority and at most N.
    #[test]
    fn signer_count_and_threshold_bounds() {
        let fifteen = [[2u8; 33]; 15];
        let ws = committed_multisig_witness(&[0; 32], &fifteen, 8).unwrap();
        assert_eq!(ws[34], 0x58); // OP_8
        assert_eq!(ws[ws.len() - 2], 0x5f); // OP_15
        assert_eq!(
            committed_multisig_witness(&[0; 32], &fifteen, 7),
            Err(ScriptError::Threshold {
                threshold: 7,
                signers: 15
            })
        );
        assert_eq!(
            committed_multisig_witness(&[0; 32], &fifteen[..3], 4),
            Err(ScriptError::Threshold {
                threshold: 4,
                signers: 3
            })
        );
        assert!(committed_multisig_witness(&[0; 32], &fifteen[..1], 1).is_ok());
    }
}
