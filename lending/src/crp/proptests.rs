//! Conservation of sats and collateral over any sequence of CRP operations.

use proptest::prelude::*;

use super::*;

/// One step a user or keeper may take before expiry.
#[derive(Debug, Clone)]
enum Step {
    /// Deposit `dx` collateral at price `p` next to an AMM holding `amm_sbtc` sats, and
    /// execute the borrow's hedge as [`Step::Rebalance`] executes an order.
    Borrow {
        dx: u128,
        p: u128,
        amm_sbtc: u128,
        cap: u128,
        fill: u128,
    },
    /// Repay `per_mille` of the outstanding supply (at least 1 token).
    Repay { per_mille: u128 },
    /// Rebalance at price `p`, the AMM capped at `cap` input and paying `fill`/255 of
    /// the way from `min_out` to the fair output.
    Rebalance { p: u128, cap: u128, fill: u128 },
}

fn price() -> impl Strategy<Value = u128> {
    // 1e-5 to 1 sat per unit: STX in sats spans about 1e-3 today.
    1_000u128..=ONE_8
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (
            1u128..=10_000_000_000_000,
            price(),
            0u128..=100_000_000_000_000_000,
            0u128..=20_000_000_000_000,
            0u128..=255
        )
            .prop_map(|(dx, p, amm_sbtc, cap, fill)| Step::Borrow {
                dx,
                p,
                amm_sbtc,
                cap,
                fill
            }),
        (0u128..=1_000).prop_map(|per_mille| Step::Repay { per_mille }),
        (price(), 0u128..=20_000_000_000_000, 0u128..=255)
            .prop_map(|(p, cap, fill)| Step::Rebalance { p, cap, fill }),
    ]
}

/// Everything that entered and left the pool, per asset.
#[derive(Debug, Default)]
struct Ledger {
    sats_in: u128,
    sats_out: u128,
    collateral_in: u128,
    collateral_out: u128,
}

/// What an AMM stub pays for `order` at price `p`: between `min_out` and the fair
/// output, `fill`/255 of the way.
fn amm_out(order: &Order, p: u128, fill: u128) -> u128 {
    let fair = match *order {
        Order::None => return 0,
        Order::SellCollateral { amount_in, .. } => amount_in * p / ONE_8,
        Order::BuyCollateral { sbtc_in, .. } => sbtc_in * ONE_8 / p,
    };
    let min_out = order.min_out();
    assert!(min_out <= fair, "min_out {min_out} above the fair {fair}");
    min_out + (fair - min_out) * fill / 255
}

/// Executes `order` against the AMM stub and books it in the pool and the ledger.
fn execute(pool: &mut Pool, ledger: &mut Ledger, order: &Order, p: u128, fill: u128) {
    let out = amm_out(order, p, fill);
    apply(pool, order, out)
        .expect("the stub pays at least min_out and orders spend what the pool holds");
    match *order {
        Order::None => {}
        Order::SellCollateral { amount_in, .. } => {
            ledger.collateral_out += amount_in;
            ledger.sats_in += out;
        }
        Order::BuyCollateral { sbtc_in, .. } => {
            ledger.sats_out += sbtc_in;
            ledger.collateral_in += out;
        }
    }
}

/// Splits `total` into chunks of `parts` in turn (cycled), the last one taking the rest.
fn chunks(total: u128, parts: &[u128]) -> Vec<u128> {
    let mut left = total;
    let mut out = Vec::new();
    for part in parts.iter().cycle().take(64) {
        if left == 0 {
            break;
        }
        let n = (*part).clamp(1, left);
        out.push(n);
        left -= n;
    }
    if left > 0 {
        out.push(left);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sats_and_collateral_are_conserved(
        steps in prop::collection::vec(step(), 1..40),
        final_p in price(),
        final_fill in 0u128..=255,
        reserve in 0u128..=1_000_000_000_000,
        alex in 0u128..=1_000_000_000_000,
        yield_parts in prop::collection::vec(1u128..=1_000_000_000_000, 1..8),
        key_parts in prop::collection::vec(1u128..=1_000_000_000_000, 1..8),
        multiplier in 1u128..=MAX_MULTIPLIER,
        capacity in 1u128..=ONE_8,
    ) {
        let params = Params { multiplier, capacity, ..Params::default() };
        let mut pool = Pool::default();
        let mut ledger = Ledger::default();
        for step in &steps {
            match *step {
                Step::Borrow { dx, p, amm_sbtc, cap, fill } => {
                    let before = pool;
                    match borrow_and_hedge(&mut pool, dx, p, amm_sbtc, &params) {
                        Ok((_, hedge)) => {
                            ledger.collateral_in += dx;
                            prop_assert!(within_capacity(&pool, p, amm_sbtc, &params));
                            let buys = matches!(hedge, Order::BuyCollateral { .. });
                            prop_assert!(!buys, "the borrow's hedge never buys");
                            let hedge = hedge.capped(cap, p, &params);
                            execute(&mut pool, &mut ledger, &hedge, p, fill);
                        }
                        Err(e) => {
                            prop_assert_eq!(pool, before);
                            if let BorrowError::Capacity { value: v, amm_sbtc: a } = e {
                                prop_assert_eq!(a, amm_sbtc);
                                let after = Pool { collateral: before.collateral + dx, ..before };
                                prop_assert_eq!(v, value(&after, p));
                                prop_assert!(v * ONE_8 > amm_sbtc * params.capacity);
                            }
                        }
                    }
                }
                Step::Repay { per_mille } => {
                    let n = (pool.yield_supply * per_mille / 1_000).max(1);
                    if let Ok((cx, sx)) = repay(&mut pool, n) {
                        ledger.collateral_out += cx;
                        ledger.sats_out += sx;
                    }
                }
                Step::Rebalance { p, cap, fill } => {
                    let order = rebalance_order(&mut pool, p, &params).capped(cap, p, &params);
                    execute(&mut pool, &mut ledger, &order, p, fill);
                }
            }
            prop_assert_eq!(pool.yield_supply, pool.key_supply);
            prop_assert_eq!(ledger.sats_in, ledger.sats_out + pool.sbtc);
            prop_assert_eq!(ledger.collateral_in, ledger.collateral_out + pool.collateral);
        }

        // Expiry: sell all the collateral, then settle and redeem everything.
        let sale = Order::sell(pool.collateral, final_p, &params);
        execute(&mut pool, &mut ledger, &sale, final_p, final_fill);
        prop_assert_eq!(pool.collateral, 0);
        prop_assert_eq!(ledger.collateral_in, ledger.collateral_out);
        let s = settle(pool.sbtc, pool.yield_supply, pool.key_supply, reserve, alex);
        prop_assert!(s.yield_pool <= pool.yield_supply);
        prop_assert_eq!(s.yield_pool + s.key_pool, pool.sbtc + s.from_reserve + s.from_alex);
        ledger.sats_in += s.from_reserve + s.from_alex;

        let mut paid_yield = 0;
        for n in chunks(pool.yield_supply, &yield_parts) {
            paid_yield += redeem_yield(&s, pool.yield_supply, n);
        }
        let mut paid_key = 0;
        for n in chunks(pool.key_supply, &key_parts) {
            paid_key += redeem_key(&s, pool.key_supply, n);
        }
        prop_assert!(paid_yield <= s.yield_pool);
        prop_assert!(paid_key <= s.key_pool);
        ledger.sats_out += paid_yield + paid_key;
        let held = (s.yield_pool - paid_yield) + (s.key_pool - paid_key);
        prop_assert_eq!(ledger.sats_in, ledger.sats_out + held);
        // Yield holders are paid in full whenever the pool and its backstops can.
        if pool.sbtc + reserve + alex >= pool.yield_supply {
            prop_assert_eq!(s.yield_pool, pool.yield_supply);
        }
    }
}
