//! One pool along one price path, run by the CRP rule of [`crate::crp`] itself.
//!
//! Day 0 ([`open`]): the AMM is the smallest the pool's capacity allows, its sBTC side
//! `value * ONE_8 / capacity` (rounded up) for the pool's value after the borrow, so
//! 100 times the pool at the default 1%; the empty pool borrows all the collateral at
//! the grid's LTV and, in the same transaction as the contract, sells the collateral
//! beyond its target weight at the day-0 price ([`borrow_and_hedge`]), capped at the
//! AMM's max-in.
//! Days 1 .. term - 1: arbitrageurs move the AMM to the day's price, the pool asks for
//! its [`rebalance_order`] at its EMA price, and a keeper executes it, sized to the
//! AMM's max-in ratio and to its slippage floor ([`Amm::fillable`]). Expiry (day term)
//! and after: the pool sells all its collateral, one max-in chunk a day at the market,
//! along the same path; then it settles with no reserve.

use crate::crp::{
    apply, borrow_and_hedge, mul, rebalance_order, settle, value, ApplyError, BorrowError, Order,
    Params, Pool, Settlement, ONE_8,
};

use super::amm::Amm;
use super::config::{to_fixed, Config};

/// Most days after expiry the sale may take; then the rest is sold at once, whatever
/// the price impact. With the AMM at least the pool's size (capacity at most 100%), 5%
/// chunks take a few dozen days at a flat price, so this bound only guards against a
/// degenerate price path.
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
    /// The pool's parameters (its `ltv0` is the cell's LTV; its `capacity` sizes the
    /// AMM).
    pub params: Params,
    /// Collateral deposited on day 0, in base units.
    pub collateral: u128,
    /// Price on day 0, sats per base unit times `ONE_8`.
    pub initial_price: u128,
    /// Day of expiry.
    pub term_days: u32,
    /// Per-day weight of yesterday's EMA.
    pub ema_alpha: f64,
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
            amm_fee: to_fixed(config.amm.fee),
            amm_max_in_ratio: to_fixed(config.amm.max_in_ratio),
        }
    }

    /// Returns the price `relative` to day 0 in fixed point, at least 1.
    fn price(&self, relative: f64) -> u128 {
        ((self.initial_price as f64 * relative).round() as u128).max(1)
    }
}

/// Returns the AMM's sBTC side on day 0 for a pool worth `value` sats after its
/// borrow: the smallest that takes the pool within its capacity,
/// `ceil(value * ONE_8 / capacity)`.
///
/// # Panics
///
/// When `capacity` is 0 (refused by [`Params::validate`]).
pub fn amm_sbtc_at_capacity(value: u128, capacity: u128) -> u128 {
    mul(value, ONE_8).div_ceil(capacity)
}

/// Why a pool cannot open on day 0: the contract would refuse or revert the borrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The borrow itself is refused.
    #[error("the day-0 borrow is refused")]
    Borrow(#[source] BorrowError),
    /// The borrow's hedge, capped at the AMM's max-in, pays less than its `min_out`:
    /// the swap, and so the whole borrow, reverts.
    #[error("the day-0 hedge pays below its min_out, which reverts the borrow")]
    Hedge(#[source] ApplyError),
}

/// The pool and its AMM after day 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    /// The pool after its borrow and hedge.
    pub pool: Pool,
    /// The AMM after the hedge.
    pub amm: Amm,
    /// The collateral's value on day 0, in sats: the pool's value after the borrow,
    /// before the hedge.
    pub initial_value: u128,
    /// Yield tokens minted (the debt).
    pub yield_supply: u128,
    /// The hedge as executed (capped at the AMM's max-in), [`Order::None`] when none.
    pub hedge: Order,
    /// Sats the hedge paid.
    pub hedge_out: u128,
}

/// Runs day 0: sizes the AMM at the pool's capacity ([`amm_sbtc_at_capacity`]), then
/// borrows all the collateral into the empty pool at the initial price and executes
/// the borrow's hedge against the AMM at that price, capped at the AMM's max-in and
/// with the order's `min_out`, as the contract's `borrow` does.
///
/// # Errors
///
/// [`OpenError`] when the contract would refuse or revert that borrow.
pub fn open(setup: &PathSetup) -> Result<Opening, OpenError> {
    let params = &setup.params;
    let p0 = setup.initial_price;
    let deposit = Pool {
        collateral: setup.collateral,
        ..Pool::default()
    };
    let amm_sbtc = amm_sbtc_at_capacity(value(&deposit, p0), params.capacity);
    let mut amm = Amm::new(amm_sbtc, p0, setup.amm_fee, setup.amm_max_in_ratio);
    let mut pool = Pool::default();
    let (yield_supply, hedge) = borrow_and_hedge(&mut pool, setup.collateral, p0, amm_sbtc, params)
        .map_err(OpenError::Borrow)?;
    let initial_value = value(&pool, p0);
    let hedge = hedge.capped(amm.max_in(&hedge), p0, params);
    let hedge_out = amm.swap(&hedge);
    apply(&mut pool, &hedge, hedge_out).map_err(OpenError::Hedge)?;
    Ok(Opening {
        pool,
        amm,
        initial_value,
        yield_supply,
        hedge,
        hedge_out,
    })
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
/// When the setup cannot open on day 0 ([`open`]): parameters or a day-0 hedge that
/// [`Config::validate`] refuses, or a deposit worth less than one sat.
pub fn simulate(setup: &PathSetup, prices: &mut impl PriceSource) -> PathOutcome {
    let params = &setup.params;
    let Opening {
        mut pool,
        mut amm,
        initial_value,
        yield_supply,
        ..
    } = open(setup).expect("a validated setup opens on day 0 (Config::validate runs open)");

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
