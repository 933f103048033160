//! The model's configuration: `lending/var.toml`, where every field is documented.

use serde::{Deserialize, Serialize};

use crate::crp::{Params, ParamsError, ONE_8};

use super::path::{open, OpenError, PathSetup};

/// The committed default configuration (`lending/var.toml`).
pub const DEFAULT_TOML: &str = include_str!("../../var.toml");

/// Most expected jumps a day the Poisson sampler accepts; far beyond any stress case
/// (100 crashes a year is 0.27 a day) and well inside `exp(-x)`'s range.
pub const MAX_JUMPS_PER_DAY: f64 = 50.0;

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The price process.
    pub price: PriceConfig,
    /// The pool and how it is run.
    pub pool: PoolConfig,
    /// The AMM the pool trades with.
    pub amm: AmmConfig,
    /// The grid of scenarios and the figures reported.
    pub grid: GridConfig,
}

/// `[price]`: the Merton jump-diffusion of the collateral's price in sBTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    /// Days in a year of the annual figures.
    pub days_per_year: u32,
    /// Annual drift of the diffusion.
    pub mu: f64,
    /// Annual volatility of the diffusion.
    pub sigma: f64,
    /// Crashes a year in history, before the crash multiplier.
    pub jumps_per_year: f64,
    /// Mean of a crash's log size.
    pub jump_log_mean: f64,
    /// Standard deviation of a crash's log size.
    pub jump_log_std: f64,
}

/// `[pool]`: the pool of each path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// Term of the loan in days.
    pub term_days: u32,
    /// Collateral deposited on day 0, in base units.
    pub collateral: u64,
    /// Price on day 0, sats per base unit times `ONE_8`.
    pub initial_price: u64,
    /// LTV at which the pool converts into sBTC.
    pub conversion_ltv: f64,
    /// CPPI multiplier of the target weight.
    pub multiplier: f64,
    /// Largest value of the pool after a borrow as a fraction of the AMM's sBTC side;
    /// the AMM is the smallest this allows (its depth is 1 / capacity pool values).
    pub capacity: f64,
    /// Rebalancing band.
    pub band: f64,
    /// Slippage a rebalancing trade may lose.
    pub max_slippage: f64,
    /// Per-day weight of yesterday's EMA in the rebalancing price.
    pub ema_alpha: f64,
}

/// `[amm]`: the constant-product AMM, whose size follows from `pool.capacity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmmConfig {
    /// Trading fee, taken from the input.
    pub fee: f64,
    /// Largest input of one swap as a fraction of the AMM's reserve of that asset.
    pub max_in_ratio: f64,
}

/// `[grid]`: the scenarios and figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridConfig {
    /// Initial LTVs.
    pub ltvs: Vec<f64>,
    /// Multipliers of the historical crash frequency.
    pub crash_multipliers: Vec<f64>,
    /// Losses `x` for which `P(loss > x)` is reported.
    pub loss_thresholds: Vec<f64>,
    /// Quantile of the loss reported as the reserve needed.
    pub reserve_quantile: f64,
}

/// Why a configuration is refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The text is not TOML of the expected shape.
    #[error("the var config is not valid toml of the expected shape")]
    Parse(#[source] toml::de::Error),
    /// A field is outside its range.
    #[error("{field} = {value} is out of range: expected {expected}")]
    OutOfRange {
        /// The field, as `section.name`.
        field: &'static str,
        /// The refused value.
        value: f64,
        /// The accepted range.
        expected: &'static str,
    },
    /// An LTV of the grid gives pool parameters the contract would refuse.
    #[error("grid ltv {ltv} gives invalid pool parameters")]
    Params {
        /// The grid's LTV.
        ltv: f64,
        /// Why the parameters are refused.
        #[source]
        source: ParamsError,
    },
    /// At an LTV of the grid the contract would refuse or revert the day-0 borrow (its
    /// hedge too large for the AMM the capacity allows, say).
    #[error("grid ltv {ltv} cannot open its pool on day 0")]
    Open {
        /// The grid's LTV.
        ltv: f64,
        /// Why the borrow fails.
        #[source]
        source: OpenError,
    },
}

/// Returns `x` (a fraction) in the contracts' 8-decimal fixed point, rounded.
pub fn to_fixed(x: f64) -> u128 {
    (x * ONE_8 as f64).round() as u128
}

/// Returns `Err(OutOfRange)` unless `ok`.
fn check(
    ok: bool,
    field: &'static str,
    value: f64,
    expected: &'static str,
) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value,
            expected,
        })
    }
}

impl Config {
    /// Parses and validates a configuration.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Parse`] on bad TOML, missing or unknown fields; otherwise what
    /// [`Config::validate`] returns.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(ConfigError::Parse)?;
        config.validate()?;
        Ok(config)
    }

    /// Returns the committed default configuration.
    pub fn default_config() -> Config {
        Config::from_toml(DEFAULT_TOML).expect("lending/var.toml is valid: a unit test parses it")
    }

    /// Checks every field against the range `lending/var.toml` documents.
    ///
    /// # Errors
    ///
    /// The first field out of range, or the first grid LTV whose pool parameters fail
    /// [`Params::validate`] or whose pool cannot [`open`] on day 0.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let (price, pool, amm, grid) = (&self.price, &self.pool, &self.amm, &self.grid);
        check(
            price.days_per_year > 0,
            "price.days_per_year",
            price.days_per_year.into(),
            "> 0",
        )?;
        check(price.mu.is_finite(), "price.mu", price.mu, "a number")?;
        check(
            price.sigma >= 0.0 && price.sigma.is_finite(),
            "price.sigma",
            price.sigma,
            ">= 0",
        )?;
        check(
            price.jump_log_mean.is_finite(),
            "price.jump_log_mean",
            price.jump_log_mean,
            "a number",
        )?;
        let std = price.jump_log_std;
        check(
            std >= 0.0 && std.is_finite(),
            "price.jump_log_std",
            std,
            ">= 0",
        )?;
        let most = grid.crash_multipliers.iter().copied().fold(0.0, f64::max);
        let per_day = price.jumps_per_year * most / f64::from(price.days_per_year);
        check(
            price.jumps_per_year >= 0.0,
            "price.jumps_per_year",
            price.jumps_per_year,
            ">= 0",
        )?;
        check(
            per_day <= MAX_JUMPS_PER_DAY,
            "price.jumps_per_year",
            price.jumps_per_year,
            "at most 50 a day",
        )?;
        check(
            pool.term_days >= 1,
            "pool.term_days",
            pool.term_days.into(),
            ">= 1",
        )?;
        check(
            pool.collateral > 0,
            "pool.collateral",
            pool.collateral as f64,
            "> 0",
        )?;
        check(
            pool.initial_price > 0,
            "pool.initial_price",
            pool.initial_price as f64,
            "> 0",
        )?;
        check(
            pool.multiplier > 0.0 && pool.multiplier <= 20.0,
            "pool.multiplier",
            pool.multiplier,
            "in (0, 20]",
        )?;
        check(
            pool.capacity > 0.0 && pool.capacity <= 1.0,
            "pool.capacity",
            pool.capacity,
            "in (0, 1]",
        )?;
        let alpha = pool.ema_alpha;
        check(
            (0.0..1.0).contains(&alpha),
            "pool.ema_alpha",
            alpha,
            "in [0, 1)",
        )?;
        check(
            (0.0..0.1).contains(&amm.fee),
            "amm.fee",
            amm.fee,
            "in [0, 0.1)",
        )?;
        let ratio = amm.max_in_ratio;
        check(
            ratio > 0.0 && ratio <= 1.0,
            "amm.max_in_ratio",
            ratio,
            "in (0, 1]",
        )?;
        check(!grid.ltvs.is_empty(), "grid.ltvs", 0.0, "at least one ltv")?;
        check(
            !grid.crash_multipliers.is_empty(),
            "grid.crash_multipliers",
            0.0,
            "at least one",
        )?;
        for &m in &grid.crash_multipliers {
            check(
                m >= 0.0 && m.is_finite(),
                "grid.crash_multipliers",
                m,
                ">= 0",
            )?;
        }
        for &x in &grid.loss_thresholds {
            check(x >= 0.0 && x.is_finite(), "grid.loss_thresholds", x, ">= 0")?;
        }
        let q = grid.reserve_quantile;
        check(q > 0.0 && q <= 1.0, "grid.reserve_quantile", q, "in (0, 1]")?;
        for &ltv in &grid.ltvs {
            check(ltv.is_finite(), "grid.ltvs", ltv, "a number")?;
            self.params(ltv)
                .validate()
                .map_err(|source| ConfigError::Params { ltv, source })?;
            open(&PathSetup::new(self, ltv)).map_err(|source| ConfigError::Open { ltv, source })?;
        }
        Ok(())
    }

    /// Returns the pool parameters for initial LTV `ltv`, in fixed point.
    pub fn params(&self, ltv: f64) -> Params {
        Params {
            ltv0: to_fixed(ltv),
            conversion_ltv: to_fixed(self.pool.conversion_ltv),
            band: to_fixed(self.pool.band),
            max_slippage: to_fixed(self.pool.max_slippage),
            multiplier: to_fixed(self.pool.multiplier),
            capacity: to_fixed(self.pool.capacity),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_default_parses_with_the_briefs_defaults() {
        let c = Config::default_config();
        assert_eq!(c.pool.term_days, 90);
        assert_eq!(c.pool.ema_alpha, 0.0);
        assert_eq!(c.pool.multiplier, 2.0);
        assert_eq!(c.pool.capacity, 0.01);
        assert_eq!(c.amm.max_in_ratio, 0.05);
        assert_eq!(c.grid.ltvs, [0.5, 0.6, 0.7, 0.75, 0.8]);
        assert_eq!(c.grid.crash_multipliers, [1.0, 10.0, 100.0]);
        assert_eq!(c.grid.loss_thresholds, [0.0, 0.025, 0.05, 0.125, 0.25]);
        assert_eq!(c.params(0.75), Params::default());
    }

    #[test]
    fn unknown_and_out_of_range_fields_are_refused() {
        let unknown = DEFAULT_TOML.replace("[amm]\n", "[amm]\nspeed = 1\n");
        assert!(matches!(
            Config::from_toml(&unknown),
            Err(ConfigError::Parse(_))
        ));
        let slow = DEFAULT_TOML.replace("term_days = 90", "term_days = 0");
        assert!(matches!(
            Config::from_toml(&slow),
            Err(ConfigError::OutOfRange {
                field: "pool.term_days",
                ..
            })
        ));
        for m in ["0.0", "-1.0", "20.5", "nan"] {
            let bad = DEFAULT_TOML.replace("multiplier = 2.0", &format!("multiplier = {m}"));
            assert!(
                matches!(
                    Config::from_toml(&bad),
                    Err(ConfigError::OutOfRange {
                        field: "pool.multiplier",
                        ..
                    })
                ),
                "multiplier {m}"
            );
        }
        let top = DEFAULT_TOML.replace("multiplier = 2.0", "multiplier = 20.0");
        assert_eq!(
            Config::from_toml(&top).unwrap().params(0.75).multiplier,
            2_000_000_000
        );
        // Positive but below the fixed point's resolution: the contract would refuse 0.
        let dust = DEFAULT_TOML.replace("multiplier = 2.0", "multiplier = 1e-9");
        assert!(matches!(
            Config::from_toml(&dust),
            Err(ConfigError::Params {
                source: ParamsError::Multiplier(0),
                ..
            })
        ));
        for c in ["0.0", "-0.01", "1.01", "nan"] {
            let bad = DEFAULT_TOML.replace("capacity = 0.01", &format!("capacity = {c}"));
            assert!(
                matches!(
                    Config::from_toml(&bad),
                    Err(ConfigError::OutOfRange {
                        field: "pool.capacity",
                        ..
                    })
                ),
                "capacity {c}"
            );
        }
        let dust = DEFAULT_TOML.replace("capacity = 0.01", "capacity = 1e-9");
        assert!(matches!(
            Config::from_toml(&dust),
            Err(ConfigError::Params {
                source: ParamsError::Capacity(0),
                ..
            })
        ));
        // The old depth is derived from the capacity now.
        let depth = DEFAULT_TOML.replace("[amm]\n", "[amm]\ndepth = 10.0\n");
        assert!(matches!(
            Config::from_toml(&depth),
            Err(ConfigError::Parse(_))
        ));
        let high = DEFAULT_TOML.replace("ltvs = [0.5,", "ltvs = [0.96,");
        assert!(
            matches!(Config::from_toml(&high), Err(ConfigError::Params { ltv, .. }) if ltv == 0.96)
        );
    }

    #[test]
    fn a_capacity_whose_day_zero_hedge_reverts_is_refused() {
        // At capacity 10% the AMM is 10 times the pool. At LTV 0.8 the borrow sells 60% of
        // the pool, 6% of the AMM's collateral: capped at its 5% max-in, that loses
        // 1 - 0.997 / 1.05 = 5% to fee and impact, beyond the 2% slippage floor, so the
        // contract reverts the borrow. At LTV 0.5 (weight 1) it sells nothing and opens.
        let wide = DEFAULT_TOML.replace("capacity = 0.01", "capacity = 0.1");
        assert!(matches!(
            Config::from_toml(&wide),
            Err(ConfigError::Open {
                ltv,
                source: OpenError::Hedge(_),
            }) if ltv == 0.6
        ));
        let half = wide.replace("ltvs = [0.5, 0.6, 0.7, 0.75, 0.8]", "ltvs = [0.5]");
        assert_eq!(
            Config::from_toml(&half).unwrap().params(0.5).capacity,
            10_000_000
        );
        // The default capacity, and 2%, open every LTV of the grid.
        let two = DEFAULT_TOML.replace("capacity = 0.01", "capacity = 0.02");
        assert!(Config::from_toml(&two).is_ok());
    }
}
