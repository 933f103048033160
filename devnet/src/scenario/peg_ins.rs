//! User peg-ins through sBTC deposits, the format real sBTC takes (issue 16): in block 1
//! each scenario user's wallet pays an sBTC deposit (recipient: the user, the stand-in
//! sBTC signers' key, reclaimable by the user's own key after [`RECLAIM_LOCK`] blocks)
//! in one ordinary transaction; the deposits are registered with the in-process Emily
//! every block until minted; the stand-in sBTC signers sweep each and mint through
//! `sbtc-deposit` (scenario/settling.rs). Each user deposits their amount plus the
//! deposit's share of the sweep fee, so they own exactly the scenario's amount of sBTC
//! (the share is computed by the sweep itself, run dry on the deposit).

use alkahest_clarity::values::{buff, uint, ValueExt};
use alkahest_indexer::source::regtest::payment_tx;
use alkahest_protocol::key::SignerKey;
use alkahest_protocol::principal::Principal;
use alkahest_protocol::sbtc::{multisig_reclaim_tail, DepositScripts};
use alkahest_signer::forward::x_only;
use anyhow::anyhow;
use bitcoin::consensus::encode::serialize_hex;
use bitcoin::hashes::Hash as _;
use bitcoin::{Amount, OutPoint, Transaction, TxOut};

use super::settling::{MAX_FEE, RECLAIM_LOCK, SWEEP_FEE_RATE};
use crate::config::Scenario;
use crate::emily::CreateDeposit;
use crate::figures::thousands;
use crate::sbtc_signers::Candidate;
use crate::Devnet;

/// One user's peg-in.
pub(crate) struct UserDeposit {
    /// Who, for the log.
    pub label: String,
    /// The Stacks principal that receives the sBTC.
    pub principal: String,
    /// The sBTC they end with.
    pub amount: u64,
    /// Their key (the reclaim leaf's).
    key: SignerKey,
}

impl Devnet {
    /// The scenario's users who peg in at block 1.
    pub(crate) fn user_deposits(&self) -> anyhow::Result<Vec<UserDeposit>> {
        match self.config.scenario {
            Scenario::SilicaDemo | Scenario::SilicaDefault | Scenario::SilicaOpen => {
                let keys = [
                    &self.actors.miner,
                    &self.actors.buyers[0],
                    &self.actors.buyers[1],
                ];
                Ok(self
                    .actors
                    .named()
                    .into_iter()
                    .zip(keys)
                    .map(|((label, principal), key)| UserDeposit {
                        label: label.to_string(),
                        principal,
                        amount: super::DEPOSIT,
                        key: key.clone(),
                    })
                    .collect())
            }
            Scenario::LendingDemo => crate::lending::DEPOSITS
                .iter()
                .map(|(name, amount)| {
                    let (key, principal) = crate::lending::account(name)?;
                    Ok(UserDeposit {
                        label: (*name).to_string(),
                        principal,
                        amount: u64::try_from(*amount)?,
                        key,
                    })
                })
                .collect(),
            Scenario::GovernanceDemo | Scenario::Idle => Ok(Vec::new()),
        }
    }

    /// The leaves of `u`'s deposit.
    fn user_deposit_scripts(&self, u: &UserDeposit) -> anyhow::Result<DepositScripts> {
        let tail = multisig_reclaim_tail(&[x_only(&u.key.public_key())], 1)?;
        Ok(DepositScripts::new(
            &Principal::parse(&u.principal)?,
            MAX_FEE,
            &self.sbtc.aggregate_key(),
            RECLAIM_LOCK,
            &tail,
        )?)
    }

    /// What sweeping this deposit alone will take from it (a dry run of the sweep).
    fn sweep_share(&self, scripts: &DepositScripts, amount: u64) -> anyhow::Result<u64> {
        let dry = Candidate {
            outpoint: OutPoint::null(),
            amount,
            scripts: scripts.clone(),
            max_fee: MAX_FEE,
            recipient: Vec::new(),
        };
        Ok(self.sbtc.sweep(&[dry], SWEEP_FEE_RATE)?.shares[0].0)
    }

    /// Block 1's transaction from the users' wallets: one deposit output per user, in
    /// [`Devnet::user_deposits`] order, each its amount plus its sweep fee share.
    /// `None` when the scenario has no peg-ins.
    pub(crate) fn peg_in_funding(&self) -> anyhow::Result<Option<Transaction>> {
        let users = self.user_deposits()?;
        if users.is_empty() {
            return Ok(None);
        }
        let mut outputs = Vec::with_capacity(users.len());
        for u in &users {
            let scripts = self.user_deposit_scripts(u)?;
            let share = self.sweep_share(&scripts, u.amount)?;
            outputs.push(TxOut {
                value: Amount::from_sat(u.amount + share),
                script_pubkey: scripts.output_script(),
            });
        }
        Ok(Some(payment_tx(b"devnet users peg in", outputs)))
    }

    /// Tells Emily about every user deposit (each block until all are minted; Emily
    /// answers a repeat with the registration it has).
    pub(crate) fn register_peg_ins(&self) -> anyhow::Result<()> {
        if self.book.peg_ins_done() || self.btc.tip().0 .0 < 1 {
            return Ok(());
        }
        let Some(tx) = self.peg_in_funding()? else {
            return Ok(());
        };
        for (vout, u) in self.user_deposits()?.iter().enumerate() {
            let scripts = self.user_deposit_scripts(u)?;
            self.emily
                .register(&CreateDeposit {
                    bitcoin_txid: tx.compute_txid().to_string(),
                    bitcoin_tx_output_index: u32::try_from(vout)?,
                    reclaim_script: hex::encode(scripts.reclaim.as_bytes()),
                    deposit_script: hex::encode(scripts.deposit.as_bytes()),
                    transaction_hex: serialize_hex(&tx),
                })
                .map_err(|e| anyhow!("Emily refused {}'s peg-in: {e}", u.label))?;
        }
        Ok(())
    }

    /// Whether every user's deposit is minted; logs each peg-in once, the first time.
    pub(crate) fn peg_ins_minted(&mut self) -> anyhow::Result<bool> {
        if self.book.peg_ins_done() {
            return Ok(true);
        }
        let Some(tx) = self.peg_in_funding()? else {
            return Ok(true);
        };
        let txid = tx.compute_txid();
        let users = self.user_deposits()?;
        let mut minted = Vec::with_capacity(users.len());
        for vout in 0..users.len() {
            let done = self
                .stacks
                .read(
                    "sbtc-registry",
                    "get-completed-deposit",
                    &[buff(&txid.to_byte_array()), uint(vout as u128)],
                )
                .to_optional();
            let Some(done) = done else {
                return Ok(false);
            };
            minted.push(done.field("amount").to_uint());
        }
        for ((vout, u), amount) in users.iter().enumerate().zip(minted) {
            let paid = tx.output[vout].value.to_sat();
            self.log.line(format!(
                "[peg-in] {label} deposited {} sats to sBTC ({txid}:{vout}, swept by the sBTC signers) → {} sBTC minted to {label} ({} sats of sweep fee)",
                thousands(paid.into()),
                thousands(amount),
                thousands(u128::from(paid) - amount),
                label = u.label,
            ));
        }
        self.book.set_peg_ins_done()?;
        Ok(true)
    }
}
