//! End to end with real processes: the `devnet` binary runs `silica-demo` with
//! `--processes`, so the production `indexer`, three `signer`s and the `api` run as
//! child processes, follow the chain through the devnet's bitcoind RPC and attest the
//! windows themselves. The final balances must be exactly those of the in-process run
//! (`e2e.rs`), and no child may outlive the devnet, whether it finishes or is stopped
//! with SIGTERM.
//!
//! The binaries are taken from the target folder holding this test (`target/debug/`):
//! `cargo test --workspace` builds them first. Running only this file needs
//! `cargo build -p alkahest-devnet -p alkahest-indexer -p alkahest-signer -p alkahest-api`
//! beforehand, or it tests stale binaries.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The folder `cargo` put this test's workspace binaries in.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/processes_e2e-<hash> → target/debug
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

fn devnet_binary() -> PathBuf {
    let dir = bin_dir();
    for name in ["devnet", "indexer", "signer", "api"] {
        let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        assert!(
            path.is_file(),
            "{} is missing: run `cargo build -p alkahest-devnet -p alkahest-indexer \
             -p alkahest-signer -p alkahest-api` (cargo test --workspace builds it)",
            path.display()
        );
    }
    dir.join(format!("devnet{}", std::env::consts::EXE_SUFFIX))
}

/// Starts `devnet --processes` in `dir` with silica-demo's flags plus `extra`; its
/// stdout and stderr go to `dir/devnet.out`.
fn start(dir: &Path, extra: &[&str]) -> Child {
    let out = std::fs::File::create(dir.join("devnet.out")).unwrap();
    let data = dir.join("data");
    Command::new(devnet_binary())
        .args(["--processes", "--data-dir", data.to_str().unwrap()])
        .args(["--block-time", "250ms", "--api-addr", "127.0.0.1:0"])
        .args(["--stacks-rpc-addr", "127.0.0.1:0"])
        .args(["--bitcoin-rpc-addr", "127.0.0.1:0"])
        .args(common::SILICA_DEMO_FLAGS)
        .args(extra)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap()
}

fn output(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("devnet.out")).unwrap_or_default()
}

/// Waits for `child` to exit; a hang guard of `patience` kills it and fails with its
/// output (not a timing assertion).
fn wait(child: &mut Child, dir: &Path, patience: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + patience;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the devnet did not exit:\n{}", output(dir));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The children's pids from the devnet's `[processes] … (pids [a, b, …])` line.
fn child_pids(out: &str) -> Vec<u32> {
    let line = out
        .lines()
        .find(|l| l.contains("[processes]") && l.contains("pids ["))
        .unwrap_or_else(|| panic!("no pids line:\n{out}"));
    let list = line
        .split("pids [")
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap();
    list.split(',').map(|p| p.trim().parse().unwrap()).collect()
}

/// Every live process whose command line names `dir` (the devnet's `--data-dir` and
/// each child's `--config` are inside it), as `pid: command line`.
fn processes_naming(dir: &Path) -> Vec<String> {
    let needle = dir.to_str().unwrap();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            found.push(format!("{pid}: {cmdline}"));
        }
    }
    found
}

/// Asserts the run started its five children and none of them, nor anything else
/// started for `dir`, is alive any more.
fn assert_no_process_left(dir: &Path, pids: &[u32]) {
    assert_eq!(pids.len(), 5, "indexer, 3 signers, api: {pids:?}");
    let alive = processes_naming(dir);
    assert!(alive.is_empty(), "left behind:\n{}", alive.join("\n"));
}

#[cfg(target_os = "linux")]
#[test]
fn silica_demo_with_processes_ends_with_the_in_process_balances() {
    let dir = tempfile::tempdir().unwrap();
    let mut devnet = start(dir.path(), &["--exit-when-done"]);
    let status = wait(&mut devnet, dir.path(), Duration::from_secs(600));
    let out = output(dir.path());
    assert!(status.success(), "{status}:\n{out}");

    // The windows were attested by the signer processes, not in process.
    let attested = out
        .lines()
        .filter(|l| l.contains("attested 2-of-3 by the signer processes"))
        .count();
    assert_eq!(attested, 3, "{out}");
    assert!(!out.contains("coordinator signer"), "{out}");
    // The exact balances of the in-process run.
    let summary = out
        .lines()
        .find(|l| l.starts_with("Summary {"))
        .unwrap_or_else(|| panic!("no summary:\n{out}"));
    assert!(summary.contains("silica_status: Some(2)"), "{summary}");
    let balances = format!("balances: {:?}", common::expected().to_vec());
    assert!(
        summary.contains(&balances),
        "{summary}\nexpected {balances}"
    );
    // The production indexer indexed the chain through the bitcoind RPC.
    let indexer_log = std::fs::read_to_string(dir.path().join("data/logs/indexer.log")).unwrap();
    assert!(indexer_log.contains("caught up"), "{indexer_log}");
    assert_no_process_left(dir.path(), &child_pids(&out));
    // The children were stopped with SIGTERM and shut down cleanly, not killed.
    for i in 0..3 {
        let log =
            std::fs::read_to_string(dir.path().join(format!("data/logs/signer-{i}.log"))).unwrap();
        assert!(log.contains("signer stopped"), "signer-{i}:\n{log}");
    }
    // As bitcoind at shutdown, the cookie is gone.
    assert!(!dir.path().join("data/bitcoind/.cookie").exists());
}

#[cfg(target_os = "linux")]
#[test]
fn a_devnet_stopped_with_sigterm_leaves_no_child_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut devnet = start(dir.path(), &[]);
    // Wait (hang-guarded) until the children run and a few blocks were mined.
    let deadline = Instant::now() + Duration::from_secs(300);
    while !output(dir.path()).contains("[btc 3]") {
        if let Some(status) = devnet.try_wait().unwrap() {
            panic!("the devnet exited ({status}):\n{}", output(dir.path()));
        }
        assert!(
            Instant::now() < deadline,
            "never started:\n{}",
            output(dir.path())
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pids = child_pids(&output(dir.path()));
    // The api process serves the production indexer's index, computed with the
    // devnet's simulated difficulty like the signers' (not regtest header work).
    let out = output(dir.path());
    let api = out
        .lines()
        .find_map(|l| l.split("API listening on ").nth(1))
        .unwrap_or_else(|| panic!("no API line:\n{out}"))
        .trim()
        .to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = format!("{api}/v1/index?from_window=1&to_window=1");
    let index = loop {
        // Hang-guarded: the indexer process indexes window 0 within a few polls.
        let (_, index) = runtime.block_on(common::get(&url));
        if index["windows"][0]["index"].is_number() || Instant::now() > deadline {
            break index;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let got = index["windows"][0]["index"].as_f64().unwrap_or_default();
    assert!((got - 1_005.818_061_92).abs() < 1e-6, "{index}");
    // The check below can fail: the devnet and its five children are found now.
    let running = processes_naming(dir.path());
    assert_eq!(running.len(), 6, "{running:#?}");
    let term = Command::new("kill")
        .args(["-TERM", &devnet.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = wait(&mut devnet, dir.path(), Duration::from_secs(120));
    let out = output(dir.path());
    assert!(status.success(), "{status}:\n{out}");
    assert!(out.contains("shutting down"), "{out}");
    assert_no_process_left(dir.path(), &pids);
}

#[test]
fn a_missing_binary_is_named_with_the_command_that_builds_it() {
    let empty = tempfile::tempdir().unwrap();
    let e = alkahest_devnet::processes::find_binary(empty.path(), "signer")
        .unwrap_err()
        .to_string();
    assert!(e.contains("`signer`"), "{e}");
    assert!(e.contains(empty.path().to_str().unwrap()), "{e}");
    assert!(e.contains("cargo build -p alkahest-indexer"), "{e}");
}
