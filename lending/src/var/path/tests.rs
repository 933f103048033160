//! One pool along hand-made and degenerate price paths, with figures worked by hand.

use super::*;
use crate::var::jump::{Merton, MertonPath};

fn config() -> Config {
    Config::default_config()
}

/// The default setup at `ltv` with capacity `capacity` (an AMM of 1 / capacity times
/// the pool) and no fee.
fn setup(ltv: f64, capacity: f64) -> PathSetup {
    let mut s = PathSetup {
        amm_fee: 0,
        ..PathSetup::new(&config(), ltv)
    };
    s.params.capacity = to_fixed(capacity);
    s
}

#[test]
fn the_amm_is_the_smallest_the_capacity_allows() {
    let params = Params::default(); // 1%
                                    // 1e9 sats at 1%: exactly 1e11; one sat more needs 100 sats more of AMM.
    assert_eq!(
        amm_sbtc_at_capacity(1_000_000_000, 1_000_000),
        100_000_000_000
    );
    assert_eq!(
        amm_sbtc_at_capacity(1_000_000_001, 1_000_000),
        100_000_000_100
    );
    // Rounded up: 1 sat at 30% needs 3.33 sats, so 4; at 3 the borrow is refused.
    assert_eq!(amm_sbtc_at_capacity(1, 30_000_000), 4);
    let thirty = Params {
        capacity: 30_000_000,
        ..params
    };
    let one_sat = Pool {
        sbtc: 1,
        ..Pool::default()
    };
    assert!(crate::crp::within_capacity(&one_sat, ONE_8, 4, &thirty));
    assert!(!crate::crp::within_capacity(&one_sat, ONE_8, 3, &thirty));
}

#[test]
fn day_zero_borrows_at_capacity_and_hedges_at_once() {
    // Default setup at LTV 0.75: the pool is worth V0 = 1e9 sats, the AMM 1e11 sats and
    // 1e14 units. The borrow mints 7.5e8 and sells the collateral beyond the weight
    // 2 x 25% = 50% at once: 5e11 units, 0.5% of the AMM's, well inside its 5% max-in.
    let s = PathSetup::new(&config(), 0.75);
    let o = open(&s).unwrap();
    assert_eq!(
        (o.initial_value, o.yield_supply),
        (1_000_000_000, 750_000_000)
    );
    assert_eq!(
        o.hedge,
        Order::SellCollateral {
            amount_in: 500_000_000_000,
            min_out: 490_000_000
        }
    );
    // 1e11 * 4.985e11 / (1e14 + 4.985e11), floored: the 0.3% fee stays in the AMM.
    assert_eq!(o.hedge_out, 496_027_303);
    assert_eq!(o.pool.collateral, 500_000_000_000);
    assert_eq!(o.pool.sbtc, 496_027_303);
    assert_eq!(
        (o.amm.collateral, o.amm.sbtc),
        (100_500_000_000_000, 100_000_000_000 - 496_027_303)
    );
    // The pool was exactly at its capacity: an AMM one sat smaller refuses the borrow.
    assert!(crate::crp::within_capacity(
        &Pool {
            collateral: s.collateral,
            ..Pool::default()
        },
        s.initial_price,
        100_000_000_000,
        &s.params
    ));
    let mut pool = Pool::default();
    assert!(matches!(
        borrow_and_hedge(
            &mut pool,
            s.collateral,
            s.initial_price,
            100_000_000_000 - 1,
            &s.params
        ),
        Err(BorrowError::Capacity { .. })
    ));
    // At LTV 0.5 the weight is 1: nothing to sell.
    let half = open(&PathSetup::new(&config(), 0.5)).unwrap();
    assert_eq!((half.hedge, half.hedge_out), (Order::None, 0));
    assert_eq!(half.pool.sbtc, 0);
}

#[test]
fn a_hedge_beyond_the_slippage_floor_reverts_the_borrow() {
    // Capacity 10%, LTV 0.8: the hedge would sell 60% of the pool, 6% of the AMM's
    // collateral, capped at 5%: 1 / 1.05 of fair without fee, below 98%.
    assert!(matches!(
        open(&setup(0.8, 0.1)),
        Err(OpenError::Hedge(ApplyError::BelowMinOut { .. }))
    ));
    assert!(open(&setup(0.8, 0.01)).is_ok());
}

#[test]
fn no_volatility_and_no_crash_lose_nothing() {
    let mut c = config();
    c.price.sigma = 0.0;
    c.price.jumps_per_year = 0.0;
    for &ltv in &c.grid.ltvs {
        let mut prices = MertonPath::new(Merton::new(&c.price, 100.0), 1, 0);
        let out = simulate(&PathSetup::new(&c, ltv), &mut prices);
        assert_eq!(out.loss, 0.0, "ltv {ltv}");
        assert_eq!(out.converted_on, None);
        assert_eq!(out.settlement.shortfall, 0);
        assert_eq!(
            out.yield_supply,
            (out.initial_value as f64 * ltv).round() as u128
        );
    }
}

#[test]
fn a_sixty_percent_crash_on_day_one_loses_the_hand_computed_figure() {
    // LTV 0.75, capacity 0.1%: an AMM X0 = 1000 C0 units against 1000 V0 sats, no fee.
    // Day 0: the borrow sells half the collateral at once, C0 / 2 at the day-0 price,
    // for 0.5 V0 / (1 + 0.0005). Day 1: STX falls 60% against BTC and stays there. The
    // LTV jumps to 0.75 / (0.2 + 0.4998) = 1.07: the pool converts and sells its other
    // half into the AMM, moved by arbitrage to X0 / sqrt(0.4) units (x * y kept), for
    // 0.2 V0 / (1 + sqrt(0.4) 0.0005). Loss = 0.75 - 0.499_750_12 - 0.199_936_78
    // = 0.050_313_10 of the collateral's initial value (0.350 without the hedge).
    let out = simulate(&setup(0.75, 0.001), &mut FixedPath(vec![1.0, 0.4]));
    assert!((out.loss - 0.050_313_10).abs() < 1e-8, "loss {}", out.loss);
    assert_eq!(out.converted_on, Some(1));
    assert_eq!(out.sale_days, 0);
    assert_eq!(out.settlement.key_pool, 0);
    // Integer-exact: V0 = 1e12 * 1e5 / 1e8 = 1e9 sats, debt 7.5e8; the two sales pay
    // 499_750_124 and 199_936_774 sats (floored).
    assert_eq!(
        (out.initial_value, out.yield_supply),
        (1_000_000_000, 750_000_000)
    );
    assert_eq!(out.settlement.yield_pool, 699_686_898);
}

#[test]
fn the_same_crash_through_the_default_amm_pays_its_fee_and_impact() {
    // The default AMM: 100 times the pool (capacity 1%), 0.3% fee. Day 0: the hedge
    // sells C0 / 2 for 496_027_303 sats. Day 1: arbitrage moves the AMM to 0.4 p0, about
    // 1.58e14 units against 6.32e10 sats, and the converted pool sells its other half,
    // 0.32% of that, within the 2% slippage floor in one trade: 198_773_313 sats after
    // fee and impact. Loss 0.75 - 0.496 - 0.199 = 0.0552, above the feeless 0.0503.
    let c = config();
    let out = simulate(&PathSetup::new(&c, 0.75), &mut FixedPath(vec![1.0, 0.4]));
    assert_eq!(out.converted_on, Some(1));
    assert_eq!(out.sale_days, 0);
    assert!((out.loss - 0.055_199_38).abs() < 1e-8, "loss {}", out.loss);
    assert_eq!(out.settlement.yield_pool, 496_027_303 + 198_773_313);
}

#[test]
fn a_crash_the_pool_can_absorb_loses_nothing() {
    // At LTV 0.5 a 30% fall takes the LTV to 0.714: the CPPI weight is 0.57, the pool
    // sells part of its collateral and repays in full at expiry.
    let out = simulate(&setup(0.5, 10.0), &mut FixedPath(vec![1.0, 0.7]));
    assert_eq!(out.loss, 0.0);
    assert_eq!(out.converted_on, None);
    assert!(out.settlement.key_pool > 0);
}

#[test]
fn the_expiry_sale_takes_one_max_in_chunk_a_day() {
    // A flat price and capacity 100%: the AMM is the pool's size. At LTV 0.5 the CPPI
    // weight is 1, so the pool holds all its collateral C0 to expiry. Each day arbitrage
    // restores the AMM's collateral reserve to C0, so 5% chunks of it take 20 days, each
    // paying 1 / 1.05 of its value: 0.952 V0 in all, above the 0.5 V0 debt.
    let out = simulate(&setup(0.5, 1.0), &mut FixedPath(vec![1.0]));
    assert_eq!(out.sale_days, 20);
    assert_eq!(out.loss, 0.0);
    let total = out.settlement.yield_pool + out.settlement.key_pool;
    assert!(total.abs_diff(952_380_952) <= 20, "{total}");
}

#[test]
fn the_ema_lags_the_price() {
    // With alpha 0.5 the pool sees 0.4 on day 1 as 0.7: its LTV, 0.75 / (0.35 + 0.5)
    // after the day-0 hedge, stays below conversion, so it converts only on day 2.
    let mut lagging = setup(0.75, 0.01);
    lagging.ema_alpha = 0.5;
    let prices = vec![1.0, 0.4, 0.4, 0.4, 0.4];
    let now = simulate(&setup(0.75, 0.01), &mut FixedPath(prices.clone()));
    let late = simulate(&lagging, &mut FixedPath(prices));
    assert_eq!(now.converted_on, Some(1));
    assert_eq!(late.converted_on, Some(2));
}
