//! alex-token: the success path and every error code of every public function, the
//! lock ledger, and minter-list removal.

use crate::token_common::{desk, fund_alex, prepared, ONE};
use alkahest_clarity::values::{buff, none, principal, some, uint, ValueExt};
use alkahest_clarity::{Event, Simnet};

const T: &str = "alex-token";

fn err(sim: &Simnet, name: &str) -> u128 {
    sim.err_code(T, name)
}

#[test]
fn metadata_read_only_views() {
    let (mut sim, a) = prepared();
    assert_eq!(sim.read_only(T, "get-name", &[]).to_ascii(), "ALEX Token");
    assert_eq!(sim.read_only(T, "get-symbol", &[]).to_ascii(), "ALEX");
    assert_eq!(sim.read_only(T, "get-decimals", &[]).to_uint(), 8);
    assert_eq!(sim.read_only(T, "get-token-uri", &[]).to_optional(), None);
    assert_eq!(
        sim.read_only(T, "get-governance", &[])
            .to_optional()
            .unwrap()
            .to_principal(),
        a.deployer
    );
    assert_eq!(
        sim.read_only(T, "get-foundation-reserve", &[])
            .to_principal(),
        a.deployer
    );
    let alloc = sim.read_only(T, "get-allocation", &[]);
    assert_eq!(alloc.field("vesting").to_uint(), 300_000_000 * ONE);
    assert_eq!(
        alloc.field("vesting-holder").to_principal(),
        sim.contract_id("alex-vesting")
    );
    assert!(sim
        .read_only(T, "is-minter", &[principal(&a.operator)])
        .to_bool());
    assert!(!sim
        .read_only(T, "is-minter", &[principal(&a.alice)])
        .to_bool());
}

#[test]
fn transfer_success_events_and_errors() {
    let (mut sim, a) = prepared();
    fund_alex(&mut sim, &a.alice, 10 * ONE);
    let r = sim.call(
        T,
        "transfer",
        &[
            uint(4 * ONE),
            principal(&a.alice),
            principal(&a.bob),
            some(buff(b"memo")),
        ],
        &a.alice,
    );
    r.expect_ok();
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::FtTransfer { amount, .. } if *amount == 4 * ONE)));
    assert_eq!(r.prints().next().unwrap().to_buff(), b"memo".to_vec());
    assert!(r.print_with_topic("transfer").is_some());
    assert_eq!(sim.ft_balance(T, &a.alice), 6 * ONE);
    assert_eq!(sim.ft_balance(T, &a.bob), 4 * ONE);

    let args =
        |amt: u128, from: &str, to: &str| [uint(amt), principal(from), principal(to), none()];
    sim.call(T, "transfer", &args(1, &a.alice, &a.bob), &a.bob)
        .expect_err(err(&sim, "ERR_NOT_OWNER"));
    sim.call(T, "transfer", &args(0, &a.alice, &a.bob), &a.alice)
        .expect_err(err(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(T, "transfer", &args(1, &a.alice, &a.alice), &a.alice)
        .expect_err(err(&sim, "ERR_SELF_TRANSFER"));
    sim.call(
        T,
        "transfer",
        &args(6 * ONE + 1, &a.alice, &a.bob),
        &a.alice,
    )
    .expect_err(err(&sim, "ERR_INSUFFICIENT_BALANCE"));
    // Nothing moved on failure.
    assert_eq!(sim.ft_balance(T, &a.alice), 6 * ONE);
}

#[test]
fn governance_bootstrap_once_and_handover() {
    let mut sim = Simnet::bare();
    let (d, w1, w2) = (
        sim.deployer(),
        sim.account("wallet_1"),
        sim.account("wallet_2"),
    );
    sim.call(T, "bootstrap-governance", &[principal(&w1)], &w1)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    let r = sim.call(T, "bootstrap-governance", &[principal(&w1)], &d);
    r.expect_ok();
    assert!(r.print_with_topic("set-governance").is_some());
    sim.call(T, "bootstrap-governance", &[principal(&w2)], &d)
        .expect_err(err(&sim, "ERR_ALREADY_BOOTSTRAPPED"));
    // Only the current governance hands over.
    sim.call(T, "set-governance", &[principal(&w2)], &d)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    sim.call(T, "set-governance", &[principal(&w2)], &w1)
        .expect_ok();
    sim.call(T, "add-minter", &[principal(&d)], &w1)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    sim.call(T, "add-minter", &[principal(&d)], &w2).expect_ok();
}

#[test]
fn minter_list_add_remove_and_supply_changes() {
    let (mut sim, a) = prepared();
    let supply0 = sim.read_only(T, "get-total-supply", &[]).to_uint();
    sim.call(T, "add-minter", &[principal(&a.operator)], &a.deployer)
        .expect_err(err(&sim, "ERR_ALREADY_LISTED"));
    // Minter mints; governance mints too.
    let r = sim.call(
        T,
        "mint",
        &[uint(5 * ONE), principal(&a.alice)],
        &a.operator,
    );
    r.expect_ok();
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::FtMint { amount, .. } if *amount == 5 * ONE)));
    sim.call(T, "mint", &[uint(ONE), principal(&a.alice)], &a.deployer)
        .expect_ok();
    sim.call(T, "mint", &[uint(0), principal(&a.alice)], &a.operator)
        .expect_err(err(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(T, "mint", &[uint(1), principal(&a.alice)], &a.alice)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    assert_eq!(
        sim.read_only(T, "get-total-supply", &[]).to_uint(),
        supply0 + 6 * ONE
    );

    // A minter burns tokens it holds (third parties: token_trust.rs).
    fund_alex(&mut sim, &a.operator, 6 * ONE);
    let own = |amt: u128| [uint(amt), principal(&a.operator)];
    let r = sim.call(T, "burn", &own(2 * ONE), &a.operator);
    r.expect_ok();
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::FtBurn { amount, .. } if *amount == 2 * ONE)));
    assert!(r.print_with_topic("burn").is_some());
    sim.call(T, "burn", &own(0), &a.operator)
        .expect_err(err(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(T, "burn", &own(4 * ONE + 1), &a.operator)
        .expect_err(err(&sim, "ERR_INSUFFICIENT_BALANCE"));
    sim.call(T, "burn", &[uint(1), principal(&a.alice)], &a.alice)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    assert_eq!(sim.ft_balance(T, &a.operator), 4 * ONE);
    assert_eq!(sim.ft_balance(T, &a.alice), 6 * ONE);
    // The whole available balance burns (the bound is inclusive).
    sim.call(T, "burn", &own(4 * ONE), &a.operator).expect_ok();
    assert_eq!(sim.ft_balance(T, &a.operator), 0);

    // Removal is real: the removed minter can no longer mint or burn.
    sim.call(T, "remove-minter", &[principal(&a.operator)], &a.alice)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    let r = sim.call(T, "remove-minter", &[principal(&a.operator)], &a.deployer);
    r.expect_ok();
    assert!(r.print_with_topic("remove-minter").is_some());
    sim.call(T, "remove-minter", &[principal(&a.operator)], &a.deployer)
        .expect_err(err(&sim, "ERR_NOT_LISTED"));
    sim.call(T, "mint", &[uint(1), principal(&a.alice)], &a.operator)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    sim.call(T, "burn", &[uint(1), principal(&a.operator)], &a.operator)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(!sim
        .read_only(T, "is-minter", &[principal(&a.operator)])
        .to_bool());
}

#[test]
fn lock_ledger_blocks_transfer_and_burn_of_locked_tokens() {
    let (mut sim, a) = prepared();
    let desk = desk(&mut sim);
    fund_alex(&mut sim, &a.alice, 10 * ONE);
    // Alice locks through a locker contract (her consent: she calls it).
    let r = sim.call(&desk, "lock-mine", &[uint(7 * ONE)], &a.alice);
    assert_eq!(r.expect_ok().to_uint(), 7 * ONE);
    assert!(r.print_with_topic("lock").is_some());
    assert_eq!(
        sim.read_only(T, "get-locked", &[principal(&a.alice)])
            .to_uint(),
        7 * ONE
    );
    assert_eq!(
        sim.read_only(T, "get-available", &[principal(&a.alice)])
            .to_uint(),
        3 * ONE
    );
    // Balance still counts locked tokens (SIP-010), but they cannot move or burn.
    assert_eq!(sim.ft_balance(T, &a.alice), 10 * ONE);
    let xfer = |amt| [uint(amt), principal(&a.alice), principal(&a.bob), none()];
    sim.call(T, "transfer", &xfer(3 * ONE + 1), &a.alice)
        .expect_err(err(&sim, "ERR_INSUFFICIENT_BALANCE"));
    sim.call(&desk, "burn-mine", &[uint(3 * ONE + 1)], &a.alice)
        .expect_err(err(&sim, "ERR_INSUFFICIENT_BALANCE"));
    sim.call(&desk, "lock-mine", &[uint(3 * ONE + 1)], &a.alice)
        .expect_err(err(&sim, "ERR_INSUFFICIENT_BALANCE"));
    sim.call(&desk, "lock-mine", &[uint(0)], &a.alice)
        .expect_err(err(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(T, "lock", &[uint(1), principal(&a.alice)], &a.alice)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    sim.call(T, "transfer", &xfer(3 * ONE), &a.alice)
        .expect_ok();

    sim.call(
        T,
        "unlock",
        &[uint(7 * ONE + 1), principal(&a.alice)],
        &a.operator,
    )
    .expect_err(err(&sim, "ERR_INSUFFICIENT_LOCKED"));
    sim.call(T, "unlock", &[uint(0), principal(&a.alice)], &a.operator)
        .expect_err(err(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(T, "unlock", &[uint(1), principal(&a.alice)], &a.bob)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    let r = sim.call(
        T,
        "unlock",
        &[uint(7 * ONE), principal(&a.alice)],
        &a.operator,
    );
    assert_eq!(r.expect_ok().to_uint(), 0);
    assert!(r.print_with_topic("unlock").is_some());
    sim.call(T, "transfer", &xfer(7 * ONE), &a.alice)
        .expect_ok();
    assert_eq!(sim.ft_balance(T, &a.alice), 0);
}

#[test]
fn locker_list_add_remove() {
    let (mut sim, a) = prepared();
    sim.call(T, "add-locker", &[principal(&a.operator)], &a.deployer)
        .expect_err(err(&sim, "ERR_ALREADY_LISTED"));
    sim.call(T, "add-locker", &[principal(&a.bob)], &a.bob)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    sim.call(T, "add-locker", &[principal(&a.bob)], &a.deployer)
        .expect_ok();
    assert!(sim
        .read_only(T, "is-locker", &[principal(&a.bob)])
        .to_bool());
    sim.call(T, "remove-locker", &[principal(&a.bob)], &a.bob)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
    sim.call(T, "remove-locker", &[principal(&a.bob)], &a.deployer)
        .expect_ok();
    sim.call(T, "remove-locker", &[principal(&a.bob)], &a.deployer)
        .expect_err(err(&sim, "ERR_NOT_LISTED"));
    fund_alex(&mut sim, &a.alice, ONE);
    sim.call(T, "lock", &[uint(1), principal(&a.alice)], &a.bob)
        .expect_err(err(&sim, "ERR_NOT_AUTHORIZED"));
}
