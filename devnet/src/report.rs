//! The deployment report: every contract with its deployment cost, the bootstrap
//! calls, and the cost table `cargo test` measured.

use std::fmt::Write;

use alkahest_clarity::costs;
use alkahest_clarity::Simnet;

/// Deploys the workspace contracts and describes the result: each contract with its
/// deployer and deployment cost, the bootstrap calls, and the cost table if present.
///
/// # Errors
/// The message of the first contract or bootstrap call that failed.
pub fn deployment_report(with_cost_table: bool) -> Result<String, String> {
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
        Some(path) if path.is_file() && !with_cost_table => {
            let _ = writeln!(out, "\nContract cost table: {}", path.display());
        }
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

#[cfg(test)]
mod tests {
    #[test]
    fn report_lists_every_manifest_contract() {
        let report = super::deployment_report(false).unwrap();
        let manifest = alkahest_clarity::Manifest::workspace().unwrap();
        for c in &manifest.contracts {
            assert!(
                report.contains(&c.name),
                "{} missing from the report",
                c.name
            );
        }
        assert!(report.contains("bootstrap-signers") || report.contains("set-protocol"));
    }
}
