//! amm-pool progressive liquidity decentralisation: the per-LP cap on deposits and
//! the withdrawal gate (the part above a window's allowance is escrowed, queued and
//! paid in later windows), with their parameter bounds and error codes.

use crate::amm_common::*;
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::Simnet;

const BIG: u128 = 1_000_000 * ONE_8;

fn code(sim: &Simnet, name: &str) -> u128 {
    sim.err_code(POOL, name)
}

fn setup() -> (Simnet, Actors, u128) {
    let (mut sim, a) = market();
    let id = create_pool(
        &mut sim, "tok-a", "tok-b", WEIGHTED, HALF, 300_000, 50_000_000,
    );
    add(&mut sim, &a.alice, id, "tok-a", "tok-b", BIG, BIG).expect_ok();
    (sim, a, id)
}

/// Mines until the pool's gate window number moves on.
fn next_window(sim: &mut Simnet, id: u128) {
    let w = sim.read_only(POOL, "get-window", &[uint(id)]).to_uint();
    while sim.read_only(POOL, "get-window", &[uint(id)]).to_uint() == w {
        sim.mine(1);
    }
}

fn pld(
    sim: &mut Simnet,
    who: &str,
    id: u128,
    cap: u128,
    gate: u128,
    window: u128,
) -> alkahest_clarity::Receipt {
    sim.call(
        POOL,
        "set-pool-pld",
        &[uint(id), uint(cap), uint(gate), uint(window)],
        who,
    )
}

#[test]
fn pld_parameters_are_bounded() {
    let (mut sim, a, id) = setup();
    let d = a.deployer.clone();
    let bad = code(&sim, "ERR_INVALID_PARAM");
    pld(&mut sim, &d, id, 999_999, 0, 10).expect_err(bad); // cap below 1%
    pld(&mut sim, &d, id, ONE_8 + 1, 0, 10).expect_err(bad);
    pld(&mut sim, &d, id, 0, ONE_8 + 1, 10).expect_err(bad);
    pld(&mut sim, &d, id, 0, 0, 0).expect_err(bad);
    pld(&mut sim, &d, id, 0, 0, 4_321).expect_err(bad);
    pld(&mut sim, &a.bob, id, 0, 0, 10).expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    pld(&mut sim, &d, 99, 0, 0, 10).expect_err(code(&sim, "ERR_NO_POOL"));
    let r = pld(&mut sim, &d, id, 30_000_000, 10_000_000, 10);
    assert!(r.print_with_topic("pool-set-pld").is_some());
    assert_eq!(pool_field(&mut sim, id, "lp-cap").to_uint(), 30_000_000);
}

#[test]
fn lp_cap_limits_each_depositor_and_can_be_disabled() {
    let (mut sim, a, id) = setup();
    let d = a.deployer.clone();
    pld(&mut sim, &d, id, 30_000_000, 0, 10).expect_ok();
    // Bob at 50% of the old supply would hold 1/3 > 30%.
    add(&mut sim, &a.bob, id, "tok-a", "tok-b", BIG / 2, BIG).expect_err(code(&sim, "ERR_LP_CAP"));
    // 40% -> 0.4/1.4 = 28.6%.
    add(&mut sim, &a.bob, id, "tok-a", "tok-b", BIG * 2 / 5, BIG).expect_ok();
    let supply = lp_supply(&mut sim, id);
    let bob = sim.sft_balance(LP, id, &a.bob);
    assert!(bob * 100 <= 30 * supply);
    // Alice (the first LP, ~71%) may not deposit more while above the cap.
    add(&mut sim, &a.alice, id, "tok-a", "tok-b", ONE_8, BIG).expect_err(code(&sim, "ERR_LP_CAP"));
    // Disabled: anything goes.
    pld(&mut sim, &d, id, 0, 0, 10).expect_ok();
    add(&mut sim, &a.alice, id, "tok-a", "tok-b", ONE_8, BIG).expect_ok();
    add(&mut sim, &a.bob, id, "tok-a", "tok-b", BIG, BIG * 2).expect_ok();
}

#[test]
fn withdrawal_gate_queues_the_excess_and_pays_it_in_later_windows() {
    let (mut sim, a, id) = setup();
    let d = a.deployer.clone();
    pld(&mut sim, &d, id, 0, 10_000_000, 10).expect_ok();
    let me = pool_principal(&sim);
    let supply = lp_supply(&mut sim, id);
    assert_eq!(
        sim.read_only(POOL, "get-gate-allowance", &[uint(id)])
            .to_uint(),
        supply / 10
    );
    let a0 = sim.ft_balance("tok-a", &a.alice);
    // Alice asks for half the pool: 10% is paid now, 40% is escrowed and queued.
    let want = supply / 2;
    let r = remove(&mut sim, &a.alice, id, "tok-a", "tok-b", want);
    let paid = r.expect_ok();
    assert_eq!(paid.field("lp").to_uint(), supply / 10);
    assert!(r.print_with_topic("pool-queue-withdrawal").is_some());
    let queued = want - supply / 10;
    let q = sim.read_only(POOL, "get-queued", &[uint(id), principal(&a.alice)]);
    assert_eq!(q.field("amount").to_uint(), queued);
    assert_eq!(sim.sft_balance(LP, id, &me), 1_000 + queued);
    assert_eq!(
        sim.ft_balance("tok-a", &a.alice) - a0,
        paid.field("dx").to_uint()
    );
    assert_eq!(
        sim.read_only(POOL, "get-gate-allowance", &[uint(id)])
            .to_uint(),
        0
    );
    // Everything above the allowance queues: nothing is paid now.
    let r = remove(&mut sim, &a.alice, id, "tok-a", "tok-b", ONE_8);
    assert_eq!(r.expect_ok().field("lp").to_uint(), 0);
    let queued = queued + ONE_8;
    // Not in the same window; nobody else has anything queued.
    let claim = |sim: &mut Simnet, who: &str| claim(sim, who, id);
    claim(&mut sim, &a.alice).expect_err(code(&sim, "ERR_GATE_WAIT"));
    claim(&mut sim, &a.bob).expect_err(code(&sim, "ERR_NOTHING_QUEUED"));
    // Later windows release up to 10% of the supply at each window's start to the
    // queue first: nothing is left for instant withdrawals while it waits.
    let mut left = queued;
    let mut windows = 0;
    while left > 0 {
        next_window(&mut sim, id);
        windows += 1;
        let s = lp_supply(&mut sim, id);
        let allowance = sim
            .read_only(POOL, "get-claimable", &[uint(id), principal(&a.alice)])
            .to_uint();
        assert_eq!(allowance, left.min(s / 10));
        if left > s / 10 {
            assert_eq!(
                sim.read_only(POOL, "get-gate-allowance", &[uint(id)])
                    .to_uint(),
                0
            );
        }
        let (bx, by) = balances(&mut sim, id);
        let r = claim(&mut sim, &a.alice);
        let v = r.expect_ok();
        let n = left.min(allowance);
        assert_eq!(v.field("lp").to_uint(), n);
        assert_eq!(
            (v.field("dx").to_uint(), v.field("dy").to_uint()),
            (n * bx / s, n * by / s)
        );
        assert!(r
            .print_with_topic("pool-remove")
            .unwrap()
            .field("queued-claim")
            .to_bool());
        left -= n;
        assert_eq!(
            sim.read_only(POOL, "get-queued", &[uint(id), principal(&a.alice)])
                .field("amount")
                .to_uint(),
            left
        );
        // The window's allowance is used up.
        if left > 0 {
            claim(&mut sim, &a.alice).expect_err(code(&sim, "ERR_GATE_WAIT"));
        }
        assert!(windows < 20);
    }
    assert!(
        windows >= 4,
        "40% at ~10% per window takes several windows: {windows}"
    );
    assert_eq!(sim.sft_balance(LP, id, &me), 1_000);
    claim(&mut sim, &a.alice).expect_err(code(&sim, "ERR_NOTHING_QUEUED"));
}

/// Issue 17: every PLD bound is inclusive: the cap at 1% and at 100%, the gate at
/// 100% and the window at 1 and at 4,320 blocks are accepted.
#[test]
fn pld_bounds_are_inclusive() {
    let (mut sim, a, id) = setup();
    let d = a.deployer.clone();
    for (cap, gate, window) in [(1_000_000, 0, 1), (ONE_8, ONE_8, 4_320), (0, ONE_8, 144)] {
        pld(&mut sim, &d, id, cap, gate, window).expect_ok();
        assert_eq!(pool_field(&mut sim, id, "lp-cap").to_uint(), cap);
        assert_eq!(pool_field(&mut sim, id, "gate-pct").to_uint(), gate);
        assert_eq!(pool_field(&mut sim, id, "gate-window").to_uint(), window);
        assert_eq!(
            sim.read_only(LP, "get-cap", &[uint(id)]).to_uint(),
            cap,
            "the cap is mirrored into amm-lp-token"
        );
    }
}

/// A holder may end a deposit exactly at the cap. The pool holds BIG/BIG with supply
/// BIG; at a 50% cap bob's deposit of BIG makes him exactly half of 2·BIG, and one
/// unit more puts him over.
#[test]
fn lp_cap_admits_a_holder_exactly_at_the_cap() {
    let (mut sim, a, id) = setup();
    let d = a.deployer.clone();
    assert_eq!(lp_supply(&mut sim, id), BIG);
    pld(&mut sim, &d, id, 50_000_000, 0, 10).expect_ok();
    add(&mut sim, &a.bob, id, "tok-a", "tok-b", BIG + 1, 2 * BIG)
        .expect_err(code(&sim, "ERR_LP_CAP"));
    assert_eq!(sim.sft_balance(LP, id, &a.bob), 0);
    let v = add(&mut sim, &a.bob, id, "tok-a", "tok-b", BIG, BIG).expect_ok();
    assert_eq!(v.field("lp").to_uint(), BIG);
    assert_eq!(sim.sft_balance(LP, id, &a.bob), BIG);
    assert_eq!(lp_supply(&mut sim, id), 2 * BIG);
}

/// A queued claim is payable from its payable height on, and not a block earlier
/// even when the queue ahead of it was already released (a deposit in the same
/// window refilled the allowance and served the queue).
#[test]
fn a_queued_claim_is_payable_exactly_at_its_payable_height() {
    let (mut sim, a, id) = setup();
    let d = a.deployer.clone();
    pld(&mut sim, &d, id, 0, 10_000_000, 10).expect_ok();
    let supply = lp_supply(&mut sim, id);
    remove(&mut sim, &a.alice, id, "tok-a", "tok-b", supply / 2).expect_ok();
    let queued =
        |sim: &mut Simnet| sim.read_only(POOL, "get-queued", &[uint(id), principal(&a.alice)]);
    let q = queued(&mut sim);
    let payable = q.field("payable-at").to_uint();
    let amount = q.field("amount").to_uint();
    assert!(payable > sim.burn_block_height());
    // Bob's deposit in the same window refills the allowance; the refill releases
    // the front of alice's claim.
    add(&mut sim, &a.bob, id, "tok-a", "tok-b", BIG / 100, BIG).expect_ok();
    let released = sim
        .read_only(POOL, "get-gate", &[uint(id)])
        .field("released")
        .to_uint();
    assert!(released > 0, "the refill served the queue");
    while sim.burn_block_height() < payable - 1 {
        sim.mine(1);
    }
    assert_eq!(sim.burn_block_height(), payable - 1);
    let a0 = sim.ft_balance("tok-a", &a.alice);
    claim(&mut sim, &a.alice, id).expect_err(code(&sim, "ERR_GATE_WAIT"));
    assert_eq!(queued(&mut sim).field("amount").to_uint(), amount);
    assert_eq!(sim.ft_balance("tok-a", &a.alice), a0);

    sim.mine(1);
    assert_eq!(sim.burn_block_height(), payable);
    let due = sim
        .read_only(POOL, "get-claimable", &[uint(id), principal(&a.alice)])
        .to_uint();
    assert!(due >= released);
    let v = claim(&mut sim, &a.alice, id).expect_ok();
    assert_eq!(v.field("lp").to_uint(), due);
    assert_eq!(queued(&mut sim).field("amount").to_uint(), amount - due);
    assert!(sim.ft_balance("tok-a", &a.alice) > a0);
}
