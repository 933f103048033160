//! sBTC peg-in on the devnet: BTC paid to a signer-controlled deposit script that
//! commits to the recipient becomes sBTC once M signers attest the output.
//!
//! The deposit script uses the payout-script template of `docs/attestation.md` with a
//! different commitment:
//! `sha256(to-consensus-buff? {domain: "alkahest-sbtc-deposit-script-v1", chain-id, recipient})`,
//! so each recipient has its own address and a signer can tell from the chain alone
//! whom a deposit is for. Before signing, a signer finds the output in its own index:
//! the coinbase txid and vout, the amount, and the recipient's script must all match,
//! and the block must be buried under `confirmations` blocks.

use alkahest_clarity::attestation::{
    committed_multisig_witness, consensus, p2wsh, sha256, CompressedKey, Deposit,
    PayoutScriptError, RecoverableSignature,
};
use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::Height;
use bitcoin::ScriptBuf;
use clarity::vm::types::PrincipalData;

use crate::attest::{AttestError, Refusal, Signer};
use crate::observer::ObserveError;

/// Domain of the deposit-script commitment.
pub const DOMAIN_DEPOSIT_SCRIPT: &str = "alkahest-sbtc-deposit-script-v1";

/// The P2WSH deposit scriptPubKey for `recipient` under the set `keys`/`threshold`.
///
/// # Errors
/// [`PayoutScriptError`] for an invalid set.
pub fn deposit_script(
    chain_id: u128,
    recipient: &PrincipalData,
    keys: &[CompressedKey],
    threshold: usize,
) -> Result<ScriptBuf, PayoutScriptError> {
    let commitment = sha256(&consensus::tuple(&[
        ("domain", consensus::ascii(DOMAIN_DEPOSIT_SCRIPT)),
        ("chain-id", consensus::uint(chain_id)),
        ("recipient", consensus::principal(recipient)),
    ]));
    let witness = committed_multisig_witness(&commitment, keys, threshold)?;
    Ok(ScriptBuf::from_bytes(p2wsh(&witness)))
}

impl<D: DbRead> Signer<D> {
    /// Checks a deposit attestation against this signer's index and signs it.
    ///
    /// # Errors
    /// [`AttestError::Refused`] with [`Refusal::Deposit`] naming what did not match.
    pub async fn sign_deposit(
        &self,
        deposit: &Deposit,
        script: &ScriptBuf,
    ) -> Result<RecoverableSignature, AttestError> {
        let refuse = |why: String| AttestError::Refused(Refusal::Deposit(why));
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
            return Ok(self.key().sign_digest(&deposit.id(self.config().chain_id)));
        }
        Err(refuse(format!(
            "no output {}:{} paying the recipient's deposit script in this index",
            hex::encode(deposit.txid),
            deposit.vout
        )))
    }
}
