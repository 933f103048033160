//! The `api` binary: serves the public HTTP API over the indexer's database.
//! `api --help` lists the flags; settings layer as in every Alkahest binary.

use std::path::PathBuf;
use std::sync::Arc;

use alkahest_api::server::{serve_layers, Settings, LAYERS};
use alkahest_indexer::storage::{with_store, DbRead, DbWrite, WithStore};
use alkahest_service::http::{serve, shutdown_signal};
use alkahest_service::telemetry::{init_logs, Metrics};
use clap::Parser;

/// Alkahest HTTP API.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML config file (overridden by API_* environment, then by flags).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long)]
    listen: Option<String>,
    /// The indexer's database URL: sqlite://path or postgres://...
    #[arg(long)]
    db: Option<String>,
    /// Request timeout in milliseconds.
    #[arg(long)]
    request_timeout_ms: Option<u64>,
}

impl Cli {
    fn apply(&self, s: &mut Settings) {
        if let Some(v) = &self.listen {
            s.listen = v.clone();
        }
        if let Some(v) = &self.db {
            s.db = v.clone();
        }
        if let Some(v) = self.request_timeout_ms {
            s.request_timeout_ms = v;
        }
    }
}

struct Serve(Settings, Metrics);

impl WithStore for Serve {
    type Output = anyhow::Result<()>;
    async fn run<D: DbRead + DbWrite + Clone + 'static>(self, store: D) -> anyhow::Result<()> {
        let Serve(settings, metrics) = self;
        let app = serve_layers(alkahest_api::router(Arc::new(store)), &metrics, &settings);
        let addr = settings
            .listen_addr()
            .ok_or_else(|| anyhow::anyhow!("bad listen address {}", settings.listen))?;
        serve("API", addr, app, shutdown_signal()).await?;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logs("info,sqlx=warn,tower_http=warn");
    let cli = Cli::parse();
    let mut settings: Settings = LAYERS.load_logged(cli.config.as_deref(), std::env::vars())?;
    cli.apply(&mut settings);
    settings.validate()?;
    let metrics = Metrics::install();
    let (db, spec) = (settings.db.clone(), settings.window_spec());
    with_store(&db, spec, false, Serve(settings, metrics)).await?
}
