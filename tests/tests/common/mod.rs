//! Helpers shared by the end-to-end test files (each includes this with `mod common;`).

// Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

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
        "--stacks-rpc-addr",
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

/// A devnet run in the background until its log says `[done]`.
pub struct Running {
    /// The API's base URL.
    pub api: String,
    /// The run's log lines.
    pub log: alkahest_devnet::EventLog,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Starts `config` and waits for `[done]`; a hang guard of `patience` fails the test
    /// with the log (not a timing assertion).
    pub async fn until_done(config: DevnetConfig, patience: std::time::Duration) -> Running {
        let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let log = alkahest_devnet::EventLog::default();
        let run = alkahest_devnet::run_with(
            config,
            async {
                let _ = stop_rx.await;
            },
            log.clone(),
            Some(bound_tx),
            None,
        );
        let task = tokio::spawn(async move {
            run.await.expect("the devnet ends cleanly");
        });
        let api = format!("http://{}", bound_rx.await.unwrap());
        let deadline = std::time::Instant::now() + patience;
        while !log.lines().iter().any(|l| l.starts_with("[done]")) {
            assert!(
                std::time::Instant::now() < deadline,
                "never done:\n{}",
                log.lines().join("\n")
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Running {
            api,
            log,
            stop,
            task,
        }
    }

    /// Stops the devnet and waits for a clean shutdown.
    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap();
    }
}
