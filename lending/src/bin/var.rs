//! `var`: runs the Value-at-Risk grid of the collateral-rebalancing pool, prints the
//! table and writes it as JSON.
//!
//! ```text
//! cargo run --release -p alkahest-lending --bin var -- [--config lending/var.toml]
//!     [--paths 20000] [--seed N] [--out target/var.json]
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;

use alkahest_lending::var::config::{Config, DEFAULT_TOML};
use alkahest_lending::var::grid::{self, Report, DEFAULT_SEED};
use anyhow::Context;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

/// Value-at-Risk of the collateral-rebalancing pool: P(loss > x) and the reserve
/// needed, per initial LTV and crash frequency.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Model configuration (TOML); the committed lending/var.toml when absent.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Simulated paths per grid cell.
    #[arg(long, default_value_t = 20_000)]
    paths: u64,
    /// Seed of the random paths: the same seed gives the same output.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/var.json")]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let text = match &args.config {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        None => DEFAULT_TOML.to_owned(),
    };
    let config = Config::from_toml(&text).context("loading the var config")?;

    let total = args.paths * config.grid.crash_multipliers.len() as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} paths ({eta} left)")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    let report = grid::run(&config, args.paths, args.seed, |n| bar.inc(n));
    bar.finish_and_clear();

    #[allow(clippy::print_stdout)] // the table is the binary's output
    {
        print!("{}", table(&report));
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(&report).context("serialising the report")?;
    std::fs::write(&args.out, json + "\n")
        .with_context(|| format!("writing {}", args.out.display()))?;
    #[allow(clippy::print_stderr)] // where the JSON went, apart from the table
    {
        eprintln!("wrote {}", args.out.display());
    }
    Ok(())
}

/// Formats `x` (a fraction) as a percentage with two decimals.
fn percent(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// Returns the report as a text table, one row per cell.
fn table(report: &Report) -> String {
    let c = &report.config;
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        s,
        "CRP Value-at-Risk: {} paths per cell, seed {}, term {} days, conversion LTV {}, \
         CPPI multiplier {}, capacity {} (AMM depth {}x; fee {}, max in {}), \
         crashes {}/yr x multiplier",
        report.paths,
        report.seed,
        c.pool.term_days,
        c.pool.conversion_ltv,
        c.pool.multiplier,
        percent(c.pool.capacity),
        1.0 / c.pool.capacity,
        percent(c.amm.fee),
        percent(c.amm.max_in_ratio),
        c.price.jumps_per_year,
    );
    let _ = write!(s, "{:>6} {:>7}", "LTV", "crash");
    for x in &c.grid.loss_thresholds {
        let _ = write!(s, " {:>12}", format!("P(>{})", percent(*x)));
    }
    let q = format!("reserve@{}", percent(c.grid.reserve_quantile));
    let _ = writeln!(s, " {q:>15} {:>10} {:>10}", "mean loss", "converted");
    for cell in &report.cells {
        let _ = write!(s, "{:>6.2} {:>6}x", cell.ltv, cell.crash_multiplier);
        for e in &cell.exceedance {
            let _ = write!(s, " {:>12}", percent(e.probability));
        }
        let reserve = percent(cell.reserve);
        let (mean, converted) = (percent(cell.mean_loss), percent(cell.converted));
        let _ = writeln!(s, " {reserve:>15} {mean:>10} {converted:>10}");
    }
    s
}
