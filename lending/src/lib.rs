//! Alkahest fixed-rate lending: the formulas shared by the Clarity contract tests and the
//! Value-at-Risk model. [`crp`] is the collateral-rebalancing pool rule, integer-exact
//! as `crp.clar` computes it (borrow, repay, the CPPI target weight, rebalancing orders,
//! conversion into sBTC, settlement and redemption); [`var`] prices the pool's tail risk
//! by running that same rule along simulated STX/BTC price paths, which tells how large
//! the reserve pool must be. The crate does not depend on the Clarity VM.
//!
//! ```
//! use alkahest_lending::crp::{self, Order, Params, Pool, ONE_8};
//!
//! let params = Params::default(); // ltv0 75%, conversion 95%, band 1%, slippage 2%
//! let mut pool = Pool::default();
//! // Deposit 1e8 micro-STX at 0.001 sat each: 100_000 sats of value, 75% lent.
//! let p = ONE_8 / 1_000;
//! assert_eq!(crp::borrow(&mut pool, 100_000_000, p, &params), Ok(75_000));
//! assert_eq!(crp::rebalance_order(&mut pool, p, &params), Order::None);
//! // STX falls 10% against BTC: the LTV rises to 83.3%, so the pool sells collateral.
//! let p = p * 9 / 10;
//! assert_eq!(crp::ltv(&pool, p, &params), Some(83_333_333));
//! let order = crp::rebalance_order(&mut pool, p, &params);
//! assert_eq!(order, Order::SellCollateral { amount_in: 33_333_333, min_out: 29_399 });
//! crp::apply(&mut pool, &order, 29_700).unwrap();
//! // At expiry, after selling the rest: the yield holders are paid in full.
//! let sbtc = pool.sbtc + pool.collateral * p / ONE_8;
//! let settled = crp::settle(sbtc, pool.yield_supply, pool.key_supply, 0, 0);
//! assert_eq!((settled.yield_pool, settled.key_pool), (75_000, 14_700));
//! ```
#![deny(missing_docs)]

pub mod crp;
pub mod var;
