//! Attacks on lending and the guards they meet: a yield token of another expiry,
//! redeeming or settling early, trading after expiry, a stale or missing price, a
//! keeper trading twice in a block, first-LP inflation of the YTP, capacity, bounds on
//! every parameter, pauses, and the absence of any liquidation path.

use crate::lending_common::*;
use alkahest_clarity::values::{bool as cbool, principal, uint, ValueExt};

const OTHER: u128 = 3_000;

#[test]
fn no_liquidation_function_exists() {
    let sim = alkahest_clarity::Simnet::new();
    let src = &sim.manifest().contract("crp").unwrap().source;
    let public: Vec<&str> = src
        .lines()
        .filter_map(|l| l.strip_prefix("(define-public ("))
        .map(|r| r.split([' ', ')']).next().unwrap())
        .collect();
    assert_eq!(
        public,
        [
            "set-governance",
            "set-paused",
            "set-params",
            "set-amm-pools",
            "create-pool",
            "borrow",
            "repay",
            "rebalance",
            "settle",
            "redeem-yield",
            "redeem-key"
        ]
    );
    assert!(!src.to_lowercase().contains("(define-public (liquidat"));
}

#[test]
fn a_yield_token_of_another_expiry_buys_nothing() {
    let (mut sim, a) = lending();
    let d = sim.deployer();
    for c in ["ytp", "crp"] {
        sim.call(c, "create-pool", &[uint(OTHER)], &d).expect_ok();
    }
    sim.call(
        "ytp",
        "add-liquidity",
        &[uint(OTHER), uint(YTP_SATS), uint(0), uint(0)],
        &a.alice,
    )
    .expect_ok();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    // bob lends at expiry E and holds E's yield tokens only.
    lend(&mut sim, &a.bob, 10_000_000).expect_ok();
    let held = yield_of(&mut sim, &a.bob);
    assert!(held > 0);
    // Selling them as OTHER's: the token ledger is per expiry (yield-token
    // ERR_INSUFFICIENT_BALANCE).
    sim.call(
        "ytp",
        "swap-y-for-x",
        &[uint(OTHER), uint(held), uint(0)],
        &a.bob,
    )
    .expect_err(1703);
    // Redeeming them against OTHER's pool: not settled (and would burn OTHER's id).
    sim.call("crp", "redeem-yield", &[uint(OTHER), uint(held)], &a.bob)
        .expect_err(1910);
    // Repaying E's keys against OTHER's pool: OTHER has no debt.
    sim.call("crp", "repay", &[uint(OTHER), uint(1)], &a.carol)
        .expect_err(1913);
    assert_eq!(yield_of(&mut sim, &a.bob), held);
}

#[test]
fn nothing_redeems_or_settles_before_expiry_and_nothing_trades_after() {
    let (mut sim, a) = lending();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    lend(&mut sim, &a.bob, 10_000_000).expect_ok();
    let y = yield_of(&mut sim, &a.bob);
    sim.call("crp", "redeem-yield", &[uint(E), uint(y)], &a.bob)
        .expect_err(1910);
    sim.call("crp", "redeem-key", &[uint(E), uint(1)], &a.carol)
        .expect_err(1910);
    sim.call("crp", "settle", &[uint(E)], &a.bob)
        .expect_err(1904);
    mine_to(&mut sim, E - 1);
    sim.call("crp", "settle", &[uint(E)], &a.bob)
        .expect_err(1904);
    mine_to(&mut sim, E);
    // At expiry: no trade in the YTP (ALEX CR-03), no borrow, repay or rebalance.
    lend(&mut sim, &a.bob, 1_000).expect_err(1803);
    sim.call(
        "ytp",
        "swap-y-for-x",
        &[uint(E), uint(1_000), uint(0)],
        &a.bob,
    )
    .expect_err(1803);
    sim.call(
        "ytp",
        "add-liquidity",
        &[uint(E), uint(1_000), uint(u128::MAX), uint(0)],
        &a.bob,
    )
    .expect_err(1803);
    borrow(&mut sim, &a.bob, COLLATERAL).expect_err(1903);
    sim.call("crp", "repay", &[uint(E), uint(1)], &a.carol)
        .expect_err(1903);
    sim.call("crp", "rebalance", &[uint(E)], &a.bob)
        .expect_err(1903);
    // Once settled, it settles no more.
    settle(&mut sim, &a.stranger);
    sim.call("crp", "settle", &[uint(E)], &a.bob)
        .expect_err(1909);
}

#[test]
fn a_stale_or_missing_price_refuses_borrowing_and_rebalancing() {
    let (mut sim, a) = lending();
    let d = sim.deployer();
    // 150 blocks without a swap: the EMA is older than max-oracle-age (144).
    for _ in 0..150 {
        next_burn_block(&mut sim);
    }
    borrow(&mut sim, &a.carol, COLLATERAL).expect_err(1907);
    sim.call("crp", "rebalance", &[uint(E)], &a.carol)
        .expect_err(1907);
    // One swap refreshes it.
    amm_swap_sats(&mut sim, &a.stranger, 1_000).expect_ok();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    // Governance cannot point the pool at an AMM pool of other tokens (pool 1 is
    // ALEX/sBTC), nor the ALEX cover at a non-ALEX pool.
    sim.call("crp", "set-amm-pools", &[uint(1), uint(1), uint(0)], &d)
        .expect_err(1911);
    sim.call(
        "crp",
        "set-amm-pools",
        &[uint(AMM_ID), uint(AMM_ID), uint(0)],
        &d,
    )
    .expect_err(1911);
}

#[test]
fn a_keeper_trades_at_most_once_per_block() {
    let (mut sim, a) = lending();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    next_burn_block(&mut sim);
    move_price_in_one_block(&mut sim, &a.stranger, PRICE * 80 / 100);
    follow(&mut sim, &a.stranger, 60);
    sim.call("crp", "rebalance", &[uint(E)], &a.stranger)
        .expect_ok();
    sim.call("crp", "rebalance", &[uint(E)], &a.stranger)
        .expect_err(1908);
}

#[test]
fn capacity_bounds_the_pool_by_the_amm_depth() {
    let (mut sim, a) = lending();
    let d = sim.deployer();
    // The borrow's pool value is COLLATERAL at the EMA; the least capacity that admits
    // it is ceil(value / AMM sats), exactly.
    let value = COLLATERAL * ema(&mut sim) / ONE_8;
    let (_, amm_sats) = amm_balances(&mut sim);
    let least = (value * ONE_8).div_ceil(amm_sats);
    let set = |sim: &mut alkahest_clarity::Simnet, capacity: u128| {
        let v = [
            75_000_000,
            200_000_000,
            95_000_000,
            1_000_000,
            2_000_000,
            144,
            capacity,
        ];
        let args: Vec<_> = v.iter().map(|n| uint(*n)).collect();
        sim.call("crp", "set-params", &args, &d).expect_ok();
    };
    set(&mut sim, least - 1);
    borrow(&mut sim, &a.carol, COLLATERAL).expect_err(1915);
    assert_eq!(crp_balances(&mut sim), (0, 0, 0, 0));
    set(&mut sim, least);
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
}

#[test]
fn first_lp_inflation_of_the_ytp_changes_nothing() {
    let (mut sim, a) = lending();
    let d = sim.deployer();
    sim.call("ytp", "create-pool", &[uint(OTHER)], &d)
        .expect_ok();
    // mallory seeds the smallest pool, then donates 1 BTC straight to the YTP.
    let m = &a.stranger;
    sim.call(
        "ytp",
        "add-liquidity",
        &[uint(OTHER), uint(1_001), uint(0), uint(0)],
        m,
    )
    .expect_ok();
    let ytp = principal(&sim.contract_id("ytp"));
    sim.call(
        "sbtc-token",
        "transfer",
        &[
            uint(ONE_8),
            principal(m),
            ytp,
            alkahest_clarity::values::none(),
        ],
        m,
    )
    .expect_ok();
    // The donation is not pool balance: bob's 0.5 BTC mints pro rata to the tracked
    // 1,001 sats and he can take it all back.
    let dx = 50_000_000;
    let r = sim
        .call(
            "ytp",
            "add-liquidity",
            &[uint(OTHER), uint(dx), uint(0), uint(1)],
            &a.bob,
        )
        .expect_ok();
    assert_eq!(r.field("lp").to_uint(), dx);
    let back = sim
        .call(
            "ytp",
            "remove-liquidity",
            &[uint(OTHER), uint(dx), uint(0), uint(0)],
            &a.bob,
        )
        .expect_ok();
    assert_eq!(back.field("dx").to_uint(), dx);
    // The first deposit must exceed the locked minimum.
    sim.call("ytp", "create-pool", &[uint(OTHER + 1)], &d)
        .expect_ok();
    sim.call(
        "ytp",
        "add-liquidity",
        &[uint(OTHER + 1), uint(1_000), uint(0), uint(0)],
        m,
    )
    .expect_err(1811);
    // min-lp protects a depositor.
    sim.call(
        "ytp",
        "add-liquidity",
        &[uint(OTHER), uint(1_000), uint(0), uint(1_001)],
        &a.bob,
    )
    .expect_err(1805);
}

#[test]
fn every_parameter_is_bounded() {
    let (mut sim, _) = lending();
    let d = sim.deployer();
    let set = |sim: &mut alkahest_clarity::Simnet, v: [u128; 7]| {
        let args: Vec<_> = v.iter().map(|n| uint(*n)).collect();
        sim.call("crp", "set-params", &args, &d)
    };
    let ok = [
        75_000_000,
        200_000_000,
        95_000_000,
        1_000_000,
        2_000_000,
        144,
        1_000_000,
    ];
    set(&mut sim, ok).expect_ok();
    for (i, bad) in [
        (0, 0),
        (0, 95_000_000),
        (1, 0),
        (1, 2_000_000_001),
        (2, ONE_8),
        (3, 10_000_001),
        (4, 10_000_001),
        (5, 0),
        (6, 0),
        (6, ONE_8 + 1),
    ] {
        let mut v = ok;
        v[i] = bad;
        set(&mut sim, v).expect_err(1911);
    }
    for edge in [
        (1, 2_000_000_000),
        (3, 10_000_000),
        (4, 10_000_000),
        (6, ONE_8),
    ] {
        let mut v = ok;
        v[edge.0] = edge.1;
        set(&mut sim, v).expect_ok();
    }
    // The YTP's bounds (each ratio must be positive).
    sim.call("ytp", "set-pool-ratios", &[uint(E), uint(1), uint(0)], &d)
        .expect_err(1809);
    sim.call("ytp", "set-pool-ratios", &[uint(E), uint(1), uint(1)], &d)
        .expect_ok();
    sim.call(
        "ytp",
        "set-pool-fee",
        &[uint(E), uint(10_000_001), uint(0)],
        &d,
    )
    .expect_err(1809);
    sim.call(
        "ytp",
        "set-pool-fee",
        &[uint(E), uint(10_000_000), uint(ONE_8 + 1)],
        &d,
    )
    .expect_err(1809);
    sim.call(
        "ytp",
        "set-pool-fee",
        &[uint(E), uint(10_000_000), uint(ONE_8)],
        &d,
    )
    .expect_ok();
    sim.call("ytp", "set-pool-ratios", &[uint(E), uint(0), uint(1)], &d)
        .expect_err(1809);
    sim.call(
        "ytp",
        "set-pool-ratios",
        &[uint(E), uint(1), uint(30_000_001)],
        &d,
    )
    .expect_err(1809);
    sim.call(
        "ytp",
        "set-pool-ratios",
        &[uint(E), uint(30_000_000), uint(30_000_000)],
        &d,
    )
    .expect_ok();
    sim.call("ytp", "set-pool-oracle", &[uint(E), uint(ONE_8)], &d)
        .expect_err(1809);
    sim.call("ytp", "create-pool", &[uint(E)], &d)
        .expect_err(1802);
    let now = sim.burn_block_height();
    sim.call("ytp", "create-pool", &[uint(now)], &d)
        .expect_err(1803);
    sim.call("crp", "create-pool", &[uint(now)], &d)
        .expect_err(1903);
    sim.call("crp", "create-pool", &[uint(E)], &d)
        .expect_err(1902);
}

#[test]
fn pauses_stop_new_risk_but_not_exits() {
    let (mut sim, a) = lending();
    let d = sim.deployer();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    sim.call("crp", "set-paused", &[cbool(true)], &d)
        .expect_ok();
    borrow(&mut sim, &a.bob, COLLATERAL).expect_err(1912);
    sim.call("crp", "set-paused", &[cbool(false)], &d)
        .expect_ok();
    sim.call("ytp", "set-pool-paused", &[uint(E), cbool(true)], &d)
        .expect_ok();
    lend(&mut sim, &a.bob, 1_000_000).expect_err(1808);
    // A paused pool takes no deposit either; a zero deposit is refused as such.
    sim.call(
        "ytp",
        "add-liquidity",
        &[uint(E), uint(1_000_000), uint(u128::MAX), uint(0)],
        &a.bob,
    )
    .expect_err(1808);
    sim.call("ytp", "set-pool-paused", &[uint(E), cbool(false)], &d)
        .expect_ok();
    sim.call(
        "ytp",
        "add-liquidity",
        &[uint(E), uint(0), uint(u128::MAX), uint(0)],
        &a.bob,
    )
    .expect_err(1804);
    sim.call("ytp", "set-paused", &[cbool(true)], &d)
        .expect_ok();
    sim.call(
        "ytp",
        "swap-y-for-x",
        &[uint(E), uint(1_000), uint(0)],
        &a.carol,
    )
    .expect_err(1808);
    sim.call(
        "ytp",
        "add-liquidity",
        &[uint(E), uint(1_000_000), uint(u128::MAX), uint(0)],
        &a.bob,
    )
    .expect_err(1808);
    // Exits stay open under both pauses: an LP withdraws, a borrower repays.
    let lp = sim
        .read_only("ytp", "get-lp-balance", &[uint(E), principal(&a.alice)])
        .to_uint();
    sim.call(
        "ytp",
        "remove-liquidity",
        &[uint(E), uint(lp / 2), uint(0), uint(0)],
        &a.alice,
    )
    .expect_ok();
    sim.call("crp", "set-paused", &[cbool(true)], &d)
        .expect_ok();
    sim.call("crp", "rebalance", &[uint(E)], &a.bob)
        .expect_err(1912);
    sim.call("ytp", "set-paused", &[cbool(false)], &d)
        .expect_ok();
    lend(&mut sim, &a.carol, 1_000_000).expect_ok();
    sim.call("crp", "repay", &[uint(E), uint(1_000_000)], &a.carol)
        .expect_ok();
}

#[test]
fn borrowing_stops_exactly_at_the_conversion_ltv() {
    let (mut sim, a) = lending();
    let d = sim.deployer();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    let ltv = state(&mut sim).field("ltv").to_uint();
    let set = |sim: &mut alkahest_clarity::Simnet, conversion: u128| {
        let v = [
            75_000_000,
            200_000_000,
            conversion,
            1_000_000,
            2_000_000,
            144,
            1_000_000,
        ];
        let args: Vec<_> = v.iter().map(|n| uint(*n)).collect();
        sim.call("crp", "set-params", &args, &d).expect_ok();
    };
    // The pool's LTV equal to the conversion LTV: no borrowing; one unit above: allowed.
    set(&mut sim, ltv);
    assert_eq!(state(&mut sim).field("ltv").to_uint(), ltv);
    borrow(&mut sim, &a.bob, COLLATERAL / 10).expect_err(1906);
    set(&mut sim, ltv + 1);
    borrow(&mut sim, &a.bob, COLLATERAL / 10).expect_ok();
}
