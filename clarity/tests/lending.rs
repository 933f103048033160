//! Fixed-rate lending end to end on the devnet deployment: borrow, lend, repay,
//! rebalance through price moves, settle at expiry and redeem, with exact figures.
//! The devnet pool: 10,000,000 STX / 200 BTC (2,000 sats per STX); the borrower posts
//! 50,000 STX (1 BTC) at ltv-0 75%.

use crate::lending_common::*;
use alkahest_clarity::values::{uint, ValueExt};
use alkahest_clarity::{Simnet, Value};

/// Total sBTC held by crp, ytp and amm-pool (where the reserve's tokens sit), and by
/// the actors: the sats that exist in this test.
fn sats_everywhere(sim: &mut Simnet, who: &[&str]) -> u128 {
    let mut t = 0;
    for c in ["crp", "ytp", "amm-pool"] {
        let id = sim.contract_id(c);
        t += sbtc(sim, &id);
    }
    t + who.iter().map(|w| sbtc(sim, w)).sum::<u128>()
}

fn settlement_field(s: &Value, f: &str) -> u128 {
    s.field(f).to_uint()
}

#[test]
fn borrow_lend_repay_and_redeem_at_expiry() {
    let (mut sim, a) = lending();
    let everyone = [a.alice.as_str(), &a.bob, &a.carol, &a.stranger];
    let total = sats_everywhere(&mut sim, &everyone);
    let carol_before = sbtc(&mut sim, &a.carol);
    // 50,000 STX at 0.002 sats/uSTX = 100,000,000 sats; 75% of it as yield and keys.
    let b = borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    assert_eq!(b.field("minted").to_uint(), 75_000_000);
    // The 75,000,000 yield tokens sell for 74,946,531 sats: a 0.0713% discount to
    // face, the YTP's rate for the ~2,000 blocks to expiry.
    assert_eq!(b.field("sbtc").to_uint(), 74_946_531);
    assert_eq!(sbtc(&mut sim, &a.carol) - carol_before, 74_946_531);
    assert_eq!(key_of(&mut sim, &a.carol), 75_000_000);
    assert_eq!(yield_of(&mut sim, &a.carol), 0);
    // bob lends 0.5 BTC at the fixed rate.
    let l = lend(&mut sim, &a.bob, 50_000_000);
    assert_eq!(l.expect_ok().field("out").to_uint(), 50_046_836);
    // carol buys back 10,000,000 yield tokens and repays with as many keys.
    let buy = lend(&mut sim, &a.carol, 10_000_000);
    assert!(buy.expect_ok().field("out").to_uint() >= 10_000_000);
    // The borrow sold half the collateral (down to the CPPI weight) for sBTC.
    let (c0, s0, _, _) = crp_balances(&mut sim);
    assert_eq!((c0, s0), (25_000_000_000, 49_726_047));
    let r = sim
        .call("crp", "repay", &[uint(E), uint(10_000_000)], &a.carol)
        .expect_ok();
    // 10/75 of the pool, both sides.
    assert_eq!(r.field("collateral").to_uint(), c0 * 10 / 75);
    assert_eq!(r.field("sbtc").to_uint(), s0 * 10 / 75);
    assert_eq!(
        crp_balances(&mut sim),
        (c0 - c0 * 10 / 75, s0 - s0 * 10 / 75, 65_000_000, 65_000_000)
    );
    // Expiry at the same price: the collateral is sold, every yield token is paid in
    // full and the keys get exactly what is left.
    mine_to(&mut sim, E);
    let s = settle(&mut sim, &a.stranger);
    let sold = crp_balances(&mut sim).1;
    assert_eq!(settlement_field(&s, "shortfall"), 0);
    assert_eq!(settlement_field(&s, "yield-pool"), 65_000_000);
    assert_eq!(settlement_field(&s, "key-pool"), sold - 65_000_000);
    assert_eq!(sold, 85_992_078);
    let y = yield_of(&mut sim, &a.bob);
    let paid = sim
        .call("crp", "redeem-yield", &[uint(E), uint(y)], &a.bob)
        .expect_ok();
    assert_eq!(paid.to_uint(), y);
    let k = key_of(&mut sim, &a.carol);
    let paid = sim
        .call("crp", "redeem-key", &[uint(E), uint(k)], &a.carol)
        .expect_ok();
    assert_eq!(paid.to_uint(), sold - 65_000_000);
    // alice's LP yield tokens (and the locked minimum liquidity's) are what is left.
    let lp = sim
        .read_only(
            "ytp",
            "get-lp-balance",
            &[uint(E), alkahest_clarity::values::principal(&a.alice)],
        )
        .to_uint();
    let out = remove_liquidity(&mut sim, &a.alice, lp).expect_ok();
    let ay = out.field("dy").to_uint();
    sim.call("crp", "redeem-yield", &[uint(E), uint(ay)], &a.alice)
        .expect_ok();
    // carol bought back a little more than she repaid.
    let extra = yield_of(&mut sim, &a.carol);
    assert_eq!(extra, 3_744);
    sim.call("crp", "redeem-yield", &[uint(E), uint(extra)], &a.carol)
        .expect_ok();
    let left = crp_balances(&mut sim).1;
    let ytp = sim.contract_id("ytp");
    let locked = yield_of(&mut sim, &ytp);
    assert_eq!(
        left, locked,
        "crp holds exactly the sats of the yield tokens locked in the YTP"
    );
    // No sat was created or lost.
    assert_eq!(sats_everywhere(&mut sim, &everyone), total);
}

/// Borrow, a YTP trade, a rebalance and a redemption each fit well inside a block:
/// under 2% of the runtime limit and under 5% of the read and write counts. The
/// figures are also in the cost table (target/clarity-costs/report.md).
#[test]
fn lending_calls_fit_in_a_fraction_of_a_block() {
    let (mut sim, a) = lending();
    let mut checked = Vec::new();
    let mut check = |name: &str, r: &alkahest_clarity::Receipt| {
        let [runtime, reads, _, writes, _] = r.cost.percent_of_block();
        assert!(
            runtime < 2.0 && reads < 5.0 && writes < 5.0,
            "{name}: {:?}",
            r.cost
        );
        checked.push(format!(
            "{name}: runtime {runtime:.3}%, reads {reads:.2}%, writes {writes:.2}%"
        ));
    };
    let r = borrow(&mut sim, &a.carol, COLLATERAL);
    r.expect_ok();
    check("crp borrow (with its hedge and YTP sale)", &r);
    let r = lend(&mut sim, &a.bob, 50_000_000);
    r.expect_ok();
    check("ytp swap-x-for-y", &r);
    let y = yield_of(&mut sim, &a.bob);
    let r = sim.call(
        "ytp",
        "swap-y-for-x",
        &[uint(E), uint(y / 2), uint(0)],
        &a.bob,
    );
    r.expect_ok();
    check("ytp swap-y-for-x", &r);
    next_burn_block(&mut sim);
    move_price_in_one_block(&mut sim, &a.stranger, PRICE * 80 / 100);
    follow(&mut sim, &a.stranger, 70);
    let r = sim.call("crp", "rebalance", &[uint(E)], &a.stranger);
    r.expect_ok();
    check("crp rebalance", &r);
    mine_to(&mut sim, E);
    settle(&mut sim, &a.stranger);
    let y = yield_of(&mut sim, &a.bob);
    let r = sim.call("crp", "redeem-yield", &[uint(E), uint(y / 2)], &a.bob);
    r.expect_ok();
    check("crp redeem-yield", &r);
    let k = key_of(&mut sim, &a.carol);
    let r = sim.call("crp", "redeem-key", &[uint(E), uint(k / 2)], &a.carol);
    r.expect_ok();
    check("crp redeem-key", &r);
    #[allow(clippy::print_stdout)]
    {
        println!("{}", checked.join("\n"));
    }
}
