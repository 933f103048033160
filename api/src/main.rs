//! The `api` binary: serves the public HTTP API over the indexer's database.
//! `api --help` lists the flags; settings layer as in every Alkahest binary.

use std::path::PathBuf;
use std::sync::Arc;

use alkahest_api::cache::{CacheLimits, ResponseCache};
use alkahest_api::chainstate::{ChainStore, Contracts};
use alkahest_api::observer::observer_router;
use alkahest_api::routes::proof::FromSource;
use alkahest_api::server::{serve_layers, Settings, LAYERS};
use alkahest_api::{router_with_chain, with_proof_source};
use alkahest_indexer::source::rpc::{RpcAuth, RpcSource};
use alkahest_indexer::storage::{with_store, DbRead, DbWrite, WithStore};
use alkahest_service::http::{serve, shutdown_signal, with_common_layers};
use alkahest_service::telemetry::{init_logs, Metrics};
use anyhow::Context;
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
    /// The chain-state database the event observer fills.
    #[arg(long)]
    chain_db: Option<String>,
    /// Address of the event-observer endpoint (keep it private).
    #[arg(long)]
    observer_listen: Option<String>,
    /// The principal that deployed the contracts.
    #[arg(long)]
    deployer: Option<String>,
    /// The Bitcoin network: bitcoin, testnet, signet or regtest.
    #[arg(long)]
    network: Option<bitcoin::Network>,
    /// A Bitcoin Core RPC URL to read full blocks from for proofs.
    #[arg(long)]
    proof_node_url: Option<String>,
    /// That node's cookie file.
    #[arg(long)]
    proof_rpc_cookie: Option<PathBuf>,
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
        if let Some(v) = &self.chain_db {
            s.chain_db = Some(v.clone());
        }
        if let Some(v) = self.network {
            s.network = v;
        }
        if let Some(v) = &self.observer_listen {
            s.observer_listen = v.clone();
        }
        if let Some(v) = &self.deployer {
            s.deployer = v.clone();
        }
        if let Some(v) = &self.proof_node_url {
            s.proof_node_url = Some(v.clone());
        }
        if let Some(v) = &self.proof_rpc_cookie {
            s.proof_rpc_cookie = Some(v.clone());
        }
    }
}

struct Serve(Settings, Metrics);

impl WithStore for Serve {
    type Output = anyhow::Result<()>;
    async fn run<D: DbRead + DbWrite + Clone + 'static>(self, store: D) -> anyhow::Result<()> {
        let Serve(settings, metrics) = self;
        let store = Arc::new(store);
        let cache = ResponseCache::new(CacheLimits::default());
        let (api, observer) = match &settings.chain_db {
            Some(url) => {
                let contracts = Contracts::of_deployer(&settings.deployer);
                let chain = Arc::new(ChainStore::open(url, contracts).await?);
                let observer = with_common_layers(
                    observer_router(chain.clone()),
                    "observer",
                    settings.timeout(),
                );
                cache
                    .spawn_refresh(store.clone(), Some(chain.clone()))
                    .await;
                (
                    router_with_chain(store, chain, settings.network),
                    Some(observer),
                )
            }
            None => {
                cache.spawn_refresh(store.clone(), None).await;
                (alkahest_api::router(store), None)
            }
        };
        let api = match (&settings.proof_node_url, &settings.proof_rpc_cookie) {
            (Some(url), Some(cookie)) => {
                let source = RpcSource::new(url, RpcAuth::Cookie(cookie.clone()))
                    .with_context(|| format!("proof_node_url {url}"))?;
                with_proof_source(api, Arc::new(FromSource::new(source)))
            }
            _ => api,
        };
        let app = serve_layers(api, Some(&cache), &metrics, &settings);
        let addr = settings.listen_addr().context("listen")?;
        let observer = match observer {
            Some(router) => {
                let addr = settings.observer_addr().context("observer_listen")?;
                Some(tokio::spawn(serve(
                    "event observer",
                    addr,
                    router,
                    shutdown_signal(),
                )))
            }
            None => None,
        };
        serve("API", addr, app, shutdown_signal()).await?;
        if let Some(task) = observer {
            task.await??;
        }
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
    // The API only reads windows the indexer computed: the work model is the indexer's.
    let work = alkahest_protocol::index::WorkModel::Header;
    with_store(&db, spec, work, false, Serve(settings, metrics)).await?
}
