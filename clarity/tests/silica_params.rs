//! The remaining error paths of the registry and the Silica governance setters:
//! calls before the signer set exists, malformed deposit txids, and every bounded
//! parameter (confirmations, sale window, default index, window length, attested
//! index) at and past its bound. The window length is governance-only (a wallet and a
//! malicious contract, direct or `as-contract`, are refused) and is snapshotted into
//! each Silica at `create`: a full short-window lifecycle runs beside a Silica listed
//! before the change, whose 144-block windows do not move.

use crate::silica_common::{
    deposit_args, deposit_message, rotation_args, Signers, Terms, World, FINISHED, FUNDING, OPEN,
    REG, RUNNING, SAT, SILICA,
};
use alkahest_clarity::binding;
use alkahest_clarity::values::{buff, principal, uint, ValueExt};
use alkahest_clarity::Simnet;
use alkahest_protocol::message::Rotation;

#[test]
fn registry_refuses_work_before_bootstrap_and_short_txids() {
    let mut sim = Simnet::deployer_governed();
    sim.mine(2);
    let caller = sim.account("wallet_8");
    let signers = Signers::new("params", 3, 2);
    let not_booted = sim.err_code(REG, "ERR_NOT_BOOTSTRAPPED");

    // Rotation before any set exists.
    let r = Rotation {
        version: 0,
        signers: signers.pubkeys(),
        threshold: 2,
    };
    let sigs = signers.sign(&r.id(&binding()));
    sim.call(REG, "rotate-signers", &rotation_args(&r, sigs), &caller)
        .expect_err(not_booted);

    // A deposit before any set exists.
    let wallet = sim.account("wallet_1");
    let d = deposit_message(&mut sim, &wallet, 10_000);
    let sigs = signers.sign(&d.id(&binding()));
    sim.call(
        REG,
        "complete-deposit",
        &deposit_args(&d, sigs.clone()),
        &caller,
    )
    .expect_err(not_booted);

    // A txid that is not 32 bytes is refused before anything else.
    let mut args = deposit_args(&d, sigs);
    args[0] = buff(&d.txid[..31]);
    sim.call(REG, "complete-deposit", &args, &caller)
        .expect_err(sim.err_code(REG, "ERR_INVALID_TXID"));
    assert_eq!(sim.ft_balance("sbtc-token", &wallet), 0);
}

#[test]
fn governance_parameters_are_bounded() {
    let mut sim = Simnet::deployer_governed();
    let gov = sim.deployer();
    let bad = sim.err_code(SILICA, "ERR_INVALID_PARAMETER");
    for (function, value) in [
        ("set-confirmations", 0u128),
        ("set-confirmations", 1_001),
        ("set-min-sale-window", 4_321),
        ("set-default-index", 0),
        ("set-default-index", 10_000_000_000_000_001),
        ("set-stall-grace", 0),
        ("set-stall-grace", 4_321),
        ("set-delivery-grace", 0),
        ("set-delivery-grace", 4_321),
    ] {
        let r = sim.call(SILICA, function, &[uint(value)], &gov);
        r.expect_err(bad);
    }
    for (function, value) in [
        ("set-confirmations", 1_000u128),
        ("set-min-sale-window", 4_320),
        ("set-default-index", 10_000_000_000_000_000),
        ("set-stall-grace", 4_320),
        ("set-delivery-grace", 4_320),
    ] {
        sim.call(SILICA, function, &[uint(value)], &gov).expect_ok();
    }
    let params = sim.read_only(SILICA, "get-params", &[]);
    assert_eq!(params.field("confirmations").to_uint(), 1_000);
    assert_eq!(params.field("stall-grace").to_uint(), 4_320);
    assert_eq!(params.field("delivery-grace").to_uint(), 4_320);
    assert_eq!(
        params.field("default-index").to_uint(),
        10_000_000_000_000_000
    );
}

#[test]
fn an_attested_index_above_the_bound_is_refused() {
    let mut w = crate::silica_common::World::new();
    let id = w.create(crate::silica_common::Terms::default());
    let buyer = w.alice.clone();
    w.buy(id, &buyer, 1).expect_ok();
    w.mine_to_attestable(id);
    let d = w.delivery(id, 0, 0, 10_000_000_000_000_001);
    let sigs = w.signers.sign(&d.id(&binding()));
    let r = w.submit(&d, sigs);
    r.expect_err(w.err("ERR_INVALID_PARAMETER"));
    // At the bound it is accepted (and the Silica defaults: the due is far above 0).
    let d = w.delivery(id, 0, 0, 10_000_000_000_000_000);
    let sigs = w.signers.sign(&d.id(&binding()));
    w.submit(&d, sigs).expect_ok();
    assert_eq!(w.status(id), crate::silica_common::DEFAULTED);
}

fn window_length(sim: &mut Simnet) -> u128 {
    sim.read_only(SILICA, "get-params", &[])
        .field("window-length")
        .to_uint()
}

#[test]
fn window_length_is_bounded() {
    let mut sim = Simnet::deployer_governed();
    let gov = sim.deployer();
    let bad = sim.err_code(SILICA, "ERR_INVALID_PARAMETER");
    assert_eq!(window_length(&mut sim), 144, "the default is a day");
    for value in [0u128, 145, 1_000] {
        sim.call(SILICA, "set-window-length", &[uint(value)], &gov)
            .expect_err(bad);
        assert_eq!(window_length(&mut sim), 144, "{value} was refused");
    }
    for value in [1u128, 144, 6] {
        let r = sim.call(SILICA, "set-window-length", &[uint(value)], &gov);
        r.expect_ok();
        let event = r
            .print_with_topic("set-window-length")
            .expect("a set-window-length event");
        assert_eq!(event.field("window-length").to_uint(), value);
        assert_eq!(window_length(&mut sim), value);
    }
}

#[test]
fn window_length_is_governance_only() {
    let mut sim = Simnet::deployer_governed();
    let gov = sim.deployer();
    let denied = sim.err_code(SILICA, "ERR_NOT_AUTHORIZED");
    for who in ["wallet_1", "wallet_6"] {
        let wallet = sim.account(who);
        sim.call(SILICA, "set-window-length", &[uint(6)], &wallet)
            .expect_err(denied);
    }

    // A malicious contract the governance principal is lured into calling: neither a
    // plain contract-call (contract-caller is the contract) nor as-contract passes.
    let target = sim.contract_id(SILICA);
    let call = format!("(contract-call? '{target} set-window-length u6)");
    let src = format!(
        "(define-public (direct) (match {call} v (ok true) e (err e)))\n\
         (define-public (wrapped) (match (as-contract {call}) v (ok true) e (err e)))\n"
    );
    let attacker = sim.account("wallet_7");
    sim.deploy_contract("evil", &src, &attacker)
        .expect("attacker deploys");
    let evil = format!("{attacker}.evil");
    for f in ["direct", "wrapped"] {
        sim.call(&evil, f, &[], &gov).expect_err(denied);
    }
    assert_eq!(window_length(&mut sim), 144, "nothing changed");

    // The check is against the governance principal, not the deployer.
    let carol = sim.account("wallet_4");
    sim.call(SILICA, "set-governance", &[principal(&carol)], &gov)
        .expect_ok();
    sim.call(SILICA, "set-window-length", &[uint(6)], &gov)
        .expect_err(denied);
    sim.call(SILICA, "set-window-length", &[uint(6)], &carol)
        .expect_ok();
    assert_eq!(window_length(&mut sim), 6);
}

/// Governance shortens windows to 6 blocks with 2 confirmations. A Silica listed
/// afterwards runs 4 windows of 6 blocks to FINISHED with exact sBTC amounts; one
/// listed before keeps its 144-block windows; a later change moves neither.
#[test]
fn window_length_is_snapshotted_at_create() {
    let mut w = World::new();
    let (alice, bob, miner) = (w.alice.clone(), w.bob.clone(), w.miner.clone());
    // C = ceil(100 · 4 · 50 · 10%) = 2,000 for both (no index attested yet).
    const C: u128 = 2_000;

    let old = w.create(Terms::default());
    w.buy(old, &bob, 100).expect_ok();
    let old_start = w.field(old, "start");
    assert_eq!(w.field(old, "window-length"), 144);
    let before = w.attestable_height(old);
    assert_eq!(before, old_start + 144 - 1 + 100);

    w.govern("set-window-length", 6).expect_ok();
    assert_eq!(
        w.attestable_height(old),
        before,
        "an existing Silica's windows do not move"
    );
    w.govern("set-confirmations", 2).expect_ok();
    // Confirmations are read at attestation time (not snapshotted); L stays 144.
    assert_eq!(w.attestable_height(old), old_start + 144 - 1 + 2);
    let terms = w.sim.read_only(SILICA, "get-terms", &[uint(old)]);
    assert_eq!(terms.field("window-length").to_uint(), 144);
    assert_eq!(terms.field("end").to_uint(), old_start + 4 * 144);

    let r = w.create_receipt(Terms::default());
    let created = r
        .print_with_topic("create")
        .expect("a create event")
        .clone();
    let id = r.expect_ok().to_uint();
    assert_eq!(created.field("window-length").to_uint(), 6);
    assert_eq!(w.field(id, "window-length"), 6);
    let start = w.field(id, "start");
    let terms = w.sim.read_only(SILICA, "get-terms", &[uint(id)]);
    assert_eq!(terms.field("window-length").to_uint(), 6);
    assert_eq!(terms.field("end").to_uint(), start + 4 * 6);
    assert_eq!(w.buy(id, &alice, 100).expect_ok(), uint(24_000));
    assert_eq!(w.sbtc(&miner), FUNDING - 2 * C);

    // Each window: delivered 5,100 at index 50 (due 5,000); locked 2,000 1,500 0 0.
    let mut miner_balance = FUNDING - 2 * C;
    for d in 0..4u128 {
        let final_height = start + 6 * (d + 1) - 1 + 2;
        assert_eq!(w.attestable_height(id), final_height, "window {d}");
        // One block before the window is final: refused.
        let now = w.sim.burn_block_height();
        assert!(now < final_height, "window {d} is not final yet");
        if now < final_height {
            w.sim.mine((final_height - now) as u32);
        }
        let early = w.delivery(id, d, 5_100, 50 * SAT);
        let sigs = w.signers.sign(&early.id(&binding()));
        w.submit(&early, sigs)
            .expect_err(w.err("ERR_NOT_CONFIRMED"));
        // Pinned to the final height: accepted (attest mines exactly one block, after
        // which the final height is the newest visible one).
        w.attest(id, 5_100, 50 * SAT).expect_ok();
        assert_eq!(w.sim.burn_block_height(), final_height + 1);
        miner_balance += 6_000 + [0, 500, 1_500, 0][d as usize];
        assert_eq!(w.sbtc(&miner), miner_balance, "window {d}");
        assert_eq!(w.status(id), if d == 3 { FINISHED } else { RUNNING });
        if d == 0 {
            // Changing the parameter mid-life moves nothing either.
            w.govern("set-window-length", 144).expect_ok();
            assert_eq!(w.attestable_height(id), start + 12 - 1 + 2);
        }
    }
    // Finished 26 blocks after start; the old Silica's window 0 is not final yet.
    assert_eq!(w.sim.burn_block_height(), start + 4 * 6 - 1 + 2 + 1);
    assert_eq!(w.status(old), OPEN);
    let early = w.delivery(old, 0, 5_000, 50 * SAT);
    let sigs = w.signers.sign(&early.id(&binding()));
    w.submit(&early, sigs)
        .expect_err(w.err("ERR_NOT_CONFIRMED"));

    // Σ due 20,000 to alice; the miner's 400 over-delivery waits for collect.
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(20_000));
    assert_eq!(w.collect(id).expect_ok(), uint(400));
    miner_balance += 400;
    assert_eq!(w.sbtc(&alice), FUNDING - 24_000 + 20_000);
    assert_eq!(w.sbtc(&miner), miner_balance);
    // Only the old Silica's collateral and payment remain in escrow.
    assert_eq!(w.escrow(), C + 24_000);

    // The old Silica runs its 144-block windows to the end.
    for d in 0..4u128 {
        let final_height = old_start + 144 * (d + 1) - 1 + 2;
        assert_eq!(w.attestable_height(old), final_height, "old window {d}");
        w.attest(old, 5_000, 50 * SAT).expect_ok();
        assert_eq!(w.sim.burn_block_height(), final_height + 1);
    }
    assert_eq!(w.status(old), FINISHED);
    assert_eq!(w.redeem(old, &bob).expect_ok(), uint(20_000));
    assert_eq!(w.collect(old).expect_ok(), uint(0));
    assert_eq!(w.escrow(), 0);
    assert_eq!(w.sbtc(&bob), FUNDING - 24_000 + 20_000);
    assert_eq!(w.sbtc(&miner), FUNDING + 2 * 24_000 + 400);
}
