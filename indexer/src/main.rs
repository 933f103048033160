//! The `indexer` binary: `indexer run` follows a block source into a database,
//! `indexer verify` prints the sats a script or address received per window.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

use alkahest_indexer::config::{Settings, SourceKind};
use alkahest_indexer::storage::{with_store, DbRead, DbWrite, WithStore};
use alkahest_indexer::types::Height;
use anyhow::Context;
use bitcoin::{Amount, Network, ScriptBuf};
use clap::{Args, Parser, Subcommand};

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
    source: Option<SourceKind>,
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
        s.source = v;
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    alkahest_service::telemetry::init_logs("info,sqlx=warn");
    let cli = Cli::parse();
    let mut settings = Settings::load(cli.config.as_deref(), std::env::vars())?;
    match &cli.command {
        Command::Run(a) => {
            apply_run_args(&mut settings, a);
            settings.validate()?;
            let (db, spec) = (settings.db.clone(), settings.window_spec());
            let work = settings.work_model();
            with_store(&db, spec, work, a.db.migrate_db, Run(settings)).await?
        }
        Command::Verify(a) => {
            apply_db_args(&mut settings, &a.db);
            settings.validate()?;
            let script = alkahest_indexer::service::parse_script(&a.target, settings.network)?;
            let verify = Verify {
                script,
                from: Height(a.from),
                to: Height(a.to),
            };
            let spec = settings.window_spec();
            with_store(
                &settings.db,
                spec,
                settings.work_model(),
                a.db.migrate_db,
                verify,
            )
            .await?
        }
    }
}

/// `indexer run` on whichever database the settings name.
struct Run(Settings);

impl WithStore for Run {
    type Output = anyhow::Result<()>;
    async fn run<D: DbRead + DbWrite + Clone + 'static>(self, store: D) -> anyhow::Result<()> {
        alkahest_indexer::service::follow_source(
            &self.0,
            store,
            alkahest_service::http::shutdown_signal(),
        )
        .await
    }
}

/// `indexer verify` on whichever database the settings name.
struct Verify {
    script: ScriptBuf,
    from: Height,
    to: Height,
}

impl WithStore for Verify {
    type Output = anyhow::Result<()>;
    async fn run<D: DbRead + DbWrite + Clone + 'static>(self, store: D) -> anyhow::Result<()> {
        verify_on(&store, &self.script, self.from, self.to).await
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
