//! alex-staking: activation, lock bounds, cycles, claims, unstaking, governance,
//! catch-up beyond the per-call bound, a hand-computed reward scenario and the O(1)
//! cost measurement (printed: run with `--nocapture` to see the figures).

#![allow(clippy::print_stdout)]

use crate::staking_common::*;
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::{Cost, Simnet};

fn ok_uint(r: &alkahest_clarity::Receipt) -> u128 {
    r.expect_ok().to_uint()
}

#[test]
fn bootstrap_makes_staking_a_releaser_with_the_documented_cap() {
    let mut sim = Simnet::new();
    let staking = sim.contract_id(S);
    let r = sim
        .read_only("alex-emission", "get-releaser", &[principal(&staking)])
        .to_optional()
        .expect("alex-staking is a releaser");
    assert_eq!(r.field("cap").to_uint(), 41_300_000 * ONE);
    assert_eq!(r.field("released").to_uint(), 0);
    let p = sim.read_only(S, "get-params", &[]);
    assert_eq!(p.field("cycle-length").to_uint(), 525);
    assert_eq!(p.field("countdown").to_uint(), 144);
    assert_eq!(p.field("emission-per-cycle").to_uint(), 413_000 * ONE);
    assert_eq!(p.field("max-lock-cycles").to_uint(), 32);
    assert_eq!(p.field("activation-threshold").to_uint(), 20);
    assert_eq!(p.field("scale").to_uint(), 10u128.pow(16));
    // The bootstrap's handover gives staking's governance to the DAO.
    assert_eq!(
        sim.read_only(S, "get-governance", &[]).to_principal(),
        sim.contract_id("dao-core")
    );
}

#[test]
fn twenty_distinct_signals_start_the_countdown() {
    let p = Params::default();
    let (mut sim, a) = before_activation(p);
    fund_alex(&mut sim, &a.alice, 1_000 * ONE);
    let w = wallets(20);
    for (i, who) in w.iter().take(19).enumerate() {
        let r = sim.call(S, "signal", &[], who);
        assert_eq!(ok_uint(&r), i as u128 + 1);
        assert!(r.print_with_topic("staking-signal").is_some());
        assert!(r.print_with_topic("staking-activation").is_none());
    }
    // A repeat is refused and does not count.
    sim.call(S, "signal", &[], &w[3])
        .expect_err(code(&sim, "ERR_ALREADY_SIGNALLED"));
    assert!(sim
        .read_only(S, "has-signalled", &[principal(&w[3])])
        .to_bool());
    assert!(!sim
        .read_only(S, "has-signalled", &[principal(&w[19])])
        .to_bool());
    let act = sim.read_only(S, "get-activation", &[]);
    assert_eq!(act.field("signals").to_uint(), 19);
    assert!(act.field("activation-height").to_optional().is_none());
    assert!(!act.field("active").to_bool());
    // 19 signals are not enough: nothing opens, however long one waits.
    sim.mine(50);
    assert_eq!(current_cycle(&mut sim), None);
    stake(&mut sim, &a.alice, ONE, 1).expect_err(code(&sim, "ERR_NOT_ACTIVATED"));
    add_sbtc(&mut sim, &a.operator, ONE).expect_err(code(&sim, "ERR_NOT_ACTIVATED"));
    advance(&mut sim, &a.alice).expect_err(code(&sim, "ERR_NOT_ACTIVATED"));
    assert!(sim
        .read_only(S, "get-cycle-start", &[uint(0)])
        .to_optional()
        .is_none());

    // The 20th schedules activation at burn height + countdown.
    let h = sim.burn_block_height();
    let r = sim.call(S, "signal", &[], &w[19]);
    assert_eq!(ok_uint(&r), 20);
    let ev = r.print_with_topic("staking-activation").expect("printed");
    assert_eq!(ev.field("activation-height").to_uint(), h + p.countdown);
    let at = activation_height(&mut sim).unwrap();
    assert_eq!(at, h + p.countdown);
    assert_eq!(
        sim.read_only(S, "get-cycle-start", &[uint(2)])
            .to_optional()
            .unwrap()
            .to_uint(),
        at + 2 * p.cycle_len
    );
    // No more signals once scheduled.
    sim.call(S, "signal", &[], &a.alice)
        .expect_err(code(&sim, "ERR_ALREADY_ACTIVE"));

    // Staking opens exactly at the activation height.
    mine_to(&mut sim, at - 1);
    assert_eq!(current_cycle(&mut sim), None);
    stake(&mut sim, &a.alice, ONE, 1).expect_err(code(&sim, "ERR_NOT_ACTIVATED"));
    sim.mine(1);
    assert_eq!(sim.burn_block_height(), at);
    assert_eq!(current_cycle(&mut sim), Some(0));
    assert!(sim
        .read_only(S, "get-activation", &[])
        .field("active")
        .to_bool());
    let id = ok_uint(&stake(&mut sim, &a.alice, ONE, 1));
    assert_eq!(id, 1);
    assert_eq!(
        sim.read_only(S, "cycle-at", &[uint(at + p.cycle_len - 1)])
            .to_optional()
            .unwrap()
            .to_uint(),
        0
    );
    assert_eq!(
        sim.read_only(S, "cycle-at", &[uint(at + p.cycle_len)])
            .to_optional()
            .unwrap()
            .to_uint(),
        1
    );
}

#[test]
fn lock_bounds_and_amount() {
    let (mut sim, a, _) = activated(Params::default());
    stake(&mut sim, &a.alice, ONE, 0).expect_err(code(&sim, "ERR_LOCK_TOO_SHORT"));
    stake(&mut sim, &a.alice, ONE, 33).expect_err(code(&sim, "ERR_LOCK_TOO_LONG"));
    stake(&mut sim, &a.alice, 0, 5).expect_err(code(&sim, "ERR_INVALID_AMOUNT"));
    assert_eq!(ok_uint(&stake(&mut sim, &a.alice, ONE, 1)), 1);
    let r = stake(&mut sim, &a.alice, 2 * ONE, 32);
    assert_eq!(ok_uint(&r), 2);
    let ev = r.print_with_topic("staking-stake").unwrap();
    assert_eq!(ev.field("end-cycle").to_uint(), 33);
    let pos = sim
        .read_only(S, "get-position", &[uint(2)])
        .to_optional()
        .unwrap();
    assert_eq!(pos.field("owner").to_principal(), a.alice);
    assert_eq!(pos.field("amount").to_uint(), 2 * ONE);
    assert_eq!(pos.field("first-cycle").to_uint(), 1);
    assert_eq!(pos.field("end-cycle").to_uint(), 33);
    assert_eq!(pos.field("claimed-through").to_uint(), 1);
    // The ALEX moved into the contract, not into the lock ledger.
    let staking = sim.contract_id(S);
    assert_eq!(sim.ft_balance("alex-token", &staking), 3 * ONE);
    assert_eq!(
        sim.read_only("alex-token", "get-locked", &[principal(&a.alice)])
            .to_uint(),
        0
    );
    // More than the holder has: the token refuses.
    stake(&mut sim, &a.alice, 20_000_000 * ONE, 1)
        .expect_err(sim.err_code("alex-token", "ERR_INSUFFICIENT_BALANCE"));
    // sBTC rewards must be positive.
    add_sbtc(&mut sim, &a.operator, 0).expect_err(code(&sim, "ERR_INVALID_AMOUNT"));
    assert_eq!(
        sim.read_only(S, "get-totals", &[])
            .field("principal")
            .to_uint(),
        3 * ONE
    );
}

#[test]
fn stake_counts_from_the_next_cycle_and_unstakes_only_after_its_last() {
    let p = Params::default();
    let (mut sim, a, act) = activated(p);
    // Cycle 0: alice stakes for 2 cycles (1 and 2).
    mine_to(&mut sim, act + 3);
    let id = ok_uint(&stake(&mut sim, &a.alice, 100 * ONE, 2));
    let d = sim.read_only(S, "get-deltas", &[uint(1)]);
    assert_eq!(d.field("add").to_uint(), 100 * ONE);
    assert_eq!(
        sim.read_only(S, "get-deltas", &[uint(3)])
            .field("remove")
            .to_uint(),
        100 * ONE
    );
    // Nothing to claim in the cycle it was staked, nor while cycle 1 runs.
    claim(&mut sim, &a.alice, id).expect_err(code(&sim, "ERR_NOTHING_TO_CLAIM"));
    unstake(&mut sim, &a.alice, id).expect_err(code(&sim, "ERR_STILL_LOCKED"));
    mine_to_cycle(&mut sim, act, p.cycle_len, 1);
    claim(&mut sim, &a.alice, id).expect_err(code(&sim, "ERR_NOTHING_TO_CLAIM"));
    assert_eq!(
        finalized(&mut sim),
        0,
        "a refused claim rolls its catch-up back"
    );
    assert_eq!(ok_uint(&advance(&mut sim, &a.stranger)), 1);
    // Cycle 0 had nobody staked: nothing released.
    let c0 = sim.read_only(S, "get-cycle", &[uint(0)]);
    assert!(c0.field("finalized").to_bool());
    assert_eq!(c0.field("staked").to_uint(), 0);
    assert_eq!(c0.field("alex-reward").to_uint(), 0);
    // Cycle 1 is running: its projected stake shows, it is not finalised.
    let c1 = sim.read_only(S, "get-cycle", &[uint(1)]);
    assert!(!c1.field("finalized").to_bool());
    assert_eq!(c1.field("staked").to_uint(), 100 * ONE);
    // A stake during cycle 1 counts from cycle 2.
    let bob = ok_uint(&stake(&mut sim, &a.bob, 100 * ONE, 1));
    assert_eq!(
        sim.read_only(S, "get-position", &[uint(bob)])
            .to_optional()
            .unwrap()
            .field("first-cycle")
            .to_uint(),
        2
    );
    // Cycle 2: alice earns cycle 1 alone; still locked.
    mine_to_cycle(&mut sim, act, p.cycle_len, 2);
    unstake(&mut sim, &a.alice, id).expect_err(code(&sim, "ERR_STILL_LOCKED"));
    let c = sim
        .read_only(S, "get-claimable", &[uint(id)])
        .to_optional()
        .unwrap();
    assert_eq!(
        c.field("alex").to_uint(),
        0,
        "cycle 1 is not finalised until a call"
    );
    let r = claim(&mut sim, &a.alice, id);
    assert_eq!(paid(&r.expect_ok()), (1_000 * ONE, 0));
    claim(&mut sim, &bob_wallet(&a), bob).expect_err(code(&sim, "ERR_NOTHING_TO_CLAIM"));
    // Cycle 3 starts: the lock has ended; unstake exactly then pays cycle 2's half.
    mine_to_cycle(&mut sim, act, p.cycle_len, 3);
    let before = sim.ft_balance("alex-token", &a.alice);
    let r = unstake(&mut sim, &a.alice, id);
    let v = r.expect_ok();
    assert_eq!(v.field("amount").to_uint(), 100 * ONE);
    assert_eq!(paid(&v), (500 * ONE, 0));
    assert!(r.print_with_topic("staking-unstake").is_some());
    assert_eq!(sim.ft_balance("alex-token", &a.alice), before + 600 * ONE);
    assert!(sim
        .read_only(S, "get-position", &[uint(id)])
        .to_optional()
        .is_none());
    unstake(&mut sim, &a.alice, id).expect_err(code(&sim, "ERR_UNKNOWN_POSITION"));
    claim(&mut sim, &a.alice, id).expect_err(code(&sim, "ERR_UNKNOWN_POSITION"));
    // Bob: its only cycle (2) is over; unstake pays it all.
    let v = unstake(&mut sim, &a.bob, bob).expect_ok();
    assert_eq!(paid(&v), (500 * ONE, 0));
}

fn bob_wallet(a: &Actors) -> String {
    a.bob.clone()
}

#[test]
fn only_the_owner_claims_or_unstakes() {
    let p = Params::default();
    let (mut sim, a, act) = activated(p);
    let id = ok_uint(&stake(&mut sim, &a.alice, 10 * ONE, 1));
    mine_to_cycle(&mut sim, act, p.cycle_len, 2);
    claim(&mut sim, &a.bob, id).expect_err(code(&sim, "ERR_NOT_OWNER"));
    unstake(&mut sim, &a.bob, id).expect_err(code(&sim, "ERR_NOT_OWNER"));
    claim(&mut sim, &a.bob, 99).expect_err(code(&sim, "ERR_UNKNOWN_POSITION"));
    // The owner still can.
    let v = unstake(&mut sim, &a.alice, id).expect_ok();
    assert_eq!(paid(&v), (1_000 * ONE, 0));
}

#[test]
fn cap_exhaustion_releases_what_is_left_then_nothing_and_sbtc_still_pays() {
    let p = Params {
        cap: 1_500 * ONE,
        ..Params::default()
    };
    let (mut sim, a, act) = activated(p);
    let id = ok_uint(&stake(&mut sim, &a.alice, 10 * ONE, 4));
    for c in 1..=3 {
        mine_to_cycle(&mut sim, act, p.cycle_len, c);
        ok_uint(&add_sbtc(&mut sim, &a.operator, 7 * ONE));
    }
    mine_to_cycle(&mut sim, act, p.cycle_len, 3);
    // Cycles 1 and 2 finalised: 1000 + 500 (the rest of the cap).
    let v = claim(&mut sim, &a.alice, id).expect_ok();
    assert_eq!(paid(&v), (1_500 * ONE, 14 * ONE));
    let staking = sim.contract_id(S);
    assert_eq!(
        sim.read_only("alex-emission", "get-remaining", &[principal(&staking)])
            .to_uint(),
        0
    );
    // Cycle 3 has stakers but the cap is spent: only sBTC.
    mine_to_cycle(&mut sim, act, p.cycle_len, 4);
    ok_uint(&add_sbtc(&mut sim, &a.operator, 7 * ONE));
    let v = claim(&mut sim, &a.alice, id).expect_ok();
    assert_eq!(paid(&v), (0, 7 * ONE));
    let c3 = sim.read_only(S, "get-cycle", &[uint(3)]);
    assert_eq!(c3.field("alex-reward").to_uint(), 0);
    assert_eq!(c3.field("sbtc-reward").to_uint(), 7 * ONE);
    let t = sim.read_only(S, "get-totals", &[]);
    assert_eq!(t.field("alex-released").to_uint(), 1_500 * ONE);
    assert_eq!(t.field("alex-paid").to_uint(), 1_500 * ONE);
    assert_eq!(t.field("sbtc-added").to_uint(), 28 * ONE);
    assert_eq!(t.field("sbtc-paid").to_uint(), 21 * ONE);
    mine_to_cycle(&mut sim, act, p.cycle_len, 6);
    let v = unstake(&mut sim, &a.alice, id).expect_ok();
    assert_eq!(paid(&v), (0, 7 * ONE));
}

#[test]
fn catch_up_beyond_the_bound_needs_advance() {
    let p = Params::default();
    let (mut sim, a, act) = activated(p);
    let id = ok_uint(&stake(&mut sim, &a.alice, 10 * ONE, 3));
    // 40 cycles later: 40 ended cycles, more than one call finalises.
    mine_to_cycle(&mut sim, act, p.cycle_len, 40);
    let behind = code(&sim, "ERR_BEHIND");
    stake(&mut sim, &a.bob, ONE, 1).expect_err(behind);
    claim(&mut sim, &a.alice, id).expect_err(behind);
    unstake(&mut sim, &a.alice, id).expect_err(behind);
    assert_eq!(
        finalized(&mut sim),
        0,
        "refused calls roll their catch-up back"
    );
    let r = advance(&mut sim, &a.stranger);
    assert_eq!(ok_uint(&r), 32);
    let ev = r.print_with_topic("staking-advance").unwrap();
    assert_eq!(ev.field("from").to_uint(), 0);
    assert_eq!(ev.field("current-cycle").to_uint(), 40);
    assert_eq!(
        r.topics()
            .iter()
            .filter(|t| *t == "staking-finalize")
            .count(),
        32
    );
    // The remaining 8 fit in one call: unstake catches up itself.
    let v = unstake(&mut sim, &a.alice, id).expect_ok();
    assert_eq!(paid(&v), (3_000 * ONE, 0));
    assert_eq!(finalized(&mut sim), 40);
    // Caught up: advance finalises nothing more, and the running cycle stays open.
    assert_eq!(ok_uint(&advance(&mut sim, &a.stranger)), 40);
    assert!(!sim
        .read_only(S, "get-cycle", &[uint(40)])
        .field("finalized")
        .to_bool());
    ok_uint(&stake(&mut sim, &a.bob, ONE, 1));
}

/// The DAO stand-in: executes a proposal under its own `as-contract`.
const DAO: &str = r#"
(define-public (exec-set-emission (amount uint))
  (as-contract (contract-call? .alex-staking set-emission-per-cycle amount)))
(define-public (exec-set-governance (who principal))
  (as-contract (contract-call? .alex-staking set-governance who)))
"#;

/// An attacker deployed by mallory: calls a setter directly (contract-caller = evil)
/// or under its own `as-contract` (tx-sender = evil).
fn evil_source(staking: &str) -> String {
    format!(
        r#"
(define-public (direct (amount uint))
  (contract-call? '{staking} set-emission-per-cycle amount))
(define-public (as-self (amount uint))
  (as-contract (contract-call? '{staking} set-emission-per-cycle amount)))
(define-public (direct-length (blocks uint))
  (contract-call? '{staking} set-cycle-length blocks))
(define-public (as-self-countdown (blocks uint))
  (as-contract (contract-call? '{staking} set-countdown blocks)))
(define-public (direct-governance (who principal))
  (contract-call? '{staking} set-governance who))
"#
    )
}

#[test]
fn governance_setters_refuse_strangers_and_malicious_contracts() {
    let (mut sim, a) = before_activation(Params::default());
    let denied = code(&sim, "ERR_NOT_AUTHORIZED");
    let src = evil_source(&sim.contract_id(S));
    sim.deploy_contract("evil", &src, &a.mallory).unwrap();
    let evil = format!("{}.evil", a.mallory);
    let emission = |sim: &mut Simnet| {
        sim.read_only(S, "get-params", &[])
            .field("emission-per-cycle")
            .to_uint()
    };

    // Governance (the deployer) sets everything.
    let r = sim.call(S, "set-emission-per-cycle", &[uint(7)], &a.deployer);
    r.expect_ok();
    assert!(r.print_with_topic("staking-set-emission").is_some());
    assert_eq!(emission(&mut sim), 7);
    sim.call(S, "set-cycle-length", &[uint(20)], &a.deployer)
        .expect_ok();
    sim.call(S, "set-countdown", &[uint(3)], &a.deployer)
        .expect_ok();
    let p = sim.read_only(S, "get-params", &[]);
    assert_eq!(p.field("cycle-length").to_uint(), 20);
    assert_eq!(p.field("countdown").to_uint(), 3);
    sim.call(S, "set-cycle-length", &[uint(0)], &a.deployer)
        .expect_err(code(&sim, "ERR_INVALID_CYCLE_LENGTH"));
    sim.call(S, "set-cycle-length", &[uint(1)], &a.deployer)
        .expect_ok();

    // A stranger is refused everywhere.
    for (f, arg) in [
        ("set-emission-per-cycle", uint(1)),
        ("set-cycle-length", uint(5)),
        ("set-countdown", uint(5)),
        ("set-governance", principal(&a.stranger)),
    ] {
        sim.call(S, f, &[arg], &a.stranger).expect_err(denied);
    }
    // A malicious contract invoked by governance, directly or under as-contract.
    for (f, arg) in [
        ("direct", uint(1)),
        ("as-self", uint(1)),
        ("direct-length", uint(5)),
        ("as-self-countdown", uint(5)),
        ("direct-governance", principal(&a.mallory)),
    ] {
        sim.call(&evil, f, &[arg], &a.deployer).expect_err(denied);
    }
    assert_eq!(emission(&mut sim), 7);

    // Hand governance to a DAO contract: it acts under its own as-contract; the old
    // governance, strangers and the attacker (even under its as-contract) cannot.
    sim.deploy_contract("dao", DAO, &a.deployer).unwrap();
    let dao = sim.contract_id("dao");
    let r = sim.call(S, "set-governance", &[principal(&dao)], &a.deployer);
    r.expect_ok();
    assert!(r.print_with_topic("staking-set-governance").is_some());
    assert_eq!(sim.read_only(S, "get-governance", &[]).to_principal(), dao);
    sim.call("dao", "exec-set-emission", &[uint(9)], &a.stranger)
        .expect_ok();
    assert_eq!(emission(&mut sim), 9);
    sim.call(S, "set-emission-per-cycle", &[uint(1)], &a.deployer)
        .expect_err(denied);
    sim.call(S, "set-emission-per-cycle", &[uint(1)], &a.stranger)
        .expect_err(denied);
    sim.call(&evil, "as-self", &[uint(1)], &a.stranger)
        .expect_err(denied);
    sim.call(&evil, "direct", &[uint(1)], &a.stranger)
        .expect_err(denied);
    assert_eq!(emission(&mut sim), 9);
    // The DAO hands governance back.
    sim.call(
        "dao",
        "exec-set-governance",
        &[principal(&a.deployer)],
        &a.stranger,
    )
    .expect_ok();
    sim.call(S, "set-emission-per-cycle", &[uint(2)], &a.deployer)
        .expect_ok();
}

#[test]
fn cycle_length_and_countdown_are_fixed_once_activation_is_scheduled() {
    let (mut sim, a) = before_activation(Params::default());
    signal_20(&mut sim);
    sim.call(S, "set-cycle-length", &[uint(5)], &a.deployer)
        .expect_err(code(&sim, "ERR_ALREADY_ACTIVE"));
    sim.call(S, "set-countdown", &[uint(5)], &a.deployer)
        .expect_err(code(&sim, "ERR_ALREADY_ACTIVE"));
    // The emission rate stays adjustable.
    sim.call(S, "set-emission-per-cycle", &[uint(5)], &a.deployer)
        .expect_ok();
}

/// Three stakers over five cycles, ALEX and sBTC, figures worked out by hand:
///
/// | cycle | staked (alice / bob / carol)  | ALEX  | sBTC          |
/// | 0     | 0                             | 0     | 40 → carried  |
/// | 1     | 400 (100 / 300 / -)           | 1000  | 40 + 20 = 60  |
/// | 2     | 500 (- / 300 / 200)           | 1000  | 50            |
/// | 3     | 500 (- / 300 / 200)           | 1000  | 0             |
/// | 4     | 0                             | 0     | 0             |
///
/// alice 100 × 1 cycle (from cycle 0): 250 ALEX, 15 sBTC.
/// bob 300 × 3 (from cycle 0): 750 + 600 + 600 = 1950 ALEX, 45 + 30 = 75 sBTC.
/// carol 200 × 2 (from cycle 1): 400 + 400 = 800 ALEX, 20 sBTC.
#[test]
fn hand_computed_rewards_for_three_stakers() {
    let p = Params::default();
    let (mut sim, a, act) = activated(p);
    let staking = sim.contract_id(S);
    let alex0 = |sim: &mut Simnet, w: &str| sim.ft_balance("alex-token", w);
    let (al0, bo0, ca0) = (
        alex0(&mut sim, &a.alice),
        alex0(&mut sim, &a.bob),
        alex0(&mut sim, &a.carol),
    );
    let emission = sim.contract_id("alex-emission");
    let em0 = alex0(&mut sim, &emission);

    // Cycle 0.
    let alice = ok_uint(&stake(&mut sim, &a.alice, 100 * ONE, 1));
    let bob = ok_uint(&stake(&mut sim, &a.bob, 300 * ONE, 3));
    let r = add_sbtc(&mut sim, &a.operator, 40 * ONE);
    assert_eq!(ok_uint(&r), 40 * ONE);
    assert_eq!(
        r.print_with_topic("staking-add-sbtc")
            .unwrap()
            .field("cycle")
            .to_uint(),
        0
    );
    // Cycle 1.
    mine_to_cycle(&mut sim, act, p.cycle_len, 1);
    let r = stake(&mut sim, &a.carol, 200 * ONE, 2);
    let carol = ok_uint(&r);
    let fin = r.print_with_topic("staking-finalize").unwrap();
    assert_eq!(fin.field("cycle").to_uint(), 0);
    assert_eq!(fin.field("sbtc-carried").to_uint(), 40 * ONE);
    assert_eq!(finalized(&mut sim), 1);
    assert_eq!(
        ok_uint(&add_sbtc(&mut sim, &a.operator, 20 * ONE)),
        60 * ONE
    );
    // Cycle 2: bob claims cycle 1.
    mine_to_cycle(&mut sim, act, p.cycle_len, 2);
    ok_uint(&add_sbtc(&mut sim, &a.operator, 50 * ONE));
    let r = claim(&mut sim, &a.bob, bob);
    assert_eq!(paid(&r.expect_ok()), (750 * ONE, 45 * ONE));
    assert_eq!(
        r.print_with_topic("staking-claim")
            .unwrap()
            .field("claimed-through")
            .to_uint(),
        2
    );
    claim(&mut sim, &a.bob, bob).expect_err(code(&sim, "ERR_NOTHING_TO_CLAIM"));
    let v = unstake(&mut sim, &a.alice, alice).expect_ok();
    assert_eq!(paid(&v), (250 * ONE, 15 * ONE));
    let c1 = sim.read_only(S, "get-cycle", &[uint(1)]);
    assert_eq!(c1.field("staked").to_uint(), 400 * ONE);
    assert_eq!(c1.field("alex-reward").to_uint(), 1_000 * ONE);
    assert_eq!(c1.field("sbtc-reward").to_uint(), 60 * ONE);
    let c2 = sim.read_only(S, "get-cycle", &[uint(2)]);
    assert_eq!(c2.field("staked").to_uint(), 500 * ONE);
    assert_eq!(c2.field("sbtc-reward").to_uint(), 50 * ONE);
    assert_eq!(c2.field("acc-alex").to_uint(), 10u128.pow(16) * 10 / 4);
    assert_eq!(c2.field("acc-sbtc").to_uint(), 10u128.pow(16) * 6 / 40);
    // Cycle 5: everything has ended; cycle 4 had nobody staked.
    mine_to_cycle(&mut sim, act, p.cycle_len, 5);
    let v = claim(&mut sim, &a.carol, carol).expect_ok();
    assert_eq!(paid(&v), (800 * ONE, 20 * ONE));
    assert_eq!(
        sim.read_only(S, "get-claimable", &[uint(bob)])
            .to_optional()
            .unwrap()
            .field("alex")
            .to_uint(),
        1_200 * ONE
    );
    let v = unstake(&mut sim, &a.bob, bob).expect_ok();
    assert_eq!(paid(&v), (1_200 * ONE, 30 * ONE));
    let v = unstake(&mut sim, &a.carol, carol).expect_ok();
    assert_eq!(paid(&v), (0, 0));
    assert_eq!(v.field("amount").to_uint(), 200 * ONE);
    let c4 = sim.read_only(S, "get-cycle", &[uint(4)]);
    assert_eq!(c4.field("staked").to_uint(), 0);
    assert_eq!(c4.field("alex-reward").to_uint(), 0);

    assert_eq!(alex0(&mut sim, &a.alice), al0 + 250 * ONE);
    assert_eq!(alex0(&mut sim, &a.bob), bo0 + 1_950 * ONE);
    assert_eq!(alex0(&mut sim, &a.carol), ca0 + 800 * ONE);
    assert_eq!(sim.ft_balance("sbtc-token", &a.alice), 15 * ONE);
    assert_eq!(sim.ft_balance("sbtc-token", &a.bob), 75 * ONE);
    assert_eq!(sim.ft_balance("sbtc-token", &a.carol), 20 * ONE);
    assert_eq!(alex0(&mut sim, &emission), em0 - 3_000 * ONE);
    assert_eq!(sim.ft_balance("alex-token", &staking), 0);
    assert_eq!(sim.ft_balance("sbtc-token", &staking), 0);
    assert_eq!(finalized(&mut sim), 5);
    let t = sim.read_only(S, "get-totals", &[]);
    assert_eq!(t.field("principal").to_uint(), 0);
    assert_eq!(t.field("alex-released").to_uint(), 3_000 * ONE);
    assert_eq!(t.field("sbtc-paid").to_uint(), 110 * ONE);
}

fn show(label: &str, c: &Cost) {
    println!(
        "{label}: runtime {} read_count {} read_length {} write_count {} write_length {}",
        c.runtime, c.read_count, c.read_length, c.write_count, c.write_length
    );
}

/// Claims cost the same after 1 and after 32 cycles; stake the same for 1 and 32;
/// advance grows linearly in the cycles it finalises (bounded at 32 per call).
#[test]
fn claim_cost_is_constant_in_the_number_of_cycles() {
    let p = Params::default();
    let (mut sim, a, act) = activated(p);
    // Stake cost for 1 vs 32 cycles, from the same state.
    let r1 = stake(&mut sim.clone(), &a.alice, 100 * ONE, 1);
    let r32 = stake(&mut sim.clone(), &a.alice, 100 * ONE, 32);
    show("stake, 1 cycle", &r1.cost);
    show("stake, 32 cycles", &r32.cost);
    assert_eq!(r1.cost, r32.cost, "stake writes O(1) entries");
    let one = ok_uint(&stake(&mut sim, &a.alice, 100 * ONE, 1));
    let many = ok_uint(&stake(&mut sim, &a.bob, 100 * ONE, 32));
    // Cycle 1 with sBTC; at cycle 2 finalise it and alice claims 1 cycle.
    mine_to_cycle(&mut sim, act, p.cycle_len, 1);
    ok_uint(&add_sbtc(&mut sim, &a.operator, ONE));
    mine_to_cycle(&mut sim, act, p.cycle_len, 2);
    let adv1 = advance(&mut sim, &a.stranger);
    assert_eq!(ok_uint(&adv1), 2);
    let c_one = claim(&mut sim, &a.alice, one);
    assert_eq!(paid(&c_one.expect_ok()), (500 * ONE, ONE / 2));
    // Cycles 2..=32 with sBTC; at 33 finalise them and bob claims all 32 at once.
    for c in 2..=32 {
        mine_to_cycle(&mut sim, act, p.cycle_len, c);
        ok_uint(&add_sbtc(&mut sim, &a.operator, ONE));
    }
    mine_to_cycle(&mut sim, act, p.cycle_len, 33);
    let adv31 = advance(&mut sim, &a.stranger);
    assert_eq!(ok_uint(&adv31), 33);
    let adv0 = advance(&mut sim, &a.stranger);
    let c_many = claim(&mut sim, &a.bob, many);
    let (ap, sp) = paid(&c_many.expect_ok());
    assert_eq!(ap, 1_000 * ONE / 2 + 31 * 1_000 * ONE);
    assert_eq!(sp, ONE / 2 + 31 * ONE);
    show("claim after 1 cycle", &c_one.cost);
    show("claim after 32 cycles", &c_many.cost);
    show("advance, 0 cycles", &adv0.cost);
    show("advance, 2 cycles", &adv1.cost);
    show("advance, 31 cycles", &adv31.cost);
    let per_cycle = |a: &Cost, b: &Cost, n: u64| {
        (
            (a.runtime - b.runtime) / n,
            (a.read_count - b.read_count) / n,
            (a.write_count - b.write_count) / n,
        )
    };
    let (rt, rc, wc) = per_cycle(&adv31.cost, &adv0.cost, 31);
    println!("advance per cycle: runtime {rt} read_count {rc} write_count {wc}");
    // Measured: identical in every dimension (same reads and writes, same sizes).
    assert_eq!(
        c_one.cost, c_many.cost,
        "claim is O(1) in the cycles it pays"
    );
    // 32 cycles in one advance stay far inside a block.
    assert!(adv31.cost.percent_of_block().iter().all(|p| *p < 25.0));
}
