//! Shared setup for the token, vesting and emission tests.

use alkahest_clarity::values::{principal, uint};
use alkahest_clarity::Simnet;

/// 10^8 base units per whole token.
pub const ONE: u128 = 100_000_000;

pub use crate::actors::{actors, Actors};

/// The booted workspace (governance = deployer) with wallet_5 approved as ALEX minter,
/// locker and emission releaser, and as the sBTC protocol contract.
pub fn prepared() -> (Simnet, Actors) {
    let mut sim = Simnet::bare();
    let a = actors(&sim);
    sim.call(
        "alex-token",
        "bootstrap-governance",
        &[principal(&a.deployer)],
        &a.deployer,
    )
    .expect_ok();
    sim.call(
        "sbtc-token",
        "set-protocol",
        &[principal(&a.operator)],
        &a.deployer,
    )
    .expect_ok();
    sim.call(
        "alex-token",
        "add-minter",
        &[principal(&a.operator)],
        &a.deployer,
    )
    .expect_ok();
    sim.call(
        "alex-token",
        "add-locker",
        &[principal(&a.operator)],
        &a.deployer,
    )
    .expect_ok();
    sim.call(
        "alex-emission",
        "set-releaser",
        &[principal(&a.operator), uint(1_000 * ONE)],
        &a.deployer,
    )
    .expect_ok();
    (sim, a)
}

/// Transfers `amount` ALEX from the deployer (foundation reserve) to `to`.
pub fn fund_alex(sim: &mut Simnet, to: &str, amount: u128) {
    let d = sim.deployer();
    sim.call(
        "alex-token",
        "transfer",
        &[
            uint(amount),
            principal(&d),
            principal(to),
            alkahest_clarity::values::none(),
        ],
        &d,
    )
    .expect_ok();
}

/// A holder-facing desk contract, approved as ALEX minter and locker: a holder calls it
/// to burn or lock their own ALEX (tx-sender = owner), as a bridge or a voting contract
/// would. `burn-for` and `lock-for` try to act on someone else's ALEX instead.
pub const DESK: &str = r#"
(define-public (burn-mine (amount uint)) (contract-call? .alex-token burn amount tx-sender))
(define-public (lock-mine (amount uint)) (contract-call? .alex-token lock amount tx-sender))
(define-public (burn-for (amount uint) (owner principal)) (contract-call? .alex-token burn amount owner))
(define-public (lock-for (amount uint) (owner principal)) (contract-call? .alex-token lock amount owner))
"#;

/// Deploys [`DESK`] as the deployer, approves it as minter and locker, and returns its
/// contract id.
pub fn desk(sim: &mut Simnet) -> String {
    let d = sim.deployer();
    sim.deploy_contract("alex-desk", DESK, &d)
        .unwrap_or_else(|e| panic!("{e}"));
    let id = sim.contract_id("alex-desk");
    for f in ["add-minter", "add-locker"] {
        sim.call("alex-token", f, &[principal(&id)], &d).expect_ok();
    }
    id
}
