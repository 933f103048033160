//! Signer messages, byte for byte as `signer-registry` hashes them, plus recoverable
//! signatures and the Silica payout-script derivation.
//!
//! Every signed message is a Clarity tuple that carries `domain` and `chain-id`; its id
//! (what the signers sign) is `sha256(to-consensus-buff? tuple)`. This module writes
//! the consensus serialization itself, so the signer crate can build messages without
//! a Clarity VM; tests check it against the contract's own `*-message` read-only
//! functions and against the VM's serializer. The layout is documented in
//! `docs/attestation.md`:
//!
//! - tuple: `0x0c`, field count (u32 BE), then per field in ascending byte order of the
//!   name: name length (u8), name, value;
//! - uint: `0x01` + 16 bytes BE; buff: `0x02` + length (u32 BE) + bytes;
//!   string-ascii: `0x0d` + length (u32 BE) + bytes; list: `0x0b` + count (u32 BE) +
//!   items; standard principal: `0x05` + version + hash160; contract principal: `0x06`
//!   + version + hash160 + name length (u8) + name.
//!
//! Signatures are 65 bytes, `r || s || v` (v = recovery id 0..3), the order
//! `secp256k1-recover?` reads. stacks-common's `MessageSignature` is `v || r || s`;
//! [`SignerKey::sign`] reorders it.
//!
//! ```
//! use alkahest_clarity::attestation::{Delivery, SignerKey, CHAIN_ID_TESTNET};
//!
//! let msg = Delivery { silica_id: 1, window: 0, delivered: 50_000, index: 60,
//!                      burn_height: 300, burn_hash: [7; 32] };
//! let bytes = msg.message(CHAIN_ID_TESTNET);
//! assert_eq!(bytes[0], 0x0c); // a tuple
//! assert_eq!(&bytes[1..5], &8u32.to_be_bytes()); // eight fields
//! assert_eq!(&bytes[5..15], b"\x09burn-hash"); // `burn-hash` sorts first
//! let key = SignerKey::from_seed(b"doc signer");
//! let sig = key.sign(&msg.id(CHAIN_ID_TESTNET));
//! assert!(sig.0[64] <= 3); // recovery id last
//! assert_eq!(sig.recover(&msg.id(CHAIN_ID_TESTNET)), Some(key.public_key()));
//! ```

use clarity::types::PrivateKey;
use clarity::util::hash::Sha256Sum;
use clarity::util::secp256k1::{
    secp256k1_recover, MessageSignature, Secp256k1PrivateKey, Secp256k1PublicKey,
};
use clarity::vm::types::PrincipalData;

/// `chain-id` on Stacks mainnet.
pub const CHAIN_ID_MAINNET: u128 = 0x0000_0001;
/// `chain-id` on Stacks testnet, devnet and the simnet.
pub const CHAIN_ID_TESTNET: u128 = 0x8000_0000;

/// Domain of a Silica delivery attestation (`signer-registry` `DOMAIN_DELIVERY`).
pub const DOMAIN_DELIVERY: &str = "alkahest-silica-delivery-v1";
/// Domain of an sBTC peg-in deposit (`DOMAIN_DEPOSIT`).
pub const DOMAIN_DEPOSIT: &str = "alkahest-sbtc-deposit-v1";
/// Domain of a signer-set rotation (`DOMAIN_ROTATION`).
pub const DOMAIN_ROTATION: &str = "alkahest-signer-rotation-v1";
/// Domain of the Silica payout commitment (`silica-payout` `DOMAIN_PAYOUT`).
pub const DOMAIN_PAYOUT: &str = "alkahest-silica-payout-v1";

/// Most keys a signer set holds (`MAX_SIGNERS`).
pub const MAX_SIGNERS: usize = 15;

/// A 33-byte compressed secp256k1 public key.
pub type CompressedKey = [u8; 33];

/// Clarity consensus serialization of the value kinds signer messages use.
pub mod consensus {
    use clarity::vm::types::PrincipalData;

    /// `uint`: `0x01` + 16 bytes big-endian.
    pub fn uint(n: u128) -> Vec<u8> {
        let mut out = vec![0x01];
        out.extend_from_slice(&n.to_be_bytes());
        out
    }

    /// `buff`: `0x02` + length (u32 BE) + bytes.
    pub fn buff(bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![0x02];
        out.extend_from_slice(&len_u32(bytes.len()).to_be_bytes());
        out.extend_from_slice(bytes);
        out
    }

    /// `string-ascii`: `0x0d` + length (u32 BE) + bytes.
    pub fn ascii(s: &str) -> Vec<u8> {
        let mut out = vec![0x0d];
        out.extend_from_slice(&len_u32(s.len()).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
        out
    }

    /// `list`: `0x0b` + item count (u32 BE) + each serialized item.
    pub fn list(items: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![0x0b];
        out.extend_from_slice(&len_u32(items.len()).to_be_bytes());
        for item in items {
            out.extend_from_slice(item);
        }
        out
    }

    /// A principal: standard `0x05` + version + hash160; contract `0x06` + version +
    /// hash160 + name length (u8) + name.
    pub fn principal(p: &PrincipalData) -> Vec<u8> {
        match p {
            PrincipalData::Standard(s) => {
                let mut out = vec![0x05, s.0];
                out.extend_from_slice(&s.1);
                out
            }
            PrincipalData::Contract(c) => {
                let mut out = vec![0x06, c.issuer.0];
                out.extend_from_slice(&c.issuer.1);
                let name = c.name.as_bytes();
                out.push(u8::try_from(name.len()).expect("contract names are at most 128 bytes"));
                out.extend_from_slice(name);
                out
            }
        }
    }

    /// A tuple: `0x0c` + field count (u32 BE) + per field, in ascending byte order of
    /// the names, name length (u8) + name + serialized value.
    ///
    /// # Panics
    /// If a name is longer than 128 bytes (Clarity names are at most 128).
    pub fn tuple(fields: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut sorted: Vec<&(&str, Vec<u8>)> = fields.iter().collect();
        sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut out = vec![0x0c];
        out.extend_from_slice(&len_u32(sorted.len()).to_be_bytes());
        for (name, value) in sorted {
            out.push(u8::try_from(name.len()).expect("Clarity names are at most 128 bytes"));
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(value);
        }
        out
    }

    fn len_u32(n: usize) -> u32 {
        u32::try_from(n).expect("Clarity values are at most 1 MiB, so lengths fit a u32")
    }
}

/// `sha256` of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256Sum::from_data(bytes).0
}

/// A Silica delivery attestation for one day-window (`attest-delivery`, `attest-window`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The Silica id.
    pub silica_id: u128,
    /// The 0-based window: burn heights `[start + L·w, start + L·(w+1))`, L the
    /// Silica's own window length (snapshotted at `create`; 144 on mainnet).
    pub window: u128,
    /// Sats paid to the Silica's payout script in the window.
    pub delivered: u128,
    /// Network index for the window, sats per TH/s·day.
    pub index: u128,
    /// The Bitcoin height whose header hash pins the attested chain.
    pub burn_height: u128,
    /// `get-burn-block-info? header-hash burn_height` (display byte order).
    pub burn_hash: [u8; 32],
}

impl Delivery {
    /// The consensus-serialized message tuple.
    pub fn message(&self, chain_id: u128) -> Vec<u8> {
        consensus::tuple(&[
            ("domain", consensus::ascii(DOMAIN_DELIVERY)),
            ("chain-id", consensus::uint(chain_id)),
            ("silica-id", consensus::uint(self.silica_id)),
            ("window", consensus::uint(self.window)),
            ("delivered", consensus::uint(self.delivered)),
            ("index", consensus::uint(self.index)),
            ("burn-height", consensus::uint(self.burn_height)),
            ("burn-hash", consensus::buff(&self.burn_hash)),
        ])
    }

    /// The attestation id the signers sign: `sha256` of [`Delivery::message`].
    pub fn id(&self, chain_id: u128) -> [u8; 32] {
        sha256(&self.message(chain_id))
    }
}

/// An sBTC peg-in: output `(txid, vout)` paid `amount` sats to a signer script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposit {
    /// Bitcoin txid (the byte order the signers agree on; the contract only compares).
    pub txid: [u8; 32],
    /// Output index.
    pub vout: u128,
    /// Sats, minted 1:1 as sBTC base units.
    pub amount: u128,
    /// Who receives the sBTC.
    pub recipient: PrincipalData,
    /// The Bitcoin height whose header hash pins the attested chain.
    pub burn_height: u128,
    /// `get-burn-block-info? header-hash burn_height`.
    pub burn_hash: [u8; 32],
}

impl Deposit {
    /// The consensus-serialized message tuple.
    pub fn message(&self, chain_id: u128) -> Vec<u8> {
        consensus::tuple(&[
            ("domain", consensus::ascii(DOMAIN_DEPOSIT)),
            ("chain-id", consensus::uint(chain_id)),
            ("txid", consensus::buff(&self.txid)),
            ("vout", consensus::uint(self.vout)),
            ("amount", consensus::uint(self.amount)),
            ("recipient", consensus::principal(&self.recipient)),
            ("burn-height", consensus::uint(self.burn_height)),
            ("burn-hash", consensus::buff(&self.burn_hash)),
        ])
    }

    /// `sha256` of [`Deposit::message`].
    pub fn id(&self, chain_id: u128) -> [u8; 32] {
        sha256(&self.message(chain_id))
    }
}

/// A signer-set rotation, signed by M of the set it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Version of the set being replaced.
    pub version: u128,
    /// The new keys, strictly ascending.
    pub signers: Vec<CompressedKey>,
    /// The new threshold M.
    pub threshold: u128,
}

impl Rotation {
    /// The consensus-serialized message tuple.
    pub fn message(&self, chain_id: u128) -> Vec<u8> {
        let keys: Vec<Vec<u8>> = self.signers.iter().map(|k| consensus::buff(k)).collect();
        consensus::tuple(&[
            ("domain", consensus::ascii(DOMAIN_ROTATION)),
            ("chain-id", consensus::uint(chain_id)),
            ("version", consensus::uint(self.version)),
            ("signers", consensus::list(&keys)),
            ("threshold", consensus::uint(self.threshold)),
        ])
    }

    /// `sha256` of [`Rotation::message`].
    pub fn id(&self, chain_id: u128) -> [u8; 32] {
        sha256(&self.message(chain_id))
    }
}

/// A 65-byte recoverable signature in `secp256k1-recover?` order: `r || s || v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoverableSignature(pub [u8; 65]);

impl RecoverableSignature {
    /// Reorders stacks-common's `v || r || s` into the `r || s || v` that
    /// `secp256k1-recover?` reads.
    pub fn from_vrs(vrs: &MessageSignature) -> RecoverableSignature {
        let mut rsv = [0u8; 65];
        rsv[..64].copy_from_slice(&vrs.0[1..]);
        rsv[64] = vrs.0[0];
        RecoverableSignature(rsv)
    }

    /// The compressed key that signed `hash`, or `None` if the signature is invalid.
    pub fn recover(&self, hash: &[u8; 32]) -> Option<CompressedKey> {
        secp256k1_recover(hash, &self.0).ok()
    }
}

/// A signer's secret key.
#[derive(Debug, Clone)]
pub struct SignerKey(Secp256k1PrivateKey);

impl SignerKey {
    /// The key whose 32 secret bytes are `sha256(seed)` (deterministic test and devnet
    /// keys; never for real funds).
    pub fn from_seed(seed: &[u8]) -> SignerKey {
        let mut hash = sha256(seed);
        loop {
            if let Ok(mut key) = Secp256k1PrivateKey::from_slice(&hash) {
                key.set_compress_public(true);
                return SignerKey(key);
            }
            // Out of the curve order (probability ~2^-128): hash again.
            hash = sha256(&hash);
        }
    }

    /// The compressed public key.
    pub fn public_key(&self) -> CompressedKey {
        let bytes = Secp256k1PublicKey::from_private(&self.0).to_bytes_compressed();
        bytes
            .try_into()
            .expect("a compressed secp256k1 key is 33 bytes")
    }

    /// Signs a 32-byte message hash; returns `r || s || v`.
    pub fn sign(&self, hash: &[u8; 32]) -> RecoverableSignature {
        let vrs = self
            .0
            .sign(hash)
            .expect("a 32-byte hash is always a valid message");
        RecoverableSignature::from_vrs(&vrs)
    }
}

/// A signer set that cannot be encoded as a payout script.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayoutScriptError {
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

/// The 32-byte commitment to a Silica id that its payout script carries:
/// `sha256(to-consensus-buff? {domain: DOMAIN_PAYOUT, chain-id, silica-id})`.
pub fn payout_commitment(chain_id: u128, silica_id: u128) -> [u8; 32] {
    sha256(&consensus::tuple(&[
        ("domain", consensus::ascii(DOMAIN_PAYOUT)),
        ("chain-id", consensus::uint(chain_id)),
        ("silica-id", consensus::uint(silica_id)),
    ]))
}

/// `<commitment> OP_DROP OP_M <key_1> … <key_N> OP_N OP_CHECKMULTISIG`: the template of
/// every signer-controlled script (Silica payouts, sBTC deposits); only the 32-byte
/// commitment differs.
///
/// # Errors
/// [`PayoutScriptError`] for an empty or oversized set or an invalid threshold.
pub fn committed_multisig_witness(
    commitment: &[u8; 32],
    signers: &[CompressedKey],
    threshold: usize,
) -> Result<Vec<u8>, PayoutScriptError> {
    let n = signers.len();
    if n == 0 || n > MAX_SIGNERS {
        return Err(PayoutScriptError::SignerCount(n));
    }
    if threshold * 2 <= n || threshold > n {
        return Err(PayoutScriptError::Threshold {
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

/// The witness script of a Silica's payout address: [`committed_multisig_witness`] of
/// [`payout_commitment`], keys in the registry's (ascending) order.
///
/// # Errors
/// [`PayoutScriptError`] for an empty or oversized set or an invalid threshold.
pub fn payout_witness_script(
    chain_id: u128,
    silica_id: u128,
    signers: &[CompressedKey],
    threshold: usize,
) -> Result<Vec<u8>, PayoutScriptError> {
    committed_multisig_witness(&payout_commitment(chain_id, silica_id), signers, threshold)
}

/// The Silica's payout scriptPubKey: P2WSH (`OP_0 <sha256(witness script)>`, 34 bytes)
/// of [`payout_witness_script`].
///
/// # Errors
/// As [`payout_witness_script`].
pub fn payout_script(
    chain_id: u128,
    silica_id: u128,
    signers: &[CompressedKey],
    threshold: usize,
) -> Result<Vec<u8>, PayoutScriptError> {
    Ok(p2wsh(&payout_witness_script(
        chain_id, silica_id, signers, threshold,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clarity::vm::types::TupleData;
    use clarity::vm::{ClarityName, Value};

    fn vm_bytes(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        v.serialize_write(&mut out).unwrap();
        out
    }

    fn clarity_tuple(fields: Vec<(&str, Value)>) -> Value {
        let data = fields
            .into_iter()
            .map(|(k, v)| (ClarityName::try_from(k.to_string()).unwrap(), v))
            .collect();
        Value::Tuple(TupleData::from_data(data).unwrap())
    }

    #[test]
    fn delivery_matches_the_vm_serializer() {
        let d = Delivery {
            silica_id: 3,
            window: 9,
            delivered: 123_456,
            index: 61,
            burn_height: 4_000,
            burn_hash: [0xab; 32],
        };
        let vm = clarity_tuple(vec![
            (
                "domain",
                Value::string_ascii_from_bytes(DOMAIN_DELIVERY.into()).unwrap(),
            ),
            ("chain-id", Value::UInt(CHAIN_ID_TESTNET)),
            ("silica-id", Value::UInt(3)),
            ("window", Value::UInt(9)),
            ("delivered", Value::UInt(123_456)),
            ("index", Value::UInt(61)),
            ("burn-height", Value::UInt(4_000)),
            ("burn-hash", Value::buff_from(vec![0xab; 32]).unwrap()),
        ]);
        assert_eq!(d.message(CHAIN_ID_TESTNET), vm_bytes(&vm));
    }

    #[test]
    fn rotation_and_deposit_match_the_vm_serializer() {
        let keys = vec![[2u8; 33], [3u8; 33]];
        let r = Rotation {
            version: 1,
            signers: keys.clone(),
            threshold: 2,
        };
        let list = Value::list_from(
            keys.iter()
                .map(|k| Value::buff_from(k.to_vec()).unwrap())
                .collect(),
        )
        .unwrap();
        let vm = clarity_tuple(vec![
            (
                "domain",
                Value::string_ascii_from_bytes(DOMAIN_ROTATION.into()).unwrap(),
            ),
            ("chain-id", Value::UInt(CHAIN_ID_MAINNET)),
            ("version", Value::UInt(1)),
            ("signers", list),
            ("threshold", Value::UInt(2)),
        ]);
        assert_eq!(r.message(CHAIN_ID_MAINNET), vm_bytes(&vm));

        for who in [
            "ST1BE9S8QS0HZ5DXJTG5FQKMQ952VY2N5EP2E9C1E",
            "ST1BE9S8QS0HZ5DXJTG5FQKMQ952VY2N5EP2E9C1E.silica",
        ] {
            let recipient = PrincipalData::parse(who).unwrap();
            let d = Deposit {
                txid: [1; 32],
                vout: 2,
                amount: 10_000,
                recipient: recipient.clone(),
                burn_height: 7,
                burn_hash: [9; 32],
            };
            let vm = clarity_tuple(vec![
                (
                    "domain",
                    Value::string_ascii_from_bytes(DOMAIN_DEPOSIT.into()).unwrap(),
                ),
                ("chain-id", Value::UInt(CHAIN_ID_TESTNET)),
                ("txid", Value::buff_from(vec![1; 32]).unwrap()),
                ("vout", Value::UInt(2)),
                ("amount", Value::UInt(10_000)),
                ("recipient", Value::Principal(recipient)),
                ("burn-height", Value::UInt(7)),
                ("burn-hash", Value::buff_from(vec![9; 32]).unwrap()),
            ]);
            assert_eq!(d.message(CHAIN_ID_TESTNET), vm_bytes(&vm), "{who}");
        }
    }

    /// The worked example in docs/attestation.md.
    #[test]
    fn documented_example() {
        let d = Delivery {
            silica_id: 1,
            window: 0,
            delivered: 50_000,
            index: 60,
            burn_height: 300,
            burn_hash: [0x11; 32],
        };
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let msg = d.message(CHAIN_ID_TESTNET);
        assert_eq!(msg.len(), 247);
        assert_eq!(
            hex(&d.id(CHAIN_ID_TESTNET)),
            "235f17b17606db49e19e658030aa1b13cab2fd5a17d34913c6add783e37298ac"
        );
    }

    #[test]
    fn signatures_are_rsv_and_recover() {
        let key = SignerKey::from_seed(b"unit");
        let hash = sha256(b"message");
        let sig = key.sign(&hash);
        assert!(sig.0[64] <= 3);
        assert_eq!(sig.recover(&hash), Some(key.public_key()));
        // The stacks-common order (v first) does not recover to the same key.
        let mut vrs = [0u8; 65];
        vrs[0] = sig.0[64];
        vrs[1..].copy_from_slice(&sig.0[..64]);
        assert_ne!(
            RecoverableSignature(vrs).recover(&hash),
            Some(key.public_key())
        );
    }

    #[test]
    fn payout_script_is_p2wsh_and_checks_the_set() {
        let keys = [[2u8; 33], [3u8; 33], [3u8; 33]];
        let spk = payout_script(CHAIN_ID_TESTNET, 1, &keys, 2).unwrap();
        assert_eq!(spk.len(), 34);
        assert_eq!(&spk[..2], &[0x00, 0x20]);
        assert_ne!(spk, payout_script(CHAIN_ID_TESTNET, 2, &keys, 2).unwrap());
        let ws = payout_witness_script(CHAIN_ID_TESTNET, 1, &keys, 2).unwrap();
        assert_eq!(ws.len(), 1 + 32 + 1 + 1 + 3 * 34 + 1 + 1);
        assert_eq!(
            payout_script(CHAIN_ID_TESTNET, 1, &keys, 1),
            Err(PayoutScriptError::Threshold {
                threshold: 1,
                signers: 3
            })
        );
        assert_eq!(
            payout_script(CHAIN_ID_TESTNET, 1, &[], 1),
            Err(PayoutScriptError::SignerCount(0))
        );
    }
}
