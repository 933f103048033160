//! The constant-product AMM (collateral/sBTC) that the simulated pool trades with.
//!
//! Swaps pay `out = reserve_out * a / (reserve_in + a)` with `a` the input less the fee
//! (floor division, the fee staying in the pool), and refuse nothing: sizing a trade is
//! the keeper's job ([`Amm::fillable`]). Between days, arbitrageurs move the reserves
//! along `x * y = k` to the day's market price ([`Amm::arbitrage`]), so the AMM's depth
//! in sBTC shrinks as the square root of the collateral's price.

use crate::crp::{mul_div, Order, Params, ONE_8};

/// Reserves and terms of the AMM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amm {
    /// Collateral reserve, in base units.
    pub collateral: u128,
    /// sBTC reserve, in sats.
    pub sbtc: u128,
    /// Fee taken from each input (`ONE_8` = 100%).
    pub fee: u128,
    /// Largest input of one swap as a fraction of the input's reserve (`ONE_8` = 1).
    pub max_in_ratio: u128,
}

impl Amm {
    /// Returns an AMM holding `sbtc` sats and the collateral worth as much at price `p`.
    pub fn new(sbtc: u128, p: u128, fee: u128, max_in_ratio: u128) -> Amm {
        Amm {
            collateral: mul_div(sbtc, ONE_8, p),
            sbtc,
            fee,
            max_in_ratio,
        }
    }

    /// Moves the reserves along `x * y = k` to price `p` (sats per base unit times
    /// `ONE_8`), as arbitrageurs do between the pool's daily trades.
    pub fn arbitrage(&mut self, p: u128) {
        let k = self.collateral as f64 * self.sbtc as f64;
        let price = p as f64 / ONE_8 as f64;
        self.sbtc = (k * price).sqrt().round() as u128;
        self.collateral = (k / price).sqrt().round() as u128;
    }

    /// Returns `(reserve_in, reserve_out)` for `order`; `None` for [`Order::None`].
    fn reserves(&self, order: &Order) -> Option<(u128, u128)> {
        match order {
            Order::None => None,
            Order::SellCollateral { .. } => Some((self.collateral, self.sbtc)),
            Order::BuyCollateral { .. } => Some((self.sbtc, self.collateral)),
        }
    }

    /// Returns the largest input of one swap on `order`'s side: the max-in ratio of the
    /// input's reserve.
    pub fn max_in(&self, order: &Order) -> u128 {
        self.reserves(order).map_or(0, |(reserve_in, _)| {
            mul_div(reserve_in, self.max_in_ratio, ONE_8)
        })
    }

    /// Returns what a swap of `order`'s input pays now.
    pub fn quote(&self, order: &Order) -> u128 {
        let Some((reserve_in, reserve_out)) = self.reserves(order) else {
            return 0;
        };
        let net = mul_div(order.input(), ONE_8 - self.fee, ONE_8);
        mul_div(reserve_out, net, reserve_in + net)
    }

    /// Swaps `order`'s input and returns what it paid.
    pub fn swap(&mut self, order: &Order) -> u128 {
        let out = self.quote(order);
        match order {
            Order::None => {}
            Order::SellCollateral { amount_in, .. } => {
                self.collateral += amount_in;
                self.sbtc -= out;
            }
            Order::BuyCollateral { sbtc_in, .. } => {
                self.sbtc += sbtc_in;
                self.collateral -= out;
            }
        }
        out
    }

    /// Returns `order` as a keeper sizes it: capped at the max-in ratio, then at the
    /// largest input the AMM fills at or above the (recomputed) `min_out`, so that the
    /// contract's swap does not revert; [`Order::None`] when nothing fills.
    ///
    /// `p` is the price the order was made at (the pool's EMA price), which may differ
    /// from the AMM's. For an input `a` the fill ratio is
    /// `quote / fair = (amm price / p) (1 - fee) / (1 + a (1 - fee) / reserve_in)`;
    /// solving `>= 1 - max_slippage` gives the bound, then a few steps down absorb the
    /// floor divisions.
    pub fn fillable(&self, order: Order, p: u128, params: &Params) -> Order {
        let Some((reserve_in, reserve_out)) = self.reserves(&order) else {
            return Order::None;
        };
        let order = order.capped(self.max_in(&order), p, params);
        let one = ONE_8 as f64;
        let amm_over_order = match order {
            Order::SellCollateral { .. } => {
                reserve_out as f64 / reserve_in as f64 / (p as f64 / one)
            }
            _ => reserve_out as f64 / reserve_in as f64 * (p as f64 / one),
        };
        let keep = 1.0 - self.fee as f64 / one;
        let ratio = amm_over_order * keep / (1.0 - params.max_slippage as f64 / one);
        let bound = ((ratio - 1.0) * reserve_in as f64 / keep).max(0.0).floor();
        let mut order = order.capped(bound as u128, p, params);
        let mut step = 1;
        while order != Order::None && self.quote(&order) < order.min_out() {
            order = order.capped(order.input().saturating_sub(step), p, params);
            step = step.saturating_mul(2);
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amm() -> Amm {
        // 1e9 sats against 1e12 units: 0.001 sat per unit, no fee, 5% max in.
        Amm::new(1_000_000_000, ONE_8 / 1_000, 0, 5_000_000)
    }

    #[test]
    fn swap_follows_the_constant_product() {
        let mut a = amm();
        assert_eq!(a.collateral, 1_000_000_000_000);
        let sell = Order::SellCollateral {
            amount_in: 10_000_000_000,
            min_out: 0,
        };
        // 1e9 * 1e10 / (1e12 + 1e10) = 9_900_990.099
        assert_eq!(a.quote(&sell), 9_900_990);
        assert_eq!(a.swap(&sell), 9_900_990);
        assert_eq!((a.collateral, a.sbtc), (1_010_000_000_000, 990_099_010));
        let fee = Amm {
            fee: 1_000_000,
            ..amm()
        };
        // 1% of the input stays: 1e9 * 9.9e9 / (1e12 + 9.9e9).
        assert_eq!(fee.quote(&sell), 9_802_950);
    }

    #[test]
    fn arbitrage_moves_along_the_curve_to_the_price() {
        let mut a = amm();
        a.arbitrage(ONE_8 / 4_000); // price / 4: sBTC side halves, collateral doubles
        assert_eq!((a.collateral, a.sbtc), (2_000_000_000_000, 500_000_000));
    }

    #[test]
    fn fillable_caps_at_max_in_and_at_min_out() {
        let params = Params::default(); // 2% slippage
        let a = amm();
        let p = ONE_8 / 1_000;
        // 1% of the reserve: impact ~1%, fills whole.
        let small = Order::sell(10_000_000_000, p, &params);
        assert_eq!(a.fillable(small, p, &params), small);
        // Half the reserve: capped to the largest input with impact <= 2%:
        // a / (x + a) <= 0.02, a <= x * 0.02 / 0.98 = 20_408_163_265.
        let big = Order::sell(500_000_000_000, p, &params);
        let sized = a.fillable(big, p, &params);
        assert!(a.quote(&sized) >= sized.min_out());
        let a_in = sized.input();
        assert!((20_408_000_000..=20_408_163_265).contains(&a_in), "{a_in}");
        let more = Order::sell(a_in + 1_000_000, p, &params);
        assert!(a.quote(&more) < more.min_out());
        // With 10% slippage the 5% max-in binds first.
        let loose = Params {
            max_slippage: 10_000_000,
            ..params
        };
        let capped = a.fillable(Order::sell(500_000_000_000, p, &loose), p, &loose);
        assert_eq!(capped.input(), 50_000_000_000);
        // A buy on the same terms.
        let buy = a.fillable(Order::buy(500_000_000, p, &params), p, &params);
        assert!(a.quote(&buy) >= buy.min_out() && buy.input() > 0);
        assert!(buy.input() <= 20_408_164);
    }

    #[test]
    fn fillable_refuses_when_the_amm_is_off_the_orders_price() {
        let params = Params::default();
        let a = amm();
        // The order was made at a price 5% above the AMM's: no sale fills within 2%.
        let p = ONE_8 / 1_000 * 105 / 100;
        assert_eq!(
            a.fillable(Order::sell(1_000_000_000, p, &params), p, &params),
            Order::None
        );
        assert_eq!(a.fillable(Order::None, p, &params), Order::None);
    }
}
