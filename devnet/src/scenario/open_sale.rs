//! `silica-open`: the devnet in the state a real Stacks client needs to trade on it.
//! After `silica-demo`'s set-up and peg-ins (the miner, wallet_1 and wallet_2 hold
//! 1,000,000 sats of sBTC each), the miner lists Silica #1 with a sale window of
//! [`OPEN_SALE_BLOCKS`] (so buys stay possible for a long while even with fast
//! blocks) and seeds the 50/50 wSTX/sBTC AMM pool 3 with [`POOL_LIQUIDITY`]; then the
//! devnet logs one `[ready]` line and only mines. Nobody buys and nobody swaps: that
//! is left to clients of the Stacks RPC (`clarinet-tests/tests/devnet-rpc.test.js`).
//! Every step reads chain state first, so a restart carries on.

use alkahest_clarity::values::{principal, uint, ValueExt};

use super::expect_ok;
use crate::figures::thousands;
use crate::lending::{amm_balances, stx, AMM_ID, STX};
use crate::Devnet;

/// Blocks between listing and start: the sale stays open this long.
pub const OPEN_SALE_BLOCKS: u128 = 1_000;
/// What the miner seeds pool 3 with: 10,000 STX (micro-STX) and 200,000 sats.
pub const POOL_LIQUIDITY: (u128, u128) = (10_000 * STX, 200_000);

impl Devnet {
    /// One step of `silica-open` after the peg-ins, at Bitcoin height `height`.
    pub(super) async fn open_sale(&mut self, height: u32) -> anyhow::Result<()> {
        if !self.progress.deposits_done {
            return Ok(());
        }
        // Lists Silica #1 once, with the long sale window; never buys in this scenario.
        self.list_and_buy(height).await?;
        if amm_balances(&self.stacks).0 == 0 {
            let burn = u128::from(self.stacks.burn_height());
            let args = vec![
                uint(AMM_ID),
                principal(&self.stacks.contract("amm-wstx")),
                principal(&self.stacks.contract("sbtc-token")),
                uint(POOL_LIQUIDITY.0),
                uint(POOL_LIQUIDITY.1),
                uint(0),
                uint(burn + 10),
            ];
            let miner = self.actors.miner.clone();
            let r = self
                .stacks
                .submit(height, &miner, "amm-pool", "add-liquidity", args)
                .await?;
            expect_ok(&r, "amm-pool add-liquidity")?;
        }
        if !self.progress.done {
            self.progress.done = true;
            let start = self
                .silica(1)
                .map(|s| s.field("start").to_uint())
                .unwrap_or_default();
            let (x, y) = amm_balances(&self.stacks);
            self.log.line(format!(
                "[ready] silica #1 OPEN for buys until burn height {start}; AMM pool {AMM_ID} \
                 (wSTX/sBTC 50/50) holds {} STX + {} sats",
                stx(x),
                thousands(y)
            ));
        }
        Ok(())
    }
}
