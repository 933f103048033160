//! The Alkahest devnet: the composition root that will run Bitcoin (regtest generator),
//! the Clarity simnet, the indexer, the signers and the API in one process.
//!
//! Today it deploys every contract of `Clarinet.toml` into the simnet, runs the
//! bootstrap calls of `deployments/bootstrap.toml`, and reports what was deployed with
//! its deployment cost, followed by the contract cost table that `cargo test` measured.
//! The "Signer, devnet and API" issue turns it into the full network.
//!
//! ```
//! let report = alkahest_devnet::deployment_report().unwrap();
//! assert!(report.contains("alex-token"));
//! ```
#![deny(missing_docs)]

use std::fmt::Write;

use alkahest_clarity::costs;
use alkahest_clarity::Simnet;

/// Deploys the workspace contracts and describes the result: each contract with its
/// deployer and deployment cost, the bootstrap calls, and the cost table if present.
///
/// # Errors
/// The message of the first contract or bootstrap call that failed.
pub fn deployment_report() -> Result<String, String> {
    let sim = Simnet::try_new()?;
    let mut out = String::new();
    let deployer = sim.deployer();
    let _ = writeln!(
        out,
        "Deployed {} contracts as {deployer}:",
        sim.deploy_costs().len()
    );
    let _ = writeln!(
        out,
        "  {:<24} {:>12} {:>7} {:>12}",
        "contract", "runtime", "writes", "write bytes"
    );
    for (name, cost) in sim.deploy_costs() {
        let _ = writeln!(
            out,
            "  {:<24} {:>12} {:>7} {:>12}",
            name, cost.runtime, cost.write_count, cost.write_length
        );
    }
    let _ = writeln!(out, "\nBootstrap calls (deployments/bootstrap.toml):");
    for call in &sim.manifest().bootstrap {
        let _ = writeln!(
            out,
            "  {}::{} {} (as {})",
            call.contract,
            call.function,
            call.args.join(" "),
            call.sender
        );
    }
    match costs::report_dir().map(|d| d.join("report.md")) {
        Some(path) if path.is_file() => {
            let table = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            let _ = writeln!(
                out,
                "\nCost table from the last `cargo test` ({}):\n",
                path.display()
            );
            out.push_str(&table);
        }
        Some(path) => {
            let _ = writeln!(
                out,
                "\nNo cost table yet at {}: run `cargo test --workspace` to measure every contract function.",
                path.display()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "\nNo cargo target directory found: cost table unavailable."
            );
        }
    }
    Ok(out)
}
