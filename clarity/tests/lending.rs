//! Fixed-rate lending end to end: borrow, lend, repay, rebalance, settle at expiry and
//! redeem, with exact figures, and the CRP rule against the Rust model
//! (alkahest_lending::crp) that the VaR simulation runs.

use crate::lending_common::*;
use alkahest_clarity::values::{uint, ValueExt};

#[test]
fn explore() {
    let (mut sim, a) = lending();
    let r = borrow(&mut sim, &a.carol, COLLATERAL);
    eprintln!("borrow {}", r.expect_ok());
    eprintln!("state {}", state(&mut sim));
    eprintln!("yield {}", sim.read_only("ytp", "get-yield", &[uint(E)]));
    let r = sim.call(
        "ytp",
        "swap-x-for-y",
        &[uint(E), uint(50_000_000), uint(0)],
        &a.bob,
    );
    eprintln!("lend {}", r.expect_ok());
    eprintln!("cost {:?}", r.cost);
    move_price(&mut sim, &a.stranger, PRICE * 80 / 100);
    follow(&mut sim, &a.stranger, 60);
    eprintln!("ema {}", ema(&mut sim));
    eprintln!("state {}", state(&mut sim));
    let r = sim.call("crp", "rebalance", &[uint(E)], &a.stranger);
    eprintln!("rebalance {} {:?}", r.expect_ok(), r.cost);
    eprintln!("state {}", state(&mut sim));
    mine_to(&mut sim, E);
    eprintln!("settled {}", settle(&mut sim, &a.stranger));
    let y = yield_of(&mut sim, &a.bob);
    let r = sim.call("crp", "redeem-yield", &[uint(E), uint(y)], &a.bob);
    eprintln!("redeem {} {y}", r.expect_ok());
    let k = key_of(&mut sim, &a.carol);
    let r = sim.call("crp", "redeem-key", &[uint(E), uint(k)], &a.carol);
    eprintln!("redeem key {} {k}", r.expect_ok());
    eprintln!("balances {:?}", crp_balances(&mut sim));
}
