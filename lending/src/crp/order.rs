//! Rebalancing orders: what the pool asks the AMM to trade to return to its target
//! weight, and how an executed trade is booked.

use super::{
    at_conversion, borrow, ltv, mul, mul_div, target_weight, value, BorrowError, Params, Pool,
    ONE_8,
};

/// A rebalancing trade for a keeper to execute against the AMM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The pool is inside its band (or has nothing to trade).
    None,
    /// Sell `amount_in` collateral for at least `min_out` sats.
    SellCollateral {
        /// Collateral to sell, in base units.
        amount_in: u128,
        /// Least sats the trade must pay.
        min_out: u128,
    },
    /// Spend `sbtc_in` sats on at least `min_out` collateral.
    BuyCollateral {
        /// Sats to spend.
        sbtc_in: u128,
        /// Least collateral, in base units, the trade must pay.
        min_out: u128,
    },
}

impl Order {
    /// Returns the order selling `amount_in` collateral at price `p`, with
    /// `min_out = (amount_in * p / ONE_8) * (ONE_8 - max_slippage) / ONE_8`, or
    /// [`Order::None`] when `amount_in` is 0.
    pub fn sell(amount_in: u128, p: u128, params: &Params) -> Order {
        if amount_in == 0 {
            return Order::None;
        }
        let fair = mul_div(amount_in, p, ONE_8);
        Order::SellCollateral {
            amount_in,
            min_out: mul_div(fair, ONE_8 - params.max_slippage, ONE_8),
        }
    }

    /// Returns the order spending `sbtc_in` sats on collateral at price `p`, with
    /// `min_out = (sbtc_in * ONE_8 / p) * (ONE_8 - max_slippage) / ONE_8`, or
    /// [`Order::None`] when `sbtc_in` is 0.
    ///
    /// # Panics
    ///
    /// When `p` is 0 and `sbtc_in` is not: no price, no order (the contract aborts on
    /// the same division).
    pub fn buy(sbtc_in: u128, p: u128, params: &Params) -> Order {
        if sbtc_in == 0 {
            return Order::None;
        }
        let fair = mul_div(sbtc_in, ONE_8, p);
        Order::BuyCollateral {
            sbtc_in,
            min_out: mul_div(fair, ONE_8 - params.max_slippage, ONE_8),
        }
    }

    /// Returns the order with its input lowered to at most `cap_in` (the AMM's max-in
    /// ratio, say), its `min_out` recomputed on the capped input by the same formula at
    /// the order's price `p`; [`Order::None`] when the cap is 0.
    pub fn capped(self, cap_in: u128, p: u128, params: &Params) -> Order {
        match self {
            Order::None => Order::None,
            Order::SellCollateral { amount_in, .. } => {
                Order::sell(amount_in.min(cap_in), p, params)
            }
            Order::BuyCollateral { sbtc_in, .. } => Order::buy(sbtc_in.min(cap_in), p, params),
        }
    }

    /// Returns what the order puts into the AMM (collateral or sats; 0 for none).
    pub fn input(&self) -> u128 {
        match *self {
            Order::None => 0,
            Order::SellCollateral { amount_in, .. } => amount_in,
            Order::BuyCollateral { sbtc_in, .. } => sbtc_in,
        }
    }

    /// Returns the least output the order accepts (0 for none).
    pub fn min_out(&self) -> u128 {
        match *self {
            Order::None => 0,
            Order::SellCollateral { min_out, .. } | Order::BuyCollateral { min_out, .. } => min_out,
        }
    }
}

/// Returns the trade that brings the pool back to its target weight at price `p`, and
/// first marks the pool converted (for good) when its LTV is at or above the conversion
/// LTV.
///
/// With `w` the [`target_weight`], `v` the [`value`], `cv = collateral * p / ONE_8` and
/// `tv = v * w / ONE_8`:
/// - not converted and `|cv - tv| * ONE_8 < v * band`: [`Order::None`] (inside the
///   band);
/// - `cv > tv`: sell `min(collateral, (cv - tv) * ONE_8 / p)`, or all the collateral
///   once converted;
/// - `cv < tv`: buy with `min(sbtc, tv - cv)` sats;
///
/// each with its `min_out` from [`Order::sell`] or [`Order::buy`].
///
/// # Panics
///
/// When `p` is 0 and the pool would buy collateral (see [`Order::buy`]).
pub fn rebalance_order(pool: &mut Pool, p: u128, params: &Params) -> Order {
    let l = ltv(pool, p, params);
    if at_conversion(l, params) {
        pool.converted = true;
    }
    let w = target_weight(pool, l, params);
    let v = value(pool, p);
    let cv = mul_div(pool.collateral, p, ONE_8);
    let tv = mul_div(v, w, ONE_8);
    let diff = cv.abs_diff(tv);
    if !pool.converted && mul(diff, ONE_8) < mul(v, params.band) {
        return Order::None;
    }
    if cv > tv {
        let amount_in = if pool.converted {
            pool.collateral
        } else {
            pool.collateral.min(mul_div(cv - tv, ONE_8, p))
        };
        Order::sell(amount_in, p, params)
    } else {
        // cv <= tv: buy the difference, none when on target (tv - cv <= v - cv = sbtc,
        // so the min never binds; it is the contract's guard all the same).
        Order::buy(pool.sbtc.min(tv - cv), p, params)
    }
}

/// Borrows as the contract's `borrow` does: books the deposit ([`borrow`], capacity
/// rule included) and returns the yield minted with the hedge the contract executes in
/// the same transaction.
///
/// The hedge is [`rebalance_order`] on the pool after the deposit, at the same price
/// `p` and with the pool not converted (a borrow into a converted pool is refused, and
/// a borrow never lifts the LTV to the conversion LTV): when it is a
/// [`Order::SellCollateral`], that order (the collateral beyond the CPPI target weight,
/// unless inside the band); a buy is ignored, [`Order::None`].
///
/// The pool is left after the deposit and before the hedge: the caller caps the order
/// at the AMM's max-in ([`Order::capped`]), as the contract does, executes it and books
/// it with [`apply`]. A swap that pays less than its `min_out` reverts the whole borrow
/// in the contract.
///
/// # Errors
///
/// Those of [`borrow`]; the pool is then unchanged.
pub fn borrow_and_hedge(
    pool: &mut Pool,
    dx: u128,
    p: u128,
    amm_sbtc: u128,
    params: &Params,
) -> Result<(u128, Order), BorrowError> {
    let minted = borrow(pool, dx, p, amm_sbtc, params)?;
    // Not converted (borrow refused that), and a copy: the order must not mark it.
    let mut after = *pool;
    let hedge = match rebalance_order(&mut after, p, params) {
        sell @ Order::SellCollateral { .. } => sell,
        Order::None | Order::BuyCollateral { .. } => Order::None,
    };
    Ok((minted, hedge))
}

/// Why an executed trade cannot be booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The AMM paid less than the order's `min_out` (the swap would have reverted).
    #[error("the amm paid {out}, below the order's min_out {min_out}")]
    BelowMinOut {
        /// What the AMM paid.
        out: u128,
        /// The order's floor.
        min_out: u128,
    },
    /// The order spends more than the pool holds.
    #[error("the order spends {input}, above the {held} the pool holds")]
    AboveHolding {
        /// The order's input.
        input: u128,
        /// What the pool holds of that asset.
        held: u128,
    },
}

/// Books an executed `order` for which the AMM paid `out`: the input leaves the pool,
/// the output enters it. [`Order::None`] books nothing.
///
/// # Errors
///
/// [`ApplyError`] when `out` is below the order's `min_out` or the input is above the
/// pool's holding; the pool is then unchanged.
pub fn apply(pool: &mut Pool, order: &Order, out: u128) -> Result<(), ApplyError> {
    let (spent, received) = match *order {
        Order::None => return Ok(()),
        Order::SellCollateral { .. } => (&mut pool.collateral, &mut pool.sbtc),
        Order::BuyCollateral { .. } => (&mut pool.sbtc, &mut pool.collateral),
    };
    let (input, min_out) = (order.input(), order.min_out());
    if out < min_out {
        return Err(ApplyError::BelowMinOut { out, min_out });
    }
    if input > *spent {
        return Err(ApplyError::AboveHolding {
            input,
            held: *spent,
        });
    }
    *spent -= input;
    *received += out;
    Ok(())
}
