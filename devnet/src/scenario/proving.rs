//! `--delivery proofs`: nobody signs a window. Once a window of Silica #1 is final, the
//! miner (anyone could) submits each of its Bitcoin blocks to `silica-proof`
//! (`prove-block`: the header and the coinbase with its Merkle branch), then every
//! other transaction of those blocks that pays the payout script (`prove-payment`), then
//! `prove-window`, which computes the index on chain and records the window as an
//! attestation would. The proofs are built from the devnet's own regtest blocks by
//! `alkahest_protocol::spv`, the same bytes the contracts check against the burn chain.

use alkahest_clarity::values::{buff, list, principal, uint, ValueExt};
use alkahest_clarity::Value;
use alkahest_protocol::spv::{BlockProof, ProofError};
use anyhow::anyhow;
use bitcoin::Block;

use super::expect_ok;
use crate::Devnet;

const PROVER: &str = "silica-proof";

fn branch(hashes: &[[u8; 32]]) -> Value {
    list(hashes.iter().map(|h| buff(h)).collect())
}

impl Devnet {
    /// Proves Silica #1's next window once it is final (the same moment the signers
    /// would attest it).
    pub(super) async fn prove(&mut self, height: u32) -> anyhow::Result<()> {
        let Some(s) = self.silica(1) else {
            return Ok(());
        };
        let status = s.field("status").to_uint();
        if !(status == 1 || (status == 0 && s.field("sold").to_uint() > 0)) {
            return Ok(());
        }
        let terms = self
            .terms(1)
            .ok_or_else(|| anyhow!("silica 1 terms unreadable"))?;
        let window = u32::try_from(s.field("next-window").to_uint())?;
        let Some((first, last)) = terms.heights(window) else {
            return Ok(());
        };
        if height < last.0 + self.config.confirmations + 1 {
            return Ok(());
        }
        let script = terms.payout_script.as_bytes().to_vec();
        let mut payments = 0;
        for h in first.0..=last.0 {
            let block = self
                .btc
                .block_at(h)
                .ok_or_else(|| anyhow!("no block at height {h}"))?;
            self.prove_block(height, window, h, &block).await?;
            for (index, tx) in block.txdata.iter().enumerate().skip(1) {
                if tx
                    .output
                    .iter()
                    .any(|o| o.script_pubkey.as_bytes() == script)
                {
                    self.prove_payment(height, window, h, &block, tx.compute_txid())
                        .await?;
                    payments += 1;
                    tracing::debug!(height = h, index, "payment proven");
                }
            }
        }
        let args = vec![
            principal(&self.stacks.contract("sbtc-token")),
            uint(1),
            uint(window.into()),
        ];
        let r = self
            .stacks
            .submit(height, &self.actors.miner, PROVER, "prove-window", args)
            .await?;
        expect_ok(&r, "prove-window")?;
        let by = format!(
            "proven by the miner from its {} blocks and {payments} other payment(s)",
            terms.window_length
        );
        self.log_window(&terms, window, &by)
    }

    /// `prove-block` for block `h` of `window`, unless it was proven before (a restart).
    async fn prove_block(
        &self,
        height: u32,
        window: u32,
        h: u32,
        block: &Block,
    ) -> anyhow::Result<()> {
        let p = BlockProof::coinbase(block).map_err(|e: ProofError| anyhow!("block {h}: {e}"))?;
        let args = vec![
            uint(1),
            uint(window.into()),
            uint(h.into()),
            buff(&p.header),
            buff(&p.coinbase),
            branch(&p.coinbase_branch),
        ];
        let seen = ("get-block", vec![uint(1), uint(h.into())]);
        self.submit_once(height, seen, "prove-block", args).await
    }

    /// `prove-payment` for transaction `txid` of block `h`, unless proven before.
    async fn prove_payment(
        &self,
        height: u32,
        window: u32,
        h: u32,
        block: &Block,
        txid: bitcoin::Txid,
    ) -> anyhow::Result<()> {
        let p = BlockProof::build(block, txid)?;
        let args = vec![
            uint(1),
            uint(window.into()),
            uint(h.into()),
            buff(&p.header),
            buff(&p.tx),
            uint(p.index as u128),
            branch(&p.branch),
        ];
        let seen = ("get-payment", vec![uint(1), buff(&p.txid)]);
        self.submit_once(height, seen, "prove-payment", args).await
    }

    /// Submits `function` as the miner unless the read-only `seen` already finds what it
    /// proves (a restart), and requires `(ok …)`.
    async fn submit_once(
        &self,
        height: u32,
        (view, key): (&str, Vec<Value>),
        function: &str,
        args: Vec<Value>,
    ) -> anyhow::Result<()> {
        if self.stacks.read(PROVER, view, &key).to_optional().is_some() {
            return Ok(());
        }
        let r = self
            .stacks
            .submit(height, &self.actors.miner, PROVER, function, args)
            .await?;
        expect_ok(&r, function)?;
        Ok(())
    }
}
