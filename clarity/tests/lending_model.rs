//! The CRP against the Rust model the VaR simulation runs (alkahest_lending::crp):
//! random borrows, price moves, keeper rebalances and repays (proptest), and after
//! every step the contract's pool equals the model's, integer for integer, and the
//! contract holds exactly the STX and sBTC its books say (Σ in = Σ out + held). Then
//! the settlement at expiry equals the model's.

use std::sync::OnceLock;

use crate::lending_common::*;
use alkahest_clarity::values::{uint, ValueExt};
use alkahest_clarity::{Receipt, Simnet};
use alkahest_lending::crp::{
    apply, borrow_and_hedge, rebalance_order, repay, settle as model_settle, Order, Params, Pool,
};
use proptest::prelude::*;

fn template() -> Simnet {
    static T: OnceLock<Simnet> = OnceLock::new();
    T.get_or_init(|| lending().0).clone()
}

#[derive(Debug, Clone)]
enum Op {
    /// Borrow with this many STX.
    Borrow(u128),
    /// Move the AMM price by this many percent (-40 .. +30) and let the EMA follow.
    Price(i32),
    /// A keeper's rebalance in a fresh block.
    Rebalance,
    /// carol buys back yield tokens and repays this share (1e-4) of her keys.
    Repay(u128),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (100u128..80_000).prop_map(Op::Borrow),
        (-40i32..30).prop_map(Op::Price),
        Just(Op::Rebalance),
        (1u128..10_000).prop_map(Op::Repay),
    ]
}

fn contract_pool(sim: &mut Simnet) -> Pool {
    let p = crp_pool(sim);
    let f = |n: &str| p.field(n).to_uint();
    Pool {
        collateral: f("collateral"),
        sbtc: f("sbtc"),
        yield_supply: f("yield-supply"),
        key_supply: f("key-supply"),
        converted: p.field("converted").to_bool(),
    }
}

/// What the AMM's max-in lets the pool sell (`sell`) or spend.
fn max_in(sim: &mut Simnet, sell: bool) -> u128 {
    let p = sim.read_only("amm-pool", "get-pool", &[uint(AMM_ID)]);
    let bal = p
        .field(if sell { "balance-x" } else { "balance-y" })
        .to_uint();
    bal * p.field("max-in-ratio").to_uint() / ONE_8
}

/// The AMM's output of the pool's last trade (its `crp-rebalance` print).
fn traded_out(r: &Receipt) -> Option<u128> {
    let ev = r.print_with_topic("crp-rebalance")?;
    let f = |n: &str| ev.field(n).to_uint();
    Some(if f("collateral-in") > 0 {
        f("sbtc-out")
    } else {
        f("collateral-out")
    })
}

fn held(sim: &mut Simnet) -> (u128, u128) {
    let id = sim.contract_id("crp");
    (sim.stx_balance(&id), sbtc(sim, &id))
}

fn step(sim: &mut Simnet, model: &mut Pool, params: &Params, op: Op) -> Result<(), TestCaseError> {
    let a = crate::actors::actors(sim);
    match op {
        Op::Borrow(stx) => {
            let dx = stx * 1_000_000;
            let p = ema(sim);
            let (_, amm_sats) = amm_balances(sim);
            let cap = max_in(sim, true);
            let mut next = *model;
            let r = borrow(sim, &a.bob, dx);
            match borrow_and_hedge(&mut next, dx, p, amm_sats, params) {
                Err(e) => {
                    prop_assert!(!r.is_ok(), "model refused ({e}) but the contract lent");
                }
                Ok((minted, order)) => {
                    if !r.is_ok() {
                        // Only the AMM may still refuse the hedge (slippage) or the YTP
                        // the sale of the yield tokens (its max-out): not the rule.
                        let code = r.to_string();
                        prop_assert!(code.contains("u908") || code.contains("u1806"), "{code}");
                        return Ok(());
                    }
                    prop_assert_eq!(r.expect_ok().field("minted").to_uint(), minted);
                    let order = order.capped(cap, p, params);
                    if order != Order::None {
                        let out = traded_out(&r).expect("the borrow hedged");
                        apply(&mut next, &order, out)
                            .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    } else {
                        prop_assert!(traded_out(&r).is_none());
                    }
                    *model = next;
                }
            }
        }
        Op::Price(pct) => {
            let target = (PRICE as i128 * (100 + pct as i128) / 100) as u128;
            move_price(sim, &a.stranger, target);
            follow(sim, &a.stranger, 70);
        }
        Op::Rebalance => {
            follow(sim, &a.stranger, 1);
            let p = ema(sim);
            let mut next = *model;
            let order = rebalance_order(&mut next, p, params);
            let cap = max_in(sim, matches!(order, Order::SellCollateral { .. }));
            let order = order.capped(cap, p, params);
            let r = sim.call("crp", "rebalance", &[uint(E)], &a.stranger);
            if order == Order::None {
                r.expect_err(1914);
            } else if r.is_ok() {
                let out = traded_out(&r).expect("a trade");
                apply(&mut next, &order, out).map_err(|e| TestCaseError::fail(e.to_string()))?;
                *model = next;
            } else {
                prop_assert!(r.to_string().contains("u908"), "{r}");
            }
        }
        Op::Repay(share) => {
            let keys = key_of(sim, &a.carol);
            let n = keys * share / 10_000;
            if n == 0 {
                return Ok(());
            }
            let buy = lend(sim, &a.carol, n + n / 100);
            if !buy.is_ok() {
                return Ok(());
            }
            let mut next = *model;
            let (cx, sx) = repay(&mut next, n).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let r = sim
                .call("crp", "repay", &[uint(E), uint(n)], &a.carol)
                .expect_ok();
            prop_assert_eq!(
                (r.field("collateral").to_uint(), r.field("sbtc").to_uint()),
                (cx, sx)
            );
            *model = next;
        }
    }
    prop_assert_eq!(contract_pool(sim), *model);
    prop_assert_eq!(held(sim), (model.collateral, model.sbtc));
    Ok(())
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut sim = template();
    let a = crate::actors::actors(&sim);
    let params = Params::default();
    let mut model = Pool::default();
    // carol borrows first, so that repays have keys to burn.
    step(&mut sim, &mut model, &params, Op::Borrow(50_000))?;
    let carol = borrow(&mut sim, &a.carol, 10_000_000_000);
    if carol.is_ok() {
        model = contract_pool(&mut sim);
    }
    for op in ops {
        step(&mut sim, &mut model, &params, op)?;
    }
    // Expiry: the contract sells what collateral is left; its settlement splits the
    // sats as the model's does.
    mine_to(&mut sim, E);
    let s = settle(&mut sim, &a.stranger);
    let f = |n: &str| s.field(n).to_uint();
    let before = f("yield-pool") + f("key-pool") - f("from-reserve") - f("from-alex");
    let reserve_used = f("from-reserve");
    let m = model_settle(
        before,
        model.yield_supply,
        model.key_supply,
        reserve_used,
        0,
    );
    prop_assert_eq!((m.yield_pool, m.key_pool), (f("yield-pool"), f("key-pool")));
    prop_assert_eq!(held(&mut sim), (0, f("yield-pool") + f("key-pool")));
    Ok(())
}

#[test]
fn the_contract_follows_the_model_step_by_step() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 12,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..8), run)
        .unwrap();
}
