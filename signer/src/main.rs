//! The `signer` binary: one signer of the M-of-N set as a long-running service
//! ([`alkahest_signer::service`]). `signer --help` lists the flags.

use std::path::PathBuf;

use alkahest_indexer::config::SourceKind;
use alkahest_service::http::shutdown_signal;
use alkahest_service::telemetry::{init_logs, Metrics};
use alkahest_signer::service::{run, Settings, LAYERS};
use clap::Parser;

/// Alkahest signer: attests Silica deliveries its own index verified.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML config file (overridden by SIGNER_* environment, then by flags).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Private key file (64 hex digits, mode 0600).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Address of this signer's endpoint, e.g. 127.0.0.1:18001.
    #[arg(long)]
    listen: Option<String>,
    /// The Stacks node's RPC URL.
    #[arg(long)]
    stacks_rpc: Option<String>,
    /// This signer's own index database: sqlite://path or postgres://...
    #[arg(long)]
    db: Option<String>,
    /// Bitcoin block source of its own index.
    #[arg(long, value_enum)]
    source: Option<SourceKind>,
    /// Bitcoin Core RPC or REST URL.
    #[arg(long)]
    node_url: Option<String>,
    /// Bitcoin Core cookie file.
    #[arg(long)]
    rpc_cookie: Option<PathBuf>,
}

impl Cli {
    fn apply(&self, s: &mut Settings) {
        if let Some(v) = &self.key_file {
            s.key_file = v.clone();
        }
        if let Some(v) = &self.listen {
            s.listen = v.clone();
        }
        if let Some(v) = &self.stacks_rpc {
            s.stacks_rpc = v.clone();
        }
        if let Some(v) = &self.db {
            s.indexer.db = v.clone();
        }
        if let Some(v) = self.source {
            s.indexer.source = v;
        }
        if let Some(v) = &self.node_url {
            s.indexer.rpc.url = v.clone();
            s.indexer.rest.url = v.clone();
        }
        if let Some(v) = &self.rpc_cookie {
            s.indexer.rpc.cookie_file = Some(v.clone());
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logs("info,sqlx=warn,tower_http=warn");
    let cli = Cli::parse();
    let mut settings: Settings = LAYERS.load_logged(cli.config.as_deref(), std::env::vars())?;
    cli.apply(&mut settings);
    run(settings, Metrics::install(), shutdown_signal()).await
}
