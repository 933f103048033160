//! The `devnet` binary's command line. Besides checking what a user sees, this test
//! makes `cargo test --workspace` build the `devnet` binary (cargo builds a package's
//! binaries for its integration tests), which `tests/tests/processes_e2e.rs` runs.

use std::process::Command;

const DEVNET: &str = env!("CARGO_BIN_EXE_devnet");

#[test]
fn help_lists_the_modes_and_a_bad_value_is_named() {
    let out = Command::new(DEVNET).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--processes",
        "--stacks-rpc-addr",
        "--bitcoin-rpc-addr",
        "--scenario",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }

    let out = Command::new(DEVNET)
        .args(["--window-length", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--window-length") && err.contains('0'),
        "{err}"
    );
}
