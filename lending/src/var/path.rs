//! One pool along one price path, run by the CRP rule of [`crate::crp`] itself.
//!
//! Day 0: the pool is empty; one borrow deposits all the collateral at the grid's LTV.
//! Days 1 .. term - 1: arbitrageurs move the AMM to the day's price, the pool asks for
//! its [`rebalance_order`] at its EMA price, and a keeper executes it, sized to the
//! AMM's max-in ratio and to its slippage floor ([`Amm::fillable`]). Expiry (day term)
//! and after: the pool sells all its collateral, one max-in chunk a day at the market,
//! along the same path; then it settles with no reserve.

use crate::crp::{apply, borrow, rebalance_order, settle, value, Order, Params, Pool, Settlement};

use super::amm::Amm;
use super::config::{to_fixed, Config};

/// Most days after expiry the sale may take; then the rest is sold at once, whatever
/// the price impact. With the AMM at least 1% of the pool's size, 5% chunks take a few
/// hundred days at worst, so this bound only guards against a degenerate price path.
pub const MAX_SALE_DAYS: u32 = 3_650;

/// A daily price path: the collateral's price in sBTC relative to day 0.
pub trait PriceSource {
    /// Returns the price on `day` relative to day 0 (1.0 on day 0).
    fn relative_price(&mut self, day: u32) -> f64;
}

/// A fixed path, the last price repeating after its end: for scenarios and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedPath(pub Vec<f64>);

impl PriceSource for FixedPath {
    fn relative_price(&mut self, day: u32) -> f64 {
        let last = self.0.len().saturating_sub(1);
        self.0.get((day as usize).min(last)).copied().unwrap_or(1.0)
    }
}

/// Everything that is fixed for one grid cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathSetup {
    /// The pool's parameters (its `ltv0` is the cell's LTV).
    pub params: Params,
    /// Collateral deposited on day 0, in base units.
    pub collateral: u128,
    /// Price on day 0, sats per base unit times `ONE_8`.
    pub initial_price: u128,
    /// Day of expiry.
    pub term_days: u32,
    /// Per-day weight of yesterday's EMA.
    pub ema_alpha: f64,
    /// The AMM's sBTC reserve on day 0 as a multiple of the pool's value.
    pub amm_depth: f64,
    /// The AMM's fee (`ONE_8` = 100%).
    pub amm_fee: u128,
    /// The AMM's max-in ratio (`ONE_8` = 1).
    pub amm_max_in_ratio: u128,
}

impl PathSetup {
    /// Returns the setup of `config` for initial LTV `ltv`.
    pub fn new(config: &Config, ltv: f64) -> PathSetup {
        PathSetup {
            params: config.params(ltv),
            collateral: config.pool.collateral.into(),
            initial_price: config.pool.initial_price.into(),
            term_days: config.pool.term_days,
            ema_alpha: config.pool.ema_alpha,
            amm_depth: config.amm.depth,
            amm_fee: to_fixed(config.amm.fee),
            amm_max_in_ratio: to_fixed(config.amm.max_in_ratio),
        }
    }

    /// Returns the price `relative` to day 0 in fixed point, at least 1.
    fn price(&self, relative: f64) -> u128 {
        ((self.initial_price as f64 * relative).round() as u128).max(1)
    }
}

/// What happened to one pool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathOutcome {
    /// Loss of the yield holders, `(yield supply - yield pool) / initial value`.
    pub loss: f64,
    /// The collateral's value on day 0, in sats.
    pub initial_value: u128,
    /// Yield tokens minted on day 0 (the debt).
    pub yield_supply: u128,
    /// The settlement.
    pub settlement: Settlement,
    /// Day the pool converted into sBTC, if it did before expiry.
    pub converted_on: Option<u32>,
    /// Days the sale at expiry took: 0 when the pool held no collateral any more, 1
    /// when one chunk sufficed.
    pub sale_days: u32,
}

/// Runs one pool along `prices` and returns its outcome.
///
/// # Panics
///
/// When the setup cannot borrow on day 0 (parameters that [`Config::validate`]
/// refuses, or a deposit worth less than one sat).
pub fn simulate(setup: &PathSetup, prices: &mut impl PriceSource) -> PathOutcome {
    let params = &setup.params;
    let p0 = setup.initial_price;
    let mut pool = Pool::default();
    let yield_supply = borrow(&mut pool, setup.collateral, p0, params)
        .expect("a validated setup borrows on day 0: empty pool at ltv0 < conversion");
    let initial_value = value(&pool, p0);
    let amm_sbtc = (initial_value as f64 * setup.amm_depth).round() as u128;
    let mut amm = Amm::new(amm_sbtc, p0, setup.amm_fee, setup.amm_max_in_ratio);

    let mut ema = 1.0;
    let mut converted_on = None;
    for day in 1..setup.term_days {
        let relative = prices.relative_price(day);
        amm.arbitrage(setup.price(relative));
        ema = setup.ema_alpha * ema + (1.0 - setup.ema_alpha) * relative;
        let p = setup.price(ema);
        let order = rebalance_order(&mut pool, p, params);
        if pool.converted && converted_on.is_none() {
            converted_on = Some(day);
        }
        let order = amm.fillable(order, p, params);
        let out = amm.swap(&order);
        apply(&mut pool, &order, out)
            .expect("fillable orders pay min_out and spend what the pool holds");
    }

    let mut day = setup.term_days;
    while pool.collateral > 0 {
        amm.arbitrage(setup.price(prices.relative_price(day)));
        let sale = Order::SellCollateral {
            amount_in: pool.collateral,
            min_out: 0,
        };
        let last = day - setup.term_days + 1 >= MAX_SALE_DAYS;
        let amount_in = if last {
            pool.collateral
        } else {
            pool.collateral.min(amm.max_in(&sale).max(1))
        };
        let chunk = Order::SellCollateral {
            amount_in,
            min_out: 0,
        };
        let out = amm.swap(&chunk);
        apply(&mut pool, &chunk, out)
            .expect("a chunk of at most the pool's collateral with no floor");
        day += 1;
    }

    let settlement = settle(pool.sbtc, pool.yield_supply, pool.key_supply, 0, 0);
    let shortfall = yield_supply - settlement.yield_pool;
    PathOutcome {
        loss: shortfall as f64 / initial_value as f64,
        initial_value,
        yield_supply,
        settlement,
        converted_on,
        sale_days: day - setup.term_days,
    }
}

#[cfg(test)]
mod tests;
