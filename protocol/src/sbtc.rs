//! sBTC deposit outputs, as the sBTC signers and Emily read them (stacks-network/sbtc):
//! what a Silica's payout forwarder builds to turn a delivery into real sBTC minted to a
//! contract (issue 16).
//!
//! A deposit is a P2TR output whose internal key is the unspendable NUMS point, with two
//! script leaves at depth 1:
//! - the **deposit** leaf `<max_fee ‖ recipient> OP_DROP <signers' x-only key> OP_CHECKSIG`,
//!   where `max_fee` is 8 bytes big-endian and the recipient is a Stacks principal in its
//!   consensus serialization (`0x05` standard, `0x06` contract: a contract may receive);
//! - the **reclaim** leaf `<lock_time> OP_CSV <script>`: after `lock_time` blocks the
//!   depositor's own script may take the BTC back.
//!
//! The signers' key is the aggregate key of the sBTC signer set *when the deposit is
//! built*; it changes at every rotation, so a deposit address is built fresh from the
//! live key each time and never reused.
//!
//! ```
//! use alkahest_protocol::principal::Principal;
//! use alkahest_protocol::sbtc::{DepositScripts, parse_deposit_script};
//! use bitcoin::key::XOnlyPublicKey;
//! use bitcoin::ScriptBuf;
//! use std::str::FromStr;
//!
//! let key = XOnlyPublicKey::from_str(
//!     "567467ad8005b9a240160b3c8f6cbd229f3e52f100004c138054d4dbae363e5e").unwrap();
//! let silica = Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.silica").unwrap();
//! let d = DepositScripts::new(&silica, 80_000, &key, 144, &ScriptBuf::new()).unwrap();
//! let parsed = parse_deposit_script(&d.deposit).unwrap();
//! assert_eq!((parsed.max_fee, parsed.signers_key), (80_000, key));
//! assert_eq!(parsed.recipient, alkahest_protocol::consensus::principal(&silica));
//! assert!(d.output_script().is_p2tr());
//! ```

use bitcoin::key::{Secp256k1, XOnlyPublicKey};
use bitcoin::opcodes::all::{OP_CHECKSIG, OP_CSV, OP_DROP};
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::taproot::{TaprootBuilder, TaprootSpendInfo};
use bitcoin::{Script, ScriptBuf};

use crate::principal::Principal;

/// The x-only NUMS point (BIP341's `H`) the sBTC signers use as the internal key, so a
/// deposit can only be spent through one of its two scripts.
pub const NUMS_KEY: [u8; 32] = [
    0x50, 0x92, 0x9b, 0x74, 0xc1, 0xa0, 0x49, 0x54, 0xb7, 0x8b, 0x4b, 0x60, 0x35, 0xe9, 0x7a, 0x5e,
    0x07, 0x8a, 0x5a, 0x0f, 0x28, 0xec, 0x96, 0xd5, 0x47, 0xbf, 0xee, 0x9a, 0xce, 0x80, 0x3a, 0xc0,
];

/// The smallest amount the sBTC deposit contract mints (`dust-limit`), in sats.
pub const DUST_LIMIT: u64 = 546;

/// Why deposit scripts could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositError {
    /// The reclaim lock time is zero: the depositor could take the BTC back at once.
    #[error("a reclaim lock time of 0 blocks lets the depositor race the sweep")]
    ZeroLockTime,
    /// The script is not `<data> OP_DROP <32-byte key> OP_CHECKSIG`.
    #[error("not an sBTC deposit script: {0}")]
    Shape(&'static str),
    /// The key in the script is not a valid x-only key.
    #[error("the deposit script's key is not a valid x-only public key")]
    BadKey,
}

/// The two leaves of one deposit output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositScripts {
    /// `<max_fee ‖ recipient> OP_DROP <key> OP_CHECKSIG`.
    pub deposit: ScriptBuf,
    /// `<lock_time> OP_CSV <script>`.
    pub reclaim: ScriptBuf,
}

impl DepositScripts {
    /// The leaves of a deposit minting to `recipient`, paying at most `max_fee` sats of
    /// the sweep's fee, spendable by the signers holding `signers_key`, and reclaimable
    /// by `reclaim_to` after `lock_time` blocks (relative, BIP68 block units).
    ///
    /// # Errors
    /// [`DepositError::ZeroLockTime`].
    pub fn new(
        recipient: &Principal,
        max_fee: u64,
        signers_key: &XOnlyPublicKey,
        lock_time: u16,
        reclaim_to: &Script,
    ) -> Result<DepositScripts, DepositError> {
        if lock_time == 0 {
            return Err(DepositError::ZeroLockTime);
        }
        let mut data = max_fee.to_be_bytes().to_vec();
        data.extend(crate::consensus::principal(recipient));
        let data = PushBytesBuf::try_from(data).map_err(|_| DepositError::Shape("data"))?;
        let deposit = Builder::new()
            .push_slice(data)
            .push_opcode(OP_DROP)
            .push_slice(signers_key.serialize())
            .push_opcode(OP_CHECKSIG)
            .into_script();
        let mut reclaim = Builder::new()
            .push_int(i64::from(lock_time))
            .push_opcode(OP_CSV)
            .into_script()
            .into_bytes();
        reclaim.extend_from_slice(reclaim_to.as_bytes());
        Ok(DepositScripts {
            deposit,
            reclaim: ScriptBuf::from_bytes(reclaim),
        })
    }

    /// The taproot tree: NUMS internal key, both leaves at depth 1.
    pub fn spend_info(&self) -> TaprootSpendInfo {
        let secp = Secp256k1::verification_only();
        let nums = XOnlyPublicKey::from_slice(&NUMS_KEY).expect("NUMS is a valid x-only key");
        TaprootBuilder::new()
            .add_leaf(1, self.deposit.clone())
            .and_then(|b| b.add_leaf(1, self.reclaim.clone()))
            .expect("two leaves at depth 1 form a complete tree")
            .finalize(&secp, nums)
            .expect("a complete tree finalizes")
    }

    /// The scriptPubKey the depositor pays: P2TR of [`DepositScripts::spend_info`].
    pub fn output_script(&self) -> ScriptBuf {
        ScriptBuf::new_p2tr_tweaked(self.spend_info().output_key())
    }
}

/// A tapscript M-of-N multisig over x-only keys, for a reclaim leaf's tail:
/// `<k1> OP_CHECKSIG <k2> OP_CHECKSIGADD … <kN> OP_CHECKSIGADD <M> OP_NUMEQUAL`
/// (BIP342 disables OP_CHECKMULTISIG in tapscript). A spend pushes one signature or an
/// empty element per key, the last key's first.
///
/// # Errors
/// [`DepositError::Shape`] for no keys or a threshold outside `1..=N`.
pub fn tapscript_multisig(
    keys: &[XOnlyPublicKey],
    threshold: usize,
) -> Result<ScriptBuf, DepositError> {
    use bitcoin::opcodes::all::{OP_CHECKSIGADD, OP_NUMEQUAL};
    if keys.is_empty() || threshold == 0 || threshold > keys.len() {
        return Err(DepositError::Shape(
            "a multisig needs 1 <= threshold <= keys",
        ));
    }
    let mut b = Builder::new();
    for (i, k) in keys.iter().enumerate() {
        b = b.push_slice(k.serialize());
        b = b.push_opcode(if i == 0 { OP_CHECKSIG } else { OP_CHECKSIGADD });
    }
    Ok(b.push_int(threshold as i64)
        .push_opcode(OP_NUMEQUAL)
        .into_script())
}

/// The tail of a reclaim leaf held by `threshold` of `keys`: `OP_DROP` (OP_CSV leaves
/// the lock time on the stack) then [`tapscript_multisig`]. With it, a deposit our
/// signers could not get swept comes back to them after its lock time.
///
/// # Errors
/// As [`tapscript_multisig`].
pub fn multisig_reclaim_tail(
    keys: &[XOnlyPublicKey],
    threshold: usize,
) -> Result<ScriptBuf, DepositError> {
    let mut tail = vec![OP_DROP.to_u8()];
    tail.extend_from_slice(tapscript_multisig(keys, threshold)?.as_bytes());
    Ok(ScriptBuf::from_bytes(tail))
}

/// A deposit script's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDeposit {
    /// The most the sweep fee may take from the deposit, in sats.
    pub max_fee: u64,
    /// The recipient principal, consensus-serialized.
    pub recipient: Vec<u8>,
    /// The signers' key the deposit was built for.
    pub signers_key: XOnlyPublicKey,
}

/// Reads a deposit leaf: a minimal push of at least 8 + 22 bytes, `OP_DROP`, a 32-byte
/// push, `OP_CHECKSIG`, and nothing else.
///
/// # Errors
/// [`DepositError::Shape`] naming what differs, [`DepositError::BadKey`].
pub fn parse_deposit_script(script: &Script) -> Result<ParsedDeposit, DepositError> {
    use bitcoin::script::Instruction;
    let mut ins = script.instructions_minimal();
    let data = match ins.next() {
        Some(Ok(Instruction::PushBytes(p))) => p.as_bytes().to_vec(),
        _ => return Err(DepositError::Shape("no minimal data push first")),
    };
    if data.len() < 8 + 22 {
        return Err(DepositError::Shape(
            "data shorter than max_fee and a principal",
        ));
    }
    match ins.next() {
        Some(Ok(Instruction::Op(op))) if op == OP_DROP => {}
        _ => return Err(DepositError::Shape("no OP_DROP after the data")),
    }
    let key = match ins.next() {
        Some(Ok(Instruction::PushBytes(p))) if p.len() == 32 => p.as_bytes().to_vec(),
        _ => return Err(DepositError::Shape("no 32-byte key push")),
    };
    match ins.next() {
        Some(Ok(Instruction::Op(op))) if op == OP_CHECKSIG => {}
        _ => return Err(DepositError::Shape("no OP_CHECKSIG after the key")),
    }
    if ins.next().is_some() {
        return Err(DepositError::Shape("bytes after OP_CHECKSIG"));
    }
    let mut fee = [0u8; 8];
    fee.copy_from_slice(&data[..8]);
    Ok(ParsedDeposit {
        max_fee: u64::from_be_bytes(fee),
        recipient: data[8..].to_vec(),
        signers_key: XOnlyPublicKey::from_slice(&key).map_err(|_| DepositError::BadKey)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// Emily's `create-deposit-valid.json` fixture (stacks-network/sbtc): a deposit of
    /// 10,000 sats to `ST000000000000000000002AMW42H` with max fee 8,000, reclaim `OP_14
    /// OP_CSV`, and the P2TR output its transaction pays.
    const FIXTURE_DEPOSIT: &str = "1e0000000000001f40051a00000000000000000000000000000000000000007520567467ad8005b9a240160b3c8f6cbd229f3e52f100004c138054d4dbae363e5eac";
    const FIXTURE_RECLAIM: &str = "5eb2";
    const FIXTURE_OUTPUT: &str =
        "51202cb104bacca5e17ec44e60efe7381a21bfb718525111f6b5e38d7866795f09bf";

    fn fixture_key() -> XOnlyPublicKey {
        XOnlyPublicKey::from_str("567467ad8005b9a240160b3c8f6cbd229f3e52f100004c138054d4dbae363e5e")
            .unwrap()
    }

    #[test]
    fn the_scripts_and_output_equal_emilys_fixture() {
        let recipient = Principal::standard(0x1a, [0; 20]);
        let d =
            DepositScripts::new(&recipient, 8_000, &fixture_key(), 14, &ScriptBuf::new()).unwrap();
        assert_eq!(hex::encode(d.deposit.as_bytes()), FIXTURE_DEPOSIT);
        assert_eq!(hex::encode(d.reclaim.as_bytes()), FIXTURE_RECLAIM);
        assert_eq!(hex::encode(d.output_script().as_bytes()), FIXTURE_OUTPUT);
        // Leaf order does not change the output (BIP341 sorts branch hashes).
        let swapped = DepositScripts {
            deposit: d.reclaim.clone(),
            reclaim: d.deposit.clone(),
        };
        assert_eq!(swapped.output_script(), d.output_script());
    }

    #[test]
    fn a_deposit_script_reads_back_and_anything_else_is_refused() {
        let script = ScriptBuf::from_bytes(hex::decode(FIXTURE_DEPOSIT).unwrap());
        let parsed = parse_deposit_script(&script).unwrap();
        assert_eq!(parsed.max_fee, 8_000);
        assert_eq!(
            parsed.recipient,
            crate::consensus::principal(&Principal::standard(0x1a, [0; 20]))
        );
        assert_eq!(parsed.signers_key, fixture_key());

        let contract = Principal::standard(0x1a, [7; 20])
            .contract("silica")
            .unwrap();
        let d = DepositScripts::new(&contract, 1, &fixture_key(), 500, &ScriptBuf::new()).unwrap();
        let back = parse_deposit_script(&d.deposit).unwrap();
        assert_eq!(back.recipient[0], 0x06, "a contract recipient");
        assert_eq!(back.recipient, crate::consensus::principal(&contract));
        // The reclaim leaf of a longer lock time is a minimal little-endian push.
        assert_eq!(&d.reclaim.as_bytes()[..4], &[0x02, 0xf4, 0x01, 0xb2]);

        let bytes = hex::decode(FIXTURE_DEPOSIT).unwrap();
        let cut = |b: &[u8]| parse_deposit_script(&ScriptBuf::from_bytes(b.to_vec()));
        assert!(cut(&bytes[..bytes.len() - 1]).is_err(), "no OP_CHECKSIG");
        let mut extra = bytes.clone();
        extra.push(0x51);
        assert_eq!(
            cut(&extra),
            Err(DepositError::Shape("bytes after OP_CHECKSIG"))
        );
        let mut short = bytes.clone();
        short[0] = 0x1d;
        short.remove(30);
        assert!(cut(&short).is_err(), "data too short for a principal");
        let mut no_drop = bytes.clone();
        no_drop[31] = 0x76;
        assert_eq!(
            cut(&no_drop),
            Err(DepositError::Shape("no OP_DROP after the data"))
        );
        // A 33-byte key push (a compressed key, not x-only) and OP_CHECKSIGVERIFY.
        let mut long_key = bytes[..32].to_vec();
        long_key.push(0x21);
        long_key.extend_from_slice(&[0x02; 33]);
        long_key.push(0xac);
        assert_eq!(
            cut(&long_key),
            Err(DepositError::Shape("no 32-byte key push"))
        );
        let mut verify = bytes.clone();
        *verify.last_mut().unwrap() = 0xad;
        assert_eq!(
            cut(&verify),
            Err(DepositError::Shape("no OP_CHECKSIG after the key"))
        );
        assert_eq!(
            DepositScripts::new(&contract, 1, &fixture_key(), 0, &ScriptBuf::new()),
            Err(DepositError::ZeroLockTime)
        );
    }

    #[test]
    fn the_reclaim_multisig_is_checksigadd_over_x_only_keys() {
        let keys = [
            fixture_key(),
            XOnlyPublicKey::from_slice(&NUMS_KEY).unwrap(),
        ];
        let s = tapscript_multisig(&keys, 2).unwrap();
        let b = s.as_bytes();
        assert_eq!(b.len(), 2 * 34 + 2);
        assert_eq!((b[0], b[33], b[34], b[67]), (0x20, 0xac, 0x20, 0xba));
        assert_eq!(&b[68..], &[0x52, 0x9c], "OP_2 OP_NUMEQUAL");
        assert!(tapscript_multisig(&keys, 3).is_err());
        assert!(tapscript_multisig(&keys, 0).is_err());
        assert!(tapscript_multisig(&[], 1).is_err());
        let tail = multisig_reclaim_tail(&keys, 2).unwrap();
        assert_eq!(tail.as_bytes()[0], 0x75, "OP_DROP first");
        assert_eq!(&tail.as_bytes()[1..], s.as_bytes());
    }
}
