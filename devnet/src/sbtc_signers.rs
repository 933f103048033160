//! The devnet's stand-in sBTC signers: what decides whether a registered deposit is
//! swept, and the sweep itself, with the rules of the real sBTC signers that matter to
//! a Silica's forwarder (issue 16):
//!
//! - the funding transaction must be confirmed on the best chain and **must not be a
//!   coinbase** (the real block observer refuses coinbase deposits outright, with no
//!   maturity path), so a pool can never pay a deposit address from its coinbase;
//! - the deposit leaf's key must be the signers' **current** aggregate key: a deposit
//!   built on a rotated-out key is refused here (the depositor reclaims it);
//! - each deposit pays its share of the sweep fee, by weight:
//!   `ceil(input weight × fee / Σ deposit input weights)`, at most `min(max_fee,
//!   amount)`, and what is minted, `amount − share`, is at least the 546-sat dust limit.
//!
//! The stand-in signs with one key (its x-only public key plays the aggregate key);
//! the real signers sign with a FROST aggregate, which a verifier cannot tell apart.

use alkahest_protocol::key::SignerKey;
use alkahest_protocol::sbtc::{parse_deposit_script, DepositScripts, DUST_LIMIT};
use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash as _;
use bitcoin::key::{Keypair, Secp256k1, XOnlyPublicKey};
use bitcoin::secp256k1::Message;
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::{LeafVersion, TapLeafHash};
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness,
};

use crate::emily;

/// Why a deposit is not swept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The funding transaction is not in a block of the best chain.
    #[error("deposit {0} is not confirmed on the best chain")]
    Unconfirmed(OutPoint),
    /// The funding transaction is a coinbase.
    #[error("deposit {0} is funded by a coinbase, which the sBTC signers never accept")]
    Coinbase(OutPoint),
    /// The deposit leaf names another key than the current aggregate key.
    #[error(
        "deposit {outpoint} is locked to key {}, not the current key {}",
        hex::encode(found),
        hex::encode(current)
    )]
    StaleKey {
        /// The deposit.
        outpoint: OutPoint,
        /// The x-only key in its deposit leaf.
        found: [u8; 32],
        /// The signers' current x-only key.
        current: [u8; 32],
    },
    /// The registration does not describe the output (Emily validated it; the chain
    /// may not hold that transaction).
    #[error("deposit {0} does not match its registration: {1}")]
    Mismatch(OutPoint, String),
    /// Its fee share is above `min(max_fee, amount)` or leaves less than dust.
    #[error("deposit {outpoint}: fee share {share} sats (max fee {max_fee}) leaves {minted} sats")]
    Fee {
        /// The deposit.
        outpoint: OutPoint,
        /// Its share of the sweep fee.
        share: u64,
        /// Its cap.
        max_fee: u64,
        /// What would be minted.
        minted: u64,
    },
}

/// A deposit the signers will sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The deposit output.
    pub outpoint: OutPoint,
    /// Its value.
    pub amount: u64,
    /// Its leaves.
    pub scripts: DepositScripts,
    /// Its fee cap.
    pub max_fee: u64,
    /// Its recipient, consensus-serialized.
    pub recipient: Vec<u8>,
}

/// A signed sweep and what each swept deposit mints.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The transaction: the deposits in, the signers' new UTXO out.
    pub tx: Transaction,
    /// Per candidate, in order: (fee share, minted amount).
    pub shares: Vec<(u64, u64)>,
}

/// The stand-in signer set.
pub struct SbtcSigners {
    keypair: Keypair,
}

impl SbtcSigners {
    /// A signer set whose key derives from `seed` as every devnet key does
    /// ([`SignerKey::from_seed`]).
    pub fn from_seed(seed: &[u8]) -> SbtcSigners {
        let secret = SignerKey::from_seed(seed).secret_bytes();
        SbtcSigners {
            keypair: Keypair::from_seckey_slice(&Secp256k1::new(), &secret)
                .expect("a signer key is a valid secret key"),
        }
    }

    /// The current aggregate key, as `sbtc-registry` publishes it (x-only).
    pub fn aggregate_key(&self) -> XOnlyPublicKey {
        self.keypair.x_only_public_key().0
    }

    /// The signers' own UTXO script: a key-path P2TR of their key.
    pub fn utxo_script(&self) -> ScriptBuf {
        ScriptBuf::new_p2tr(&Secp256k1::verification_only(), self.aggregate_key(), None)
    }

    /// Checks a registered deposit against the best chain (`best`, by height).
    ///
    /// # Errors
    /// The first [`Refusal`] that applies.
    pub fn review(&self, d: &emily::Deposit, best: &[&Block]) -> Result<Candidate, Refusal> {
        let txid: Txid = d
            .bitcoin_txid
            .parse()
            .map_err(|_| Refusal::Mismatch(OutPoint::null(), "txid".into()))?;
        let outpoint = OutPoint::new(txid, d.bitcoin_tx_output_index);
        let tx = best
            .iter()
            .flat_map(|b| b.txdata.iter())
            .find(|t| t.compute_txid() == txid)
            .ok_or(Refusal::Unconfirmed(outpoint))?;
        if tx.is_coinbase() {
            return Err(Refusal::Coinbase(outpoint));
        }
        let mismatch = |why: &str| Refusal::Mismatch(outpoint, why.to_owned());
        let hex_script = |h: &str| hex::decode(h).map(ScriptBuf::from_bytes);
        let scripts = DepositScripts {
            deposit: hex_script(&d.deposit_script).map_err(|_| mismatch("deposit script"))?,
            reclaim: hex_script(&d.reclaim_script).map_err(|_| mismatch("reclaim script"))?,
        };
        let parsed =
            parse_deposit_script(&scripts.deposit).map_err(|e| mismatch(&e.to_string()))?;
        let output = tx
            .output
            .get(outpoint.vout as usize)
            .ok_or_else(|| mismatch("no such output"))?;
        if output.script_pubkey != scripts.output_script() {
            return Err(mismatch("the output is not these leaves' taproot output"));
        }
        if parsed.signers_key != self.aggregate_key() {
            return Err(Refusal::StaleKey {
                outpoint,
                found: parsed.signers_key.serialize(),
                current: self.aggregate_key().serialize(),
            });
        }
        Ok(Candidate {
            outpoint,
            amount: output.value.to_sat(),
            scripts,
            max_fee: parsed.max_fee,
            recipient: parsed.recipient,
        })
    }

    /// Sweeps `candidates` into the signers' UTXO at `fee_rate` sats per vbyte, each
    /// deposit spent through its deposit leaf.
    ///
    /// # Errors
    /// [`Refusal::Fee`] for the first deposit whose share is too high.
    pub fn sweep(&self, candidates: &[Candidate], fee_rate: u64) -> Result<Sweep, Refusal> {
        let secp = Secp256k1::new();
        let total: u64 = candidates.iter().map(|c| c.amount).sum();
        let mut tx = Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: candidates
                .iter()
                .map(|c| TxIn {
                    previous_output: c.outpoint,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::MAX,
                    witness: self.witness(c, &[0u8; 64]),
                })
                .collect(),
            output: vec![
                TxOut {
                    value: Amount::from_sat(total),
                    script_pubkey: self.utxo_script(),
                },
                TxOut {
                    value: Amount::ZERO,
                    script_pubkey: ScriptBuf::new_op_return(b"sBTC sweep"),
                },
            ],
        };
        // Signatures are always 64 bytes, so the placeholder witness has the final size.
        let fee = fee_rate * tx.vsize() as u64;
        let weights: Vec<u64> = tx.input.iter().map(|i| i.segwit_weight().to_wu()).collect();
        let request: u64 = weights.iter().sum();
        let mut shares = Vec::with_capacity(candidates.len());
        for (c, w) in candidates.iter().zip(&weights) {
            let share = (w * fee).div_ceil(request);
            let minted = c.amount.saturating_sub(share);
            if share > c.max_fee.min(c.amount) || minted < DUST_LIMIT {
                return Err(Refusal::Fee {
                    outpoint: c.outpoint,
                    share,
                    max_fee: c.max_fee,
                    minted,
                });
            }
            shares.push((share, minted));
        }
        let paid: u64 = shares.iter().map(|(s, _)| s).sum();
        tx.output[0].value = Amount::from_sat(total - paid);
        let prevouts: Vec<TxOut> = candidates
            .iter()
            .map(|c| TxOut {
                value: Amount::from_sat(c.amount),
                script_pubkey: c.scripts.output_script(),
            })
            .collect();
        for (i, c) in candidates.iter().enumerate() {
            let leaf = TapLeafHash::from_script(&c.scripts.deposit, LeafVersion::TapScript);
            let sighash = SighashCache::new(&tx)
                .taproot_script_spend_signature_hash(
                    i,
                    &Prevouts::All(&prevouts),
                    leaf,
                    TapSighashType::Default,
                )
                .expect("every prevout is given");
            let msg = Message::from_digest(sighash.to_byte_array());
            let sig = secp.sign_schnorr_no_aux_rand(&msg, &self.keypair);
            tx.input[i].witness = self.witness(c, sig.as_ref());
        }
        Ok(Sweep { tx, shares })
    }

    /// `[signature, deposit leaf, control block]`: the deposit leaf's script path.
    fn witness(&self, c: &Candidate, sig: &[u8]) -> Witness {
        let info = c.scripts.spend_info();
        let control = info
            .control_block(&(c.scripts.deposit.clone(), LeafVersion::TapScript))
            .expect("the deposit leaf is in the tree");
        let mut w = Witness::new();
        w.push(sig);
        w.push(c.scripts.deposit.as_bytes());
        w.push(control.serialize());
        w
    }
}

#[cfg(test)]
mod tests;
