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
