//! What the signers do on Stacks in `silica-demo`: a quorum signs each final window,
//! and the round's coordinator submits `attest-window` through the devnet's Stacks RPC
//! over HTTP ([`crate::signers::Signers::submit`]), as a production signer would.

use alkahest_clarity::values::{buff, list, none, principal, uint, ValueExt};
use alkahest_clarity::{Receipt, Value};
use alkahest_signer::key::SignerKey;
use alkahest_signer::observer::WindowTerms;
use alkahest_signer::stacks::tx::{self, Network};
use anyhow::anyhow;

use super::{expect_ok, index_sats};
use crate::figures::thousands;
use crate::Devnet;

/// µSTX the deployer sends each signer at set-up: the Stacks RPC, like a stacks-node,
/// refuses a transaction whose payer cannot cover its fee (1,000 STX).
pub const SIGNER_FEE_FUND: u128 = 1_000 * crate::lending::STX;

impl Devnet {
    /// The deployer funds every signer's Stacks address (a signed `amm-wstx` transfer,
    /// native STX), so their transactions can pay fees.
    pub(super) async fn fund_signers(&self, height: u32) -> anyhow::Result<()> {
        for node in &self.signers.nodes {
            let to = tx::address_of(node.signer.key(), Network::Testnet).to_string();
            self.fund_stx(height, &to).await?;
        }
        Ok(())
    }

    /// The deployer sends `to` [`SIGNER_FEE_FUND`] µSTX for its transaction fees.
    pub(super) async fn fund_stx(&self, height: u32, to: &str) -> anyhow::Result<()> {
        let deployer = self.stacks.deployer().to_string();
        let args = vec![
            uint(SIGNER_FEE_FUND),
            principal(&deployer),
            principal(to),
            none(),
        ];
        let r = self
            .stacks
            .submit(height, &self.actors.deployer, "amm-wstx", "transfer", args)
            .await?;
        expect_ok(&r, "amm-wstx transfer for fees")?;
        Ok(())
    }

    /// Submits a call signed by the signer holding `key` through the Stacks RPC (see
    /// [`crate::signers::Signers::submit`]) and returns its receipt.
    pub(super) async fn signer_tx(
        &self,
        key: &SignerKey,
        contract: &str,
        function: &str,
        args: Vec<Value>,
    ) -> anyhow::Result<Receipt> {
        let call = self.stacks.call(contract, function, args);
        let txid = self.signers.submit(key, &call).await?;
        self.stacks
            .receipt(&txid)
            .ok_or_else(|| anyhow!("no receipt for {function} {txid}"))
    }

    pub(super) async fn attest(&mut self, height: u32) -> anyhow::Result<()> {
        if self.config.processes {
            return self.observe_attested(height).await;
        }
        let Some(s) = self.silica(1) else {
            return Ok(());
        };
        let status = s.field("status").to_uint();
        let sold = s.field("sold").to_uint();
        if !(status == 1 || (status == 0 && sold > 0)) {
            return Ok(());
        }
        let terms = self
            .terms(1)
            .ok_or_else(|| anyhow!("silica 1 terms unreadable"))?;
        self.signers.terms.insert(terms.clone());
        let window = u32::try_from(s.field("next-window").to_uint())?;
        let Some((_, last)) = terms.heights(window) else {
            return Ok(());
        };
        // Final at last + confirmations; pinned one below the tip, so one block later.
        if height < last.0 + self.config.confirmations + 1 {
            return Ok(());
        }
        // Pin the newest block the contracts can see: the one below the burn tip.
        let burn_height = self.stacks.burn_height().saturating_sub(1);
        let burn_hash = self
            .stacks
            .burn_hash(burn_height)
            .ok_or_else(|| anyhow!("no burn hash at {burn_height}"))?;
        let tip = self.btc.tip().1;
        let (coordinator, proposal, sigs) = self
            .signers
            .attest(&tip, &terms, window, (burn_height.into(), burn_hash))
            .await?;
        let args = vec![
            principal(&self.stacks.contract("sbtc-token")),
            uint(1),
            uint(proposal.window),
            uint(proposal.delivered),
            uint(proposal.index),
            uint(proposal.burn_height),
            buff(&proposal.burn_hash),
            list(sigs.iter().map(|s| buff(&s.0)).collect()),
        ];
        let key = self.signers.nodes[coordinator].signer.key().clone();
        let r = self
            .signer_tx(&key, "silica", "attest-window", args)
            .await?;
        expect_ok(&r, "attest-window")?;
        let by = format!("signed 2-of-3 (coordinator signer {coordinator})");
        self.log_window(&terms, window, &by)
    }

    /// `--processes`: the signer processes attest; the devnet logs each window they
    /// have recorded since it last looked (the same line as in process).
    pub(super) async fn observe_attested(&mut self, height: u32) -> anyhow::Result<()> {
        let Some(s) = self.silica(1) else {
            return Ok(());
        };
        let next = u32::try_from(s.field("next-window").to_uint())?;
        let terms = self
            .terms(1)
            .ok_or_else(|| anyhow!("silica 1 terms unreadable"))?;
        let logged = match self.progress.windows_logged {
            Some(n) => n,
            None => {
                // The first look since this start: what a previous run saw is not news.
                if next > 0 {
                    self.log.line(format!(
                        "[attest] silica #1: {next} window(s) were attested before this start"
                    ));
                }
                next
            }
        };
        for window in logged..next {
            let by = format!("attested 2-of-3 by the signer processes (seen at btc {height})");
            self.log_window(&terms, window, &by)?;
        }
        self.progress.windows_logged = Some(next);
        Ok(())
    }

    /// Logs window `window` as recorded by `silica`, attested `by` whom.
    pub(super) fn log_window(
        &self,
        terms: &WindowTerms,
        window: u32,
        by: &str,
    ) -> anyhow::Result<()> {
        let w = self
            .stacks
            .read("silica", "get-window", &[uint(1), uint(window.into())])
            .to_optional()
            .ok_or_else(|| anyhow!("window {window} not recorded"))?;
        let last_window = self
            .silica(1)
            .map(|s| s.field("next-window").to_uint())
            .unwrap_or_default()
            == u128::from(window) + 1;
        let after = self.silica_status(1).unwrap_or_default();
        let (first, last) = terms
            .heights(window)
            .map_or((0, 0), |(first, last)| (first.0, last.0));
        self.log.line(format!(
            "[attest] window {window} (btc {}..={}) {by}: delivered {} sats, \
             index {} sats/TH/s·day, due {} sats → {}",
            first,
            last,
            thousands(w.field("delivered").to_uint()),
            index_sats(w.field("index").to_uint()),
            thousands(w.field("due").to_uint()),
            match after {
                _ if !last_window => "recorded".to_string(),
                1 => "payment released to the miner".to_string(),
                2 => "FINISHED".to_string(),
                3 => "DEFAULTED".to_string(),
                other => format!("status {other}"),
            }
        ));
        Ok(())
    }
}
