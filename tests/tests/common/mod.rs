//! Helpers shared by the end-to-end test files (each includes this with `mod common;`).

use alkahest_devnet::config::DevnetConfig;
use clap::Parser;
use serde_json::Value;

/// A devnet in `dir` with 20 ms blocks and the API on a free port, plus `extra` flags.
pub fn fast_devnet(dir: &std::path::Path, extra: &[&str]) -> DevnetConfig {
    let mut args = vec![
        "devnet",
        "--data-dir",
        dir.to_str().unwrap(),
        "--block-time",
        "20ms",
        "--api-addr",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    DevnetConfig::parse_from(args)
}

/// GETs `url`: the status and the JSON body.
pub async fn get(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}
