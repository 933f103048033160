//! amm-pool, amm-lp-token and amm-reserve guards at their exact boundaries (issue 17:
//! mutants that weakened these guards survived the other tests).
//!
//! Governance bounds are accepted at the bound and refused one past it; a swap whose
//! output is exactly the max-out ratio goes through and one past it does not; an empty
//! pool refuses to quote; the stable curve's not-better-than-spot guard is exercised
//! on a copy of amm-pool whose stable formula overpays (the real curve cannot trip
//! it); LP and reserve amounts of zero are refused by name and a whole LP balance
//! moves.

use crate::amm_common::*;
use alkahest_clarity::values::{bool as vbool, principal, uint, ValueExt};
use alkahest_clarity::Simnet;

#[test]
fn fee_and_ratio_caps_are_inclusive() {
    let (mut sim, a, id) = pool_ab();
    let d = a.deployer.clone();
    let bad = code(&sim, "ERR_INVALID_PARAM");
    sim.call(POOL, "set-max-fee-rate", &[uint(10_000_001)], &d)
        .expect_err(bad);
    sim.call(POOL, "set-max-fee-rate", &[uint(10_000_000)], &d)
        .expect_ok();
    assert_eq!(
        sim.read_only(POOL, "get-max-fee-rate", &[]).to_uint(),
        10_000_000
    );
    // A pool may then charge exactly the cap.
    sim.call(
        POOL,
        "set-pool-fee",
        &[uint(id), uint(10_000_000), uint(0)],
        &d,
    )
    .expect_ok();

    let ratios = |sim: &mut Simnet, i: u128, o: u128| {
        sim.call(POOL, "set-pool-ratios", &[uint(id), uint(i), uint(o)], &d)
    };
    ratios(&mut sim, 30_000_001, 30_000_000).expect_err(bad);
    ratios(&mut sim, 30_000_000, 30_000_001).expect_err(bad);
    // Zero ratios would freeze the pool: refused on either side; 1 is the least.
    ratios(&mut sim, 0, 30_000_000).expect_err(bad);
    ratios(&mut sim, 30_000_000, 0).expect_err(bad);
    ratios(&mut sim, 1, 1).expect_ok();
    ratios(&mut sim, 30_000_000, 30_000_000).expect_ok();
    assert_eq!(
        pool_field(&mut sim, id, "max-in-ratio").to_uint(),
        30_000_000
    );
    assert_eq!(
        pool_field(&mut sim, id, "max-out-ratio").to_uint(),
        30_000_000
    );
}

/// With no fee, selling B/4 into a B/B 50/50 pool pays exactly B/5: the trade sits
/// on both ratio bounds at once when max-in is 25% and max-out 20%.
#[test]
fn a_swap_exactly_at_the_ratio_bounds_goes_through() {
    let (mut sim, a) = market();
    let id = create_pool(&mut sim, "tok-a", "tok-b", WEIGHTED, HALF, 0, 0);
    add(&mut sim, &a.alice, id, "tok-a", "tok-b", BIG, BIG).expect_ok();
    let d = a.deployer.clone();
    let ratios = |sim: &mut Simnet, i: u128, o: u128| {
        sim.call(POOL, "set-pool-ratios", &[uint(id), uint(i), uint(o)], &d)
            .expect_ok();
    };
    ratios(&mut sim, 25_000_000, 19_999_999);
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", BIG / 4)
        .expect_err(code(&sim, "ERR_MAX_OUT_RATIO"));
    ratios(&mut sim, 24_999_999, 20_000_000);
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", BIG / 4)
        .expect_err(code(&sim, "ERR_MAX_IN_RATIO"));
    assert_eq!(balances(&mut sim, id), (BIG, BIG));

    ratios(&mut sim, 25_000_000, 20_000_000);
    let b0 = sim.ft_balance("tok-b", &a.bob);
    let v = swap(&mut sim, &a.bob, id, "tok-a", "tok-b", BIG / 4).expect_ok();
    assert_eq!(v.field("dy").to_uint(), BIG / 5);
    assert_eq!(sim.ft_balance("tok-b", &a.bob) - b0, BIG / 5);
    assert_eq!(balances(&mut sim, id), (BIG + BIG / 4, BIG - BIG / 5));
}

/// A pool without liquidity has no price: quotes and swaps fail as a zero output
/// (not as some later ratio check), for both curves and both directions.
#[test]
fn an_empty_pool_quotes_nothing() {
    let (mut sim, a) = market();
    let w = create_pool(&mut sim, "tok-a", "tok-b", WEIGHTED, HALF, 0, 0);
    let s = create_pool(&mut sim, "tok-c", "tok-d", STABLE, HALF, 0, 0);
    let zero = code(&sim, "ERR_ZERO_OUT");
    for (id, x, y) in [(w, "tok-a", "tok-b"), (s, "tok-c", "tok-d")] {
        for (t_in, t_out) in [(x, y), (y, x)] {
            assert_eq!(quote(&mut sim, id, t_in, ONE_8), Err(zero));
            swap(&mut sim, &a.bob, id, t_in, t_out, ONE_8).expect_err(zero);
        }
    }
    let pool = pool_principal(&sim);
    assert_eq!(sim.ft_balance("tok-a", &pool), 0);
}

/// The stable curve rounds in the pool's favour, so its not-better-than-spot guard
/// never fires on the real formula. These tests run a copy of amm-pool (patched from
/// the deployed source, so a mutated source is patched too) whose stable formula pays
/// `pay`, with a 1:1 pool of BIG each; returns the chain, actors and the copy's id.
fn stable_copy_paying(pay: &str) -> (Simnet, Actors, String) {
    let formula = "(try! (contract-call? .amm-math get-y-given-x-stable bal-in bal-out dx-net))";
    copy_paying(STABLE, formula, pay)
}

/// As [`stable_copy_paying`] for a 50/50 weighted pool whose constant-product
/// formula is replaced by `pay`.
fn weighted_copy_paying(pay: &str) -> (Simnet, Actors, String) {
    copy_paying(WEIGHTED, "(/ (* bal-out dx-net) (+ bal-in dx-net))", pay)
}

fn copy_paying(curve: u128, formula: &str, pay: &str) -> (Simnet, Actors, String) {
    let (mut sim, a) = market();
    let d = a.deployer.clone();
    let lp_src = source("amm-lp-token").replace(
        "(define-constant POOL .amm-pool)",
        "(define-constant POOL .broken-pool)",
    );
    sim.deploy_contract("broken-pool-lp", &lp_src, &d).unwrap();
    let pool_src = source("amm-pool");
    assert!(pool_src.contains(formula));
    let broken = pool_src
        .replace(formula, pay)
        .replace(".amm-lp-token", ".broken-pool-lp");
    sim.deploy_contract("broken-pool", &broken, &d).unwrap();
    let bp = sim.contract_id("broken-pool");
    for t in ["tok-a", "tok-b"] {
        sim.call(&bp, "set-token-approved", &[tok(&sim, t), vbool(true)], &d)
            .expect_ok();
    }
    let create = [
        tok(&sim, "tok-a"),
        tok(&sim, "tok-b"),
        uint(curve),
        uint(HALF),
        uint(0),
        uint(0),
    ];
    sim.call(&bp, "create-pool", &create, &d).expect_ok();
    let add = [
        uint(1),
        tok(&sim, "tok-a"),
        tok(&sim, "tok-b"),
        uint(BIG),
        uint(BIG),
        uint(0),
        uint(FAR),
    ];
    sim.call(&bp, "add-liquidity", &add, &a.alice).expect_ok();
    (sim, a, bp)
}

fn swap_one_a(sim: &mut Simnet, pool: &str, who: &str) -> alkahest_clarity::Receipt {
    let sw = [
        uint(1),
        tok(sim, "tok-a"),
        tok(sim, "tok-b"),
        uint(ONE_8),
        uint(0),
        uint(FAR),
    ];
    sim.call(pool, "swap", &sw, who)
}

#[test]
fn stable_better_than_spot_guard_catches_a_broken_curve() {
    let spot = "(contract-call? .amm-math mul-spot-stable bal-in bal-out dx-net)";
    let (mut sim, a, bp) = stable_copy_paying(&format!("(+ u1 {spot})"));
    let b0 = sim.ft_balance("tok-b", &a.bob);
    swap_one_a(&mut sim, &bp, &a.bob).expect_err(code(&sim, "ERR_BETTER_THAN_SPOT"));
    assert_eq!(sim.ft_balance("tok-b", &a.bob), b0);

    // Exactly the spot price is not better than spot: the bound is inclusive.
    let (mut sim, a, bp) = stable_copy_paying(spot);
    let b0 = sim.ft_balance("tok-b", &a.bob);
    let dy = swap_one_a(&mut sim, &bp, &a.bob)
        .expect_ok()
        .field("dy")
        .to_uint();
    assert!(dy > 0);
    assert_eq!(sim.ft_balance("tok-b", &a.bob), b0 + dy);
}

/// The weighted curve's spot guard likewise: a copy paying dx·y/x (exactly spot in a
/// 1:1 pool) trades, one unit more is refused.
#[test]
fn weighted_spot_guard_is_inclusive() {
    let spot = "(/ (* bal-out dx-net) bal-in)";
    let (mut sim, a, bp) = weighted_copy_paying(spot);
    let r = swap_one_a(&mut sim, &bp, &a.bob);
    assert_eq!(r.expect_ok().field("dy").to_uint(), ONE_8);
    let (mut sim, a, bp) = weighted_copy_paying(&format!("(+ u1 {spot})"));
    swap_one_a(&mut sim, &bp, &a.bob).expect_err(code(&sim, "ERR_BETTER_THAN_SPOT"));
}

/// Minting or burning zero LP is refused by name. Only amm-pool may mint, and it
/// never asks for zero, so the guard is exercised on a copy of amm-lp-token (patched
/// from the deployed source) whose pool is a wallet.
#[test]
fn lp_mint_and_burn_of_zero_are_refused() {
    let (mut sim, a) = market();
    let src = source("amm-lp-token").replace(
        "(define-constant POOL .amm-pool)",
        &format!("(define-constant POOL '{})", a.operator),
    );
    sim.deploy_contract("lp-copy", &src, &a.deployer).unwrap();
    let lp = sim.contract_id("lp-copy");
    let invalid = sim.err_code(LP, "ERR_INVALID_AMOUNT");
    let call = |sim: &mut Simnet, f: &str, amount: u128| {
        sim.call(
            &lp,
            f,
            &[uint(7), uint(amount), principal(&a.bob)],
            &a.operator,
        )
    };
    call(&mut sim, "mint", 0).expect_err(invalid);
    call(&mut sim, "mint", 5).expect_ok();
    call(&mut sim, "burn", 0).expect_err(invalid);
    call(&mut sim, "burn", 5).expect_ok();
    assert_eq!(
        sim.read_only(&lp, "get-total-supply", &[uint(7)]).to_uint(),
        0
    );
}

#[test]
fn a_whole_lp_balance_transfers() {
    let (mut sim, a, id) = pool_ab();
    let bal = sim.sft_balance(LP, id, &a.alice);
    let t = |amount: u128| {
        [
            uint(id),
            uint(amount),
            principal(&a.alice),
            principal(&a.bob),
        ]
    };
    sim.call(LP, "transfer", &t(bal + 1), &a.alice)
        .expect_err(sim.err_code(LP, "ERR_INSUFFICIENT_BALANCE"));
    sim.call(LP, "transfer", &t(bal), &a.alice).expect_ok();
    assert_eq!(sim.sft_balance(LP, id, &a.alice), 0);
    assert_eq!(sim.sft_balance(LP, id, &a.bob), bal);
}

/// The reserve ledger refuses a debit of zero (an approved principal could otherwise
/// log withdrawals of nothing) and debits down to exactly 0.
#[test]
fn reserve_refuses_a_zero_debit() {
    let (mut sim, a) = market();
    let d = a.deployer.clone();
    let op = a.operator.clone();
    sim.call(
        RESERVE,
        "set-approved-contract",
        &[principal(&op), vbool(true)],
        &d,
    )
    .expect_ok();
    let t = tok(&sim, "tok-e");
    let ledger = |sim: &mut Simnet, f: &str, amount: u128| {
        sim.call(RESERVE, f, &[t.clone(), uint(amount)], &op)
    };
    assert_eq!(ledger(&mut sim, "add-to-balance", 5).expect_ok(), uint(5));
    let invalid = sim.err_code(RESERVE, "ERR_INVALID_AMOUNT");
    ledger(&mut sim, "add-to-balance", 0).expect_err(invalid);
    ledger(&mut sim, "remove-from-balance", 0).expect_err(invalid);
    assert_eq!(reserve_of(&mut sim, "tok-e"), 5);
    ledger(&mut sim, "remove-from-balance", 6)
        .expect_err(sim.err_code(RESERVE, "ERR_INSUFFICIENT_RESERVE"));
    assert_eq!(
        ledger(&mut sim, "remove-from-balance", 5).expect_ok(),
        uint(0)
    );
    assert_eq!(reserve_of(&mut sim, "tok-e"), 0);
}

/// A removal that would pay one side and nothing of the other is refused, whichever
/// side floors to zero: 1 LP of a 1:100 pool is worth 0.1 x-units and 10 y-units.
#[test]
fn a_removal_paying_nothing_of_one_side_is_refused() {
    let (mut sim, a) = market();
    for (x, y, dx, dy) in [
        ("tok-a", "tok-b", 100 * ONE_8, 10_000 * ONE_8),
        ("tok-c", "tok-d", 10_000 * ONE_8, 100 * ONE_8),
    ] {
        let id = create_pool(&mut sim, x, y, WEIGHTED, HALF, 0, 0);
        add(&mut sim, &a.alice, id, x, y, dx, dy).expect_ok();
        let (bx, by) = balances(&mut sim, id);
        remove(&mut sim, &a.alice, id, x, y, 1).expect_err(code(&sim, "ERR_ZERO_OUT"));
        assert_eq!(balances(&mut sim, id), (bx, by));
        // Ten LP units pay one unit of the thin side: allowed.
        let v = remove(&mut sim, &a.alice, id, x, y, 10).expect_ok();
        assert_eq!(v.field("dx").to_uint().min(v.field("dy").to_uint()), 1);
    }
}
