//! Shared setup for the lending tests: the deployer-governed chain with sBTC pegged in
//! to the actors, the wSTX/sBTC AMM pool (3) funded and priced, and a yield-token pool
//! and a CRP for expiry [`E`] (opened by governance, the deployer on this chain), the
//! YTP seeded with sBTC.

use crate::actors::{actors, Actors};
use crate::silica_common::{bootstrap, peg_in, Signers};
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::{Receipt, Simnet, Value};

pub const ONE_8: u128 = 100_000_000;
/// The tests' expiry: 2,000 burn blocks (the devnet's is 100, too short for the paths
/// here).
pub const E: u128 = 2000;
/// amm-pool's wSTX/sBTC pool.
pub const AMM_ID: u128 = 3;
/// The AMM pool's depth: 10,000,000 STX against 200 BTC, so 1 STX = 2,000 sats and the
/// price is 0.002 sats per uSTX (200,000 at 8 decimals).
pub const AMM_STX: u128 = 10_000_000_000_000;
pub const AMM_SATS: u128 = 20_000_000_000;
pub const PRICE: u128 = 200_000;
/// The YTP's first deposit: 10 BTC.
pub const YTP_SATS: u128 = 1_000_000_000;
/// A borrower's collateral: 50,000 STX (1 BTC at the start price).
pub const COLLATERAL: u128 = 50_000_000_000;
pub const FAR: u128 = 1_000_000;

pub use crate::amm_common::next_burn_block;

/// The chain described in the module doc. alice is the LP of both pools, bob a
/// lender, carol the borrower; each holds 100 BTC of sBTC (alice 300).
pub fn lending() -> (Simnet, Actors) {
    let mut sim = Simnet::deployer_governed();
    let a = actors(&sim);
    for c in ["ytp", "crp"] {
        sim.call(c, "create-pool", &[uint(E)], &a.deployer)
            .expect_ok();
    }
    let signers = Signers::new("lending", 3, 2);
    bootstrap(&mut sim, &signers).expect_ok();
    peg_in(&mut sim, &signers, &a.alice, 300 * ONE_8);
    for who in [&a.bob, &a.carol, &a.stranger] {
        peg_in(&mut sim, &signers, who, 100 * ONE_8);
    }
    let (wstx, sbtc) = (tok(&sim, "amm-wstx"), tok(&sim, "sbtc-token"));
    let args = [
        uint(AMM_ID),
        wstx,
        sbtc,
        uint(AMM_STX),
        uint(AMM_SATS),
        uint(0),
        uint(FAR),
    ];
    sim.call("amm-pool", "add-liquidity", &args, &a.alice)
        .expect_ok();
    // The first swap sets the EMA to the pool's price.
    next_burn_block(&mut sim);
    amm_swap_stx(&mut sim, &a.alice, 1_000_000);
    sim.call(
        "ytp",
        "add-liquidity",
        &[uint(E), uint(YTP_SATS), uint(0), uint(0)],
        &a.alice,
    )
    .expect_ok();
    (sim, a)
}

pub fn tok(sim: &Simnet, name: &str) -> Value {
    principal(&sim.contract_id(name))
}

/// Sells `ustx` STX for sBTC in the AMM pool (moves the instant price down).
pub fn amm_swap_stx(sim: &mut Simnet, who: &str, ustx: u128) -> Receipt {
    let args = [
        uint(AMM_ID),
        tok(sim, "amm-wstx"),
        tok(sim, "sbtc-token"),
        uint(ustx),
        uint(0),
        uint(FAR),
    ];
    sim.call("amm-pool", "swap", &args, who)
}

/// Sells `sats` sBTC for STX in the AMM pool (moves the instant price up).
pub fn amm_swap_sats(sim: &mut Simnet, who: &str, sats: u128) -> Receipt {
    let args = [
        uint(AMM_ID),
        tok(sim, "sbtc-token"),
        tok(sim, "amm-wstx"),
        uint(sats),
        uint(0),
        uint(FAR),
    ];
    sim.call("amm-pool", "swap", &args, who)
}

/// Lends: buys yield tokens of [`E`] with `sats`, no minimum.
pub fn lend(sim: &mut Simnet, who: &str, sats: u128) -> Receipt {
    sim.call("ytp", "swap-x-for-y", &[uint(E), uint(sats), uint(0)], who)
}

/// Withdraws `lp` YTP shares of [`E`], no minimums.
pub fn remove_liquidity(sim: &mut Simnet, who: &str, lp: u128) -> Receipt {
    sim.call(
        "ytp",
        "remove-liquidity",
        &[uint(E), uint(lp), uint(0), uint(0)],
        who,
    )
}

pub fn borrow(sim: &mut Simnet, who: &str, dx: u128) -> Receipt {
    sim.call("crp", "borrow", &[uint(E), uint(dx), uint(0)], who)
}

pub fn crp_pool(sim: &mut Simnet) -> Value {
    sim.read_only("crp", "get-pool", &[uint(E)])
}

/// `(collateral, sbtc, yield-supply, key-supply)` of the CRP pool.
pub fn crp_balances(sim: &mut Simnet) -> (u128, u128, u128, u128) {
    let p = crp_pool(sim);
    let f = |n: &str| p.field(n).to_uint();
    (
        f("collateral"),
        f("sbtc"),
        f("yield-supply"),
        f("key-supply"),
    )
}

pub fn state(sim: &mut Simnet) -> Value {
    sim.read_only("crp", "get-state", &[uint(E)])
}

pub fn yield_of(sim: &mut Simnet, who: &str) -> u128 {
    sim.sft_balance("yield-token", E, who)
}

pub fn key_of(sim: &mut Simnet, who: &str) -> u128 {
    sim.sft_balance("key-token", E, who)
}

pub fn sbtc(sim: &mut Simnet, who: &str) -> u128 {
    sim.ft_balance("sbtc-token", who)
}

/// Mines to burn height `h` (at least one block).
pub fn mine_to(sim: &mut Simnet, h: u128) {
    while sim.burn_block_height() < h {
        sim.mine(1);
    }
}

/// Moves the AMM's instant price to `target` (sats per uSTX, 8 decimals) in one
/// trade, split over as many burn blocks as the pool's 5% max-in needs.
pub fn move_price(sim: &mut Simnet, who: &str, target: u128) {
    push_price(sim, who, target, false)
}

/// [`move_price`] within the current burn block: the EMA does not see it.
pub fn move_price_in_one_block(sim: &mut Simnet, who: &str, target: u128) {
    push_price(sim, who, target, true)
}

fn push_price(sim: &mut Simnet, who: &str, target: u128, one_block: bool) {
    for _ in 0..100 {
        let (x, y) = amm_balances(sim);
        let now = y * ONE_8 / x;
        if now.abs_diff(target) * 1000 <= target {
            return;
        }
        // Constant product: selling dx of x moves y/x to y x / (x + dx)^2.
        let ratio = (now as f64 / target as f64).sqrt();
        if now > target {
            let dx = ((x as f64) * (ratio - 1.0)) as u128;
            amm_swap_stx(sim, who, dx.min(x * 4 / 100)).expect_ok();
        } else {
            let dy = ((y as f64) * (1.0 / ratio - 1.0)) as u128;
            amm_swap_sats(sim, who, dy.min(y * 4 / 100)).expect_ok();
        }
        if !one_block {
            next_burn_block(sim);
        }
    }
    panic!("the AMM price did not reach {target}");
}

/// Keeps the instant price where it is and lets the EMA follow it for `blocks` burn
/// blocks (one tiny swap per block).
pub fn follow(sim: &mut Simnet, who: &str, blocks: u32) {
    for _ in 0..blocks {
        next_burn_block(sim);
        amm_swap_sats(sim, who, 1_000).expect_ok();
    }
}

/// The AMM pool's `(uSTX, sats)`.
pub fn amm_balances(sim: &mut Simnet) -> (u128, u128) {
    let p = sim.read_only("amm-pool", "get-pool", &[uint(AMM_ID)]);
    (
        p.field("balance-x").to_uint(),
        p.field("balance-y").to_uint(),
    )
}

/// Calls `settle` once per burn block (keeping the EMA fresh) until it settles;
/// returns the settlement.
pub fn settle(sim: &mut Simnet, keeper: &str) -> Value {
    for _ in 0..200 {
        follow(sim, keeper, 1);
        let r = sim.call("crp", "settle", &[uint(E)], keeper);
        if r.is_ok() {
            if let Some(s) = r.expect_ok().to_optional() {
                return s;
            }
        } else {
            // The EMA trails a price the last sale moved: wait for it (amm-pool's
            // ERR_SLIPPAGE against the EMA-based min-out).
            r.expect_err(908);
        }
    }
    panic!("the pool did not settle");
}

pub fn ema(sim: &mut Simnet) -> u128 {
    sim.read_only("amm-pool", "get-oracle-resilient", &[uint(AMM_ID)])
        .to_uint()
}

/// Credits `sats` of sBTC to the amm-reserve ledger the way a fee is booked: the
/// tokens go to amm-pool's custody and the ledger is credited (by `who`, approved for
/// the purpose by governance, the deployer on this chain).
pub fn fund_reserve(sim: &mut Simnet, who: &str, sats: u128) {
    let d = sim.deployer();
    let args = [
        alkahest_clarity::values::principal(who),
        alkahest_clarity::values::bool(true),
    ];
    sim.call("amm-reserve", "set-approved-contract", &args, &d)
        .expect_ok();
    let pool = tok(sim, "amm-pool");
    let me = alkahest_clarity::values::principal(who);
    sim.call(
        "sbtc-token",
        "transfer",
        &[uint(sats), me, pool, alkahest_clarity::values::none()],
        who,
    )
    .expect_ok();
    let t = tok(sim, "sbtc-token");
    sim.call("amm-reserve", "add-to-balance", &[t, uint(sats)], who)
        .expect_ok();
}

pub fn reserve_sats(sim: &mut Simnet) -> u128 {
    let t = tok(sim, "sbtc-token");
    sim.read_only("amm-reserve", "get-balance", &[t]).to_uint()
}

/// The keeper's `rebalance`, once per burn block for `blocks` blocks, keeping the EMA
/// fresh; returns how many calls traded.
pub fn keep(sim: &mut Simnet, keeper: &str, blocks: u32) -> u32 {
    let mut traded = 0;
    for _ in 0..blocks {
        follow(sim, keeper, 1);
        let r = sim.call("crp", "rebalance", &[uint(E)], keeper);
        if r.is_ok() {
            traded += 1;
        }
    }
    traded
}
