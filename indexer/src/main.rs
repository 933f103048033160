//! The `indexer` binary: `indexer run` follows a block source into a database,
//! `indexer verify` prints the sats a script or address received per window.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::io::IsTerminal;

use alkahest_indexer::chain::{Follower, FollowerConfig, Progress};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::config::{Settings, SourceKind};
use alkahest_indexer::source::blk::BlkSource;
use alkahest_indexer::source::regtest::{ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::rest::RestSource;
use alkahest_indexer::source::rpc::{RpcAuth, RpcSource};
use alkahest_indexer::source::zmq::spawn_wake;
use alkahest_indexer::source::{BlockSource, RegtestSource};
use alkahest_indexer::storage::{DbRead, DbWrite, PgStore, SqliteStore};
use alkahest_indexer::types::Height;
use anyhow::{bail, Context};
use bitcoin::{Address, Amount, Network, ScriptBuf};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

/// Alkahest Bitcoin indexer.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML config file (overridden by INDEXER_* environment, then by flags).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Index blocks from a source, then follow the tip (or exit at it).
    Run(RunArgs),
    /// Print the sats a script or address received per window.
    Verify(VerifyArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum SourceArg {
    Rpc,
    Rest,
    Blk,
    Regtest,
}

#[derive(Args)]
struct DbArgs {
    /// Database URL: sqlite://path or postgres://...
    #[arg(long)]
    db: Option<String>,
    /// bitcoin, testnet, signet or regtest.
    #[arg(long)]
    network: Option<Network>,
    /// First height of window 0.
    #[arg(long)]
    window_origin: Option<u32>,
    /// Blocks per window.
    #[arg(long)]
    window_length: Option<u32>,
    /// Apply pending schema migrations.
    #[arg(long)]
    migrate_db: bool,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Block source.
    #[arg(long, value_enum)]
    source: Option<SourceArg>,
    /// First height to index on an empty database.
    #[arg(long)]
    start_height: Option<u32>,
    /// Blocks per transaction while backfilling.
    #[arg(long)]
    batch_size: Option<u32>,
    /// blk*.dat directory (source blk).
    #[arg(long)]
    blk_dir: Option<PathBuf>,
    /// Bitcoin Core RPC or REST URL.
    #[arg(long)]
    node_url: Option<String>,
    /// Bitcoin Core cookie file (source rpc).
    #[arg(long)]
    rpc_cookie: Option<PathBuf>,
    /// Parallel REST block fetches.
    #[arg(long)]
    rest_parallel: Option<usize>,
    /// pools-v2.json path.
    #[arg(long)]
    pools_file: Option<PathBuf>,
    /// Exit when the source's tip is reached (always for blk).
    #[arg(long)]
    exit_at_tip: bool,
    /// Bitcoin Core -zmqpubhashblock endpoint (rpc and rest sources).
    #[arg(long)]
    zmq_hashblock: Option<String>,
    /// Hex script or address to watch; repeatable.
    #[arg(long)]
    watch: Vec<String>,
    /// Blocks to generate (source regtest).
    #[arg(long)]
    regtest_blocks: Option<u32>,
}

#[derive(Args)]
struct VerifyArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Hex scriptPubKey or address.
    target: String,
    /// First height.
    #[arg(long)]
    from: u32,
    /// Last height.
    #[arg(long)]
    to: u32,
}

fn apply_db_args(s: &mut Settings, a: &DbArgs) {
    if let Some(v) = &a.db {
        s.db = v.clone();
    }
    if let Some(v) = a.network {
        s.network = v;
    }
    if let Some(v) = a.window_origin {
        s.window_origin = v;
    }
    if let Some(v) = a.window_length {
        s.window_length = v;
    }
}

fn apply_run_args(s: &mut Settings, a: &RunArgs) {
    apply_db_args(s, &a.db);
    if let Some(v) = a.source {
        s.source = match v {
            SourceArg::Rpc => SourceKind::Rpc,
            SourceArg::Rest => SourceKind::Rest,
            SourceArg::Blk => SourceKind::Blk,
            SourceArg::Regtest => SourceKind::Regtest,
        };
    }
    if let Some(v) = a.start_height {
        s.start_height = v;
    }
    if let Some(v) = a.batch_size {
        s.batch_size = v;
    }
    if let Some(v) = &a.blk_dir {
        s.blk.dir = Some(v.clone());
    }
    if let Some(v) = &a.node_url {
        s.rpc.url = v.clone();
        s.rest.url = v.clone();
    }
    if let Some(v) = &a.rpc_cookie {
        s.rpc.cookie_file = Some(v.clone());
    }
    if let Some(v) = a.rest_parallel {
        s.rest.parallel = v;
    }
    if let Some(v) = &a.pools_file {
        s.pools_file = Some(v.clone());
    }
    if let Some(v) = &a.zmq_hashblock {
        s.zmq_hashblock = Some(v.clone());
    }
    if a.exit_at_tip {
        s.exit_at_tip = true;
    }
    s.watch.extend(a.watch.iter().cloned());
    if let Some(v) = a.regtest_blocks {
        s.regtest.blocks = v;
    }
}

fn parse_script(target: &str, network: Network) -> anyhow::Result<ScriptBuf> {
    if let Ok(addr) = Address::from_str(target) {
        let addr = addr
            .require_network(network)
            .with_context(|| format!("{target} is not a {network} address"))?;
        return Ok(addr.script_pubkey());
    }
    ScriptBuf::from_hex(target)
        .with_context(|| format!("{target} is neither an address nor a hex script"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut settings = Settings::load(cli.config.as_deref(), std::env::vars())?;
    match &cli.command {
        Command::Run(a) => {
            apply_run_args(&mut settings, a);
            settings.validate()?;
            let migrate = a.db.migrate_db;
            with_store(&settings, migrate, |store| run(settings.clone(), store)).await
        }
        Command::Verify(a) => {
            apply_db_args(&mut settings, &a.db);
            settings.validate()?;
            let script = parse_script(&a.target, settings.network)?;
            let (from, to) = (Height(a.from), Height(a.to));
            with_store(&settings, a.db.migrate_db, |store| {
                verify(store, script, from, to)
            })
            .await
        }
    }
}

async fn with_store<F, Fut1, Fut2>(settings: &Settings, migrate: bool, f: F) -> anyhow::Result<()>
where
    F: FnOnce(StoreKind) -> Fut1,
    Fut1: std::future::Future<Output = Fut2>,
    Fut2: Sized,
    Fut2: Into<anyhow::Result<()>>,
{
    let spec = settings.window_spec();
    let store = if settings.db.starts_with("postgres:") || settings.db.starts_with("postgresql:") {
        StoreKind::Pg(PgStore::open(&settings.db, spec, migrate).await?)
    } else if settings.db.starts_with("sqlite:") {
        StoreKind::Sqlite(SqliteStore::open(&settings.db, spec, migrate).await?)
    } else {
        bail!("unsupported database URL {}", settings.db);
    };
    f(store).await.into()
}

enum StoreKind {
    Sqlite(SqliteStore),
    Pg(PgStore),
}

async fn run(settings: Settings, store: StoreKind) -> anyhow::Result<()> {
    match store {
        StoreKind::Sqlite(s) => run_on(settings, s).await,
        StoreKind::Pg(s) => run_on(settings, s).await,
    }
}

async fn verify(
    store: StoreKind,
    script: ScriptBuf,
    from: Height,
    to: Height,
) -> anyhow::Result<()> {
    match store {
        StoreKind::Sqlite(s) => verify_on(&s, &script, from, to).await,
        StoreKind::Pg(s) => verify_on(&s, &script, from, to).await,
    }
}

async fn verify_on<D: DbRead>(
    store: &D,
    script: &ScriptBuf,
    from: Height,
    to: Height,
) -> anyhow::Result<()> {
    let deliveries = store.delivered_by_window(script, from, to).await?;
    let spec = store.window_spec();
    println!("script {} heights {from}..={to}", script.to_hex_string());
    println!(
        "{:>8} {:>12} {:>16} {:>8}",
        "window", "first_height", "delivered_sats", "outputs"
    );
    let mut total = Amount::ZERO;
    for d in &deliveries {
        let first = spec
            .first_height(d.window)
            .map_or_else(|| "-".to_owned(), |h| h.to_string());
        println!(
            "{:>8} {:>12} {:>16} {:>8}",
            d.window,
            first,
            d.sats.to_sat(),
            d.outputs
        );
        total = total
            .checked_add(d.sats)
            .context("delivery total overflows")?;
    }
    println!(
        "total {} sats in {} windows",
        total.to_sat(),
        deliveries.len()
    );
    Ok(())
}

async fn run_on<D: DbRead + DbWrite>(settings: Settings, store: D) -> anyhow::Result<()> {
    let pools = match &settings.pools_file {
        Some(path) => {
            let pools = PoolSet::load(path)?;
            store.upsert_pools(&pools).await?;
            tracing::info!(pools = pools.len(), path = %path.display(), "loaded pools");
            pools
        }
        None => PoolSet::default(),
    };
    for w in &settings.watch {
        let script = parse_script(w, settings.network)?;
        store.watch_script(&script, w).await?;
    }
    let config = FollowerConfig {
        network: settings.network,
        start_height: Height(settings.start_height),
        batch_size: settings.batch_size,
        poll_interval: Duration::from_millis(settings.poll_interval_ms),
        ..FollowerConfig::default()
    };
    match settings.source {
        SourceKind::Blk => {
            let dir = settings.blk.dir.as_deref().context("blk.dir is required")?;
            let source = BlkSource::open(dir, settings.network, None)?;
            let tree = source.tree();
            if tree.tip().is_none() {
                bail!(
                    "nothing can be indexed from {}: {} blocks found, none connects to the \
                     {} genesis block or to a BIP-0034 height",
                    dir.display(),
                    tree.orphans(),
                    settings.network
                );
            }
            follow(&mut follower(source, store, pools, config), true).await
        }
        SourceKind::Rpc => {
            let auth = match (
                &settings.rpc.cookie_file,
                &settings.rpc.user,
                &settings.rpc.password,
            ) {
                (Some(c), _, _) => RpcAuth::Cookie(c.clone()),
                (None, Some(u), Some(p)) => RpcAuth::UserPass(u.clone(), p.clone()),
                _ => bail!("rpc needs rpc.cookie_file, or rpc.user and rpc.password"),
            };
            let source = RpcSource::new(&settings.rpc.url, auth)?;
            let mut f = with_zmq(follower(source, store, pools, config), &settings);
            follow(&mut f, settings.exit_at_tip).await
        }
        SourceKind::Rest => {
            let source = RestSource::new(&settings.rest.url, settings.rest.parallel);
            let mut f = with_zmq(follower(source, store, pools, config), &settings);
            follow(&mut f, settings.exit_at_tip).await
        }
        SourceKind::Regtest => {
            if settings.network != Network::Regtest {
                bail!("source regtest needs network regtest");
            }
            let mut spec =
                CoinbaseSpec::default().with_fees(Amount::from_sat(settings.regtest.fees_sats));
            for s in &settings.regtest.payout_scripts {
                spec = spec.pay(
                    parse_script(s, settings.network)?,
                    Amount::from_sat(settings.regtest.payout_sats),
                );
            }
            let mut chain = ChainBuilder::new();
            for _ in 0..settings.regtest.blocks {
                chain.mine_on_tip(&spec)?;
            }
            let source = RegtestSource::new(Arc::new(Mutex::new(chain)));
            follow(&mut follower(source, store, pools, config), true).await
        }
    }
}

/// Draws the follower's sync progress on stderr; the binary owns the terminal.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&mut self, from: Height, to: Height) {
        self.0
            .set_length(u64::from((to.0 + 1).saturating_sub(from.0)));
        self.0.set_position(0);
        self.0.reset_eta();
    }
    fn applied(&mut self, blocks: u32) {
        self.0.inc(u64::from(blocks));
    }
    fn finish(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A follower drawing a progress bar when stderr is a terminal.
fn follower<S: BlockSource, D: DbRead + DbWrite>(
    source: S,
    store: D,
    pools: PoolSet,
    config: FollowerConfig,
) -> Follower<S, D> {
    let f = Follower::new(source, store, pools, config);
    if !std::io::stderr().is_terminal() {
        return f;
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} blocks  {per_sec}  eta {eta}")
    {
        bar.set_style(style);
    }
    f.with_progress(Bar(bar))
}

fn with_zmq<S: BlockSource, D: DbRead + DbWrite>(
    f: Follower<S, D>,
    settings: &Settings,
) -> Follower<S, D> {
    match &settings.zmq_hashblock {
        Some(endpoint) => {
            let wake = Arc::new(tokio::sync::Notify::new());
            drop(spawn_wake(endpoint.clone(), wake.clone()));
            f.with_wake(wake)
        }
        None => f,
    }
}

async fn follow<S: BlockSource, D: DbRead + DbWrite>(
    f: &mut Follower<S, D>,
    exit_at_tip: bool,
) -> anyhow::Result<()> {
    if exit_at_tip {
        let n = f.sync().await?;
        let tip = f.store().tip().await?;
        tracing::info!(blocks = n, tip = ?tip, "reached the source's tip");
        return Ok(());
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    };
    f.run(shutdown).await?;
    Ok(())
}
