//! Shared setup for the alex-staking tests: a chain where staking is a releaser, with
//! short cycles, activated by 20 generated wallets.

use alkahest_clarity::accounts::address_of;
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::{Receipt, Simnet, Value};

pub use crate::token_common::{fund_alex, prepared, Actors, ONE};

/// The contract under test.
pub const S: &str = "alex-staking";

/// Parameters of a test chain.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub cycle_len: u128,
    pub countdown: u128,
    pub emission: u128,
    /// alex-staking's releaser cap in alex-emission.
    pub cap: u128,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            cycle_len: 10,
            countdown: 5,
            emission: 1_000 * ONE,
            cap: 1_000_000 * ONE,
        }
    }
}

/// `n` distinct standard principals that hold no role (not Devnet accounts).
pub fn wallets(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| address_of(&format!("{:064x}", 0x5ea1_0000 + i)).unwrap())
        .collect()
}

/// The chain before activation: governance = deployer, operator mints sBTC, alex-staking
/// a releaser with `p.cap`, cycle length, countdown and emission set.
pub fn before_activation(p: Params) -> (Simnet, Actors) {
    let (mut sim, a) = prepared();
    let staking = sim.contract_id(S);
    sim.call(
        "alex-emission",
        "set-releaser",
        &[principal(&staking), uint(p.cap)],
        &a.deployer,
    )
    .expect_ok();
    sim.call(S, "set-cycle-length", &[uint(p.cycle_len)], &a.deployer)
        .expect_ok();
    sim.call(S, "set-countdown", &[uint(p.countdown)], &a.deployer)
        .expect_ok();
    sim.call(
        S,
        "set-emission-per-cycle",
        &[uint(p.emission)],
        &a.deployer,
    )
    .expect_ok();
    (sim, a)
}

/// 20 signals (the 20th schedules activation); returns the activation height.
pub fn signal_20(sim: &mut Simnet) -> u128 {
    for w in wallets(20) {
        sim.call(S, "signal", &[], &w).expect_ok();
    }
    activation_height(sim).expect("activation scheduled")
}

/// The scheduled activation height.
pub fn activation_height(sim: &mut Simnet) -> Option<u128> {
    sim.read_only(S, "get-activation", &[])
        .field("activation-height")
        .to_optional()
        .map(|v| v.to_uint())
}

/// Mines until `burn-block-height` = `h` (no-op at or past it).
pub fn mine_to(sim: &mut Simnet, h: u128) {
    // At genesis the first mined block leaves burn-block-height at 0: loop.
    loop {
        let now = sim.burn_block_height();
        if now >= h {
            break;
        }
        sim.mine((h - now) as u32);
    }
}

/// Activated chain at the activation height (start of cycle 0), with `stakers` funded
/// with 10,000,000 ALEX each and the operator with 1,000,000 sBTC.
pub fn activated(p: Params) -> (Simnet, Actors, u128) {
    let (mut sim, a) = before_activation(p);
    let act = signal_20(&mut sim);
    mine_to(&mut sim, act);
    for w in [&a.alice, &a.bob, &a.carol, &a.stranger] {
        fund_alex(&mut sim, w, 10_000_000 * ONE);
    }
    mint_sbtc(&mut sim, &a.operator.clone(), 1_000_000 * ONE);
    (sim, a, act)
}

/// Mints sBTC to `to` (the operator is sBTC's protocol contract in these chains).
pub fn mint_sbtc(sim: &mut Simnet, to: &str, amount: u128) {
    let op = sim.account("wallet_5");
    sim.call("sbtc-token", "mint", &[uint(amount), principal(to)], &op)
        .expect_ok();
}

/// The current cycle.
pub fn current_cycle(sim: &mut Simnet) -> Option<u128> {
    sim.read_only(S, "get-current-cycle", &[])
        .to_optional()
        .map(|v| v.to_uint())
}

/// finalized-through.
pub fn finalized(sim: &mut Simnet) -> u128 {
    sim.read_only(S, "get-status", &[])
        .field("finalized-through")
        .to_uint()
}

/// Mines to the first block of cycle `c`.
pub fn mine_to_cycle(sim: &mut Simnet, act: u128, cycle_len: u128, c: u128) {
    mine_to(sim, act + c * cycle_len);
}

pub fn stake(sim: &mut Simnet, who: &str, amount: u128, lock: u128) -> Receipt {
    sim.call(S, "stake", &[uint(amount), uint(lock)], who)
}

pub fn claim(sim: &mut Simnet, who: &str, id: u128) -> Receipt {
    sim.call(S, "claim", &[uint(id)], who)
}

pub fn unstake(sim: &mut Simnet, who: &str, id: u128) -> Receipt {
    sim.call(S, "unstake", &[uint(id)], who)
}

pub fn add_sbtc(sim: &mut Simnet, who: &str, amount: u128) -> Receipt {
    sim.call(S, "add-sbtc-rewards", &[uint(amount)], who)
}

pub fn advance(sim: &mut Simnet, who: &str) -> Receipt {
    sim.call(S, "advance", &[], who)
}

/// `(alex, sbtc)` of a claim's `ok` value or an unstake's.
pub fn paid(v: &Value) -> (u128, u128) {
    (v.field("alex").to_uint(), v.field("sbtc").to_uint())
}

/// The error code of `name` in alex-staking.
pub fn code(sim: &Simnet, name: &str) -> u128 {
    sim.err_code(S, name)
}
