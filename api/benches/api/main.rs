//! The API benchmark (issue 13): every GET endpoint of `/v1/openapi.json` against an
//! axum hello-world JSON route measured in the same run, on SQLite and on PostgreSQL.
//!
//! ```sh
//! apt-get install -y wrk        # optional: without it a built-in generator runs
//! cargo bench -p alkahest-api --bench api
//! ```
//!
//! One run builds a realistic indexer database (regtest blocks of real consensus bytes
//! through the production follower, four pools, a watched payout script) and a
//! chain-state database (Silicas with attested windows and AMM pools, posted to the
//! observer's `/new_block`), serves them with the `api` binary's stack
//! ([`alkahest_api::server::serve_layers`] with the response cache, CORS, compression,
//! tracing, timeout and metrics) on one port and a hello-world on another, loads each
//! URL with 32 connections and prints a table: req/s, % of hello-world, p50, p99 and
//! pass/fail against the targets (≥ 50% of hello-world, p99 < 10 ms). The tables go to
//! `target/bench/api.md`. PostgreSQL (`postgres://postgres@127.0.0.1:5432`, a fresh
//! pair of databases per run, dropped after) is skipped with a message when no server
//! answers.
//!
//! Environment: `BENCH_SECS` (8) per URL, `BENCH_CONNECTIONS` (32), `BENCH_BLOCKS`
//! (3000), `BENCH_CACHE=off` (serve without the response cache), `BENCH_PG`
//! (the server URL, without a database; `off` skips PostgreSQL), `BENCH_LOAD=builtin`
//! (ignore wrk), `BENCH_ONLY` (comma-separated parts of the endpoint templates to
//! measure, e.g. `silica,openapi`; all by default).
//!
//! It is a benchmark, not a test: CI only builds it (clippy `--all-targets`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod fixture;
mod load;
mod report;
mod serve;
mod stubs;

use std::time::Duration;

use alkahest_service::telemetry::Metrics;
use axum::routing::get;
use axum::{Json, Router};

use load::Generator;
use report::{Report, Row};

/// The run's settings, from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Load per URL.
    pub duration: Duration,
    /// Connections kept busy.
    pub connections: u32,
    /// Regtest blocks indexed.
    pub blocks: u32,
    /// Whether the response cache is on.
    pub cache: bool,
    /// PostgreSQL server URL, without a database name.
    pub pg: String,
    /// The load generator.
    pub generator: Generator,
    /// Parts of endpoint templates to measure; empty: every endpoint.
    pub only: Vec<String>,
}

impl Config {
    fn from_env() -> anyhow::Result<Config> {
        let num = |key: &str, default: u32| -> anyhow::Result<u32> {
            match std::env::var(key) {
                Ok(v) => v
                    .parse()
                    .map_err(|_| anyhow::anyhow!("{key} must be a whole number, got {v:?}")),
                Err(_) => Ok(default),
            }
        };
        Ok(Config {
            duration: Duration::from_secs(num("BENCH_SECS", 8)?.into()),
            connections: num("BENCH_CONNECTIONS", 32)?,
            blocks: num("BENCH_BLOCKS", 3_000)?,
            cache: std::env::var("BENCH_CACHE").map_or(true, |v| v != "off"),
            pg: std::env::var("BENCH_PG")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into()),
            generator: Generator::detect(),
            only: std::env::var("BENCH_ONLY")
                .map(|v| {
                    v.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// Whether the endpoint `template` is measured ([`Config::only`]).
    pub fn selects(&self, template: &str) -> bool {
        self.only.is_empty()
            || self
                .only
                .iter()
                .any(|part| template.contains(part.as_str()))
    }
}

/// `{"hello":"world"}` at `path`.
pub fn hello_router(path: &str) -> Router {
    Router::new().route(
        path,
        get(|| async { Json(serde_json::json!({"hello": "world"})) }),
    )
}

/// Serves `app` on a free port; returns its base URL (no trailing slash).
pub async fn spawn_server(app: Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// Serves the bare hello-world on a free port; returns its URL.
async fn hello_world() -> anyhow::Result<String> {
    Ok(format!("{}/", spawn_server(hello_router("/")).await?))
}

/// Loads every URL of one served API, each right after a run of the hello-world
/// (half as long) that it is compared with: the machine is shared, and its load drifts
/// over the minutes a table takes. Returns the rows and the mean hello-world req/s.
pub async fn measure(
    config: &Config,
    hello: &str,
    urls: &[(String, String)],
) -> anyhow::Result<(f64, Vec<Row>)> {
    let (c, d) = (config.connections, config.duration);
    let hello_duration = (d / 2).max(Duration::from_secs(2));
    let mut rows = Vec::new();
    let mut hello_sum = 0.0;
    for (endpoint, url) in urls {
        let reference = config.generator.run(hello, c, hello_duration).await?;
        hello_sum += reference.rps;
        let m = config.generator.run(url, c, d).await?;
        let row = Row::new(endpoint, url, m, reference.rps);
        println!("  {}", row.line());
        rows.push(row);
    }
    Ok((hello_sum / rows.len().max(1) as f64, rows))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let metrics = Metrics::install();
    let hello = hello_world().await?;
    let mut report = Report::new(&config);
    println!("{}", report.heading());

    println!("SQLite:");
    let dir = tempfile::tempdir()?;
    let sqlite = serve::Backend::sqlite(dir.path());
    report.add(
        "SQLite",
        serve::run(&config, &sqlite, &metrics, &hello).await?,
    );

    println!("PostgreSQL:");
    if config.pg == "off" {
        println!("  skipped: BENCH_PG=off");
        report.skip("PostgreSQL", "skipped: BENCH_PG=off");
        let path = report.write()?;
        println!("table written to {}", path.display());
        return Ok(());
    }
    match serve::Backend::postgres(&config.pg).await {
        Ok(pg) => {
            let result = serve::run(&config, &pg, &metrics, &hello).await;
            pg.drop_databases().await;
            report.add("PostgreSQL", result?);
        }
        Err(e) => {
            let note = format!("skipped: no PostgreSQL at {} ({e})", config.pg);
            println!("  {note}");
            report.skip("PostgreSQL", &note);
        }
    }
    let path = report.write()?;
    println!("table written to {}", path.display());
    Ok(())
}
