//! The `var` binary end to end: it prints the table, writes the JSON, and the same seed
//! gives the same output.
//!
//! Steps: run the debug binary twice with the same seed and once with another, on a
//! small grid (few paths, short term) written to a temporary config; compare outputs.

use std::path::Path;
use std::process::Command;

fn run(dir: &Path, config: &Path, seed: &str, name: &str) -> (String, String) {
    let out = dir.join(name);
    let result = Command::new(env!("CARGO_BIN_EXE_var"))
        .args(["--paths", "25", "--seed", seed, "--config"])
        .arg(config)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("the var binary runs");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let table = String::from_utf8(result.stdout).expect("the table is utf-8");
    (
        table,
        std::fs::read_to_string(out).expect("the binary wrote its json"),
    )
}

#[test]
fn same_seed_same_output_and_a_table() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let small = alkahest_lending::var::config::DEFAULT_TOML
        .replace("term_days = 90", "term_days = 20")
        .replace("ltvs = [0.5, 0.6, 0.7, 0.75, 0.8]", "ltvs = [0.75]");
    let config = dir.path().join("var.toml");
    std::fs::write(&config, small).expect("writing the config");

    let (table_a, json_a) = run(dir.path(), &config, "11", "a.json");
    let (table_b, json_b) = run(dir.path(), &config, "11", "nested/b.json");
    let (_, json_c) = run(dir.path(), &config, "12", "c.json");
    assert_eq!(table_a, table_b);
    assert_eq!(json_a, json_b);
    assert_ne!(json_a, json_c);

    assert!(
        table_a.contains("P(>12.50%)") && table_a.contains("reserve@99.00%"),
        "{table_a}"
    );
    // A header, a column line and one row per cell: 1 LTV x 3 multipliers.
    assert_eq!(table_a.lines().count(), 2 + 3);
    let report: serde_json::Value = serde_json::from_str(&json_a).expect("the output is json");
    assert_eq!(report["paths"], 25);
    assert_eq!(report["cells"].as_array().map(Vec::len), Some(3));
    assert_eq!(report["cells"][2]["crash_multiplier"], 100.0);
}

#[test]
fn a_bad_config_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = dir.path().join("bad.toml");
    let bad =
        alkahest_lending::var::config::DEFAULT_TOML.replace("term_days = 90", "term_days = 0");
    std::fs::write(&config, bad).expect("writing the config");
    let result = Command::new(env!("CARGO_BIN_EXE_var"))
        .arg("--config")
        .arg(&config)
        .output()
        .expect("the var binary runs");
    assert!(!result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains("pool.term_days"));
}
