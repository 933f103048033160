//! The signers' side of a forward: nobody's word about the payout script's outputs is
//! taken. Each signer lists P's outputs for the planned windows from **its own index**,
//! rebuilds the coordinator's proposed transaction and signs its inputs only if the
//! two are identical; later it signs the forward attestation (`silica record-delivery`)
//! only for a deposit transaction it rebuilds the same way and sees confirmed in its own
//! chain, for exactly the sats its index counts in those windows.

use alkahest_indexer::storage::{DbRead, WatchState};
use alkahest_indexer::types::Height;
use alkahest_protocol::key::RecoverableSignature;
use alkahest_protocol::message::Forward;
use alkahest_protocol::sbtc::DepositScripts;
use alkahest_protocol::script::payout_witness_script;
use alkahest_protocol::CompressedKey;
use bitcoin::hashes::Hash as _;
use bitcoin::{Amount, OutPoint, ScriptBuf, Transaction, Witness};

use super::{build_forward, sign_input, PayoutUtxo};
use crate::attest::{AttestError, Refusal, Signer};
use crate::observer::{ObserveError, WindowTerms};

/// What a forward spends and where it pays: the Silica's payout outputs in windows
/// `first..=last` into the deposit output of `deposit`, less `fee`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardPlan {
    /// The Silica's terms (id, payout script, start, window length).
    pub terms: WindowTerms,
    /// The first window forwarded.
    pub first: u32,
    /// The last window forwarded.
    pub last: u32,
    /// The deposit's leaves (recipient `.silica`, the live sBTC key, `max_fee`).
    pub deposit: DepositScripts,
    /// The Bitcoin fee the forward pays.
    pub fee: Amount,
    /// The smallest deposit the sBTC side accepts (Emily's per-deposit minimum).
    pub minimum: Amount,
}

fn refuse(why: String) -> AttestError {
    AttestError::Refused(Refusal::Forward(why))
}

impl<D: DbRead> Signer<D> {
    /// The payout script's outputs in the plan's windows, from this signer's index:
    /// coinbase outputs and outputs of ordinary transactions.
    ///
    /// # Errors
    /// Storage failures, windows out of range, or ordinary transactions not yet scanned.
    pub async fn payout_utxos(&self, plan: &ForwardPlan) -> Result<Vec<PayoutUtxo>, AttestError> {
        let script = &plan.terms.payout_script;
        let (from, _) = plan
            .terms
            .heights(plan.first)
            .ok_or(ObserveError::OutOfRange(plan.first))?;
        let (_, to) = plan
            .terms
            .heights(plan.last)
            .ok_or(ObserveError::OutOfRange(plan.last))?;
        let state = self
            .store()
            .watch_state(script)
            .await
            .map_err(ObserveError::from)?;
        if state != WatchState::Scanned {
            return Err(ObserveError::NotScanned(state).into());
        }
        let mut utxos = Vec::new();
        let coinbase = self
            .store()
            .outputs_by_script(script, from, to)
            .await
            .map_err(ObserveError::from)?;
        for out in coinbase {
            let block = self
                .store()
                .block(out.height)
                .await
                .map_err(ObserveError::from)?
                .ok_or_else(|| refuse(format!("block {} is not in this index", out.height)))?;
            utxos.push(PayoutUtxo {
                outpoint: OutPoint::new(block.coinbase_txid, out.vout),
                value: out.value,
                height: out.height,
                coinbase: true,
            });
        }
        let payments = self
            .store()
            .payments(script, from, to)
            .await
            .map_err(ObserveError::from)?;
        for p in payments {
            utxos.push(PayoutUtxo {
                outpoint: OutPoint::new(p.payment.txid, p.payment.vout),
                value: p.payment.value,
                height: p.height,
                coinbase: false,
            });
        }
        Ok(utxos)
    }

    /// The forward this signer builds for `plan` at its own tip (unsigned), and the
    /// outputs it spends in input order.
    ///
    /// # Errors
    /// As [`Signer::payout_utxos`], or the forward cannot be built (nothing to forward,
    /// an immature coinbase output, too small a remainder).
    pub async fn build_forward(
        &self,
        plan: &ForwardPlan,
    ) -> Result<(Transaction, Vec<PayoutUtxo>), AttestError> {
        let mut utxos = self.payout_utxos(plan).await?;
        utxos.sort_by_key(|u| u.outpoint);
        let tip = self
            .store()
            .tip()
            .await
            .map_err(ObserveError::from)?
            .map_or(Height(0), |(h, _)| h);
        let tx = build_forward(&utxos, tip, &plan.deposit, plan.fee, plan.minimum)
            .map_err(|e| refuse(e.to_string()))?;
        Ok((tx, utxos))
    }

    /// Signs every input of `proposal` if it is exactly the forward this signer builds
    /// for `plan`; the signatures are in input order, for
    /// [`super::finish_input`].
    ///
    /// # Errors
    /// [`Refusal::Forward`] when the proposal differs (other inputs, amounts, output
    /// script or fee), or as [`Signer::build_forward`].
    pub async fn sign_forward_tx(
        &self,
        plan: &ForwardPlan,
        proposal: &Transaction,
        keys: &[CompressedKey],
        threshold: usize,
    ) -> Result<Vec<Vec<u8>>, AttestError> {
        let (mine, utxos) = self.build_forward(plan).await?;
        if unsigned(proposal) != mine {
            return Err(refuse(format!(
                "proposal {} is not the forward {} this signer builds from its own index",
                proposal.compute_txid(),
                mine.compute_txid()
            )));
        }
        let witness = self.payout_witness(plan, keys, threshold)?;
        Ok(utxos
            .iter()
            .enumerate()
            .map(|(i, u)| sign_input(self.key(), &mine, i, &witness, u.value))
            .collect())
    }

    /// Signs the forward attestation `f` for deposit transaction `tx`: `tx` must be the
    /// forward this signer builds for `plan` (witnesses aside), confirmed in its own
    /// chain (the deposit output script is watched), and `f` must name its txid (the
    /// registry's byte order: internal), output 0, the plan's Silica and last window,
    /// and the sats its index counts.
    ///
    /// # Errors
    /// [`Refusal::Forward`] naming the first mismatch.
    pub async fn sign_forward(
        &self,
        plan: &ForwardPlan,
        tx: &Transaction,
        f: &Forward,
    ) -> Result<RecoverableSignature, AttestError> {
        let (mine, utxos) = self.build_forward(plan).await?;
        if unsigned(tx) != mine {
            return Err(refuse(format!(
                "deposit transaction {} is not the forward this signer builds",
                tx.compute_txid()
            )));
        }
        let txid = tx.compute_txid();
        let sats: u64 = utxos.iter().map(|u| u.value.to_sat()).sum();
        let expected = Forward {
            silica_id: plan.terms.silica_id,
            window: plan.last.into(),
            sats: sats.into(),
            txid: txid.to_byte_array(),
            vout: 0,
        };
        if *f != expected {
            return Err(refuse(format!(
                "attestation {f:?} differs from this signer's {expected:?}"
            )));
        }
        let deposit_script = plan.deposit.output_script();
        let confirmed = self
            .store()
            .payments(&deposit_script, Height(0), Height(u32::MAX))
            .await
            .map_err(ObserveError::from)?
            .iter()
            .any(|p| p.payment.txid == txid && p.payment.vout == 0);
        if !confirmed {
            return Err(refuse(format!(
                "deposit {txid}:0 is not confirmed in this signer's chain"
            )));
        }
        Ok(self.key().sign(&f.id(&self.config().binding)))
    }

    fn payout_witness(
        &self,
        plan: &ForwardPlan,
        keys: &[CompressedKey],
        threshold: usize,
    ) -> Result<ScriptBuf, AttestError> {
        let witness = payout_witness_script(
            &self.config().binding,
            plan.terms.silica_id,
            keys,
            threshold,
        )
        .map_err(|e| refuse(format!("no payout script for this signer set: {e}")))?;
        let script = ScriptBuf::from_bytes(witness);
        if ScriptBuf::new_p2wsh(&script.wscript_hash()) != plan.terms.payout_script {
            return Err(refuse(
                "the signer set does not control this Silica's payout script".to_owned(),
            ));
        }
        Ok(script)
    }
}

/// `tx` without witnesses: what the signers compare (a witness does not change the
/// txid, and the proposal may carry some).
fn unsigned(tx: &Transaction) -> Transaction {
    let mut bare = tx.clone();
    for input in &mut bare.input {
        input.witness = Witness::new();
    }
    bare
}

#[cfg(test)]
mod tests;
