//! silica's settlement token (issue 10, point 23): every sBTC movement goes through a
//! `<sip-010-trait>` argument checked against the principal set once at bootstrap.
//!
//! A second SIP-010 token is deployed in the test: passing it to a deployment settled
//! in the stand-in `sbtc-token` is refused by name, and a deployment configured with it
//! runs a Silica to settlement in that token (deliveries, which signer-registry mints in
//! the stand-in only, are refused by name there).

use crate::silica_common::{
    bootstrap, delivery_args, peg_in, Signers, Terms, World, DEFAULTED, FUNDING, REG, SAT, SBTC,
    SILICA,
};
use alkahest_clarity::binding;
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::{Receipt, Simnet, Value};

const OTHER: &str = "other-token";

fn deploy_other(sim: &mut Simnet) -> Value {
    let deployer = sim.deployer();
    sim.deploy_contract(OTHER, crate::amm_common::TEST_TOKEN, &deployer)
        .expect("the second token deploys");
    principal(&sim.contract_id(OTHER))
}

fn faucet(sim: &mut Simnet, who: &str, amount: u128) {
    let deployer = sim.deployer();
    sim.call(OTHER, "mint", &[uint(amount), principal(who)], &deployer)
        .expect_ok();
}

/// Calls `function` with `token` in front of `args`.
fn call_with(
    sim: &mut Simnet,
    token: &Value,
    function: &str,
    args: &[Value],
    who: &str,
) -> Receipt {
    let mut all = vec![token.clone()];
    all.extend_from_slice(args);
    sim.call(SILICA, function, &all, who)
}

#[test]
fn the_settlement_token_is_set_once_by_the_deployer() {
    let mut sim = Simnet::bare();
    let deployer = sim.deployer();
    let stranger = sim.account("wallet_6");
    let sbtc = principal(&sim.contract_id(SBTC));
    assert_eq!(
        sim.read_only(SILICA, "get-settlement-token", &[])
            .to_optional(),
        None
    );
    sim.call(
        SILICA,
        "set-settlement-token",
        std::slice::from_ref(&sbtc),
        &stranger,
    )
    .expect_err(sim.err_code(SILICA, "ERR_NOT_AUTHORIZED"));
    let r = sim.call(
        SILICA,
        "set-settlement-token",
        std::slice::from_ref(&sbtc),
        &deployer,
    );
    r.expect_ok();
    assert!(r.print_with_topic("set-settlement-token").is_some());
    sim.call(
        SILICA,
        "set-settlement-token",
        std::slice::from_ref(&sbtc),
        &deployer,
    )
    .expect_err(sim.err_code(SILICA, "ERR_TOKEN_ALREADY_SET"));
    assert_eq!(
        sim.read_only(SILICA, "get-settlement-token", &[])
            .to_optional()
            .map(|v| v.to_principal()),
        Some(sim.contract_id(SBTC))
    );
}

#[test]
fn a_token_that_is_not_the_settlement_token_is_refused_by_name() {
    let mut w = World::new();
    let other = deploy_other(&mut w.sim);
    let wrong = w.err("ERR_WRONG_TOKEN");
    let (alice, miner) = (w.alice.clone(), w.miner.clone());
    faucet(&mut w.sim, &alice, FUNDING);
    faucet(&mut w.sim, &miner, FUNDING);
    let id = w.create(Terms::default());
    w.buy(id, &alice, 10).expect_ok();

    call_with(&mut w.sim, &other, "buy", &[uint(id), uint(10)], &alice).expect_err(wrong);
    call_with(&mut w.sim, &other, "top-up", &[uint(id), uint(10)], &miner).expect_err(wrong);
    call_with(&mut w.sim, &other, "cancel", &[uint(id)], &miner).expect_err(wrong);
    let script = w.next_payout_script();
    let start = w.sim.burn_block_height() + 150;
    let terms = [
        uint(100),
        uint(4),
        uint(start),
        uint(60),
        uint(1_000),
        alkahest_clarity::values::buff(&script),
    ];
    call_with(&mut w.sim, &other, "create", &terms, &miner).expect_err(wrong);
    w.mine_to_attestable(id);
    let d = w.delivery(id, 0, 0, 50 * SAT);
    let sigs = w.signers.sign(&d.id(&binding()));
    let stranger = w.stranger.clone();
    call_with(
        &mut w.sim,
        &other,
        "attest-window",
        &delivery_args(&d, sigs),
        &stranger,
    )
    .expect_err(wrong);
    assert_eq!(w.sim.ft_balance(OTHER, &w.escrow_principal()), 0);
    // The settlement token still works.
    w.attest(id, 0, 50 * SAT).expect_ok();
    call_with(&mut w.sim, &other, "redeem", &[uint(id)], &alice).expect_err(wrong);
    call_with(&mut w.sim, &other, "collect", &[uint(id)], &miner).expect_err(wrong);
    w.redeem(id, &alice).expect_ok();
}

#[test]
fn a_deployment_configured_with_another_token_settles_in_it() {
    let mut sim = Simnet::bare();
    let other = deploy_other(&mut sim);
    let deployer = sim.deployer();
    let reg = principal(&sim.contract_id(REG));
    let silica = principal(&sim.contract_id(SILICA));
    sim.call(SBTC, "set-protocol", &[reg], &deployer)
        .expect_ok();
    sim.call(REG, "set-consumer", &[silica], &deployer)
        .expect_ok();
    sim.call(
        SILICA,
        "set-settlement-token",
        std::slice::from_ref(&other),
        &deployer,
    )
    .expect_ok();
    let signers = Signers::new("other", 3, 2);
    bootstrap(&mut sim, &signers).expect_ok();
    let (miner, alice, stranger) = (
        sim.account("wallet_1"),
        sim.account("wallet_2"),
        sim.account("wallet_6"),
    );
    faucet(&mut sim, &miner, FUNDING);
    faucet(&mut sim, &alice, FUNDING);
    // The stand-in sBTC is useless here.
    peg_in(&mut sim, &signers, &alice, 50_000);

    let script = alkahest_protocol::script::payout_script(
        &binding(),
        1,
        &signers.pubkeys(),
        signers.threshold,
    )
    .expect("a valid set");
    let start = sim.burn_block_height() + 150;
    let terms = [
        uint(100),
        uint(4),
        uint(start),
        uint(60),
        uint(1_000),
        alkahest_clarity::values::buff(&script),
    ];
    let id = call_with(&mut sim, &other, "create", &terms, &miner)
        .expect_ok()
        .to_uint();
    let sbtc = principal(&sim.contract_id(SBTC));
    call_with(&mut sim, &sbtc, "buy", &[uint(id), uint(1)], &alice)
        .expect_err(sim.err_code(SILICA, "ERR_WRONG_TOKEN"));
    call_with(&mut sim, &other, "buy", &[uint(id), uint(100)], &alice).expect_ok(); // 24,000
    call_with(&mut sim, &other, "top-up", &[uint(id), uint(3_000)], &miner).expect_ok();

    let mut w = World {
        sim,
        signers,
        miner: miner.clone(),
        alice: alice.clone(),
        bob: String::new(),
        carol: String::new(),
        stranger: stranger.clone(),
    };
    w.mine_to_attestable(id);
    // A delivery would be minted in the stand-in token: refused by name.
    let d = w.delivery(id, 0, 5_000, 50 * SAT);
    let sigs = w.signers.sign(&d.id(&binding()));
    call_with(
        &mut w.sim,
        &other,
        "attest-window",
        &delivery_args(&d, sigs),
        &stranger,
    )
    .expect_err(w.err("ERR_DELIVERY_NOT_MINTABLE"));
    // Once deliveries arrive as sBTC deposits, the registry mints nothing and the same
    // delivery is recorded in this token, owed until record-delivery credits it.
    let mut deposits = w.sim.clone();
    let deployer = deposits.deployer();
    deposits
        .call(REG, "set-deliveries-by-deposit", &[], &deployer)
        .expect_ok();
    let sigs = w.signers.sign(&d.id(&binding()));
    call_with(
        &mut deposits,
        &other,
        "attest-window",
        &delivery_args(&d, sigs),
        &stranger,
    )
    .expect_ok();
    let ledger = deposits.read_only(SILICA, "get-delivery-ledger", &[uint(id)]);
    assert_eq!(ledger.field("in-flight").to_uint(), 5_000);
    // Window 0 delivers nothing: 3,000 top-up + 2,000 locked covers the 5,000 due.
    let d = w.delivery(id, 0, 0, 50 * SAT);
    let sigs = w.signers.sign(&d.id(&binding()));
    call_with(
        &mut w.sim,
        &other,
        "attest-window",
        &delivery_args(&d, sigs),
        &stranger,
    )
    .expect_ok();
    // Window 1: 3,000 + 1,500 locked < 10,000 due: default.
    w.mine_to_attestable(id);
    let d = w.delivery(id, 1, 0, 50 * SAT);
    let sigs = w.signers.sign(&d.id(&binding()));
    let r = call_with(
        &mut w.sim,
        &other,
        "attest-window",
        &delivery_args(&d, sigs),
        &stranger,
    );
    assert_eq!(r.expect_ok(), uint(DEFAULTED));
    // Pool: 3,000 top-up + 2,000 collateral held + 18,000 unreleased payment.
    let r = call_with(&mut w.sim, &other, "redeem", &[uint(id)], &alice);
    assert_eq!(r.expect_ok(), uint(23_000));
    call_with(&mut w.sim, &other, "collect", &[uint(id)], &miner).expect_ok();
    let escrow = w.escrow_principal();
    assert_eq!(w.sim.ft_balance(OTHER, &escrow), 0);
    assert_eq!(
        w.sim.ft_balance(OTHER, &miner),
        FUNDING - 2_000 - 3_000 + 6_000
    );
    assert_eq!(w.sim.ft_balance(OTHER, &alice), FUNDING - 24_000 + 23_000);
    assert_eq!(w.sim.ft_balance(SBTC, &alice), 50_000, "sBTC untouched");
}
