//! The Value-at-Risk model of the collateral-rebalancing pool: how much the yield
//! holders can lose, and so how large the reserve pool must be.
//!
//! The collateral's price in sBTC follows a Merton jump-diffusion ([`jump`]) with daily
//! steps. Along each path one pool ([`path`]) borrows at the grid's initial LTV on day
//! 0 and hedges at once, as the contract does, against a constant-product AMM ([`amm`])
//! just large enough for the pool's capacity (1 / capacity times the pool); it
//! rebalances once a day by the integer-exact rule of [`crate::crp`], each trade sized
//! to the AMM's max-in ratio and slippage floor, sells all its collateral at expiry and
//! settles with no reserve; the yield holders' loss is the settlement's shortfall over
//! the collateral's initial value. The [`grid`] runs
//! every LTV under every crash multiplier on the same seeded paths and reports
//! `P(loss > x)` and the loss quantile that a reserve must cover. The parameters live
//! in `lending/var.toml` ([`config`]), where each is documented with its source.
//!
//! ```
//! use alkahest_lending::var::{config::Config, grid};
//!
//! let mut config = Config::default_config();
//! config.grid.ltvs = vec![0.75];
//! config.grid.crash_multipliers = vec![1.0];
//! let report = grid::run(&config, 20, grid::DEFAULT_SEED, |_| {});
//! let cell = report.cell(0.75, 1.0).unwrap();
//! let p = cell.p_loss_above(0.125).unwrap(); // P(loss > 12.5% of the collateral)
//! assert!((0.0..=1.0).contains(&p));
//! assert!(cell.reserve >= 0.0);
//! ```

pub mod amm;
pub mod config;
pub mod grid;
pub mod jump;
pub mod path;
