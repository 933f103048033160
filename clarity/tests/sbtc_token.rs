//! sbtc-token (the devnet/test stand-in for sBTC): the one-time protocol registration,
//! protocol-only mint and burn, and every error code of every public function.

use alkahest_clarity::values::{buff, none, principal, some, uint, ValueExt};
use alkahest_clarity::{Event, Simnet};

const T: &str = "sbtc-token";

#[test]
fn protocol_is_registered_once_by_the_deployer() {
    let mut sim = Simnet::bare();
    let (d, w1, w2) = (
        sim.deployer(),
        sim.account("wallet_1"),
        sim.account("wallet_2"),
    );
    assert_eq!(sim.read_only(T, "get-protocol", &[]).to_optional(), None);
    // Nobody can mint before registration.
    sim.call(T, "mint", &[uint(1), principal(&w1)], &d)
        .expect_err(sim.err_code(T, "ERR_NOT_AUTHORIZED"));
    sim.call(T, "set-protocol", &[principal(&w1)], &w1)
        .expect_err(sim.err_code(T, "ERR_NOT_AUTHORIZED"));
    let r = sim.call(T, "set-protocol", &[principal(&w1)], &d);
    r.expect_ok();
    assert!(r.print_with_topic("set-protocol").is_some());
    sim.call(T, "set-protocol", &[principal(&w2)], &d)
        .expect_err(sim.err_code(T, "ERR_ALREADY_BOOTSTRAPPED"));
    assert_eq!(
        sim.read_only(T, "get-protocol", &[])
            .to_optional()
            .unwrap()
            .to_principal(),
        w1
    );
}

#[test]
fn metadata() {
    let mut sim = Simnet::new();
    assert_eq!(sim.read_only(T, "get-name", &[]).to_ascii(), "sBTC");
    assert_eq!(sim.read_only(T, "get-symbol", &[]).to_ascii(), "sBTC");
    assert_eq!(sim.read_only(T, "get-decimals", &[]).to_uint(), 8);
    assert_eq!(sim.read_only(T, "get-token-uri", &[]).to_optional(), None);
}

#[test]
fn mint_transfer_burn_and_their_errors() {
    let (mut sim, a) = crate::token_common::prepared();
    let code = |sim: &Simnet, n: &str| sim.err_code(T, n);
    let r = sim.call(T, "mint", &[uint(1_000), principal(&a.alice)], &a.operator);
    r.expect_ok();
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::FtMint { amount: 1_000, .. })));
    sim.call(T, "mint", &[uint(0), principal(&a.alice)], &a.operator)
        .expect_err(code(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(T, "mint", &[uint(5), principal(&a.alice)], &a.deployer)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));

    let xfer =
        |amt: u128, from: &str, to: &str| [uint(amt), principal(from), principal(to), none()];
    let r = sim.call(
        T,
        "transfer",
        &[
            uint(300),
            principal(&a.alice),
            principal(&a.bob),
            some(buff(&[1, 2])),
        ],
        &a.alice,
    );
    r.expect_ok();
    assert_eq!(r.prints().next().unwrap().to_buff(), vec![1, 2]);
    sim.call(T, "transfer", &xfer(1, &a.alice, &a.bob), &a.bob)
        .expect_err(code(&sim, "ERR_NOT_OWNER"));
    sim.call(T, "transfer", &xfer(0, &a.alice, &a.bob), &a.alice)
        .expect_err(code(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(T, "transfer", &xfer(1, &a.alice, &a.alice), &a.alice)
        .expect_err(code(&sim, "ERR_SELF_TRANSFER"));
    sim.call(T, "transfer", &xfer(701, &a.alice, &a.bob), &a.alice)
        .expect_err(code(&sim, "ERR_INSUFFICIENT_BALANCE"));

    sim.call(T, "burn", &[uint(701), principal(&a.alice)], &a.operator)
        .expect_err(code(&sim, "ERR_INSUFFICIENT_BALANCE"));
    sim.call(T, "burn", &[uint(0), principal(&a.alice)], &a.operator)
        .expect_err(code(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(T, "burn", &[uint(1), principal(&a.alice)], &a.alice)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    let r = sim.call(T, "burn", &[uint(700), principal(&a.alice)], &a.operator);
    r.expect_ok();
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::FtBurn { amount: 700, .. })));
    assert_eq!(sim.ft_balance(T, &a.alice), 0);
    assert_eq!(sim.ft_balance(T, &a.bob), 300);
    assert_eq!(sim.read_only(T, "get-total-supply", &[]).to_uint(), 300);
}

/// Issue 17: the balance check is inclusive: a holder can send everything they hold,
/// and one sat more is refused.
#[test]
fn a_whole_balance_transfers() {
    let (mut sim, a) = crate::token_common::prepared();
    sim.call(T, "mint", &[uint(1_000), principal(&a.alice)], &a.operator)
        .expect_ok();
    let xfer = |amt: u128| [uint(amt), principal(&a.alice), principal(&a.bob), none()];
    sim.call(T, "transfer", &xfer(1_001), &a.alice)
        .expect_err(sim.err_code(T, "ERR_INSUFFICIENT_BALANCE"));
    sim.call(T, "transfer", &xfer(1_000), &a.alice).expect_ok();
    assert_eq!(sim.ft_balance(T, &a.alice), 0);
    assert_eq!(sim.ft_balance(T, &a.bob), 1_000);
}
