//! The Alkahest devnet: Bitcoin (a regtest generator mined by simulated pools), the
//! Clarity simnet with every contract, an indexer, three signers (2-of-3) and the API,
//! in one process, running a scenario and logging every step.
//!
//! It is the composition root: it depends on every other crate and none depends on
//! it. All state lives in one data folder (`./devnet-data` by default): the Bitcoin
//! blocks, one SQLite index for the API and one per signer, and the log of every Stacks
//! transaction, so a restart resumes where it stopped.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use clap::Parser;
//! let config = alkahest_devnet::config::DevnetConfig::parse_from(["devnet", "--exit-when-done"]);
//! let summary = alkahest_devnet::run(config, std::future::pending()).await?;
//! println!("{summary:?}");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod bitcoind;
pub mod chain;
pub mod config;
pub mod emily;
pub mod events;
mod figures;
pub mod governance;
pub mod lending;
pub mod node;
pub mod processes;
mod report;
pub mod sbtc_signers;
pub mod scenario;
pub mod signers;
pub mod stacks;

use bitcoin::hashes::Hash as _;
use std::future::Future;
use std::sync::{Arc, Mutex};

use alkahest_indexer::chain::Follower;
use alkahest_indexer::source::RegtestSource;
use alkahest_indexer::storage::SqliteStore;
use alkahest_indexer::types::{Height, WindowSpec};
use alkahest_protocol::index::WorkModel;
use alkahest_signer::attest::SignerConfig;
use anyhow::Context;

pub use report::deployment_report;

use crate::chain::Bitcoin;
use crate::config::DevnetConfig;
use crate::scenario::{Actors, Progress};
use crate::signers::Signers;
use crate::stacks::Stacks;

/// Readable lines describing every step, also emitted through `tracing`.
#[derive(Clone, Default)]
pub struct EventLog(Arc<Mutex<Vec<String>>>);

impl EventLog {
    /// Records a line.
    pub fn line(&self, text: impl Into<String>) {
        let text = text.into();
        tracing::info!("{text}");
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(text);
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Final sBTC balances and state, for the caller (and the end-to-end test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Bitcoin blocks mined in total.
    pub height: u32,
    /// The Silica's final status code (2 finished, 3 defaulted), if one was created.
    pub silica_status: Option<u128>,
    /// sBTC of the miner, then each buyer.
    pub balances: Vec<(String, u128)>,
}

/// The running network.
pub struct Devnet {
    config: DevnetConfig,
    btc: Bitcoin,
    api_store: SqliteStore,
    api_follower: Follower<RegtestSource, SqliteStore>,
    signers: Signers,
    stacks: Stacks,
    actors: Actors,
    progress: Progress,
    log: EventLog,
    /// `--settlement deposits`: the in-process Emily, the stand-in sBTC signers and the
    /// forwards' progress (scenario/settling.rs).
    emily: std::sync::Arc<emily::Emily>,
    sbtc: sbtc_signers::SbtcSigners,
    book: scenario::settling::Book,
}

impl Devnet {
    /// Opens the data folder, rebuilds the chain and the simnet from it, and starts
    /// the signers' endpoints.
    ///
    /// # Errors
    /// Unreadable data, or a port or database that cannot be opened.
    pub async fn open(config: DevnetConfig, log: EventLog) -> anyhow::Result<Devnet> {
        prepare_data_dir(&config.data_dir, config.reset)?;
        let btc = Bitcoin::open(&config.data_dir)?;
        let (tip, _) = btc.tip();
        let spec = WindowSpec {
            origin: Height(0),
            length: config.window_length.max(1),
        };
        let work_model = WorkModel::SimulatedDifficulty(config.simulated_difficulty);
        let (api_store, mut api_follower) = signers::follow(
            &config.data_dir.join("indexer.sqlite"),
            btc.shared(),
            spec,
            chain::pool_set(),
            work_model,
        )
        .await?;
        api_follower.sync().await?;
        let signer_config = SignerConfig {
            confirmations: config.confirmations,
            binding: alkahest_clarity::binding(),
            work_model,
        };
        let mut signers =
            Signers::start(&config.data_dir, btc.shared(), spec, (3, 2), signer_config).await?;
        signers.sync().await?;
        let stacks = Stacks::open(&config.data_dir, &btc).await?;
        let actors = Actors::load()?;
        let book = scenario::settling::Book::open(&config.data_dir)?;
        if tip.0 > 0 {
            log.line(format!(
                "resumed from {}: Bitcoin height {}, Stacks burn height {}",
                config.data_dir.display(),
                tip.0,
                stacks.burn_height()
            ));
        }
        Ok(Devnet {
            config,
            btc,
            api_store,
            api_follower,
            signers,
            stacks,
            actors,
            progress: Progress::default(),
            log,
            emily: scenario::settling::emily(),
            sbtc: scenario::settling::sbtc_signers(),
            book,
        })
    }

    /// The API's store.
    pub fn api_store(&self) -> SqliteStore {
        self.api_store.clone()
    }

    /// The simnet client (for the API's Silica view).
    pub fn stacks(&self) -> &Stacks {
        &self.stacks
    }

    /// Whether the scenario has settled.
    pub fn done(&self) -> bool {
        self.progress.done
    }

    /// Mines one Bitcoin block and one Stacks block, indexes, and runs the scenario.
    ///
    /// # Errors
    /// Any component failing; the data folder stays consistent for a restart.
    pub async fn step(&mut self) -> anyhow::Result<()> {
        let next = self.btc.tip().0 .0 + 1;
        let spec = self.coinbase_for(next)?;
        let (height, block) = self.btc.mine(&spec)?;
        self.book.mined()?;
        self.api_follower.sync().await?;
        self.signers.sync().await?;
        let mut hash = block.block_hash().to_byte_array();
        hash.reverse();
        self.stacks.mine(height.0, hash).await;
        self.act(height.0).await
    }

    /// The Bitcoin tip height.
    pub fn height(&self) -> u32 {
        self.btc.tip().0 .0
    }

    /// What the run ended with.
    pub fn summary(&self) -> Summary {
        let mut balances = Vec::new();
        for (name, addr) in self.actors.named() {
            balances.push((name.to_string(), self.sbtc(&addr)));
        }
        Summary {
            height: self.height(),
            silica_status: self.silica_status(1),
            balances,
        }
    }
}

/// Runs the devnet until `shutdown` resolves (or, with `--exit-when-done`, until the
/// scenario settles), serving the API meanwhile.
///
/// # Errors
/// Startup failures and component errors.
pub async fn run(
    config: DevnetConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<Summary> {
    run_with(config, shutdown, EventLog::default(), None, None).await
}

/// [`run`], with the event log supplied, the API's bound address reported on
/// `api_bound`, and an optional block limit (for tests: stop after that height).
///
/// # Errors
/// As [`run`].
pub async fn run_with(
    config: DevnetConfig,
    shutdown: impl Future<Output = ()>,
    log: EventLog,
    api_bound: Option<tokio::sync::oneshot::Sender<std::net::SocketAddr>>,
    stop_at: Option<u32>,
) -> anyhow::Result<Summary> {
    let block_time = config.block_time;
    let exit_when_done = config.exit_when_done;
    let stacks_rpc_addr = config.stacks_rpc_addr;
    if config.processes && config.delivery == config::Delivery::Proofs {
        anyhow::bail!("--delivery proofs cannot run with --processes: the signer processes attest every window themselves");
    }
    let mut devnet = Devnet::open(config.clone(), log.clone()).await?;
    // Bound first: the signer processes are configured with its address.
    let rpc_listener = tokio::net::TcpListener::bind(stacks_rpc_addr)
        .await
        .with_context(|| format!("binding the Stacks RPC to {stacks_rpc_addr}"))?;
    let rpc_local = rpc_listener.local_addr()?;
    let rpc_url = format!("http://{rpc_local}");
    // Dropped on every way out of this function: stops the servers and the children.
    let mut serving = if config.processes {
        start_processes(&devnet, &config, &rpc_url, &log).await?
    } else {
        serve_in_process(&devnet, &config).await?
    };
    log.line(format!("API listening on http://{}", serving.api));
    if let Some(tx) = api_bound {
        let _ = tx.send(serving.api);
    }
    if config.processes {
        log.line(
            "[processes] windows are attested by the signer processes; peg-in deposits and \
             forwards into sBTC deposits are still signed by the devnet's in-process signers",
        );
    }
    log.line(format!("Stacks RPC listening on {rpc_url}"));
    devnet.signers.connect(&rpc_url)?;
    log.line(format!(
        "Emily (sBTC deposits API) listening on {rpc_url}/emily"
    ));
    let rpc_server = tokio::spawn(node::serve_with_emily(
        rpc_listener,
        devnet.stacks().clone(),
        devnet.emily.clone(),
    ));
    serving.tasks.push(rpc_server.abort_handle());
    let http = reqwest::Client::new();
    events::post_blocks(&http, &serving.observer, devnet.stacks().take_new_blocks()).await?;
    tokio::pin!(shutdown);
    let mut ticker = tokio::time::interval(block_time);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = &mut shutdown => {
                log.line("shutting down: data is saved, run again to resume");
                break;
            }
            _ = ticker.tick() => {
                serving.check()?;
                devnet.step().await?;
                events::post_blocks(&http, &serving.observer, devnet.stacks().take_new_blocks()).await?;
                let height = devnet.height();
                if (exit_when_done && devnet.done()) || stop_at.is_some_and(|h| height >= h) {
                    break;
                }
            }
        }
    }
    Ok(devnet.summary())
}

/// Whatever serves the API and receives the Stacks events for this run. Dropping it
/// aborts its tasks and, with `--processes`, kills the child processes.
struct Serving {
    /// The public API's address.
    api: std::net::SocketAddr,
    /// Base URL of the event observer the devnet posts `/new_block` to.
    observer: String,
    tasks: Vec<tokio::task::AbortHandle>,
    /// With `--processes`: the children, then the bitcoind RPC they follow (dropped
    /// in that order, so no child sees the cookie vanish).
    processes: Option<(processes::Processes, bitcoind::BitcoindRpc)>,
}

impl Serving {
    /// Fails when a child process has stopped.
    fn check(&mut self) -> anyhow::Result<()> {
        match &mut self.processes {
            Some((p, _)) => p.check(),
            None => Ok(()),
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The default: the API and the event observer in this process.
async fn serve_in_process(devnet: &Devnet, config: &DevnetConfig) -> anyhow::Result<Serving> {
    let chain_db = config.data_dir.join("chainstate.sqlite");
    let (chain, observer, observer_task) =
        start_observer(&chain_db, devnet.stacks().deployer()).await?;
    let governance = governance::SimnetGovernance::new(
        devnet.stacks().client().clone(),
        devnet.stacks().deployer(),
    );
    let lending =
        lending::SimnetLending::new(devnet.stacks().client().clone(), devnet.stacks().deployer());
    let app = alkahest_api::router_with_sources(
        Arc::new(devnet.api_store()),
        Some(chain),
        Arc::new(governance),
        Arc::new(lending),
        bitcoin::Network::Regtest,
    );
    // Proofs of the devnet's blocks, from its own regtest chain.
    let app = alkahest_api::with_proof_source(
        app,
        Arc::new(alkahest_api::routes::proof::FromSource::new(
            RegtestSource::new(devnet.btc.shared()),
        )),
    );
    // Served as the `api` binary serves it (dashboard, CORS, compression, timeout,
    // metrics) but without the response cache: a devnet reader sees each block at once.
    let app = alkahest_api::server::serve_layers(
        app,
        None,
        &alkahest_service::telemetry::Metrics::install(),
        &alkahest_api::server::Settings::default(),
    );
    let api_addr = config.api_addr;
    let listener = tokio::net::TcpListener::bind(api_addr)
        .await
        .with_context(|| format!("binding the API to {api_addr}"))?;
    let api = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Serving {
        api,
        observer,
        tasks: vec![server.abort_handle(), observer_task.abort_handle()],
        processes: None,
    })
}

/// `--processes`: the chain as a bitcoind RPC, and the indexer, signer and api
/// binaries as children ([`processes`]).
async fn start_processes(
    devnet: &Devnet,
    config: &DevnetConfig,
    stacks_rpc: &str,
    log: &EventLog,
) -> anyhow::Result<Serving> {
    let data_dir = std::path::absolute(&config.data_dir)
        .with_context(|| format!("resolving {}", config.data_dir.display()))?;
    let bitcoind =
        bitcoind::BitcoindRpc::start(devnet.btc.shared(), &data_dir, config.bitcoin_rpc_addr)
            .await?;
    log.line(format!(
        "bitcoind RPC listening on {} (cookie {})",
        bitcoind.url(),
        bitcoind.cookie_file().display()
    ));
    let mut keys = Vec::new();
    for i in 0..devnet.signers.nodes.len() {
        let key = signers::signer_key(&data_dir, i)?;
        keys.push((data_dir.join(format!("signer-{i}.key")), key.public_key()));
    }
    let plan = processes::Plan {
        data_dir: &data_dir,
        bitcoind: &bitcoind,
        stacks_rpc,
        deployer: devnet.stacks().deployer(),
        api_addr: config.api_addr,
        window_length: config.window_length,
        confirmations: config.confirmations,
        simulated_difficulty: config.simulated_difficulty,
        signers: keys,
        // The demo's one Silica: its script is fixed by its id and the signer set.
        watch: vec![alkahest_protocol::script::payout_script(
            &alkahest_clarity::binding(),
            1,
            &devnet.signers.keys(),
            devnet.signers.threshold,
        )
        .map_err(|e| anyhow::anyhow!("the payout script of silica 1: {e}"))?],
    };
    let children = processes::Processes::start(&plan).await?;
    log.line(format!(
        "[processes] indexer, signer-0..2 and api started from {} (pids {:?}); their logs are in {}",
        processes::binary_dir()?.display(),
        children.pids(),
        data_dir.join("logs").display()
    ));
    Ok(Serving {
        api: children.api_addr,
        observer: children.observer_url.clone(),
        tasks: Vec::new(),
        processes: Some((children, bitcoind)),
    })
}

/// Opens the chain-state store at `path` (following `deployer`'s contracts) and
/// serves the event observer on its own loopback port, as a stacks-node's
/// `[[events_observer]]` would be configured; returns the store and the observer's
/// base URL.
///
/// # Errors
/// The store cannot be opened or the port bound.
async fn start_observer(
    path: &std::path::Path,
    deployer: &str,
) -> anyhow::Result<(
    Arc<alkahest_api::chainstate::ChainStore>,
    String,
    tokio::task::JoinHandle<std::io::Result<()>>,
)> {
    use alkahest_api::chainstate::{ChainStore, Contracts};
    let url = format!("sqlite://{}", path.display());
    let chain = Arc::new(
        ChainStore::open(&url, Contracts::of_deployer(deployer))
            .await
            .with_context(|| format!("opening the chain-state store {url}"))?,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = alkahest_api::observer::observer_router(chain.clone());
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((chain, base, task))
}

/// The file that marks a folder as the devnet's own: `--reset` deletes only a folder
/// that has it, never an arbitrary path a user mistyped.
pub const DATA_DIR_MARKER: &str = ".alkahest-devnet";

/// Creates `dir` (with its marker) or, with `reset`, deletes and recreates it, but only
/// if the devnet created it. A non-empty folder without the marker is refused too, so
/// the devnet never writes its files into someone else's folder.
///
/// # Errors
/// A folder that is not the devnet's, or an I/O failure, naming the path.
pub fn prepare_data_dir(dir: &std::path::Path, reset: bool) -> anyhow::Result<()> {
    let marker = dir.join(DATA_DIR_MARKER);
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
        if !empty && !marker.is_file() {
            anyhow::bail!(
                "{} is not a devnet data folder (no {DATA_DIR_MARKER} marker): refusing to {} it; \
                 choose another --data-dir",
                dir.display(),
                if reset { "delete" } else { "use" }
            );
        }
        if reset && !empty {
            std::fs::remove_dir_all(dir).with_context(|| format!("resetting {}", dir.display()))?;
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(
        &marker,
        "created by the Alkahest devnet; `devnet --reset` may delete this folder\n",
    )
    .with_context(|| format!("writing {}", marker.display()))?;
    Ok(())
}

#[cfg(test)]
mod data_dir_tests {
    use super::*;

    #[test]
    fn reset_deletes_only_the_devnets_own_folder() {
        let root = tempfile::tempdir().unwrap();
        let mine = root.path().join("devnet-data");
        prepare_data_dir(&mine, false).unwrap();
        std::fs::write(mine.join("blocks"), "x").unwrap();
        prepare_data_dir(&mine, true).unwrap();
        assert!(
            !mine.join("blocks").exists(),
            "reset cleared the devnet's folder"
        );
        assert!(mine.join(DATA_DIR_MARKER).is_file());

        // A user's folder (no marker) is neither deleted nor written into.
        let theirs = root.path().join("home");
        std::fs::create_dir_all(&theirs).unwrap();
        std::fs::write(theirs.join("thesis.tex"), "precious").unwrap();
        for reset in [true, false] {
            let e = prepare_data_dir(&theirs, reset).unwrap_err().to_string();
            assert!(e.contains("home") && e.contains(DATA_DIR_MARKER), "{e}");
        }
        assert_eq!(
            std::fs::read_to_string(theirs.join("thesis.tex")).unwrap(),
            "precious"
        );
        assert!(!theirs.join(DATA_DIR_MARKER).exists());
        // An empty folder may become a devnet folder.
        let empty = root.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        prepare_data_dir(&empty, true).unwrap();
    }
}
