//! `lending-demo`: fixed-rate sBTC lending against STX to the devnet's expiry (burn
//! height [`EXPIRY`]), end to end, and the API's view of it ([`SimnetLending`]).
//!
//! One step per Bitcoin block, each read back from chain state so a restart carries on:
//!
//! 1. block 1's coinbase pays [`DEPOSITS`] to the deposit scripts of the liquidity
//!    provider, the lender and the borrower; once final, the signers mint the sBTC
//!    (peg-ins, 2-of-3);
//! 2. the LP seeds the wSTX/sBTC AMM pool 3 ([`AMM_LIQUIDITY`]), then
//! 3. the yield-token pool of the expiry ([`YTP_LIQUIDITY`], sBTC only);
//! 4. the keeper's first small swap sets the AMM's EMA price (the CRP prices at the
//!    EMA only). From here the keeper swaps [`EMA_SWAP`] every block, so the EMA stays
//!    fresh and follows the AMM;
//! 5. the borrower `borrow`s against [`COLLATERAL`] (the CRP's capacity rule allows a
//!    pool value of at most 1% of the AMM's sBTC, 0.2 BTC here): the CRP mints yield
//!    and key tokens at its LTV, sells the collateral above its target weight at once,
//!    sells the yield tokens in the YTP and pays the borrower sBTC;
//! 6. the lender buys yield tokens with [`LEND`] sats (`swap-x-for-y`): a fixed rate to
//!    the expiry. From the block after the borrow the keeper calls `rebalance` every
//!    block before the expiry (logging the trade, or why there was none, the LTV and
//!    the target weight);
//! 7. from burn height [`DROP_FROM`] a trader sells STX into the AMM until its price is
//!    20% down ([`DROP_TO`]), at most [`TRADE_CAP_PCT`]% of the pool per block; the
//!    keeper keeps rebalancing while the EMA follows;
//! 8. at the expiry the keeper calls `settle` every block until the pool has sold its
//!    collateral and settled (amm-pool's err u908 while the EMA still lags the price is
//!    retried next block);
//! 9. the lender redeems its yield tokens (1 sat each: face value), then the borrower
//!    its key tokens (the rest), and the final figures are logged with `[done]`.

use crate::figures::thousands;
use std::sync::OnceLock;

use alkahest_api::routes::lending::{
    CrpPoolView, CrpSettlementView, CrpStateView, LendingPoolView, LendingSource, YtpPoolView,
};
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::{Manifest, Outcome, Receipt, Simnet, Value};
use alkahest_signer::key::SignerKey;
use alkahest_signer::stacks::simnet::SimnetClient;
use anyhow::{anyhow, bail};

use crate::stacks::Stacks;
use crate::Devnet;

/// The devnet's lending expiry (`deployments/bootstrap.toml` opens a YTP and a CRP
/// pool for it).
pub const EXPIRY: u128 = 100;
/// amm-pool's wSTX/sBTC pool, the CRP's price and market.
pub const AMM_ID: u128 = 3;
/// Sats per BTC (sBTC has 8 decimals).
pub const BTC: u128 = 100_000_000;
/// Micro-STX per STX.
pub const STX: u128 = 1_000_000;
/// 8-decimal fixed point one.
pub const ONE_8: u128 = 100_000_000;
/// The liquidity provider of the AMM pool and the YTP.
pub const LP: &str = "wallet_4";
/// The lender (buys yield tokens).
pub const LENDER: &str = "wallet_5";
/// The borrower (posts STX, receives sBTC, keeps the key tokens).
pub const BORROWER: &str = "wallet_6";
/// The keeper: the EMA swap every block, `rebalance` and `settle`.
pub const KEEPER: &str = "wallet_7";
/// The trader who drives the STX price down.
pub const TRADER: &str = "wallet_8";
/// Sats paid in block 1's coinbase to each account's deposit script, minted as sBTC.
pub const DEPOSITS: [(&str, u128); 3] = [(LP, 25 * BTC), (LENDER, BTC), (BORROWER, BTC / 10)];
/// What the LP deposits in the AMM pool: micro-STX and sats (2,000 sats per STX).
pub const AMM_LIQUIDITY: (u128, u128) = (1_000_000 * STX, 20 * BTC);
/// The AMM's opening price, sats per micro-STX with 8 decimals.
pub const OPEN_PRICE: u128 = AMM_LIQUIDITY.1 * ONE_8 / AMM_LIQUIDITY.0;
/// Sats the LP deposits in the YTP.
pub const YTP_LIQUIDITY: u128 = 5 * BTC;
/// Micro-STX the keeper sells each block so the EMA is updated (it moves only on a
/// block's first swap).
pub const EMA_SWAP: u128 = STX;
/// Micro-STX the borrower posts: 0.16 BTC at the opening price, within the CRP's
/// capacity (1% of the AMM's 20 BTC).
pub const COLLATERAL: u128 = 8_000 * STX;
/// Sats the lender lends (buys yield tokens with).
pub const LEND: u128 = BTC / 20;
/// Burn height from which the trader drives the price down.
pub const DROP_FROM: u128 = 20;
/// The AMM price the trader drives to: 20% below the opening price.
pub const DROP_TO: u128 = OPEN_PRICE * 80 / 100;
/// The trader's largest sale per block, in percent of the pool's STX (amm-pool's
/// max-in is 5%).
pub const TRADE_CAP_PCT: u128 = 4;
/// How close to [`DROP_TO`] the trader stops, in thousandths.
const DROP_TOLERANCE: u128 = 2;
/// amm-pool: the output is below the caller's minimum (the CRP's EMA-based min-out).
pub const ERR_AMM_SLIPPAGE: u128 = 908;
/// crp: inside the band, nothing to trade.
pub const ERR_NOTHING_TO_DO: u128 = 1914;

/// The keys the scenario signs with, from `settings/Devnet.toml`.
struct Keys {
    accounts: Vec<(&'static str, SignerKey, String)>,
}

impl Keys {
    fn load() -> anyhow::Result<Keys> {
        let m = Manifest::workspace()?;
        let mut accounts = Vec::new();
        for name in [LP, LENDER, BORROWER, KEEPER, TRADER] {
            let a = m
                .accounts
                .get(name)
                .ok_or_else(|| anyhow!("no account {name} in settings/Devnet.toml"))?;
            accounts.push((
                name,
                SignerKey::from_hex(&a.secret_key, name)?,
                a.address.clone(),
            ));
        }
        Ok(Keys { accounts })
    }

    fn get(&self, name: &str) -> (&SignerKey, &str) {
        let (_, k, a) = self
            .accounts
            .iter()
            .find(|(n, _, _)| *n == name)
            .expect("every scenario account is loaded");
        (k, a)
    }
}

fn keys() -> anyhow::Result<&'static Keys> {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    if let Some(k) = KEYS.get() {
        return Ok(k);
    }
    let k = Keys::load()?;
    Ok(KEYS.get_or_init(|| k))
}

/// The key and address of a scenario account (its peg-in reclaims to that key).
///
/// # Errors
/// As [`address`].
pub(crate) fn account(name: &str) -> anyhow::Result<(SignerKey, String)> {
    keys()?
        .accounts
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, k, a)| (k.clone(), a.clone()))
        .ok_or_else(|| anyhow!("{name} is not a lending-demo account"))
}

/// The address of a scenario account (`wallet_4`, ...).
///
/// # Errors
/// A missing or malformed `settings/Devnet.toml`, or an account the scenario does not use.
pub fn address(name: &str) -> anyhow::Result<String> {
    keys()?
        .accounts
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, a)| a.clone())
        .ok_or_else(|| anyhow!("{name} is not a lending-demo account"))
}

/// Calls a read-only function and returns its `ok` value (or its bare value); `None`
/// when it returns `err` (no such pool, not settled, a stale price).
fn try_read(sim: &mut Simnet, contract: &str, function: &str, args: &[Value]) -> Option<Value> {
    let deployer = sim.deployer();
    match sim.call(contract, function, args, &deployer).outcome {
        Outcome::Ok(v) => Some(v),
        _ => None,
    }
}

fn maybe(stacks: &Stacks, contract: &str, function: &str, args: &[Value]) -> Option<Value> {
    let id = stacks.contract(contract);
    stacks
        .client()
        .with_sim(|s| try_read(s, &id, function, args))
}

/// `who`'s sBTC, in sats.
pub fn sbtc_of(stacks: &Stacks, who: &str) -> u128 {
    stacks
        .read("sbtc-token", "get-balance", &[principal(who)])
        .to_uint()
}

/// `who`'s yield tokens of [`EXPIRY`].
pub fn yield_of(stacks: &Stacks, who: &str) -> u128 {
    stacks
        .read(
            "yield-token",
            "get-balance",
            &[uint(EXPIRY), principal(who)],
        )
        .to_uint()
}

/// `who`'s key tokens of [`EXPIRY`].
pub fn keys_of(stacks: &Stacks, who: &str) -> u128 {
    stacks
        .read("key-token", "get-balance", &[uint(EXPIRY), principal(who)])
        .to_uint()
}

/// The CRP pool of [`EXPIRY`] as chain state holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrpPool {
    /// Micro-STX collateral.
    pub collateral: u128,
    /// Sats held.
    pub sbtc: u128,
    /// Yield tokens outstanding.
    pub yield_supply: u128,
    /// Key tokens outstanding.
    pub key_supply: u128,
    /// Converted to sBTC for good.
    pub converted: bool,
}

/// The CRP pool of [`EXPIRY`].
///
/// # Panics
/// If the deployment opened no pool for it.
pub fn crp_pool(stacks: &Stacks) -> CrpPool {
    let p = stacks.read("crp", "get-pool", &[uint(EXPIRY)]);
    CrpPool {
        collateral: p.field("collateral").to_uint(),
        sbtc: p.field("sbtc").to_uint(),
        yield_supply: p.field("yield-supply").to_uint(),
        key_supply: p.field("key-supply").to_uint(),
        converted: p.field("converted").to_bool(),
    }
}

/// The settlement fields, in `crp`'s names and order.
pub const SETTLEMENT_FIELDS: [&str; 11] = [
    "shortfall",
    "from-reserve",
    "alex-minted",
    "from-alex",
    "alex-excess",
    "yield-pool",
    "key-pool",
    "yield-at-settle",
    "key-at-settle",
    "yield-paid",
    "key-paid",
];

/// `crp get-settlement` of [`EXPIRY`] as `(field, value)` in [`SETTLEMENT_FIELDS`]
/// order; `None` until settled.
pub fn settlement(stacks: &Stacks) -> Option<Vec<(&'static str, u128)>> {
    let s = maybe(stacks, "crp", "get-settlement", &[uint(EXPIRY)])?;
    Some(
        SETTLEMENT_FIELDS
            .iter()
            .map(|f| (*f, s.field(f).to_uint()))
            .collect(),
    )
}

fn field_of(s: &[(&str, u128)], name: &str) -> u128 {
    s.iter()
        .find(|(f, _)| *f == name)
        .map(|(_, v)| *v)
        .expect("a settlement field")
}

/// The AMM pool's `(micro-STX, sats)`.
pub fn amm_balances(stacks: &Stacks) -> (u128, u128) {
    let p = stacks.read("amm-pool", "get-pool", &[uint(AMM_ID)]);
    (
        p.field("balance-x").to_uint(),
        p.field("balance-y").to_uint(),
    )
}

/// The AMM's instant price (sats per micro-STX, 8 decimals); 0 while empty.
fn instant(stacks: &Stacks) -> u128 {
    stacks
        .read("amm-pool", "get-oracle-instant", &[uint(AMM_ID)])
        .to_uint()
}

fn ema(stacks: &Stacks) -> u128 {
    stacks
        .read("amm-pool", "get-oracle-resilient", &[uint(AMM_ID)])
        .to_uint()
}

fn expect_ok(r: &Receipt, what: &str) -> anyhow::Result<Value> {
    match &r.outcome {
        Outcome::Ok(v) => Ok(v.clone()),
        _ => bail!("{what} failed:\n{r}"),
    }
}

/// The error code of an `(err uN)` receipt.
fn err_code(r: &Receipt) -> Option<u128> {
    match &r.outcome {
        Outcome::Err(Value::UInt(c)) => Some(*c),
        _ => None,
    }
}

/// Integer square root (floor).
fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let mut x = (n as f64).sqrt() as u128;
    while x * x > n {
        x -= 1;
    }
    while (x + 1) * (x + 1) <= n {
        x += 1;
    }
    x
}

/// Micro-STX the trader sells next into an AMM holding `(x, y)`: what takes the price
/// to [`DROP_TO`] on the constant product (plus the 0.15% of it booked to the reserve),
/// capped at [`TRADE_CAP_PCT`]% of `x`; 0 once within [`DROP_TOLERANCE`].
pub fn drop_sale(x: u128, y: u128) -> u128 {
    if x == 0 || y * ONE_8 / x * 1000 <= DROP_TO * (1000 + DROP_TOLERANCE) {
        return 0;
    }
    // y'/x' = DROP_TO with x' y' = x y.
    let target = isqrt(x * y / DROP_TO * ONE_8);
    let need = target.saturating_sub(x) * 10_000 / 9_985;
    need.clamp(1, x * TRADE_CAP_PCT / 100)
}

/// `1,234` STX, with the micro-STX when not whole.
pub fn stx(micro: u128) -> String {
    crate::figures::decimal(micro, 6)
}

/// A price in sats per micro-STX (8 decimals) as sats per STX: `2,000.00 sats/STX`.
pub fn per_stx(price: u128) -> String {
    format!("{}.{:02} sats/STX", thousands(price / 100), price % 100)
}

/// An 8-decimal fraction as a percentage with two decimals (truncated): `75.20%`.
pub fn pct(v: u128) -> String {
    format!("{}.{:02}%", v / 1_000_000, v % 1_000_000 / 10_000)
}

/// An 8-decimal rate as a percentage with six decimals: `0.005290%`.
pub fn rate(v: u128) -> String {
    format!("{}.{:06}%", v / 1_000_000, v % 1_000_000)
}

/// An 8-decimal signed value with its decimals: `-0.12345678`.
fn fixed(v: i128) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:08}", a / ONE_8, a % ONE_8)
}

impl Devnet {
    /// Block 1's peg-ins (scenario/peg_ins.rs) are minted: `true` while they are not, and
    /// in the block they are (logged then), so the pool is seeded from the next block.
    async fn lending_peg_in(&mut self) -> anyhow::Result<bool> {
        // Minted before this call (also before a restart): nothing to wait for.
        let before = self.book.peg_ins_done();
        self.progress.deposits_done = self.peg_ins_minted()?;
        Ok(!self.progress.deposits_done || !before)
    }

    async fn lend_tx(
        &self,
        height: u32,
        who: &str,
        contract: &str,
        function: &str,
        args: Vec<Value>,
    ) -> anyhow::Result<Receipt> {
        let (key, _) = keys()?.get(who);
        self.stacks
            .submit(height, key, contract, function, args)
            .await
    }

    /// An amm-pool swap of pool 3 by `who`: `dx` of STX for sBTC (or the reverse).
    async fn amm_swap(
        &self,
        height: u32,
        who: &str,
        stx_in: bool,
        dx: u128,
    ) -> anyhow::Result<Receipt> {
        let (wstx, sbtc) = (
            principal(&self.stacks.contract("amm-wstx")),
            principal(&self.stacks.contract("sbtc-token")),
        );
        let (token_in, token_out) = if stx_in { (wstx, sbtc) } else { (sbtc, wstx) };
        let burn = u128::from(self.stacks.burn_height());
        let args = vec![
            uint(AMM_ID),
            token_in,
            token_out,
            uint(dx),
            uint(0),
            uint(burn + 10),
        ];
        self.lend_tx(height, who, "amm-pool", "swap", args).await
    }

    /// `(ltv, weight)` of the CRP pool at the EMA, if priced.
    fn crp_ltv(&self) -> Option<(u128, u128)> {
        let s = maybe(&self.stacks, "crp", "get-state", &[uint(EXPIRY)])?;
        Some((s.field("ltv").to_uint(), s.field("weight").to_uint()))
    }

    fn ytp_yield(&self) -> (u128, i128) {
        let y = maybe(&self.stacks, "ytp", "get-yield", &[uint(EXPIRY)]).map_or(0, |v| v.to_uint());
        let ln =
            maybe(&self.stacks, "ytp", "get-ln-rate", &[uint(EXPIRY)]).map_or(0, |v| v.to_int());
        (y, ln)
    }

    /// One step of `lending-demo` after Bitcoin block `height` (see the module doc).
    pub(crate) async fn lending_demo(&mut self, height: u32) -> anyhow::Result<()> {
        let k = keys()?;
        let burn = u128::from(self.stacks.burn_height());
        if let Some(s) = settlement(&self.stacks) {
            return self.lending_redeem(height, &s).await;
        }

        // 1. Peg-ins, once block 1 is final.
        if height < 2 + self.config.confirmations {
            return Ok(());
        }
        if self.lending_peg_in().await? {
            return Ok(());
        }

        // 2. The AMM pool.
        let (x, _) = amm_balances(&self.stacks);
        if x == 0 {
            let args = vec![
                uint(AMM_ID),
                principal(&self.stacks.contract("amm-wstx")),
                principal(&self.stacks.contract("sbtc-token")),
                uint(AMM_LIQUIDITY.0),
                uint(AMM_LIQUIDITY.1),
                uint(0),
                uint(burn + 10),
            ];
            let r = self
                .lend_tx(height, LP, "amm-pool", "add-liquidity", args)
                .await?;
            let v = expect_ok(&r, "amm-pool add-liquidity")?;
            self.log.line(format!(
                "[lend] LP {LP} seeded AMM pool {AMM_ID} (wSTX/sBTC 50/50): {} STX + {} sats for {} LP; price {}",
                stx(AMM_LIQUIDITY.0),
                thousands(AMM_LIQUIDITY.1),
                thousands(v.field("lp").to_uint()),
                per_stx(instant(&self.stacks))
            ));
            return Ok(());
        }

        // 3. The YTP.
        let ytp = self.stacks.read("ytp", "get-pool", &[uint(EXPIRY)]);
        if ytp.field("supply").to_uint() == 0 {
            let args = vec![uint(EXPIRY), uint(YTP_LIQUIDITY), uint(0), uint(0)];
            let r = self
                .lend_tx(height, LP, "ytp", "add-liquidity", args)
                .await?;
            let v = expect_ok(&r, "ytp add-liquidity")?;
            let (y, _) = self.ytp_yield();
            self.log.line(format!(
                "[lend] LP {LP} seeded the YTP of expiry {EXPIRY} with {} sats (virtual yield tokens as many) for {} LP shares; yield {}",
                thousands(YTP_LIQUIDITY),
                thousands(v.field("lp").to_uint()),
                rate(y)
            ));
            return Ok(());
        }

        // 4. The keeper's swap: the first sets the EMA, every later one keeps it fresh.
        let first = self
            .stacks
            .read("amm-pool", "get-oracle-height", &[uint(AMM_ID)])
            .to_uint()
            == 0;
        let r = self.amm_swap(height, KEEPER, true, EMA_SWAP).await?;
        expect_ok(&r, "keeper's EMA swap")?;
        if first {
            self.log.line(format!(
                "[lend] keeper {KEEPER} swapped {} STX in pool {AMM_ID}: the first swap sets the EMA to {}",
                stx(EMA_SWAP),
                per_stx(ema(&self.stacks))
            ));
            return Ok(());
        }

        if burn >= EXPIRY {
            return self.lending_settle(height, burn).await;
        }

        // 5. The borrow.
        let pool = crp_pool(&self.stacks);
        if pool.key_supply == 0 {
            let price = self.stacks.read("crp", "get-price", &[]).to_uint();
            let (ltv, _) = self.crp_ltv().ok_or_else(|| anyhow!("crp has no price"))?;
            let minted = COLLATERAL * price / ONE_8 * ltv / ONE_8;
            let quote = maybe(
                &self.stacks,
                "ytp",
                "quote-y-for-x",
                &[uint(EXPIRY), uint(minted)],
            )
            .ok_or_else(|| anyhow!("the YTP quotes no sale of {minted} yield tokens"))?;
            let quoted = quote.field("out").to_uint();
            let before = sbtc_of(&self.stacks, k.get(BORROWER).1);
            let args = vec![uint(EXPIRY), uint(COLLATERAL), uint(quoted)];
            let r = self
                .lend_tx(height, BORROWER, "crp", "borrow", args)
                .await?;
            let v = expect_ok(&r, "crp borrow")?;
            let got = v.field("sbtc").to_uint();
            let received = sbtc_of(&self.stacks, k.get(BORROWER).1) - before;
            if v.field("minted").to_uint() != minted || got != quoted || received != got {
                bail!("borrow: {v} (expected {minted} minted, {quoted} sats), received {received}");
            }
            let hedge = r.print_with_topic("crp-rebalance").map_or_else(
                || "no hedge needed".to_string(),
                |ev| {
                    format!(
                        "hedged at once: sold {} STX for {} sats",
                        stx(ev.field("collateral-in").to_uint()),
                        thousands(ev.field("sbtc-out").to_uint())
                    )
                },
            );
            let (ltv_after, weight) = self.crp_ltv().unwrap_or_default();
            let (y, ln) = self.ytp_yield();
            self.log.line(format!(
                "[lend] borrower {BORROWER} borrowed against {} STX at EMA {}, LTV {}: minted {} yield + {} key tokens; the CRP {hedge} (LTV {}, weight {}); the yield tokens sold in the YTP for {} sats of sBTC received (as quoted); YTP yield now {} to expiry {EXPIRY} (ln-rate {})",
                stx(COLLATERAL),
                per_stx(price),
                pct(ltv),
                thousands(minted),
                thousands(minted),
                pct(ltv_after),
                pct(weight),
                thousands(got),
                rate(y),
                fixed(ln)
            ));
            return Ok(());
        }

        // 6. The lender.
        let lender = k.get(LENDER).1.to_string();
        if yield_of(&self.stacks, &lender) == 0 {
            let quote = maybe(
                &self.stacks,
                "ytp",
                "quote-x-for-y",
                &[uint(EXPIRY), uint(LEND)],
            )
            .ok_or_else(|| anyhow!("the YTP quotes no purchase for {LEND} sats"))?;
            let out = quote.field("out").to_uint();
            let (y0, _) = self.ytp_yield();
            let args = vec![uint(EXPIRY), uint(LEND), uint(out)];
            let r = self
                .lend_tx(height, LENDER, "ytp", "swap-x-for-y", args)
                .await?;
            let v = expect_ok(&r, "ytp swap-x-for-y")?;
            let bought = yield_of(&self.stacks, &lender);
            if v.field("out").to_uint() != out || bought != out {
                bail!("lend: {v}, holds {bought} (quoted {out})");
            }
            self.log.line(format!(
                "[lend] lender {LENDER} lent {} sats: bought {} yield tokens (swap-x-for-y), {} sats more at expiry, a fixed {} (YTP yield {} before the trade, fee {} sats)",
                thousands(LEND),
                thousands(bought),
                thousands(bought.saturating_sub(LEND)),
                rate(bought.saturating_sub(LEND) * ONE_8 / LEND),
                rate(y0),
                thousands(v.field("fee").to_uint())
            ));
        }

        // 7. The trader, then the keeper's rebalance.
        if burn >= DROP_FROM {
            let (x, y) = amm_balances(&self.stacks);
            let dx = drop_sale(x, y);
            if dx > 0 {
                let before = instant(&self.stacks);
                let r = self.amm_swap(height, TRADER, true, dx).await?;
                let v = expect_ok(&r, "trader's swap")?;
                let after = instant(&self.stacks);
                self.log.line(format!(
                    "[trader] {TRADER} sold {} STX for {} sats in pool {AMM_ID}: AMM price {} → {} ({} of the opening price), EMA {}",
                    stx(dx),
                    thousands(v.field("dy").to_uint()),
                    per_stx(before),
                    per_stx(after),
                    pct(after * ONE_8 / OPEN_PRICE),
                    per_stx(ema(&self.stacks))
                ));
            }
        }
        self.lending_rebalance(height, burn).await
    }

    async fn lending_rebalance(&mut self, height: u32, burn: u128) -> anyhow::Result<()> {
        let r = self
            .lend_tx(height, KEEPER, "crp", "rebalance", vec![uint(EXPIRY)])
            .await?;
        let (ltv, weight) = self.crp_ltv().unwrap_or_default();
        let pool = crp_pool(&self.stacks);
        let figures = format!(
            "LTV {}, weight {}; pool {} STX + {} sats; EMA {}, AMM {}",
            pct(ltv),
            pct(weight),
            stx(pool.collateral),
            thousands(pool.sbtc),
            per_stx(ema(&self.stacks)),
            per_stx(instant(&self.stacks))
        );
        let what = match (&r.outcome, err_code(&r)) {
            (Outcome::Ok(_), _) => {
                let ev = r
                    .print_with_topic("crp-rebalance")
                    .ok_or_else(|| anyhow!("rebalance printed no event"))?;
                let sold = ev.field("collateral-in").to_uint();
                if sold > 0 {
                    format!(
                        "rebalanced: sold {} STX for {} sats",
                        stx(sold),
                        thousands(ev.field("sbtc-out").to_uint())
                    )
                } else {
                    format!(
                        "rebalanced: bought {} STX for {} sats",
                        stx(ev.field("collateral-out").to_uint()),
                        thousands(ev.field("sbtc-in").to_uint())
                    )
                }
            }
            (_, Some(ERR_NOTHING_TO_DO)) => "rebalance: within the band, nothing to trade".into(),
            (_, Some(ERR_AMM_SLIPPAGE)) => format!(
                "rebalance refused by the AMM (err u{ERR_AMM_SLIPPAGE}): the EMA still lags the price by more than the 2% slippage, retry next block"
            ),
            _ => bail!("rebalance failed:\n{r}"),
        };
        self.log
            .line(format!("[keeper] burn {burn}: {what}; {figures}"));
        Ok(())
    }

    async fn lending_settle(&mut self, height: u32, burn: u128) -> anyhow::Result<()> {
        let r = self
            .lend_tx(height, KEEPER, "crp", "settle", vec![uint(EXPIRY)])
            .await?;
        let sale = r.print_with_topic("crp-rebalance").map(|ev| {
            format!(
                "sold {} STX for {} sats",
                stx(ev.field("collateral-in").to_uint()),
                thousands(ev.field("sbtc-out").to_uint())
            )
        });
        match (&r.outcome, err_code(&r)) {
            (Outcome::Ok(v), _) => match v.to_optional() {
                Some(s) => {
                    let f = |n: &str| thousands(s.field(n).to_uint());
                    self.log.line(format!(
                        "[settle] keeper {KEEPER} settled expiry {EXPIRY} at burn {burn}{}: yield-pool {} for {} yield tokens, key-pool {} for {} key tokens; shortfall {}, from-reserve {}, ALEX minted {}",
                        sale.map(|s| format!(" ({s})")).unwrap_or_default(),
                        f("yield-pool"),
                        f("yield-at-settle"),
                        f("key-pool"),
                        f("key-at-settle"),
                        f("shortfall"),
                        f("from-reserve"),
                        f("alex-minted")
                    ));
                }
                None => self.log.line(format!(
                    "[settle] burn {burn}: {}; collateral left {} STX, settle again next block",
                    sale.unwrap_or_default(),
                    stx(crp_pool(&self.stacks).collateral)
                )),
            },
            (_, Some(ERR_AMM_SLIPPAGE)) => self.log.line(format!(
                "[settle] burn {burn}: sale refused by the AMM (err u{ERR_AMM_SLIPPAGE}): EMA {} still above the AMM's {}, retry next block",
                per_stx(ema(&self.stacks)),
                per_stx(instant(&self.stacks))
            )),
            _ => bail!("settle failed:\n{r}"),
        }
        Ok(())
    }

    /// After settlement: the lender's yield tokens, then the borrower's keys, then the
    /// final figures.
    async fn lending_redeem(
        &mut self,
        height: u32,
        s: &[(&'static str, u128)],
    ) -> anyhow::Result<()> {
        let k = keys()?;
        let lender = k.get(LENDER).1.to_string();
        let borrower = k.get(BORROWER).1.to_string();
        let n = yield_of(&self.stacks, &lender);
        if n > 0 {
            let r = self
                .lend_tx(
                    height,
                    LENDER,
                    "crp",
                    "redeem-yield",
                    vec![uint(EXPIRY), uint(n)],
                )
                .await?;
            let paid = expect_ok(&r, "redeem-yield")?.to_uint();
            let face = paid == n;
            self.log.line(format!(
                "[settle] lender {LENDER} redeemed {} yield tokens for {} sats of sBTC ({})",
                thousands(n),
                thousands(paid),
                if face {
                    "face value, 1 sat each"
                } else {
                    "BELOW FACE"
                }
            ));
            if !face {
                bail!("yield tokens paid {paid} for {n}");
            }
            return Ok(());
        }
        let n = keys_of(&self.stacks, &borrower);
        if n > 0 {
            let r = self
                .lend_tx(
                    height,
                    BORROWER,
                    "crp",
                    "redeem-key",
                    vec![uint(EXPIRY), uint(n)],
                )
                .await?;
            let paid = expect_ok(&r, "redeem-key")?.to_uint();
            self.log.line(format!(
                "[settle] borrower {BORROWER} redeemed {} key tokens for {} sats of sBTC (the key-pool: what is left after the yield holders)",
                thousands(n),
                thousands(paid)
            ));
        }
        let s = settlement(&self.stacks).unwrap_or_else(|| s.to_vec());
        let f = |n: &str| field_of(&s, n);
        self.progress.done = true;
        self.log.line(format!(
            "[done] expiry {EXPIRY} settled: yield-pool {} = yield-at-settle {} (face), key-pool {}; shortfall {}, from-reserve {}; yield paid {}, key paid {}; final sBTC: lender {LENDER} {}, borrower {BORROWER} {}",
            thousands(f("yield-pool")),
            thousands(f("yield-at-settle")),
            thousands(f("key-pool")),
            thousands(f("shortfall")),
            thousands(f("from-reserve")),
            thousands(f("yield-paid")),
            thousands(f("key-paid")),
            thousands(sbtc_of(&self.stacks, &lender)),
            thousands(sbtc_of(&self.stacks, &borrower))
        ));
        Ok(())
    }
}

/// The API's view of `crp` and `ytp`, read from the simnet.
pub struct SimnetLending {
    client: SimnetClient,
    deployer: String,
}

impl SimnetLending {
    /// Views of `deployer.crp` and `deployer.ytp`.
    pub fn new(client: SimnetClient, deployer: &str) -> SimnetLending {
        SimnetLending {
            client,
            deployer: deployer.to_string(),
        }
    }

    fn read(&self, contract: &str, function: &str, args: &[Value]) -> Option<Value> {
        let id = format!("{}.{contract}", self.deployer);
        self.client.with_sim(|s| try_read(s, &id, function, args))
    }
}

fn small(v: &Value) -> Result<u64, String> {
    u64::try_from(v.to_uint()).map_err(|e| e.to_string())
}

fn text(v: &Value, name: &str) -> String {
    v.field(name).to_uint().to_string()
}

impl LendingSource for SimnetLending {
    async fn expiries(&self) -> Result<Vec<u64>, String> {
        self.read("crp", "get-expiries", &[])
            .ok_or("crp get-expiries failed")?
            .to_list()
            .iter()
            .map(small)
            .collect()
    }

    async fn pool(&self, expiry: u64) -> Result<Option<LendingPoolView>, String> {
        let e = [uint(expiry.into())];
        let Some(p) = self.read("crp", "get-pool", &e) else {
            return Ok(None);
        };
        let crp = CrpPoolView {
            collateral: text(&p, "collateral"),
            sbtc: text(&p, "sbtc"),
            yield_supply: text(&p, "yield-supply"),
            key_supply: text(&p, "key-supply"),
            converted: p.field("converted").to_bool(),
            traded_at: small(&p.field("traded-at"))?,
        };
        let state = self.read("crp", "get-state", &e).map(|s| CrpStateView {
            price: text(&s, "price"),
            value: text(&s, "value"),
            ltv: text(&s, "ltv"),
            weight: text(&s, "weight"),
            collateral_value: text(&s, "collateral-value"),
        });
        let settlement = self
            .read("crp", "get-settlement", &e)
            .map(|s| CrpSettlementView {
                shortfall: text(&s, "shortfall"),
                from_reserve: text(&s, "from-reserve"),
                alex_minted: text(&s, "alex-minted"),
                from_alex: text(&s, "from-alex"),
                alex_excess: text(&s, "alex-excess"),
                yield_pool: text(&s, "yield-pool"),
                key_pool: text(&s, "key-pool"),
                yield_at_settle: text(&s, "yield-at-settle"),
                key_at_settle: text(&s, "key-at-settle"),
                yield_paid: text(&s, "yield-paid"),
                key_paid: text(&s, "key-paid"),
            });
        let ytp = match self.read("ytp", "get-pool", &e) {
            None => None,
            Some(y) => {
                let view = |f: &str| self.read("ytp", f, &e);
                let price = view("get-price").ok_or("ytp get-price failed")?;
                let term_yield = view("get-yield").ok_or("ytp get-yield failed")?;
                let ln_rate = view("get-ln-rate").ok_or("ytp get-ln-rate failed")?;
                let oracle = view("get-oracle-rate").ok_or("ytp get-oracle-rate failed")?;
                let t = view("get-t").ok_or("ytp get-t failed")?;
                Some(YtpPoolView {
                    balance_x: text(&y, "balance-x"),
                    balance_y: text(&y, "balance-y"),
                    virtual_y: text(&y, "virtual-y"),
                    supply: text(&y, "supply"),
                    fee_rate: text(&y, "fee-rate"),
                    fee_rebate: text(&y, "fee-rebate"),
                    max_in_ratio: text(&y, "max-in-ratio"),
                    max_out_ratio: text(&y, "max-out-ratio"),
                    oracle_average: text(&y, "oracle-average"),
                    oracle_rate: oracle.to_int().to_string(),
                    oracle_height: small(&y.field("oracle-height"))?,
                    paused: y.field("paused").to_bool(),
                    price: price.to_uint().to_string(),
                    term_yield: term_yield.to_uint().to_string(),
                    ln_rate: ln_rate.to_int().to_string(),
                    t: t.to_uint().to_string(),
                })
            }
        };
        Ok(Some(LendingPoolView {
            expiry,
            crp,
            state,
            settlement,
            ytp,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_format() {
        assert_eq!(OPEN_PRICE, 200_000, "0.002 sats per micro-STX");
        assert_eq!(per_stx(OPEN_PRICE), "2,000.00 sats/STX");
        assert_eq!(per_stx(DROP_TO), "1,600.00 sats/STX");
        assert_eq!(per_stx(199_999), "1,999.99 sats/STX");
        assert_eq!(pct(75_206_218), "75.20%");
        assert_eq!(pct(ONE_8), "100.00%");
        assert_eq!(rate(5_290), "0.005290%");
        assert_eq!(rate(12_345_678), "12.345678%");
        assert_eq!(stx(COLLATERAL), "8,000");
        assert_eq!(stx(1_500_001), "1.500001");
        assert_eq!(fixed(-12_345_678), "-0.12345678");
        assert_eq!(fixed(112_000_000), "1.12000000");
    }

    #[test]
    fn isqrt_is_the_floor() {
        for n in [
            0u128,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            1 << 100,
            (1 << 100) - 1,
            u128::MAX >> 2,
        ] {
            let r = isqrt(n);
            assert!(r * r <= n && (r + 1) * (r + 1) > n, "{n}");
        }
    }

    #[test]
    fn the_trader_reaches_a_20_percent_drop_in_capped_sales() {
        let (mut x, mut y) = AMM_LIQUIDITY;
        let mut sales = 0;
        loop {
            let dx = drop_sale(x, y);
            if dx == 0 {
                break;
            }
            assert!(dx <= x * TRADE_CAP_PCT / 100, "within the cap");
            // amm-pool: 0.3% fee, half of it rebated (stays in the pool).
            let fee = (dx * 3).div_ceil(1_000);
            let net = dx - fee;
            let dy = y * net / (x + net);
            x += dx - (fee - fee / 2);
            y -= dy;
            sales += 1;
            assert!(sales < 10, "the drop converges");
        }
        let price = y * ONE_8 / x;
        assert!(
            (DROP_TO * 99 / 100..=DROP_TO * 1002 / 1000).contains(&price),
            "{price}"
        );
        assert_eq!(sales, 3, "a few blocks");
    }

    #[test]
    fn the_deposits_fit_one_coinbase_and_cover_the_liquidity() {
        let total: u128 = DEPOSITS.iter().map(|d| d.1).sum();
        assert!(total < 50 * BTC, "regtest subsidy");
        assert_eq!(DEPOSITS[0].1, AMM_LIQUIDITY.1 + YTP_LIQUIDITY);
        assert!(DEPOSITS[1].1 >= LEND);
        // crp's capacity: the pool's value at most 1% of the AMM's sBTC, with room for
        // the keeper's swaps (each takes ~2,000 sats out of the AMM).
        assert!(COLLATERAL * OPEN_PRICE / ONE_8 * 100 <= AMM_LIQUIDITY.1 * 99 / 100);
    }
}
