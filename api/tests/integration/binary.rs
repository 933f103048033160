//! The `api` binary as an operator runs it: a bad setting is refused naming the key
//! and the value; a running server answers on its public port, keeps the event
//! observer on its own port, serves `/metrics`, and exits 0 on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const API: &str = env!("CARGO_BIN_EXE_api");

#[test]
fn a_bad_setting_is_refused_naming_key_and_value() {
    let out = Command::new(API)
        .args(["--listen", "nowhere:port"])
        .env_remove("API_LISTEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("listen") && err.contains("nowhere:port"),
        "{err}"
    );

    let out = Command::new(API)
        .env("API_REQUEST_TIMEOUT_MS", "soon")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("API_REQUEST_TIMEOUT_MS") && err.contains("soon"),
        "{err}"
    );
}

/// Reads stderr until a "`name` listening on http://…" line for each of `names`
/// (in any order: the listeners start concurrently), returning the URLs in `names`'
/// order.
fn listening<const N: usize>(stderr: &mut impl BufRead, names: [&str; N]) -> [String; N] {
    let mut urls: [Option<String>; N] = std::array::from_fn(|_| None);
    let mut line = String::new();
    while urls.iter().any(Option::is_none) {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "exited before listening"
        );
        for (name, url) in names.iter().zip(urls.iter_mut()) {
            let needle = format!("{name} listening on ");
            if let Some(at) = line.find(&needle) {
                *url = Some(line[at + needle.len()..].trim().to_owned());
            }
        }
    }
    urls.map(Option::unwrap_or_default)
}

#[cfg(unix)]
#[tokio::test]
async fn serves_observes_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let index = format!("sqlite://{}", dir.path().join("index.sqlite").display());
    let chain = format!("sqlite://{}", dir.path().join("chain.sqlite").display());
    // The indexer creates the index; the API only reads it.
    alkahest_indexer::storage::SqliteStore::open(&index, Default::default(), true)
        .await
        .unwrap();
    let mut child = Command::new(API)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--db",
            &index,
            "--chain-db",
            &chain,
        ])
        .args(["--observer-listen", "127.0.0.1:0"])
        .args(["--deployer", "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM"])
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let [observer, api] = listening(&mut stderr, ["event observer", "API"]);
    let http = reqwest::Client::new();
    let health: serde_json::Value = http
        .get(format!("{api}/v1/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    // The observer is not on the public port, and refuses a malformed block.
    let r = http
        .post(format!("{api}/new_block"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = http
        .post(format!("{observer}/new_block"))
        .header("content-type", "application/json")
        .body("{\"block_height\": \"x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let metrics = http
        .get(format!("{api}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("http_requests_total{") && metrics.contains("route=\"/v1/health\""),
        "{metrics}"
    );
    // SIGTERM: a clean exit.
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}
