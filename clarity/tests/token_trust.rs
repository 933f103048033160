//! Trust limits of the foundation token contracts (issue 10):
//! - alex-token: governance and minters burn only their own ALEX, lockers lock only
//!   with the holder's consent (the holder calls the locker);
//! - alex-vesting: schedules run on `burn-block-height`, the contract source has no
//!   Stacks `block-height` (gone in Clarity 3).

use crate::token_common::{desk, fund_alex, prepared, ONE};
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::Simnet;

const T: &str = "alex-token";
const V: &str = "alex-vesting";

#[test]
fn governance_and_minters_cannot_burn_a_third_partys_alex() {
    let (mut sim, a) = prepared();
    let desk = desk(&mut sim);
    fund_alex(&mut sim, &a.alice, 10 * ONE);
    fund_alex(&mut sim, &a.operator, 10 * ONE);
    let not_owner = sim.err_code(T, "ERR_NOT_OWNER");
    let burn_alice = [uint(ONE), principal(&a.alice)];
    // Governance (the deployer) and a minter wallet: refused.
    sim.call(T, "burn", &burn_alice, &a.deployer)
        .expect_err(not_owner);
    sim.call(T, "burn", &burn_alice, &a.operator)
        .expect_err(not_owner);
    // A minter contract that Bob calls cannot burn Alice's tokens either.
    sim.call(&desk, "burn-for", &burn_alice, &a.bob)
        .expect_err(not_owner);
    assert_eq!(sim.ft_balance(T, &a.alice), 10 * ONE);
    // Own tokens: the minter's, and Alice's through the minter contract she calls.
    sim.call(T, "burn", &[uint(ONE), principal(&a.operator)], &a.operator)
        .expect_ok();
    let r = sim.call(&desk, "burn-mine", &[uint(ONE)], &a.alice);
    r.expect_ok();
    assert!(r.print_with_topic("burn").is_some());
    assert_eq!(sim.ft_balance(T, &a.alice), 9 * ONE);
    assert_eq!(sim.ft_balance(T, &a.operator), 9 * ONE);
}

#[test]
fn a_locker_cannot_lock_a_third_partys_alex() {
    let (mut sim, a) = prepared();
    let desk = desk(&mut sim);
    fund_alex(&mut sim, &a.alice, 10 * ONE);
    let not_owner = sim.err_code(T, "ERR_NOT_OWNER");
    let lock_alice = [uint(ONE), principal(&a.alice)];
    // The locker wallet, and a locker contract called by Bob: refused.
    sim.call(T, "lock", &lock_alice, &a.operator)
        .expect_err(not_owner);
    sim.call(&desk, "lock-for", &lock_alice, &a.bob)
        .expect_err(not_owner);
    let locked = |sim: &mut Simnet| {
        sim.read_only(T, "get-locked", &[principal(&a.alice)])
            .to_uint()
    };
    assert_eq!(locked(&mut sim), 0);
    // Alice calls the locker: her consent.
    sim.call(&desk, "lock-for", &lock_alice, &a.alice)
        .expect_ok();
    let r = sim.call(&desk, "lock-mine", &[uint(2 * ONE)], &a.alice);
    assert_eq!(r.expect_ok().to_uint(), 3 * ONE);
    assert!(r.print_with_topic("lock").is_some());
    assert_eq!(locked(&mut sim), 3 * ONE);
    // Unlocking needs no consent (it only frees the holder's tokens).
    sim.call(T, "unlock", &lock_alice, &a.operator).expect_ok();
    assert_eq!(locked(&mut sim), 2 * ONE);
}

/// Mines until `burn-block-height` reaches `height`.
fn mine_to_burn(sim: &mut Simnet, height: u128) {
    while sim.burn_block_height() < height {
        sim.mine(1);
    }
    assert_eq!(sim.burn_block_height(), height);
}

#[test]
fn vesting_follows_burn_height() {
    let mut sim = Simnet::deployer_governed();
    let d = sim.deployer();
    let alice = sim.account("wallet_1");
    // A schedule set in burn heights from the current burn height on.
    let b0 = sim.burn_block_height();
    let (start, cliff, end) = (b0 + 10, b0 + 20, b0 + 110);
    sim.call(
        V,
        "add-beneficiary",
        &[
            principal(&alice),
            uint(1_000 * ONE),
            uint(start),
            uint(cliff),
            uint(end),
        ],
        &d,
    )
    .expect_ok();
    let vested = |sim: &mut Simnet| {
        sim.read_only(V, "get-vested", &[principal(&alice)])
            .to_uint()
    };
    mine_to_burn(&mut sim, cliff - 1);
    assert_eq!(vested(&mut sim), 0, "burn height before the cliff");
    mine_to_burn(&mut sim, cliff + 40);
    let stacks = u128::from(sim.block_height());
    let burn = sim.burn_block_height();
    assert_ne!(
        stacks, burn,
        "the simnet's heights differ, so the test tells them apart"
    );
    assert_eq!(
        vested(&mut sim),
        500 * ONE,
        "50 of 100 burn blocks since start"
    );
    assert_eq!(
        sim.read_only(V, "get-claimable", &[principal(&alice)])
            .to_uint(),
        500 * ONE
    );
    assert_eq!(
        sim.call(V, "claim", &[], &alice).expect_ok().to_uint(),
        500 * ONE
    );
    mine_to_burn(&mut sim, end);
    assert_eq!(
        sim.call(V, "claim", &[], &alice).expect_ok().to_uint(),
        500 * ONE
    );
}

/// Clarity 3 removed `block-height`: no contract code (comments aside) may use it, so
/// every contract deploys unchanged as Clarity 3 (`burn-block-height` is fine).
#[test]
fn no_contract_uses_the_stacks_block_height_keyword() {
    let sim = Simnet::new();
    let mut offenders = Vec::new();
    for c in &sim.manifest().contracts {
        for (n, line) in c.source.lines().enumerate() {
            let code = line.split(";;").next().unwrap_or("");
            let bare = code.match_indices("block-height").any(|(i, _)| {
                let before = &code[..i];
                !(before.ends_with("burn-") || before.ends_with("stacks-"))
            });
            if bare {
                offenders.push(format!("{}:{}: {}", c.name, n + 1, line.trim()));
            }
        }
    }
    assert!(offenders.is_empty(), "block-height in: {offenders:?}");
}
