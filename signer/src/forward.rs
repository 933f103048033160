//! Forwarding a Silica's payouts into an sBTC deposit (issue 16, `docs/sbtc-settlement.md`):
//! the payout script P is a P2WSH multisig our signers hold, so coinbase payouts can
//! land there (the sBTC signers never accept a coinbase as a deposit); once each payout
//! is spendable, M signers spend them into one deposit output whose recipient is the
//! `silica` contract, built against the sBTC signers' live key.
//!
//! This module builds that transaction (refusing outputs not yet spendable at the tip
//! and a remainder below the deposit minimum), its per-input signature hash (BIP143, as
//! P is segwit v0) and each signer's signature, and assembles the witness from M of
//! them. [`review`] is each signer's side: P's outputs from its own index, the
//! proposal rebuilt and signed only if identical, and the forward attestation.

use alkahest_indexer::types::Height;
use alkahest_protocol::key::SignerKey;
use alkahest_protocol::sbtc::DepositScripts;
use alkahest_protocol::CompressedKey;
use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash as _;
use bitcoin::key::{Keypair, XOnlyPublicKey};
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::{LeafVersion, TapLeafHash};
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, Script, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};

/// The x-only form of a signer's key, as the reclaim leaf's tapscript multisig holds it.
pub fn x_only(key: &CompressedKey) -> XOnlyPublicKey {
    XOnlyPublicKey::from_slice(&key[1..])
        .expect("a compressed key's x coordinate is a valid x-only key")
}

/// Blocks before a coinbase output may be spent (Bitcoin's `COINBASE_MATURITY`).
pub const COINBASE_MATURITY: u32 = 100;

/// An unspent output paying the payout script, as the signer's index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutUtxo {
    /// The output.
    pub outpoint: OutPoint,
    /// Its value.
    pub value: Amount,
    /// The height of the block holding it.
    pub height: Height,
    /// Whether a coinbase pays it (spendable only after [`COINBASE_MATURITY`]).
    pub coinbase: bool,
}

impl PayoutUtxo {
    /// The first tip height at which it may be spent in the next block.
    pub fn spendable_at(&self) -> u32 {
        if self.coinbase {
            self.height.0.saturating_add(COINBASE_MATURITY)
        } else {
            self.height.0
        }
    }
}

/// Why a forward cannot be built or finished.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    /// Nothing to forward.
    #[error("no payout outputs to forward")]
    Empty,
    /// An output is a coinbase output not yet mature at the tip.
    #[error("{outpoint} pays from a coinbase at height {height}; spendable from tip {spendable_at}, tip is {tip}")]
    Immature {
        /// The output.
        outpoint: OutPoint,
        /// Its block.
        height: u32,
        /// When it becomes spendable.
        spendable_at: u32,
        /// The tip it was checked at.
        tip: u32,
    },
    /// The fee leaves less than the deposit minimum.
    #[error("forwarding {total} sats with a {fee}-sat fee leaves less than {minimum} sats")]
    TooSmall {
        /// Σ inputs.
        total: u64,
        /// The fee.
        fee: u64,
        /// The smallest deposit accepted.
        minimum: u64,
    },
    /// Fewer valid signatures than the threshold.
    #[error("{found} signatures, {threshold} needed")]
    Quorum {
        /// Valid signatures given.
        found: usize,
        /// M.
        threshold: usize,
    },
}

/// Builds the forward of `utxos` (all of them, in outpoint order) into the deposit
/// output of `deposit`, paying `fee`, checked at tip `tip`.
///
/// # Errors
/// [`ForwardError`].
pub fn build_forward(
    utxos: &[PayoutUtxo],
    tip: Height,
    deposit: &DepositScripts,
    fee: Amount,
    minimum: Amount,
) -> Result<Transaction, ForwardError> {
    if utxos.is_empty() {
        return Err(ForwardError::Empty);
    }
    if let Some(u) = utxos.iter().find(|u| tip.0 < u.spendable_at()) {
        return Err(ForwardError::Immature {
            outpoint: u.outpoint,
            height: u.height.0,
            spendable_at: u.spendable_at(),
            tip: tip.0,
        });
    }
    let total: u64 = utxos.iter().map(|u| u.value.to_sat()).sum();
    let value = total
        .checked_sub(fee.to_sat())
        .filter(|v| *v >= minimum.to_sat())
        .ok_or(ForwardError::TooSmall {
            total,
            fee: fee.to_sat(),
            minimum: minimum.to_sat(),
        })?;
    let mut inputs: Vec<&PayoutUtxo> = utxos.iter().collect();
    inputs.sort_by_key(|u| u.outpoint);
    Ok(Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: inputs
            .iter()
            .map(|u| TxIn {
                previous_output: u.outpoint,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            })
            .collect(),
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: deposit.output_script(),
        }],
    })
}

/// The BIP143 signature hash (`SIGHASH_ALL`) of input `index` spending `value` locked
/// by the P2WSH `witness_script`.
pub fn sighash(tx: &Transaction, index: usize, witness_script: &Script, value: Amount) -> [u8; 32] {
    SighashCache::new(tx)
        .p2wsh_signature_hash(index, witness_script, value, EcdsaSighashType::All)
        .expect("the input index is in range")
        .to_byte_array()
}

/// `key`'s signature of input `index`: DER plus the `SIGHASH_ALL` byte, as the witness
/// carries it.
pub fn sign_input(
    key: &SignerKey,
    tx: &Transaction,
    index: usize,
    witness_script: &Script,
    value: Amount,
) -> Vec<u8> {
    let secp = Secp256k1::signing_only();
    let secret = SecretKey::from_slice(&key.secret_bytes()).expect("a signer key is valid");
    let msg = Message::from_digest(sighash(tx, index, witness_script, value));
    let mut sig = secp.sign_ecdsa(&msg, &secret).serialize_der().to_vec();
    sig.push(EcdsaSighashType::All as u8);
    sig
}

/// Sets input `index`'s witness from the signatures of `signed` (key, signature) that
/// verify: `[<empty>, sig…, witness_script]` with the first `threshold` valid
/// signatures in the order of `keys` (the script's order, as OP_CHECKMULTISIG needs).
///
/// # Errors
/// [`ForwardError::Quorum`] when fewer than `threshold` verify.
pub fn finish_input(
    tx: &mut Transaction,
    index: usize,
    witness_script: &Script,
    value: Amount,
    keys: &[CompressedKey],
    threshold: usize,
    signed: &[(CompressedKey, Vec<u8>)],
) -> Result<(), ForwardError> {
    let secp = Secp256k1::verification_only();
    let msg = Message::from_digest(sighash(tx, index, witness_script, value));
    let valid = |key: &CompressedKey, sig: &[u8]| -> bool {
        let Some((&last, der)) = sig.split_last() else {
            return false;
        };
        let (Ok(pk), Ok(s)) = (
            bitcoin::secp256k1::PublicKey::from_slice(key),
            bitcoin::secp256k1::ecdsa::Signature::from_der(der),
        ) else {
            return false;
        };
        last == EcdsaSighashType::All as u8 && secp.verify_ecdsa(&msg, &s, &pk).is_ok()
    };
    let mut sigs: Vec<&[u8]> = Vec::new();
    for key in keys {
        if sigs.len() == threshold {
            break;
        }
        if let Some((_, sig)) = signed.iter().find(|(k, s)| k == key && valid(k, s)) {
            sigs.push(sig);
        }
    }
    if sigs.len() < threshold {
        return Err(ForwardError::Quorum {
            found: sigs.len(),
            threshold,
        });
    }
    let mut w = Witness::new();
    w.push([]);
    for s in sigs {
        w.push(s);
    }
    w.push(witness_script.as_bytes());
    tx.input[index].witness = w;
    Ok(())
}

/// The reclaim of a deposit our signers could not get swept (a rotated-out key, say)
/// back to the payout script `payout`, through the reclaim leaf once `lock_time`
/// blocks have passed: input sequence `lock_time` (BIP68 blocks), one output of
/// `value − fee`.
pub fn build_reclaim(
    outpoint: OutPoint,
    value: Amount,
    lock_time: u16,
    payout: &Script,
    fee: Amount,
) -> Option<Transaction> {
    Some(Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: outpoint,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::from_height(lock_time),
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: value.checked_sub(fee)?,
            script_pubkey: payout.to_owned(),
        }],
    })
}

/// The BIP341 signature hash of the reclaim input, a script-path spend of the reclaim
/// leaf of `deposit`, whose output held `value`.
pub fn reclaim_sighash(tx: &Transaction, deposit: &DepositScripts, value: Amount) -> [u8; 32] {
    let prevout = TxOut {
        value,
        script_pubkey: deposit.output_script(),
    };
    let leaf = TapLeafHash::from_script(&deposit.reclaim, LeafVersion::TapScript);
    SighashCache::new(tx)
        .taproot_script_spend_signature_hash(
            0,
            &Prevouts::All(&[prevout]),
            leaf,
            TapSighashType::Default,
        )
        .expect("one input, one prevout")
        .to_byte_array()
}

/// `key`'s BIP340 signature of the reclaim, and its x-only key.
pub fn sign_reclaim(
    key: &SignerKey,
    tx: &Transaction,
    deposit: &DepositScripts,
    value: Amount,
) -> (XOnlyPublicKey, [u8; 64]) {
    let secp = Secp256k1::signing_only();
    let keypair =
        Keypair::from_seckey_slice(&secp, &key.secret_bytes()).expect("a signer key is valid");
    let msg = Message::from_digest(reclaim_sighash(tx, deposit, value));
    let sig = secp.sign_schnorr_no_aux_rand(&msg, &keypair);
    (keypair.x_only_public_key().0, *sig.as_ref())
}

/// Sets the reclaim's witness: one element per key of the tail's multisig, the last
/// key's first (a verified signature or empty), then the reclaim leaf and its control
/// block.
///
/// # Errors
/// [`ForwardError::Quorum`] when fewer than `threshold` signatures verify.
pub fn finish_reclaim(
    tx: &mut Transaction,
    deposit: &DepositScripts,
    value: Amount,
    keys: &[XOnlyPublicKey],
    threshold: usize,
    signed: &[(XOnlyPublicKey, [u8; 64])],
) -> Result<(), ForwardError> {
    let secp = Secp256k1::verification_only();
    let msg = Message::from_digest(reclaim_sighash(tx, deposit, value));
    let mut elements: Vec<Vec<u8>> = Vec::with_capacity(keys.len());
    let mut found = 0;
    for key in keys {
        let sig = signed.iter().find(|(k, s)| {
            k == key
                && bitcoin::secp256k1::schnorr::Signature::from_slice(s)
                    .is_ok_and(|sig| secp.verify_schnorr(&sig, &msg, key).is_ok())
        });
        match sig {
            Some((_, s)) if found < threshold => {
                found += 1;
                elements.push(s.to_vec());
            }
            _ => elements.push(Vec::new()),
        }
    }
    if found < threshold {
        return Err(ForwardError::Quorum { found, threshold });
    }
    let control = deposit
        .spend_info()
        .control_block(&(deposit.reclaim.clone(), LeafVersion::TapScript))
        .expect("the reclaim leaf is in the tree");
    let mut w = Witness::new();
    for e in elements.iter().rev() {
        w.push(e);
    }
    w.push(deposit.reclaim.as_bytes());
    w.push(control.serialize());
    tx.input[0].witness = w;
    Ok(())
}

pub mod review;

#[cfg(test)]
mod tests;
