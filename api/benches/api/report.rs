//! The benchmark's tables: one row per endpoint, judged against the targets, written to
//! `target/bench/api.md`.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::load::Measured;
use crate::Config;

/// An endpoint passes at this fraction of the hello-world's req/s or more...
pub const MIN_SHARE: f64 = 0.5;
/// ...with a 99th percentile latency under this.
pub const MAX_P99_MS: f64 = 10.0;

/// One endpoint's result.
#[derive(Debug, Clone)]
pub struct Row {
    endpoint: String,
    query: String,
    m: Measured,
    hello_rps: f64,
    share: f64,
}

impl Row {
    /// `m` for `endpoint` (loaded at `url`), against the hello-world's `hello_rps`.
    pub fn new(endpoint: &str, url: &str, m: Measured, hello_rps: f64) -> Row {
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
        Row {
            endpoint: endpoint.to_owned(),
            query: query.to_owned(),
            m,
            hello_rps,
            share: if hello_rps > 0.0 {
                m.rps / hello_rps
            } else {
                0.0
            },
        }
    }

    /// Whether it meets both targets with no failed request.
    pub fn passes(&self) -> bool {
        self.share >= MIN_SHARE && self.m.p99_ms < MAX_P99_MS && self.m.errors == 0
    }

    fn cells(&self) -> [String; 8] {
        let endpoint = if self.query.is_empty() {
            self.endpoint.clone()
        } else {
            format!("{}?{}", self.endpoint, self.query)
        };
        [
            endpoint,
            format!("{:.0}", self.m.rps),
            format!("{:.0}", self.hello_rps),
            format!("{:.0}%", self.share * 100.0),
            format!("{:.2}", self.m.p50_ms),
            format!("{:.2}", self.m.p99_ms),
            self.m.errors.to_string(),
            if self.passes() { "pass" } else { "FAIL" }.to_owned(),
        ]
    }

    /// The row as a table line.
    pub fn line(&self) -> String {
        format!("| {} |", self.cells().join(" | "))
    }
}

/// One backend's rows and the hello-world they are compared with.
pub struct Table {
    /// The hello-world's req/s, measured just before.
    pub hello_rps: f64,
    /// One per endpoint.
    pub rows: Vec<Row>,
}

/// The whole run's report, in Markdown.
pub struct Report {
    text: String,
}

const HEADER: &str =
    "| endpoint | req/s | hello req/s | % of hello | p50 ms | p99 ms | errors | result |\n\
     | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n";

impl Report {
    /// Starts the report with the run's settings.
    pub fn new(config: &Config) -> Report {
        let mut text = String::from("# API benchmark\n\n");
        let _ = writeln!(
            text,
            "Load: {}. Data: {} regtest blocks (windows of {}), {} Silicas, {} AMM pools. \
             Response cache: {}. Targets: ≥ {:.0}% of the hello-world's req/s and p99 < {} ms.\n",
            config
                .generator
                .describe(config.connections, config.duration),
            config.blocks,
            crate::fixture::WINDOW_LENGTH,
            crate::fixture::SILICAS,
            crate::fixture::AMM_POOLS,
            if config.cache { "on" } else { "off" },
            MIN_SHARE * 100.0,
            MAX_P99_MS,
        );
        Report { text }
    }

    /// The settings paragraph, for the console.
    pub fn heading(&self) -> &str {
        self.text.trim_end()
    }

    /// Adds `backend`'s table.
    pub fn add(&mut self, backend: &str, table: Table) {
        let passed = table.rows.iter().filter(|r| r.passes()).count();
        let _ = writeln!(
            self.text,
            "## {backend}\n\nhello-world: {:.0} req/s on average (each row is compared with \
             the hello-world run just before it). {passed} of {} rows pass.\n",
            table.hello_rps,
            table.rows.len()
        );
        self.text.push_str(HEADER);
        for row in &table.rows {
            self.text.push_str(&row.line());
            self.text.push('\n');
        }
        self.text.push('\n');
    }

    /// Notes that `backend` did not run.
    pub fn skip(&mut self, backend: &str, note: &str) {
        let _ = writeln!(self.text, "## {backend}\n\n{note}\n");
    }

    /// Writes `api.md` under `$CARGO_TARGET_DIR/bench` (else the workspace's
    /// `target/bench`); returns its path.
    pub fn write(&self) -> anyhow::Result<PathBuf> {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
        let dir = target.join("bench");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("api.md");
        std::fs::write(&path, &self.text)?;
        Ok(path)
    }
}
