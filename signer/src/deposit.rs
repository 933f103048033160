//! sBTC peg-in on the devnet: BTC paid to a signer-controlled deposit script that
//! commits to the recipient becomes sBTC once M signers attest the output.
//!
//! The deposit script uses the payout-script template of `docs/attestation.md` with a
//! different commitment:
//! `sha256(to-consensus-buff? {domain: "alkahest-sbtc-deposit-script-v2", chain-id, registry, recipient})`,
//! so each recipient of each deployment has its own address and a signer can tell from
//! the chain alone whom a deposit is for. The signer derives the script itself from the
//! deposit's recipient and the signer set; it never takes a script from a request. Before signing, a signer finds the output in its own index:
//! the coinbase txid and vout, the amount, and the recipient's script must all match,
//! and the block must be buried under `confirmations` blocks.

use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::Height;
use alkahest_protocol::key::RecoverableSignature;
use alkahest_protocol::message::{Binding, Deposit};
use alkahest_protocol::principal::Principal;
use alkahest_protocol::script::{committed_multisig_witness, p2wsh, ScriptError};
use alkahest_protocol::{consensus, sha256, CompressedKey};
use bitcoin::ScriptBuf;

use crate::attest::{AttestError, Refusal, Signer};
use crate::observer::ObserveError;

/// Domain of the deposit-script commitment.
pub const DOMAIN_DEPOSIT_SCRIPT: &str = "alkahest-sbtc-deposit-script-v2";

/// The P2WSH deposit scriptPubKey for `recipient` under the set `keys`/`threshold`.
///
/// # Errors
/// [`ScriptError`] for an invalid set.
pub fn deposit_script(
    binding: &Binding,
    recipient: &Principal,
    keys: &[CompressedKey],
    threshold: usize,
) -> Result<ScriptBuf, ScriptError> {
    let commitment = sha256(&consensus::tuple(&[
        ("domain", consensus::ascii(DOMAIN_DEPOSIT_SCRIPT)),
        ("chain-id", consensus::uint(binding.chain_id)),
        ("registry", consensus::principal(&binding.registry)),
        ("recipient", consensus::principal(recipient)),
    ]));
    let witness = committed_multisig_witness(&commitment, keys, threshold)?;
    Ok(ScriptBuf::from_bytes(p2wsh(&witness)))
}

impl<D: DbRead> Signer<D> {
    /// Checks a deposit attestation against this signer's index and signs it. The
    /// deposit script is derived here from `deposit.recipient` and the signer set
    /// (`keys`, `threshold`, as the registry holds it), so an output paying any other
    /// script, e.g. another recipient's, is never signed for this recipient; the burn
    /// pin must be this signer's own block.
    ///
    /// # Errors
    /// [`AttestError::Refused`] with [`Refusal::Deposit`] naming what did not match.
    pub async fn sign_deposit(
        &self,
        deposit: &Deposit,
        keys: &[CompressedKey],
        threshold: usize,
    ) -> Result<RecoverableSignature, AttestError> {
        let refuse = |why: String| AttestError::Refused(Refusal::Deposit(why));
        let script = deposit_script(&self.config().binding, &deposit.recipient, keys, threshold)
            .map_err(|e| refuse(format!("no deposit script for this signer set: {e}")))?;
        let script = &script;
        let vout = u32::try_from(deposit.vout).map_err(|_| refuse("vout out of range".into()))?;
        let tip = self
            .store()
            .tip()
            .await
            .map_err(ObserveError::from)?
            .map(|(h, _)| h.0)
            .unwrap_or(0);
        let outputs = self
            .store()
            .outputs_by_script(script, Height(0), Height(tip))
            .await
            .map_err(ObserveError::from)?;
        for out in outputs.iter().filter(|o| o.vout == vout) {
            let block = self
                .store()
                .block(out.height)
                .await
                .map_err(ObserveError::from)?;
            let Some(block) = block else { continue };
            if block.coinbase_txid.as_ref() as &[u8] != deposit.txid {
                continue;
            }
            if u128::from(out.value.to_sat()) != deposit.amount {
                return Err(refuse(format!(
                    "output pays {} sats, deposit claims {}",
                    out.value.to_sat(),
                    deposit.amount
                )));
            }
            let final_at = u64::from(out.height.0) + u64::from(self.config().confirmations);
            if u64::from(tip) < final_at {
                return Err(refuse(format!(
                    "deposit block {} is final at {final_at}, local tip {tip}",
                    out.height
                )));
            }
            self.check_burn_pin(deposit.burn_height, &deposit.burn_hash, tip)
                .await?;
            if deposit.burn_height < u128::from(final_at) {
                return Err(refuse(format!(
                    "burn height {} is before the deposit is final at {final_at}",
                    deposit.burn_height
                )));
            }
            return Ok(self.key().sign(&deposit.id(&self.config().binding)));
        }
        Err(refuse(format!(
            "no output {}:{} paying the recipient's deposit script in this index",
            hex::encode(deposit.txid),
            deposit.vout
        )))
    }
}
