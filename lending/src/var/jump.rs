//! The Merton jump-diffusion of the collateral's price in sBTC, one step per day.
//!
//! Over a day of length `dt = 1 / days_per_year` the log price moves by
//!
//! ```text
//! (mu - sigma^2 / 2) dt + sigma sqrt(dt) Z + sum_{i=1..N} J_i,
//! Z ~ N(0, 1),  N ~ Poisson(lambda dt),  J_i ~ N(jump_log_mean, jump_log_std^2),
//! ```
//!
//! with `lambda` the historical crash frequency times the scenario's crash multiplier.
//! The jumps are not drift-compensated, so a higher crash frequency adds crashes rather
//! than re-centring the path on a higher drift. Over `n` days the log return has mean
//! `n [(mu - sigma^2/2) dt + lambda dt m]` and variance `n [sigma^2 dt + lambda dt (m^2
//! + s^2)]` ([`Merton::log_return_moments`]).
//!
//! Each path draws from three seeded ChaCha8 streams: the diffusion, the jump counts
//! (one uniform a day, inverted through the Poisson distribution function) and the jump
//! sizes. So for one seed and path the diffusion is the same in every scenario, and a
//! higher crash multiplier adds jumps to the same days' counts: the scenarios differ
//! only by what they change.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::config::PriceConfig;
use super::path::PriceSource;

/// The jump-diffusion of one scenario (crash multiplier applied), per day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Merton {
    /// Drift of the log price a day, `(mu - sigma^2 / 2) dt`.
    pub drift: f64,
    /// Standard deviation of the diffusion a day, `sigma sqrt(dt)`.
    pub vol: f64,
    /// Expected jumps a day, `lambda dt`.
    pub jumps: f64,
    /// Mean of a jump's log size.
    pub jump_mean: f64,
    /// Standard deviation of a jump's log size.
    pub jump_std: f64,
}

impl Merton {
    /// Returns the daily model of `price` with its crash frequency times
    /// `crash_multiplier`.
    pub fn new(price: &PriceConfig, crash_multiplier: f64) -> Merton {
        let dt = 1.0 / f64::from(price.days_per_year);
        Merton {
            drift: (price.mu - price.sigma * price.sigma / 2.0) * dt,
            vol: price.sigma * dt.sqrt(),
            jumps: price.jumps_per_year * crash_multiplier * dt,
            jump_mean: price.jump_log_mean,
            jump_std: price.jump_log_std,
        }
    }

    /// Returns the closed-form mean and variance of the log return over `days` days.
    pub fn log_return_moments(&self, days: u32) -> (f64, f64) {
        let n = f64::from(days);
        let mean = n * (self.drift + self.jumps * self.jump_mean);
        let m2 = self.jump_mean * self.jump_mean + self.jump_std * self.jump_std;
        let variance = n * (self.vol * self.vol + self.jumps * m2);
        (mean, variance)
    }
}

/// Returns a uniform draw in `[0, 1)` with 53 random bits.
fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    (rng.next_u64() >> 11) as f64 * SCALE
}

/// Returns a standard normal draw (Box-Muller, one of the pair).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - uniform(rng); // in (0, 1]: ln is finite
    let u2 = uniform(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Returns the Poisson(`mean`) count whose distribution function first exceeds `u`.
/// For `mean` up to [`super::config::MAX_JUMPS_PER_DAY`], `exp(-mean)` stays normal
/// and the loop ends within a few hundred steps.
fn poisson_inverse(mean: f64, u: f64) -> u32 {
    let mut n = 0;
    let mut pmf = (-mean).exp();
    let mut cdf = pmf;
    while u >= cdf && pmf > 0.0 {
        n += 1;
        pmf *= mean / f64::from(n);
        cdf += pmf;
    }
    n
}

/// One simulated price path: the price relative to day 0, drawn a day at a time and
/// kept, so that every LTV of the grid runs on the same path.
#[derive(Debug, Clone)]
pub struct MertonPath {
    model: Merton,
    diffusion: ChaCha8Rng,
    counts: ChaCha8Rng,
    sizes: ChaCha8Rng,
    log_price: f64,
    prices: Vec<f64>,
}

impl MertonPath {
    /// Returns path number `path` of the run seeded with `seed`.
    pub fn new(model: Merton, seed: u64, path: u64) -> MertonPath {
        let stream = |k: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(path.wrapping_mul(3).wrapping_add(k));
            rng
        };
        MertonPath {
            model,
            diffusion: stream(0),
            counts: stream(1),
            sizes: stream(2),
            log_price: 0.0,
            prices: vec![1.0],
        }
    }

    /// Returns the next day's log return.
    pub fn next_log_return(&mut self) -> f64 {
        let m = &self.model;
        let mut r = m.drift + m.vol * normal(&mut self.diffusion);
        for _ in 0..poisson_inverse(m.jumps, uniform(&mut self.counts)) {
            r += m.jump_mean + m.jump_std * normal(&mut self.sizes);
        }
        r
    }
}

impl PriceSource for MertonPath {
    fn relative_price(&mut self, day: u32) -> f64 {
        while self.prices.len() <= day as usize {
            self.log_price += self.next_log_return();
            self.prices.push(self.log_price.exp());
        }
        self.prices[day as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::var::config::Config;

    /// Sample mean, variance and standard errors of both, of the log return over
    /// `days` days and `paths` paths.
    fn sample_moments(model: Merton, days: u32, paths: u64) -> [f64; 4] {
        let returns: Vec<f64> = (0..paths)
            .map(|i| {
                let mut path = MertonPath::new(model, 7, i);
                path.relative_price(days).ln()
            })
            .collect();
        let n = returns.len() as f64;
        let mean = returns.iter().sum::<f64>() / n;
        let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let m4 = returns.iter().map(|r| (r - mean).powi(4)).sum::<f64>() / n;
        [mean, var, (var / n).sqrt(), ((m4 - var * var) / n).sqrt()]
    }

    #[test]
    fn log_return_moments_match_the_closed_form() {
        let price = Config::default_config().price;
        // Crashes x30 (about 2.5 in 30 days) so that jumps weigh on both moments.
        let model = Merton::new(&price, 30.0);
        let (days, paths) = (30, 8_000);
        let (mean, var) = model.log_return_moments(days);
        let [m, v, se_mean, se_var] = sample_moments(model, days, paths);
        assert!(
            (m - mean).abs() < 4.0 * se_mean,
            "mean {m} vs closed form {mean}"
        );
        assert!(
            (v - var).abs() < 4.0 * se_var,
            "variance {v} vs closed form {var}"
        );
        // And the jumps matter: without them the mean would be far off.
        assert!((mean - days as f64 * model.drift).abs() > 20.0 * se_mean);
    }

    #[test]
    fn pure_diffusion_moments_match_the_closed_form() {
        let price = Config::default_config().price;
        let model = Merton::new(&price, 0.0);
        let (mean, var) = model.log_return_moments(10);
        let [m, v, se_mean, se_var] = sample_moments(model, 10, 8_000);
        assert!(
            (m - mean).abs() < 4.0 * se_mean,
            "mean {m} vs closed form {mean}"
        );
        assert!(
            (v - var).abs() < 4.0 * se_var,
            "variance {v} vs closed form {var}"
        );
    }

    #[test]
    fn poisson_inverse_is_the_distribution_function() {
        let e = (-0.5f64).exp();
        assert_eq!(poisson_inverse(0.5, 0.0), 0);
        assert_eq!(poisson_inverse(0.5, e - 1e-12), 0);
        assert_eq!(poisson_inverse(0.5, e + 1e-12), 1);
        assert_eq!(poisson_inverse(0.5, e * 1.5 + 1e-12), 2);
        assert_eq!(poisson_inverse(0.0, 0.999), 0);
    }

    #[test]
    fn paths_are_reproducible_and_distinct() {
        let model = Merton::new(&Config::default_config().price, 10.0);
        let mut a = MertonPath::new(model, 1, 5);
        let mut b = MertonPath::new(model, 1, 5);
        let mut c = MertonPath::new(model, 1, 6);
        assert_eq!(a.relative_price(40), b.relative_price(40));
        assert_ne!(a.relative_price(40), c.relative_price(40));
        assert_eq!(a.relative_price(0), 1.0);
    }

    #[test]
    fn a_higher_crash_frequency_never_draws_fewer_jumps() {
        // The same count uniform, inverted at two intensities: the coupling the grid
        // relies on to compare crash multipliers path by path.
        for i in 0..1_000 {
            let u = f64::from(i) / 1_000.0;
            assert!(poisson_inverse(100.0 / 365.0, u) >= poisson_inverse(10.0 / 365.0, u));
        }
    }
}
