//! amm-pool: pool creation, liquidity (first mint, pro-rata, burn, minimums), swaps on
//! each curve (min-out, deadline, ratios, rounding, the not-better-than-spot guard),
//! fees split between LPs and the amm-reserve ledger, custody accounting, the oracle
//! rules, pause, governance (including a malicious contract using `as-contract`), and
//! every amm-pool, amm-reserve and amm-lp-token error code.

mod amm_common;

use alkahest_clarity::values::{bool as vbool, list, none, principal, tuple, uint, ValueExt};
use alkahest_clarity::{Event, Simnet};
use amm_common::*;

const BIG: u128 = 1_000_000 * ONE_8;

fn code(sim: &Simnet, name: &str) -> u128 {
    sim.err_code(POOL, name)
}

/// A funded 50/50 tok-a/tok-b pool (0.3% fee, 50% rebate) with BIG of each from alice.
fn pool_ab() -> (Simnet, Actors, u128) {
    let (mut sim, a) = market();
    let id = create_pool(
        &mut sim, "tok-a", "tok-b", WEIGHTED, HALF, 300_000, 50_000_000,
    );
    add(&mut sim, &a.alice, id, "tok-a", "tok-b", BIG, BIG).expect_ok();
    (sim, a, id)
}

#[test]
fn create_pool_rules_and_errors() {
    let (mut sim, a) = market();
    let d = a.deployer.clone();
    let args = |sim: &Simnet, x: &str, y: &str, curve: u128, w: u128, fee: u128, rebate: u128| {
        vec![
            tok(sim, x),
            tok(sim, y),
            uint(curve),
            uint(w),
            uint(fee),
            uint(rebate),
        ]
    };
    let ok = args(&sim, "tok-a", "tok-b", WEIGHTED, HALF, 300_000, 50_000_000);
    sim.call(POOL, "create-pool", &ok, &a.alice)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    // The bootstrap created the two devnet pools (ALEX/sBTC, ALEX/STX) first.
    let n0 = sim.read_only(POOL, "get-pool-count", &[]).to_uint();
    let r = sim.call(POOL, "create-pool", &ok, &d);
    assert_eq!(r.expect_ok().to_uint(), n0 + 1);
    assert!(r.print_with_topic("pool-create").is_some());
    sim.call(POOL, "create-pool", &ok, &d)
        .expect_err(code(&sim, "ERR_POOL_EXISTS"));
    // The same pair the other way round is the same pool.
    let rev = args(&sim, "tok-b", "tok-a", WEIGHTED, HALF, 300_000, 50_000_000);
    sim.call(POOL, "create-pool", &rev, &d)
        .expect_err(code(&sim, "ERR_POOL_EXISTS"));
    let same = args(&sim, "tok-a", "tok-a", WEIGHTED, HALF, 0, 0);
    sim.call(POOL, "create-pool", &same, &d)
        .expect_err(code(&sim, "ERR_SAME_TOKEN"));
    let bad = [
        args(&sim, "tok-a", "tok-c", 3, HALF, 0, 0), // unknown curve
        args(&sim, "tok-a", "tok-c", WEIGHTED, 0, 0, 0), // weight 0
        args(&sim, "tok-a", "tok-c", WEIGHTED, ONE_8, 0, 0), // weight 100%
        args(&sim, "tok-a", "tok-c", WEIGHTED, 33_333_333, 0, 0), // not whole percent
        args(&sim, "tok-a", "tok-c", STABLE, 80_000_000, 0, 0), // stable must be 50/50
        args(&sim, "tok-a", "tok-c", WEIGHTED, HALF, 1_000_001, 0), // fee above the bound
        args(&sim, "tok-a", "tok-c", WEIGHTED, HALF, 0, ONE_8 + 1), // rebate above 100%
    ];
    for b in bad {
        sim.call(POOL, "create-pool", &b, &d)
            .expect_err(code(&sim, "ERR_INVALID_PARAM"));
    }
    // Unapproved token.
    sim.deploy_contract("tok-x", TEST_TOKEN, &d).unwrap();
    let unapproved = vec![
        tok(&sim, "tok-a"),
        tok(&sim, "tok-x"),
        uint(WEIGHTED),
        uint(HALF),
        uint(0),
        uint(0),
    ];
    sim.call(POOL, "create-pool", &unapproved, &d)
        .expect_err(code(&sim, "ERR_TOKEN_NOT_APPROVED"));
    let r = sim.call(
        POOL,
        "create-pool",
        &args(&sim, "tok-a", "tok-c", STABLE, HALF, 0, 0),
        &d,
    );
    let id2 = r.expect_ok().to_uint();
    assert_eq!(id2, n0 + 2);
    assert_eq!(sim.read_only(POOL, "get-pool-count", &[]).to_uint(), n0 + 2);
    sim.call(POOL, "get-pool", &[uint(9)], &d)
        .expect_err(code(&sim, "ERR_NO_POOL"));
    let key = [
        tok(&sim, "tok-a"),
        tok(&sim, "tok-c"),
        uint(STABLE),
        uint(HALF),
    ];
    assert_eq!(
        sim.read_only(POOL, "get-pool-id", &key)
            .to_optional()
            .unwrap()
            .to_uint(),
        id2
    );
}

#[test]
fn liquidity_first_mint_pro_rata_and_burn() {
    let (mut sim, a) = market();
    let id = create_pool(
        &mut sim, "tok-a", "tok-b", WEIGHTED, HALF, 300_000, 50_000_000,
    );
    // First mint: below the locked minimum fails.
    add(&mut sim, &a.alice, id, "tok-a", "tok-b", 1_000, 1_000)
        .expect_err(code(&sim, "ERR_FIRST_MINT_TOO_SMALL"));
    add(&mut sim, &a.alice, id, "tok-a", "tok-b", 0, 1_000)
        .expect_err(code(&sim, "ERR_INVALID_AMOUNT"));
    let r = add(
        &mut sim,
        &a.alice,
        id,
        "tok-a",
        "tok-b",
        400 * ONE_8,
        100 * ONE_8,
    );
    let v = r.expect_ok();
    let lp0 = 200 * ONE_8; // sqrt(400 * 100)
    assert_eq!(v.field("lp").to_uint(), lp0);
    assert_eq!(sim.sft_balance(LP, id, &a.alice), lp0 - 1_000);
    assert_eq!(sim.sft_balance(LP, id, &pool_principal(&sim)), 1_000);
    assert!(r.events.iter().any(
        |e| matches!(e, Event::Sft { kind, token_id, .. } if kind == "sft_mint" && *token_id == id)
    ));
    assert!(r.print_with_topic("pool-add").is_some());
    // Pro rata: dy = ceil(dx * y / x), lp = floor(dx * supply / x).
    let dx = 3 * ONE_8 + 1;
    let dy = (dx * 100 * ONE_8).div_ceil(400 * ONE_8);
    let lp = dx * lp0 / (400 * ONE_8);
    let before = sim.ft_balance("tok-b", &a.bob);
    let args = |sim: &Simnet, max_dy: u128, min_lp: u128| {
        vec![
            uint(id),
            tok(sim, "tok-a"),
            tok(sim, "tok-b"),
            uint(dx),
            uint(max_dy),
            uint(min_lp),
            uint(FAR),
        ]
    };
    sim.call(POOL, "add-liquidity", &args(&sim, dy - 1, 0), &a.bob)
        .expect_err(code(&sim, "ERR_MAX_DY"));
    sim.call(POOL, "add-liquidity", &args(&sim, dy, lp + 1), &a.bob)
        .expect_err(code(&sim, "ERR_SLIPPAGE"));
    let v = sim
        .call(POOL, "add-liquidity", &args(&sim, dy, lp), &a.bob)
        .expect_ok();
    assert_eq!((v.field("dy").to_uint(), v.field("lp").to_uint()), (dy, lp));
    assert_eq!(before - sim.ft_balance("tok-b", &a.bob), dy);
    assert_eq!(balances(&mut sim, id), (400 * ONE_8 + dx, 100 * ONE_8 + dy));
    // Burn: floor of the pro-rata share, with minimums.
    let supply = lp_supply(&mut sim, id);
    let (bx, by) = balances(&mut sim, id);
    let (ex, ey) = (lp * bx / supply, lp * by / supply);
    let rm = |sim: &Simnet, lp: u128, min_dx: u128, min_dy: u128| {
        vec![
            uint(id),
            tok(sim, "tok-a"),
            tok(sim, "tok-b"),
            uint(lp),
            uint(min_dx),
            uint(min_dy),
            uint(FAR),
        ]
    };
    sim.call(POOL, "remove-liquidity", &rm(&sim, lp, ex + 1, 0), &a.bob)
        .expect_err(code(&sim, "ERR_SLIPPAGE"));
    sim.call(POOL, "remove-liquidity", &rm(&sim, lp, 0, ey + 1), &a.bob)
        .expect_err(code(&sim, "ERR_SLIPPAGE"));
    sim.call(POOL, "remove-liquidity", &rm(&sim, 0, 0, 0), &a.bob)
        .expect_err(code(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(POOL, "remove-liquidity", &rm(&sim, lp + 1, 0, 0), &a.bob)
        .expect_err(sim.err_code(LP, "ERR_INSUFFICIENT_BALANCE"));
    sim.call(POOL, "remove-liquidity", &rm(&sim, 1, 0, 0), &a.bob)
        .expect_err(code(&sim, "ERR_ZERO_OUT"));
    let r = sim.call(POOL, "remove-liquidity", &rm(&sim, lp, ex, ey), &a.bob);
    let v = r.expect_ok();
    assert_eq!((v.field("dx").to_uint(), v.field("dy").to_uint()), (ex, ey));
    assert!(r.print_with_topic("pool-remove").is_some());
    assert_eq!(sim.sft_balance(LP, id, &a.bob), 0);
    assert_eq!(lp_supply(&mut sim, id), supply - lp);
    // Wrong tokens.
    let wrong = vec![
        uint(id),
        tok(&sim, "tok-b"),
        tok(&sim, "tok-a"),
        uint(ONE_8),
        uint(BIG),
        uint(0),
        uint(FAR),
    ];
    sim.call(POOL, "add-liquidity", &wrong, &a.bob)
        .expect_err(code(&sim, "ERR_TOKEN_MISMATCH"));
    let none_pool = vec![
        uint(77),
        tok(&sim, "tok-a"),
        tok(&sim, "tok-b"),
        uint(ONE_8),
        uint(BIG),
        uint(0),
        uint(FAR),
    ];
    sim.call(POOL, "add-liquidity", &none_pool, &a.bob)
        .expect_err(code(&sim, "ERR_NO_POOL"));
}

#[test]
fn swap_pays_the_quote_and_books_fees() {
    let (mut sim, a, id) = pool_ab();
    let dx = 1_000 * ONE_8;
    let q = quote(&mut sim, id, "tok-a", dx).unwrap();
    let fee = (dx * 300_000).div_ceil(ONE_8);
    let rebate = fee / 2;
    let exact = BIG * (dx - fee) / (BIG + dx - fee);
    assert_eq!(q, exact, "50/50 uses the exact integer formula");
    let before = sim.ft_balance("tok-b", &a.bob);
    let r = swap(&mut sim, &a.bob, id, "tok-a", "tok-b", dx);
    let v = r.expect_ok();
    assert_eq!(
        (v.field("dy").to_uint(), v.field("fee").to_uint()),
        (q, fee)
    );
    assert_eq!(sim.ft_balance("tok-b", &a.bob) - before, q);
    assert_eq!(balances(&mut sim, id), (BIG + dx - (fee - rebate), BIG - q));
    assert_eq!(reserve_of(&mut sim, "tok-a"), fee - rebate);
    assert!(r.print_with_topic("swap").is_some());
    assert!(r.print_with_topic("reserve-credit").is_some());
    // The other direction; then custody = pool balances + reserve ledger, per token.
    swap(&mut sim, &a.carol, id, "tok-b", "tok-a", 77 * ONE_8).expect_ok();
    let (bx, by) = balances(&mut sim, id);
    let me = pool_principal(&sim);
    assert_eq!(
        sim.ft_balance("tok-a", &me),
        bx + reserve_of(&mut sim, "tok-a")
    );
    assert_eq!(
        sim.ft_balance("tok-b", &me),
        by + reserve_of(&mut sim, "tok-b")
    );
    // Governance withdraws the reserve's tok-a.
    let res_a = reserve_of(&mut sim, "tok-a");
    let wd = |sim: &Simnet, amount: u128| {
        vec![
            tok(sim, "tok-a"),
            uint(amount),
            principal(&sim.account("wallet_4")),
        ]
    };
    sim.call(POOL, "withdraw-reserve", &wd(&sim, res_a), &a.alice)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    sim.call(POOL, "withdraw-reserve", &wd(&sim, res_a + 1), &a.deployer)
        .expect_err(sim.err_code(RESERVE, "ERR_INSUFFICIENT_RESERVE"));
    let r = sim.call(POOL, "withdraw-reserve", &wd(&sim, res_a), &a.deployer);
    r.expect_ok();
    assert!(r.print_with_topic("reserve-withdraw").is_some());
    assert_eq!(sim.ft_balance("tok-a", &sim.account("wallet_4")), res_a);
    assert_eq!(reserve_of(&mut sim, "tok-a"), 0);
    assert_eq!(sim.ft_balance("tok-a", &me), bx);
}

#[test]
fn swap_guards_and_error_codes() {
    let (mut sim, a, id) = pool_ab();
    let args = |sim: &Simnet, tin: &str, tout: &str, dx: u128, min: u128, deadline: u128| {
        vec![
            uint(id),
            tok(sim, tin),
            tok(sim, tout),
            uint(dx),
            uint(min),
            uint(deadline),
        ]
    };
    let dx = 100 * ONE_8;
    let q = quote(&mut sim, id, "tok-a", dx).unwrap();
    sim.call(
        POOL,
        "swap",
        &args(&sim, "tok-a", "tok-b", dx, q + 1, FAR),
        &a.bob,
    )
    .expect_err(code(&sim, "ERR_SLIPPAGE"));
    sim.mine(5);
    let h = sim.burn_block_height();
    sim.call(
        POOL,
        "swap",
        &args(&sim, "tok-a", "tok-b", dx, 0, h - 1),
        &a.bob,
    )
    .expect_err(code(&sim, "ERR_DEADLINE"));
    sim.call(
        POOL,
        "swap",
        &args(&sim, "tok-a", "tok-b", dx, q, h),
        &a.bob,
    )
    .expect_ok();
    sim.call(
        POOL,
        "swap",
        &args(&sim, "tok-a", "tok-b", 0, 0, FAR),
        &a.bob,
    )
    .expect_err(code(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(
        POOL,
        "swap",
        &args(&sim, "tok-a", "tok-a", dx, 0, FAR),
        &a.bob,
    )
    .expect_err(code(&sim, "ERR_TOKEN_MISMATCH"));
    sim.call(
        POOL,
        "swap",
        &args(&sim, "tok-c", "tok-b", dx, 0, FAR),
        &a.bob,
    )
    .expect_err(code(&sim, "ERR_TOKEN_MISMATCH"));
    let mut bad = args(&sim, "tok-a", "tok-b", dx, 0, FAR);
    bad[0] = uint(42);
    sim.call(POOL, "swap", &bad, &a.bob)
        .expect_err(code(&sim, "ERR_NO_POOL"));
    // dy = 0 after the fee rounds up.
    sim.call(
        POOL,
        "swap",
        &args(&sim, "tok-a", "tok-b", 1, 0, FAR),
        &a.bob,
    )
    .expect_err(code(&sim, "ERR_ZERO_OUT"));
    // Max in 5% by default; max out tested with the ratios set apart.
    let (bx, _) = balances(&mut sim, id);
    sim.call(
        POOL,
        "swap",
        &args(&sim, "tok-a", "tok-b", bx / 20 + 1, 0, FAR),
        &a.bob,
    )
    .expect_err(code(&sim, "ERR_MAX_IN_RATIO"));
    sim.call(
        POOL,
        "swap",
        &args(&sim, "tok-a", "tok-b", bx / 20, 0, FAR),
        &a.bob,
    )
    .expect_ok();
    let set = |sim: &mut Simnet, who: &str, i: u128, o: u128| {
        sim.call(POOL, "set-pool-ratios", &[uint(id), uint(i), uint(o)], who)
    };
    set(&mut sim, &a.alice, 10_000_000, 1_000_000).expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    set(&mut sim, &a.deployer, 0, 1_000_000).expect_err(code(&sim, "ERR_INVALID_PARAM"));
    set(&mut sim, &a.deployer, 10_000_000, 30_000_001).expect_err(code(&sim, "ERR_INVALID_PARAM"));
    assert!(set(&mut sim, &a.deployer, 10_000_000, 1_000_000)
        .print_with_topic("pool-set-ratios")
        .is_some());
    let (bx, _) = balances(&mut sim, id);
    sim.call(
        POOL,
        "swap",
        &args(&sim, "tok-a", "tok-b", bx / 20, 0, FAR),
        &a.bob,
    )
    .expect_err(code(&sim, "ERR_MAX_OUT_RATIO"));
    assert_eq!(
        sim.call(
            POOL,
            "get-amount-out",
            &[uint(id), tok(&sim, "tok-c"), uint(dx)],
            &a.bob
        )
        .outcome,
        alkahest_clarity::Outcome::Err(uint(code(&sim, "ERR_TOKEN_MISMATCH")))
    );
}

/// The not-better-than-spot guard cannot fire with the real curves (they are convex
/// and round down), so it is exercised on a copy of amm-pool whose 50/50 formula is
/// sabotaged to pay one unit more than the spot price.
#[test]
fn better_than_spot_guard_catches_a_broken_curve() {
    let (mut sim, a) = market();
    let d = a.deployer.clone();
    let lp_src = source("amm-lp-token").replace(
        "(define-constant POOL .amm-pool)",
        "(define-constant POOL .broken-pool)",
    );
    sim.deploy_contract("broken-lp", &lp_src, &d).unwrap();
    let formula = "(/ (* bal-out dx-net) (+ bal-in dx-net))";
    let pool_src = source("amm-pool");
    assert!(pool_src.contains(formula));
    let broken = pool_src
        .replace(formula, "(+ u1 (/ (* bal-out dx-net) bal-in))")
        .replace(".amm-lp-token", ".broken-lp");
    sim.deploy_contract("broken-pool", &broken, &d).unwrap();
    let bp = sim.contract_id("broken-pool");
    for t in ["tok-a", "tok-b"] {
        sim.call(&bp, "set-token-approved", &[tok(&sim, t), vbool(true)], &d)
            .expect_ok();
    }
    let args = [
        tok(&sim, "tok-a"),
        tok(&sim, "tok-b"),
        uint(WEIGHTED),
        uint(HALF),
        uint(0),
        uint(0),
    ];
    sim.call(&bp, "create-pool", &args, &d).expect_ok();
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
    let sw = [
        uint(1),
        tok(&sim, "tok-a"),
        tok(&sim, "tok-b"),
        uint(ONE_8),
        uint(0),
        uint(FAR),
    ];
    sim.call(&bp, "swap", &sw, &a.bob)
        .expect_err(code(&sim, "ERR_BETTER_THAN_SPOT"));
}

#[test]
fn weighted_and_stable_pools_swap_within_their_invariants() {
    let (mut sim, a) = market();
    let w = create_pool(
        &mut sim, "tok-a", "tok-c", WEIGHTED, 80_000_000, 300_000, 50_000_000,
    );
    add(&mut sim, &a.alice, w, "tok-a", "tok-c", BIG, BIG / 4).expect_ok();
    // Instant price of x in y: y wx / (x wy) = (1/4) * 4 = 1.
    assert_eq!(
        sim.read_only(POOL, "get-oracle-instant", &[uint(w)])
            .to_uint(),
        ONE_8
    );
    let dx = 1_000 * ONE_8;
    let q = quote(&mut sim, w, "tok-a", dx).unwrap();
    let fee = (dx * 300_000).div_ceil(ONE_8);
    let r = (BIG as f64) / ((BIG + dx - fee) as f64);
    let exact = (BIG / 4) as f64 * (1.0 - r.powi(4));
    assert!(
        (q as f64) <= exact && exact - (q as f64) < 2.0,
        "{q} vs {exact}"
    );
    assert_eq!(
        swap(&mut sim, &a.bob, w, "tok-a", "tok-c", dx)
            .expect_ok()
            .field("dy")
            .to_uint(),
        q
    );
    let back = swap(&mut sim, &a.bob, w, "tok-c", "tok-a", q)
        .expect_ok()
        .field("dy")
        .to_uint();
    assert!(back < dx, "a round trip loses: {back} < {dx}");
    let s = create_pool(&mut sim, "tok-b", "tok-d", STABLE, HALF, 50_000, 50_000_000);
    add(&mut sim, &a.alice, s, "tok-b", "tok-d", BIG, BIG).expect_ok();
    let q = quote(&mut sim, s, "tok-b", dx).unwrap();
    // Near the peg the stable curve pays close to 1:1 (much better than x*y=k).
    let fee = (dx * 50_000).div_ceil(ONE_8);
    assert!(q < dx - fee && q > (dx - fee) * 99_999 / 100_000, "{q}");
    let v = swap(&mut sim, &a.bob, s, "tok-b", "tok-d", dx).expect_ok();
    assert_eq!(v.field("dy").to_uint(), q);
    let (x, y) = balances(&mut sim, s);
    assert_eq!((x, y), (BIG + dx - (fee - fee / 2), BIG - q));
    let p = sim
        .read_only(POOL, "get-oracle-instant", &[uint(s)])
        .to_uint();
    assert!(
        p < ONE_8 && p > 99_990_000,
        "stable price after selling x: {p}"
    );
}

#[test]
fn oracle_instant_and_resilient_update_rules() {
    let (mut sim, a, id) = pool_ab();
    let d = a.deployer.clone();
    assert_eq!(
        sim.read_only(POOL, "get-oracle-resilient", &[uint(id)])
            .to_uint(),
        0
    );
    let p0 = sim
        .read_only(POOL, "get-oracle-instant", &[uint(id)])
        .to_uint();
    assert_eq!(p0, ONE_8);
    // The first swap initialises the EMA to the pre-trade price.
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", 10_000 * ONE_8).expect_ok();
    assert_eq!(
        sim.read_only(POOL, "get-oracle-resilient", &[uint(id)])
            .to_uint(),
        p0
    );
    let (x, y) = balances(&mut sim, id);
    let p1 = sim
        .read_only(POOL, "get-oracle-instant", &[uint(id)])
        .to_uint();
    assert_eq!(p1, y * ONE_8 / x);
    assert!(p1 < p0);
    // Each later swap: R = avg * R + (1 - avg) * pre-trade price (avg = 0.95).
    let r = swap(&mut sim, &a.bob, id, "tok-a", "tok-b", 10_000 * ONE_8);
    assert_eq!(
        r.print_with_topic("swap").unwrap().field("price").to_uint(),
        p1
    );
    let r1 = (p0 * 95_000_000 + p1 * 5_000_000) / ONE_8;
    assert_eq!(
        sim.read_only(POOL, "get-oracle-resilient", &[uint(id)])
            .to_uint(),
        r1
    );
    // Governance sets the average; 1.0 and above are refused.
    sim.call(POOL, "set-pool-oracle", &[uint(id), uint(ONE_8)], &d)
        .expect_err(code(&sim, "ERR_INVALID_PARAM"));
    sim.call(POOL, "set-pool-oracle", &[uint(id), uint(0)], &a.bob)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(sim
        .call(POOL, "set-pool-oracle", &[uint(id), uint(0)], &d)
        .print_with_topic("pool-set-oracle")
        .is_some());
    let p2 = sim
        .read_only(POOL, "get-oracle-instant", &[uint(id)])
        .to_uint();
    swap(&mut sim, &a.bob, id, "tok-b", "tok-a", 10_000 * ONE_8).expect_ok();
    assert_eq!(
        sim.read_only(POOL, "get-oracle-resilient", &[uint(id)])
            .to_uint(),
        p2,
        "avg 0 tracks the pre-trade price"
    );
    sim.call(POOL, "get-oracle-instant", &[uint(99)], &d)
        .expect_err(code(&sim, "ERR_NO_POOL"));
}

#[test]
fn pause_blocks_everything_until_unpaused() {
    let (mut sim, a, id) = pool_ab();
    let d = a.deployer.clone();
    sim.call(POOL, "set-paused", &[vbool(true)], &a.alice)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(sim
        .call(POOL, "set-paused", &[vbool(true)], &d)
        .print_with_topic("amm-set-paused")
        .is_some());
    assert!(sim.read_only(POOL, "is-paused", &[]).to_bool());
    let paused = code(&sim, "ERR_PAUSED");
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", ONE_8).expect_err(paused);
    add(&mut sim, &a.bob, id, "tok-a", "tok-b", ONE_8, BIG).expect_err(paused);
    remove(&mut sim, &a.alice, id, "tok-a", "tok-b", ONE_8).expect_err(paused);
    sim.call(POOL, "set-paused", &[vbool(false)], &d)
        .expect_ok();
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", ONE_8).expect_ok();
    // Per pool.
    sim.call(POOL, "set-pool-paused", &[uint(id), vbool(true)], &a.bob)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(sim
        .call(POOL, "set-pool-paused", &[uint(id), vbool(true)], &d)
        .print_with_topic("pool-set-paused")
        .is_some());
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", ONE_8).expect_err(paused);
    sim.call(POOL, "set-pool-paused", &[uint(id), vbool(false)], &d)
        .expect_ok();
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", ONE_8).expect_ok();
}

#[test]
fn fee_bounds_and_token_revocation() {
    let (mut sim, a, id) = pool_ab();
    let d = a.deployer.clone();
    sim.call(POOL, "set-max-fee-rate", &[uint(10_000_001)], &d)
        .expect_err(code(&sim, "ERR_INVALID_PARAM"));
    sim.call(POOL, "set-max-fee-rate", &[uint(2_000_000)], &a.bob)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(sim
        .call(POOL, "set-max-fee-rate", &[uint(2_000_000)], &d)
        .print_with_topic("amm-set-max-fee-rate")
        .is_some());
    assert_eq!(
        sim.read_only(POOL, "get-max-fee-rate", &[]).to_uint(),
        2_000_000
    );
    let fee = |sim: &mut Simnet, who: &str, rate: u128, rebate: u128| {
        sim.call(
            POOL,
            "set-pool-fee",
            &[uint(id), uint(rate), uint(rebate)],
            who,
        )
    };
    fee(&mut sim, &d, 2_000_001, 0).expect_err(code(&sim, "ERR_INVALID_PARAM"));
    fee(&mut sim, &d, 0, ONE_8 + 1).expect_err(code(&sim, "ERR_INVALID_PARAM"));
    fee(&mut sim, &a.bob, 0, 0).expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(fee(&mut sim, &d, 2_000_000, ONE_8)
        .print_with_topic("pool-set-fee")
        .is_some());
    // A 100% rebate books nothing to the reserve.
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", 100 * ONE_8).expect_ok();
    assert_eq!(reserve_of(&mut sim, "tok-a"), 0);
    sim.call(POOL, "set-pool-fee", &[uint(99), uint(0), uint(0)], &d)
        .expect_err(code(&sim, "ERR_NO_POOL"));
    // Revoking a token stops every call into it.
    let ta = tok(&sim, "tok-a");
    sim.call(
        POOL,
        "set-token-approved",
        &[ta.clone(), vbool(false)],
        &a.bob,
    )
    .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(sim
        .call(POOL, "set-token-approved", &[ta.clone(), vbool(false)], &d)
        .print_with_topic("amm-set-token-approved")
        .is_some());
    let na = code(&sim, "ERR_TOKEN_NOT_APPROVED");
    swap(&mut sim, &a.bob, id, "tok-b", "tok-a", ONE_8).expect_err(na);
    remove(&mut sim, &a.alice, id, "tok-a", "tok-b", ONE_8).expect_err(na);
    sim.call(
        POOL,
        "withdraw-reserve",
        &[ta, uint(1), principal(&a.bob)],
        &d,
    )
    .expect_err(na);
}

/// Every privileged amm-pool and amm-reserve function refuses a stranger and a
/// malicious contract that calls it under `as-contract` (and even when governance
/// itself is tricked into calling that contract), since authority is checked on
/// contract-caller.
#[test]
fn governance_is_checked_on_contract_caller() {
    let (mut sim, a, id) = pool_ab();
    let d = a.deployer.clone();
    let evil = r#"
(define-public (hijack-pool) (as-contract (contract-call? .amm-pool set-governance tx-sender)))
(define-public (pause-pool) (contract-call? .amm-pool set-paused true))
(define-public (list-token (t principal)) (as-contract (contract-call? .amm-pool set-token-approved t true)))
(define-public (hijack-reserve) (as-contract (contract-call? .amm-reserve set-governance tx-sender)))
(define-public (credit (t principal)) (as-contract (contract-call? .amm-reserve add-to-balance t u1000)))
(define-public (debit (t principal)) (as-contract (contract-call? .amm-reserve remove-from-balance t u1)))
(define-public (mint-lp) (as-contract (contract-call? .amm-lp-token mint u1 u1000 tx-sender)))
"#;
    let evil = evil.replace(" .amm-", &format!(" '{d}.amm-"));
    sim.deploy_contract("evil", &evil, &a.mallory).unwrap();
    let e = format!("{}.evil", a.mallory);
    let no = code(&sim, "ERR_NOT_AUTHORIZED");
    let rno = sim.err_code(RESERVE, "ERR_NOT_AUTHORIZED");
    for who in [&a.mallory, &d] {
        sim.call(&e, "hijack-pool", &[], who).expect_err(no);
        sim.call(&e, "pause-pool", &[], who).expect_err(no);
        sim.call(&e, "list-token", &[principal(&e)], who)
            .expect_err(no);
        sim.call(&e, "hijack-reserve", &[], who).expect_err(rno);
        sim.call(&e, "credit", &[tok(&sim, "tok-a")], who)
            .expect_err(rno);
        sim.call(&e, "debit", &[tok(&sim, "tok-a")], who)
            .expect_err(rno);
        sim.call(&e, "mint-lp", &[], who)
            .expect_err(sim.err_code(LP, "ERR_NOT_AUTHORIZED"));
    }
    // Strangers directly.
    let calls: Vec<(&str, Vec<alkahest_clarity::Value>)> = vec![
        ("set-governance", vec![principal(&a.mallory)]),
        ("set-pool-pld", vec![uint(id), uint(0), uint(0), uint(10)]),
    ];
    for (f, args) in calls {
        sim.call(POOL, f, &args, &a.mallory).expect_err(no);
    }
    sim.call(
        RESERVE,
        "set-approved-contract",
        &[principal(&e), vbool(true)],
        &a.mallory,
    )
    .expect_err(rno);
    sim.call(
        RESERVE,
        "set-governance",
        &[principal(&a.mallory)],
        &a.mallory,
    )
    .expect_err(rno);
    sim.call(
        LP,
        "burn",
        &[uint(id), uint(1), principal(&a.alice)],
        &a.mallory,
    )
    .expect_err(sim.err_code(LP, "ERR_NOT_AUTHORIZED"));
    // Governance hands over: the old one loses power, the new one has it.
    let r = sim.call(POOL, "set-governance", &[principal(&a.carol)], &d);
    assert!(r.print_with_topic("amm-set-governance").is_some());
    assert_eq!(
        sim.read_only(POOL, "get-governance", &[]).to_principal(),
        a.carol
    );
    sim.call(POOL, "set-paused", &[vbool(true)], &d)
        .expect_err(no);
    sim.call(POOL, "set-paused", &[vbool(true)], &a.carol)
        .expect_ok();
    let r = sim.call(RESERVE, "set-governance", &[principal(&a.carol)], &d);
    assert!(r.print_with_topic("reserve-set-governance").is_some());
    sim.call(
        RESERVE,
        "set-approved-contract",
        &[principal(&e), vbool(true)],
        &d,
    )
    .expect_err(rno);
    let r = sim.call(
        RESERVE,
        "set-approved-contract",
        &[principal(&e), vbool(true)],
        &a.carol,
    );
    assert!(r.print_with_topic("reserve-set-approved").is_some());
    // Approved now: the ledger takes credits and refuses zero and overdrafts.
    sim.call(&e, "credit", &[tok(&sim, "tok-e")], &a.mallory)
        .expect_ok();
    assert_eq!(reserve_of(&mut sim, "tok-e"), 1000);
    sim.call(&e, "debit", &[tok(&sim, "tok-e")], &a.mallory)
        .expect_ok();
    let zero = "(define-public (z (t principal)) (as-contract (contract-call? .amm-reserve add-to-balance t u0)))\n(define-public (big (t principal)) (as-contract (contract-call? .amm-reserve remove-from-balance t u1000000)))";
    let zero = zero.replace(" .amm-", &format!(" '{d}.amm-"));
    sim.deploy_contract("evil2", &zero, &a.mallory).unwrap();
    let e2 = format!("{}.evil2", a.mallory);
    sim.call(
        RESERVE,
        "set-approved-contract",
        &[principal(&e2), vbool(true)],
        &a.carol,
    )
    .expect_ok();
    sim.call(&e2, "z", &[tok(&sim, "tok-e")], &a.mallory)
        .expect_err(sim.err_code(RESERVE, "ERR_INVALID_AMOUNT"));
    sim.call(&e2, "big", &[tok(&sim, "tok-e")], &a.mallory)
        .expect_err(sim.err_code(RESERVE, "ERR_INSUFFICIENT_RESERVE"));
}

#[test]
fn lp_token_is_sip013_and_transferable() {
    let (mut sim, a, id) = pool_ab();
    let lpc = |s: &Simnet, n: &str| s.err_code(LP, n);
    let bal = sim.sft_balance(LP, id, &a.alice);
    assert_eq!(sim.read_only(LP, "get-decimals", &[uint(id)]).to_uint(), 8);
    assert_eq!(
        sim.read_only(LP, "get-overall-balance", &[principal(&a.alice)])
            .to_uint(),
        bal
    );
    assert_eq!(
        sim.read_only(LP, "get-overall-supply", &[]).to_uint(),
        bal + 1_000
    );
    assert!(sim
        .read_only(LP, "get-token-uri", &[uint(id)])
        .to_optional()
        .is_none());
    let t = |id: u128, amt: u128, from: &str, to: &str| {
        vec![uint(id), uint(amt), principal(from), principal(to)]
    };
    sim.call(LP, "transfer", &t(id, 10, &a.alice, &a.bob), &a.bob)
        .expect_err(lpc(&sim, "ERR_NOT_OWNER"));
    sim.call(LP, "transfer", &t(id, 0, &a.alice, &a.bob), &a.alice)
        .expect_err(lpc(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(LP, "transfer", &t(id, 10, &a.alice, &a.alice), &a.alice)
        .expect_err(lpc(&sim, "ERR_SELF_TRANSFER"));
    sim.call(LP, "transfer", &t(id, bal + 1, &a.alice, &a.bob), &a.alice)
        .expect_err(lpc(&sim, "ERR_INSUFFICIENT_BALANCE"));
    let r = sim.call(LP, "transfer", &t(id, 10, &a.alice, &a.bob), &a.alice);
    r.expect_ok();
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::Sft { kind, amount: 10, .. } if kind == "sft_transfer")));
    let mut memo = t(id, 5, &a.alice, &a.bob);
    memo.push(alkahest_clarity::values::buff(b"hi"));
    sim.call(LP, "transfer-memo", &memo, &a.alice).expect_ok();
    let item = |amt: u128| {
        tuple([
            ("token-id", uint(id)),
            ("amount", uint(amt)),
            ("sender", principal(&a.alice)),
            ("recipient", principal(&a.carol)),
        ])
    };
    sim.call(
        LP,
        "transfer-many",
        &[list(vec![item(1), item(2)])],
        &a.alice,
    )
    .expect_ok();
    sim.call(
        LP,
        "transfer-many",
        &[list(vec![item(1), item(bal * 2)])],
        &a.alice,
    )
    .expect_err(lpc(&sim, "ERR_INSUFFICIENT_BALANCE"));
    let item_m = |amt: u128| {
        tuple([
            ("token-id", uint(id)),
            ("amount", uint(amt)),
            ("sender", principal(&a.alice)),
            ("recipient", principal(&a.carol)),
            ("memo", alkahest_clarity::values::buff(b"m")),
        ])
    };
    sim.call(LP, "transfer-many-memo", &[list(vec![item_m(4)])], &a.alice)
        .expect_ok();
    assert_eq!(sim.sft_balance(LP, id, &a.bob), 15);
    assert_eq!(sim.sft_balance(LP, id, &a.carol), 7);
    let _ = none();
}
