//! alex-vesting: one-time registration by the deployer, cliff plus linear vesting
//! (before the cliff, at the cliff, mid-way, after the end, double claim), and the
//! return of the unallocated remainder to the foundation reserve.

use crate::token_common::ONE;
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::Simnet;

const V: &str = "alex-vesting";

/// Registers `who` for 1,000 ALEX: start 10, cliff 20, end 110 (100 blocks linear).
fn register(sim: &mut Simnet, who: &str) {
    let d = sim.deployer();
    let r = sim.call(
        V,
        "add-beneficiary",
        &[
            principal(who),
            uint(1_000 * ONE),
            uint(10),
            uint(20),
            uint(110),
        ],
        &d,
    );
    r.expect_ok();
    assert!(r.print_with_topic("add-beneficiary").is_some());
}

/// Mines until `burn-block-height` (the vesting clock) is `height`.
fn mine_to(sim: &mut Simnet, height: u32) {
    let target = u128::from(height);
    let now = sim.burn_block_height();
    assert!(target >= now, "cannot mine back from {now} to {height}");
    while sim.burn_block_height() < target {
        sim.mine(1);
    }
    assert_eq!(sim.burn_block_height(), target);
}

#[test]
fn cliff_then_linear_then_full_and_no_double_claim() {
    let mut sim = Simnet::deployer_governed();
    let alice = sim.account("wallet_1");
    register(&mut sim, &alice);
    let nothing = sim.err_code(V, "ERR_NOTHING_TO_CLAIM");

    // Before the cliff nothing has vested, even though time has passed since start.
    mine_to(&mut sim, 19);
    assert_eq!(
        sim.read_only(V, "get-vested", &[principal(&alice)])
            .to_uint(),
        0
    );
    sim.call(V, "claim", &[], &alice).expect_err(nothing);

    // At the cliff: the linear amount accrued since start, 10/100 of the total.
    mine_to(&mut sim, 20);
    assert_eq!(
        sim.read_only(V, "get-claimable", &[principal(&alice)])
            .to_uint(),
        100 * ONE
    );
    let r = sim.call(V, "claim", &[], &alice);
    assert_eq!(r.expect_ok().to_uint(), 100 * ONE);
    assert!(r.print_with_topic("claim").is_some());
    assert_eq!(sim.ft_balance("alex-token", &alice), 100 * ONE);
    // Double claim in the same block.
    sim.call(V, "claim", &[], &alice).expect_err(nothing);

    // Mid-way (height 60): half vested, 400 more claimable.
    mine_to(&mut sim, 60);
    assert_eq!(
        sim.call(V, "claim", &[], &alice).expect_ok().to_uint(),
        400 * ONE
    );

    // After the end: the rest, and never more.
    mine_to(&mut sim, 200);
    assert_eq!(
        sim.read_only(V, "vested-at", &[principal(&alice), uint(109)])
            .to_uint(),
        990 * ONE
    );
    assert_eq!(
        sim.call(V, "claim", &[], &alice).expect_ok().to_uint(),
        500 * ONE
    );
    sim.call(V, "claim", &[], &alice).expect_err(nothing);
    assert_eq!(sim.ft_balance("alex-token", &alice), 1_000 * ONE);
    let b = sim
        .read_only(V, "get-beneficiary", &[principal(&alice)])
        .to_optional()
        .unwrap();
    assert_eq!(b.field("claimed").to_uint(), 1_000 * ONE);
    assert_eq!(
        sim.read_only(V, "get-total-claimed", &[]).to_uint(),
        1_000 * ONE
    );
}

#[test]
fn registration_errors() {
    let mut sim = Simnet::deployer_governed();
    let (d, alice, bob) = (
        sim.deployer(),
        sim.account("wallet_1"),
        sim.account("wallet_2"),
    );
    let code = |sim: &Simnet, n: &str| sim.err_code(V, n);
    let add = |who: &str, total: u128, s: u128, c: u128, e: u128| {
        [principal(who), uint(total), uint(s), uint(c), uint(e)]
    };
    sim.call(V, "add-beneficiary", &add(&alice, ONE, 1, 2, 3), &alice)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    sim.call(V, "add-beneficiary", &add(&alice, 0, 1, 2, 3), &d)
        .expect_err(code(&sim, "ERR_INVALID_AMOUNT"));
    for (s, c, e) in [(5, 4, 10), (1, 11, 10), (10, 10, 10)] {
        sim.call(V, "add-beneficiary", &add(&alice, ONE, s, c, e), &d)
            .expect_err(code(&sim, "ERR_INVALID_SCHEDULE"));
    }
    sim.call(
        V,
        "add-beneficiary",
        &add(&alice, 300_000_000 * ONE + 1, 1, 2, 3),
        &d,
    )
    .expect_err(code(&sim, "ERR_OVER_ALLOCATED"));
    sim.call(
        V,
        "add-beneficiary",
        &add(&alice, 200_000_000 * ONE, 1, 2, 3),
        &d,
    )
    .expect_ok();
    sim.call(V, "add-beneficiary", &add(&alice, ONE, 1, 2, 3), &d)
        .expect_err(code(&sim, "ERR_ALREADY_REGISTERED"));
    // Only 100M remain unallocated.
    sim.call(
        V,
        "add-beneficiary",
        &add(&bob, 100_000_000 * ONE + 1, 1, 2, 3),
        &d,
    )
    .expect_err(code(&sim, "ERR_OVER_ALLOCATED"));
    assert_eq!(
        sim.read_only(V, "get-allocated", &[]).to_uint(),
        200_000_000 * ONE
    );
    assert_eq!(
        sim.read_only(V, "get-unallocated", &[]).to_uint(),
        100_000_000 * ONE
    );
    // A stranger cannot claim.
    sim.call(V, "claim", &[], &bob)
        .expect_err(code(&sim, "ERR_NOT_BENEFICIARY"));
    // The schedule bounds are inclusive: no cliff (start = cliff) and a cliff at the
    // end (cliff = end) are both valid schedules.
    let (carol, dave) = (sim.account("wallet_3"), sim.account("wallet_4"));
    sim.call(V, "add-beneficiary", &add(&carol, ONE, 1, 1, 3), &d)
        .expect_ok();
    sim.call(V, "add-beneficiary", &add(&dave, ONE, 1, 3, 3), &d)
        .expect_ok();
}

#[test]
fn close_registration_returns_the_remainder_to_the_foundation() {
    let mut sim = Simnet::deployer_governed();
    let (d, alice, bob) = (
        sim.deployer(),
        sim.account("wallet_1"),
        sim.account("wallet_2"),
    );
    register(&mut sim, &alice);
    let reserve_before = sim.ft_balance("alex-token", &d);
    sim.call(V, "close-registration", &[], &alice)
        .expect_err(sim.err_code(V, "ERR_NOT_AUTHORIZED"));
    let r = sim.call(V, "close-registration", &[], &d);
    assert_eq!(r.expect_ok().to_uint(), (300_000_000 - 1_000) * ONE);
    assert!(r.print_with_topic("close-registration").is_some());
    assert_eq!(
        sim.ft_balance("alex-token", &d),
        reserve_before + (300_000_000 - 1_000) * ONE
    );
    assert!(!sim.read_only(V, "is-registration-open", &[]).to_bool());
    sim.call(V, "close-registration", &[], &d)
        .expect_err(sim.err_code(V, "ERR_REGISTRATION_CLOSED"));
    sim.call(
        V,
        "add-beneficiary",
        &[principal(&bob), uint(1), uint(1), uint(2), uint(3)],
        &d,
    )
    .expect_err(sim.err_code(V, "ERR_REGISTRATION_CLOSED"));
    // The registered beneficiary is still paid in full.
    mine_to(&mut sim, 110);
    assert_eq!(
        sim.call(V, "claim", &[], &alice).expect_ok().to_uint(),
        1_000 * ONE
    );
    assert_eq!(sim.read_only(V, "get-holdings", &[]).to_uint(), 0);
}

/// Issue 17: the allocation check is inclusive: the last beneficiary can take exactly
/// what is left unallocated, after which not one unit more can be promised.
#[test]
fn the_whole_unallocated_remainder_can_be_allocated() {
    let mut sim = Simnet::deployer_governed();
    let (d, alice, bob) = (
        sim.deployer(),
        sim.account("wallet_1"),
        sim.account("wallet_2"),
    );
    register(&mut sim, &alice);
    let rest = sim.read_only(V, "get-unallocated", &[]).to_uint();
    assert_eq!(rest, (300_000_000 - 1_000) * ONE);
    let add = |total: u128| [principal(&bob), uint(total), uint(1), uint(2), uint(3)];
    sim.call(V, "add-beneficiary", &add(rest + 1), &d)
        .expect_err(sim.err_code(V, "ERR_OVER_ALLOCATED"));
    sim.call(V, "add-beneficiary", &add(rest), &d).expect_ok();
    assert_eq!(sim.read_only(V, "get-unallocated", &[]).to_uint(), 0);
    assert_eq!(
        sim.read_only(V, "get-allocated", &[]).to_uint(),
        300_000_000 * ONE
    );
}
