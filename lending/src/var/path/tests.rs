//! One pool along hand-made and degenerate price paths, with figures worked by hand.

use super::*;
use crate::var::jump::{Merton, MertonPath};

fn config() -> Config {
    Config::default_config()
}

/// The default setup at `ltv` with an AMM of `depth` and no fee.
fn setup(ltv: f64, depth: f64) -> PathSetup {
    PathSetup {
        amm_depth: depth,
        amm_fee: 0,
        ..PathSetup::new(&config(), ltv)
    }
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
    // LTV 0.75, STX falls 60% against BTC on day 1 and stays there. The LTV jumps to
    // 0.75 / 0.4 = 1.875: the pool converts and sells all its collateral C0 the same
    // day into an AMM 1000 times its size, without fee. On day 0 the AMM holds
    // X0 = 1000 C0 against 1000 V0 sats; arbitrage to 0.4 p0 along x * y = k leaves
    // X = X0 / sqrt(0.4), and selling C0 pays 0.4 V0 * X / (X + C0)
    // = 0.4 V0 / (1 + sqrt(0.4) / 1000) = 0.399_747_177_7 V0.
    // Loss = 0.75 - 0.399_747_18 = 0.350_252_82 of the collateral's initial value.
    let out = simulate(&setup(0.75, 1000.0), &mut FixedPath(vec![1.0, 0.4]));
    assert!((out.loss - 0.350_252_82).abs() < 1e-8, "loss {}", out.loss);
    assert_eq!(out.converted_on, Some(1));
    assert_eq!(out.sale_days, 0);
    assert_eq!(out.settlement.key_pool, 0);
    // Integer-exact: V0 = 1e12 * 1e5 / 1e8 = 1e9 sats, debt 7.5e8.
    assert_eq!(
        (out.initial_value, out.yield_supply),
        (1_000_000_000, 750_000_000)
    );
    assert_eq!(out.settlement.yield_pool, 399_747_177); // 399_747_177.7, floored
}

#[test]
fn the_same_crash_through_the_default_amm_converts_over_several_days() {
    // With the default AMM (10 times the pool, 0.3% fee, 2% slippage) the keeper can
    // sell only ~1.7% of the AMM's collateral a day: conversion takes days and costs
    // fees and impact, but the price no longer moves, so the loss stays close to 35%.
    let c = config();
    let out = simulate(&PathSetup::new(&c, 0.75), &mut FixedPath(vec![1.0, 0.4]));
    assert_eq!(out.converted_on, Some(1));
    assert!(
        out.loss > 0.350_252_82 && out.loss < 0.36,
        "loss {}",
        out.loss
    );
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
    // A flat price and an AMM half the pool's size. At LTV 0.5 the CPPI weight is 1, so
    // the pool holds all its collateral C0 to expiry. Each day arbitrage restores the
    // AMM's collateral reserve to C0 / 2, so 5% chunks of it take 40 days, each paying
    // 1 / 1.05 of its value: 0.952 V0 in all, above the 0.5 V0 debt.
    let out = simulate(&setup(0.5, 0.5), &mut FixedPath(vec![1.0]));
    assert_eq!(out.sale_days, 40);
    assert_eq!(out.loss, 0.0);
    let total = out.settlement.yield_pool + out.settlement.key_pool;
    assert!(total.abs_diff(952_380_952) <= 40, "{total}");
}

#[test]
fn the_ema_lags_the_price() {
    // With alpha 0.5 the pool sees 0.7 on day 1 as 0.85 and trades less that day.
    let mut lagging = setup(0.75, 10.0);
    lagging.ema_alpha = 0.5;
    let prices = vec![1.0, 0.7, 0.7, 0.7, 0.7];
    let now = simulate(&setup(0.75, 10.0), &mut FixedPath(prices.clone()));
    let late = simulate(&lagging, &mut FixedPath(prices));
    assert_eq!(now.converted_on, Some(1));
    assert_eq!(late.converted_on, Some(2));
}
