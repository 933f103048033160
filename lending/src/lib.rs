//! Alkahest fixed-rate lending: the formulas shared by the Clarity contract tests and the
//! Value-at-Risk model. [`crp`] is the collateral-rebalancing pool rule, integer-exact
//! as `crp.clar` computes it (borrow with its capacity rule and its hedge, repay, the
//! CPPI target weight, rebalancing orders, conversion into sBTC, settlement and
//! redemption); [`var`] prices the pool's tail risk by running that same rule along
//! simulated STX/BTC price paths, which tells how large the reserve pool must be. The
//! crate does not depend on the Clarity VM.
//!
//! ```
//! use alkahest_lending::crp::{self, BorrowError, Order, Params, Pool, ONE_8};
//!
//! // ltv0 75%, conversion 95%, CPPI multiplier 2, band 1%, slippage 2%, capacity 1%
//! let params = Params::default();
//! let mut pool = Pool::default();
//! // Deposit 1e8 micro-STX at 0.001 sat each: 100_000 sats of value, 75% lent. The
//! // AMM holds 1e7 sats, so at the 1% capacity the pool may be worth 100_000 sats.
//! let p = ONE_8 / 1_000;
//! let amm_sbtc = 10_000_000;
//! let mut over = pool;
//! let refused = crp::borrow(&mut over, 100_001_000, p, amm_sbtc, &params);
//! assert_eq!(refused, Err(BorrowError::Capacity { value: 100_001, amm_sbtc }));
//! let (minted, hedge) = crp::borrow_and_hedge(&mut pool, 100_000_000, p, amm_sbtc, &params)?;
//! assert_eq!(minted, 75_000);
//! // The cushion is 25%, so the pool holds 2 x 25% = 50% in collateral: the borrow
//! // sells half at once.
//! assert_eq!(hedge, Order::SellCollateral { amount_in: 50_000_000, min_out: 49_000 });
//! crp::apply(&mut pool, &hedge, 49_850)?;
//! // STX falls 10% against BTC: the LTV rises to 79.1%, so the pool sells more.
//! let p = p * 9 / 10;
//! assert_eq!(crp::ltv(&pool, p, &params), Some(79_072_219));
//! let order = crp::rebalance_order(&mut pool, p, &params);
//! assert_eq!(order, Order::SellCollateral { amount_in: 5_888_888, min_out: 5_193 });
//! crp::apply(&mut pool, &order, 5_283).unwrap();
//! // Then STX falls 45% in a day, less than 1 / multiplier. At expiry, after selling the
//! // rest, the yield holders are paid in full.
//! let p = p * 55 / 100;
//! let sbtc = pool.sbtc + pool.collateral * p / ONE_8;
//! let settled = crp::settle(sbtc, pool.yield_supply, pool.key_supply, 0, 0);
//! assert_eq!((settled.yield_pool, settled.key_pool), (75_000, 1_968));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod crp;
pub mod var;
