//! The collateral-rebalancing pool (CRP) rule, integer-exact.
//!
//! A CRP holds a borrower's collateral (STX, in micro-STX) against fixed-rate debt: each
//! borrow mints yield tokens (the lender's claim, one sat of sBTC each at expiry) and as
//! many key tokens (the borrower's claim on what is left). There is no liquidation:
//! instead the pool moves value from collateral into sBTC as its loan-to-value ratio
//! rises ([`target_weight`], a CPPI rule), and once the LTV reaches the conversion LTV it
//! converts everything into sBTC for good ("flight to quality"). A borrow is refused
//! once the pool would outgrow its capacity share of the AMM it trades with
//! ([`within_capacity`]), and it hedges at once: the contract sells the collateral
//! beyond the target weight in the same transaction ([`borrow_and_hedge`]).
//!
//! The contract `crp.clar` computes exactly these formulas, with `u128`, floor division
//! and [`ONE_8`] as 1.0, so its tests compare against these functions figure for figure.
//!
//! Units: collateral in its base units (micro-STX), sBTC in sats, and the price `p` in
//! sats per collateral base unit times [`ONE_8`].
//!
//! Every function panics on a `u128` overflow (where the contract aborts too), also in
//! release builds; realistic pools are many orders of magnitude below that bound.

mod order;
mod settlement;

pub use order::{apply, borrow_and_hedge, rebalance_order, ApplyError, Order};
pub use settlement::{redeem_key, redeem_yield, settle, Settlement};

/// 1.0 in the 8-decimal fixed point of the contracts (`ONE_8` in every ALEX contract).
pub const ONE_8: u128 = 100_000_000;

/// The LTV at which borrowing starts by default: 75%, ALEX's production `ltv-0`
/// (agp066).
pub const DEFAULT_LTV0: u128 = 75_000_000;
/// The LTV at which a pool converts into sBTC by default: 95%, ALEX's production
/// `conversion-ltv` (agp066).
pub const DEFAULT_CONVERSION_LTV: u128 = 95_000_000;
/// Drift of the collateral weight from its target that triggers no trade: 1%, so that a
/// keeper does not pay AMM fees for dust.
pub const DEFAULT_BAND: u128 = 1_000_000;
/// Least fraction of the fair value a rebalancing trade may lose to the AMM: 2%.
pub const DEFAULT_MAX_SLIPPAGE: u128 = 2_000_000;
/// Widest band and slippage the parameters accept: 10%.
pub const MAX_BAND_OR_SLIPPAGE: u128 = 10_000_000;
/// The CPPI multiplier by default: 2.0, so the pool holds 50% collateral at LTV 75% and
/// its yield holders survive a one-day crash of up to -50%.
pub const DEFAULT_MULTIPLIER: u128 = 200_000_000;
/// Largest CPPI multiplier the parameters accept: 20.0.
pub const MAX_MULTIPLIER: u128 = 2_000_000_000;
/// The capacity by default: 1%, so a pool may grow to 1% of the AMM's sBTC balance
/// (the AMM is then at least 100 times the pool).
pub const DEFAULT_CAPACITY: u128 = 1_000_000;

/// Multiplies `a * b`, panicking where the contract's `u128` arithmetic aborts.
pub(crate) fn mul(a: u128, b: u128) -> u128 {
    a.checked_mul(b)
        .unwrap_or_else(|| panic!("u128 overflow in {a} * {b}, where the contract aborts too"))
}

/// `a + b`, panicking where the contract's `u128` arithmetic aborts.
pub(crate) fn add(a: u128, b: u128) -> u128 {
    a.checked_add(b)
        .unwrap_or_else(|| panic!("u128 overflow in {a} + {b}, where the contract aborts too"))
}

/// `a * b / d`, floor division.
pub(crate) fn mul_div(a: u128, b: u128, d: u128) -> u128 {
    mul(a, b) / d
}

/// The pool's governance parameters, each a fraction with [`ONE_8`] = 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// LTV of an empty pool's first borrow; it plays no part in the target weight.
    pub ltv0: u128,
    /// LTV at which the pool converts everything into sBTC and stops lending.
    pub conversion_ltv: u128,
    /// No trade while the collateral value is within this fraction of the pool's value
    /// from its target.
    pub band: u128,
    /// A trade's `min_out` is its fair output less this fraction.
    pub max_slippage: u128,
    /// The CPPI multiplier of [`target_weight`]: collateral exposure per unit of
    /// cushion (`ONE_8` = 1.0).
    pub multiplier: u128,
    /// Largest value of the pool after a borrow, as a fraction of the AMM pool's sBTC
    /// balance: see [`within_capacity`].
    pub capacity: u128,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            ltv0: DEFAULT_LTV0,
            conversion_ltv: DEFAULT_CONVERSION_LTV,
            band: DEFAULT_BAND,
            max_slippage: DEFAULT_MAX_SLIPPAGE,
            multiplier: DEFAULT_MULTIPLIER,
            capacity: DEFAULT_CAPACITY,
        }
    }
}

/// Why a [`Params`] is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// The LTVs are not ordered `0 < ltv0 < conversion_ltv < ONE_8`.
    #[error("ltvs must satisfy 0 < ltv0 ({ltv0}) < conversion_ltv ({conversion_ltv}) < 1e8")]
    LtvOrder {
        /// The refused `ltv0`.
        ltv0: u128,
        /// The refused `conversion_ltv`.
        conversion_ltv: u128,
    },
    /// The band is above [`MAX_BAND_OR_SLIPPAGE`].
    #[error("band {0} is above 1e7 (10%)")]
    Band(u128),
    /// The slippage is above [`MAX_BAND_OR_SLIPPAGE`].
    #[error("max_slippage {0} is above 1e7 (10%)")]
    MaxSlippage(u128),
    /// The multiplier is 0 or above [`MAX_MULTIPLIER`].
    #[error("multiplier {0} is outside (0, 2e9] (0 to 20.0)")]
    Multiplier(u128),
    /// The capacity is 0 or above [`ONE_8`].
    #[error("capacity {0} is outside (0, 1e8] (0 to 100%)")]
    Capacity(u128),
}

impl Params {
    /// Checks `0 < ltv0 < conversion_ltv < ONE_8`, `band <= 10%`, `max_slippage <= 10%`,
    /// `0 < multiplier <= 20.0` and `0 < capacity <= ONE_8`.
    ///
    /// # Errors
    ///
    /// The first condition that fails, as a [`ParamsError`].
    pub fn validate(&self) -> Result<(), ParamsError> {
        if !(0 < self.ltv0 && self.ltv0 < self.conversion_ltv && self.conversion_ltv < ONE_8) {
            return Err(ParamsError::LtvOrder {
                ltv0: self.ltv0,
                conversion_ltv: self.conversion_ltv,
            });
        }
        if self.band > MAX_BAND_OR_SLIPPAGE {
            return Err(ParamsError::Band(self.band));
        }
        if self.max_slippage > MAX_BAND_OR_SLIPPAGE {
            return Err(ParamsError::MaxSlippage(self.max_slippage));
        }
        if !(0 < self.multiplier && self.multiplier <= MAX_MULTIPLIER) {
            return Err(ParamsError::Multiplier(self.multiplier));
        }
        if !(0 < self.capacity && self.capacity <= ONE_8) {
            return Err(ParamsError::Capacity(self.capacity));
        }
        Ok(())
    }
}

/// The state of one pool (one collateral, one expiry).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pool {
    /// Collateral held, in base units (micro-STX).
    pub collateral: u128,
    /// sBTC held, in sats.
    pub sbtc: u128,
    /// Yield tokens outstanding: the debt, one sat each at expiry.
    pub yield_supply: u128,
    /// Key tokens outstanding: claims on what the pool holds beyond the debt.
    pub key_supply: u128,
    /// Set once the LTV has reached the conversion LTV; never cleared.
    pub converted: bool,
}

/// Returns the pool's value in sats at price `p`:
/// `collateral * p / ONE_8 + sbtc`.
pub fn value(pool: &Pool, p: u128) -> u128 {
    mul_div(pool.collateral, p, ONE_8) + pool.sbtc
}

/// Returns the pool's loan-to-value ratio at price `p` (`ONE_8` = 100%).
///
/// An empty pool (no yield outstanding) has `params.ltv0`. A pool with debt and no
/// value returns `None`, an infinite LTV, which every caller treats as at or above the
/// conversion LTV. Otherwise `yield_supply * ONE_8 / value`.
pub fn ltv(pool: &Pool, p: u128, params: &Params) -> Option<u128> {
    if pool.yield_supply == 0 {
        return Some(params.ltv0);
    }
    match value(pool, p) {
        0 => None,
        v => Some(mul_div(pool.yield_supply, ONE_8, v)),
    }
}

/// Whether `ltv` (`None` = infinite) is at or above the conversion LTV.
pub(crate) fn at_conversion(ltv: Option<u128>, params: &Params) -> bool {
    match ltv {
        Some(l) => l >= params.conversion_ltv,
        None => true,
    }
}

/// Returns the fraction of the pool's value to hold in collateral (`ONE_8` = all).
///
/// CPPI with the floor at the yield debt: the cushion is `value - debt =
/// value * (1 - ltv)`, and the pool holds `multiplier` times the cushion in collateral,
/// so the weight is `(1 - ltv) * multiplier`, capped at all collateral. A one-step
/// crash of the collateral by a fraction `J` then loses the yield holders nothing while
/// `J < 1 / multiplier`: with the default 2.0 the pool holds 50% collateral at LTV 75%
/// and survives a -50% day. The weight is 0 (all sBTC) once the pool is converted or
/// `ltv` (`None` = infinite) reaches the conversion LTV. Otherwise
/// `min(ONE_8, (ONE_8 - ltv) * multiplier / ONE_8)`, floored.
pub fn target_weight(pool: &Pool, ltv: Option<u128>, params: &Params) -> u128 {
    match ltv {
        Some(l) if !pool.converted && l < params.conversion_ltv => {
            ONE_8.min(mul_div(ONE_8 - l, params.multiplier, ONE_8))
        }
        _ => 0,
    }
}

/// Why a [`borrow`] is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BorrowError {
    /// The pool has converted into sBTC and lends no more.
    #[error("the pool has converted into sbtc")]
    Converted,
    /// The LTV (`None` = infinite) is at or above the conversion LTV.
    #[error("ltv {ltv:?} is at or above the conversion ltv")]
    AtConversion {
        /// The pool's LTV at the borrow's price.
        ltv: Option<u128>,
    },
    /// The deposit is too small to mint one yield token.
    #[error("a deposit of {dx} mints no yield token")]
    NothingMinted {
        /// The refused deposit.
        dx: u128,
    },
    /// The pool's value after the borrow is above its capacity share of the AMM.
    #[error("the pool's value {value} after the borrow is above the capacity share of the amm's {amm_sbtc} sats")]
    Capacity {
        /// The pool's value after the borrow, at the borrow's price.
        value: u128,
        /// The AMM pool's sBTC balance.
        amm_sbtc: u128,
    },
}

/// Whether the pool, at price `p`, is within its capacity share of an AMM pool holding
/// `amm_sbtc` sats: `value * ONE_8 <= amm_sbtc * capacity` (the value at exactly
/// `amm_sbtc * capacity / ONE_8` is accepted).
///
/// The capacity keeps the pool small next to the market it must sell its collateral
/// into: at the default 1% the AMM is at least 100 times the pool when it borrows.
/// [`borrow`] asks this of the pool after the deposit, before any hedge.
pub fn within_capacity(pool: &Pool, p: u128, amm_sbtc: u128, params: &Params) -> bool {
    mul(value(pool, p), ONE_8) <= mul(amm_sbtc, params.capacity)
}

/// Deposits `dx` collateral at price `p` and returns the yield minted, which equals the
/// key minted: `y = (dx * p / ONE_8) * ltv / ONE_8` at the pool's current LTV.
/// `amm_sbtc` is the AMM pool's sBTC balance, for the capacity rule.
///
/// This books the deposit only; the contract's `borrow` also hedges at once, which
/// [`borrow_and_hedge`] models.
///
/// # Errors
///
/// In this order: [`BorrowError::Converted`] on a converted pool,
/// [`BorrowError::AtConversion`] when the LTV is at or above the conversion LTV,
/// [`BorrowError::NothingMinted`] when `y` is 0, and [`BorrowError::Capacity`] when the
/// pool after the deposit is not [`within_capacity`] at `p`. A refused borrow leaves
/// the pool unchanged.
pub fn borrow(
    pool: &mut Pool,
    dx: u128,
    p: u128,
    amm_sbtc: u128,
    params: &Params,
) -> Result<u128, BorrowError> {
    if pool.converted {
        return Err(BorrowError::Converted);
    }
    let l = match ltv(pool, p, params) {
        Some(l) if l < params.conversion_ltv => l,
        other => return Err(BorrowError::AtConversion { ltv: other }),
    };
    let y = mul_div(mul_div(dx, p, ONE_8), l, ONE_8);
    if y == 0 {
        return Err(BorrowError::NothingMinted { dx });
    }
    let after = Pool {
        collateral: add(pool.collateral, dx),
        yield_supply: add(pool.yield_supply, y),
        key_supply: add(pool.key_supply, y),
        ..*pool
    };
    if !within_capacity(&after, p, amm_sbtc, params) {
        return Err(BorrowError::Capacity {
            value: value(&after, p),
            amm_sbtc,
        });
    }
    *pool = after;
    Ok(y)
}

/// Why a [`repay`] is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RepayError {
    /// Nothing to burn.
    #[error("repay of 0 tokens")]
    Zero,
    /// More yield tokens than are outstanding.
    #[error("repay of {n} is above the yield supply {supply}")]
    AboveYieldSupply {
        /// The refused amount.
        n: u128,
        /// The yield supply.
        supply: u128,
    },
    /// More key tokens than are outstanding.
    #[error("repay of {n} is above the key supply {supply}")]
    AboveKeySupply {
        /// The refused amount.
        n: u128,
        /// The key supply.
        supply: u128,
    },
}

/// Burns `n` yield and `n` key tokens together (before expiry) and returns the pro-rata
/// share of the pool paid out, `(collateral_out, sbtc_out)`, each
/// `holding * n / yield_supply` with the supply before the burn.
///
/// # Errors
///
/// [`RepayError`] when `n` is 0 or above either supply; the pool is then unchanged.
pub fn repay(pool: &mut Pool, n: u128) -> Result<(u128, u128), RepayError> {
    if n == 0 {
        return Err(RepayError::Zero);
    }
    if n > pool.yield_supply {
        return Err(RepayError::AboveYieldSupply {
            n,
            supply: pool.yield_supply,
        });
    }
    if n > pool.key_supply {
        return Err(RepayError::AboveKeySupply {
            n,
            supply: pool.key_supply,
        });
    }
    let cx = mul_div(pool.collateral, n, pool.yield_supply);
    let sx = mul_div(pool.sbtc, n, pool.yield_supply);
    pool.collateral -= cx;
    pool.sbtc -= sx;
    pool.yield_supply -= n;
    pool.key_supply -= n;
    Ok((cx, sx))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;
