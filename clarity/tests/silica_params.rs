//! The remaining error paths of the registry and the Silica governance setters:
//! calls before the signer set exists, malformed deposit txids, and every bounded
//! parameter (confirmations, sale window, default index, attested index) at and past
//! its bound.

mod silica_common;

use alkahest_clarity::attestation::{Rotation, CHAIN_ID_TESTNET};
use alkahest_clarity::values::{buff, uint, ValueExt};
use alkahest_clarity::Simnet;
use silica_common::{deposit_args, deposit_message, rotation_args, Signers, REG, SILICA};

#[test]
fn registry_refuses_work_before_bootstrap_and_short_txids() {
    let mut sim = Simnet::new();
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
    let sigs = signers.sign(&r.id(CHAIN_ID_TESTNET));
    sim.call(REG, "rotate-signers", &rotation_args(&r, sigs), &caller)
        .expect_err(not_booted);

    // A deposit before any set exists.
    let wallet = sim.account("wallet_1");
    let d = deposit_message(&mut sim, &wallet, 10_000);
    let sigs = signers.sign(&d.id(CHAIN_ID_TESTNET));
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
    let mut sim = Simnet::new();
    let gov = sim.deployer();
    let bad = sim.err_code(SILICA, "ERR_INVALID_PARAMETER");
    for (function, value) in [
        ("set-confirmations", 0u128),
        ("set-confirmations", 1_001),
        ("set-min-sale-window", 4_321),
        ("set-default-index", 0),
        ("set-default-index", 100_000_001),
    ] {
        let r = sim.call(SILICA, function, &[uint(value)], &gov);
        r.expect_err(bad);
    }
    for (function, value) in [
        ("set-confirmations", 1_000u128),
        ("set-min-sale-window", 4_320),
        ("set-default-index", 100_000_000),
    ] {
        sim.call(SILICA, function, &[uint(value)], &gov).expect_ok();
    }
    let params = sim.read_only(SILICA, "get-params", &[]);
    assert_eq!(params.field("confirmations").to_uint(), 1_000);
}

#[test]
fn an_attested_index_above_the_bound_is_refused() {
    let mut w = silica_common::World::new();
    let id = w.create(silica_common::Terms::default());
    let buyer = w.alice.clone();
    w.buy(id, &buyer, 1).expect_ok();
    w.mine_to_attestable(id);
    let d = w.delivery(id, 0, 0, 100_000_001);
    let sigs = w.signers.sign(&d.id(CHAIN_ID_TESTNET));
    let r = w.submit(&d, sigs);
    r.expect_err(w.err("ERR_INVALID_PARAMETER"));
    // At the bound it is accepted (and the Silica defaults: the due is far above 0).
    let d = w.delivery(id, 0, 0, 100_000_000);
    let sigs = w.signers.sign(&d.id(CHAIN_ID_TESTNET));
    w.submit(&d, sigs).expect_ok();
    assert_eq!(w.status(id), silica_common::DEFAULTED);
}
