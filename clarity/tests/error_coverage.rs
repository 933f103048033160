//! Every `ERR_*` constant of every manifest contract is the asserted outcome of some
//! call in some test, and error codes are unique across contracts, each inside its
//! contract's block.
//!
//! "Asserted" is measured, not guessed from the test sources: this test runs the rest
//! of the suite again in a child process with [`ASSERTED_ERRORS_VAR`] set, and
//! `Receipt::expect_err` appends every code it checked. Because codes are unique, a
//! code maps to exactly one contract, so `silica::ERR_SELF_TRANSFER` is only covered by
//! a test that makes silica return it, not by one that names the token's error of the
//! same name.

use std::collections::{BTreeMap, BTreeSet};

use alkahest_clarity::manifest::OVERRIDE_VAR;
use alkahest_clarity::receipt::ASSERTED_ERRORS_VAR;
use alkahest_clarity::Manifest;

#[test]
fn error_codes_are_unique_across_contracts() {
    let manifest = Manifest::workspace().unwrap();
    let mut owner: BTreeMap<u128, String> = BTreeMap::new();
    for c in &manifest.contracts {
        for (name, &code) in &c.error_codes {
            if let Some(prev) = owner.insert(code, format!("{}::{name}", c.name)) {
                panic!(
                    "error code u{code} is used by both {prev} and {}::{name}",
                    c.name
                );
            }
        }
    }
    assert!(owner.len() > 30, "expected the foundation's codes at least");
}

#[test]
fn every_error_code_is_the_asserted_outcome_of_a_call() {
    // The child run (and a mutation run, which checks guards, not coverage) skip this.
    if std::env::var_os(ASSERTED_ERRORS_VAR).is_some() || std::env::var_os(OVERRIDE_VAR).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("asserted.txt");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--skip", "error_coverage::", "--test-threads", "2", "-q"])
        .env(ASSERTED_ERRORS_VAR, &log)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the contract tests failed in the coverage run"
    );
    let asserted: BTreeSet<u128> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();

    let manifest = Manifest::workspace().unwrap();
    let mut missing = Vec::new();
    for c in &manifest.contracts {
        for (name, code) in &c.error_codes {
            if !asserted.contains(code) {
                missing.push(format!("{}::{name} (u{code})", c.name));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} error codes are never asserted as a call's outcome: {missing:#?}",
        missing.len()
    );
}
