//! Running the indexer as a service: open the configured block source, load pools and
//! watched scripts, then follow the source into a store until the tip (for a one-shot
//! source or `exit_at_tip`) or until shutdown. The `indexer` binary and the `signer`
//! binary (which keeps its own index) both run this.

use std::future::Future;
use std::io::IsTerminal;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use bitcoin::{Address, Amount, Network, ScriptBuf};
use indicatif::{ProgressBar, ProgressStyle};

use crate::chain::{Follower, FollowerConfig, Progress};
use crate::coinbase::PoolSet;
use crate::config::{Settings, SourceKind};
use crate::source::blk::BlkSource;
use crate::source::regtest::{ChainBuilder, CoinbaseSpec};
use crate::source::rest::RestSource;
use crate::source::rpc::{RpcAuth, RpcSource};
use crate::source::zmq::spawn_wake;
use crate::source::{BlockSource, RegtestSource};
use crate::storage::{DbRead, DbWrite};
use crate::types::Height;

/// A Bitcoin address (of `network`) or a hex scriptPubKey, as a script.
///
/// # Errors
/// Neither, naming `target`.
pub fn parse_script(target: &str, network: Network) -> anyhow::Result<ScriptBuf> {
    if let Ok(addr) = Address::from_str(target) {
        let addr = addr
            .require_network(network)
            .with_context(|| format!("{target} is not a {network} address"))?;
        return Ok(addr.script_pubkey());
    }
    ScriptBuf::from_hex(target)
        .with_context(|| format!("{target} is neither an address nor a hex script"))
}

/// Follows the source `settings` name into `store` until its tip (blk and regtest
/// sources, or `exit_at_tip`) or until `shutdown` resolves.
///
/// # Errors
/// A source or store that fails, or settings that name no usable source.
pub async fn follow_source<D: DbRead + DbWrite>(
    settings: &Settings,
    store: D,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
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
        store
            .watch_script(&script, w, Height(settings.start_height))
            .await?;
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
            follow(&mut follower(source, store, pools, config), true, shutdown).await
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
            let mut f = with_zmq(follower(source, store, pools, config), settings);
            follow(&mut f, settings.exit_at_tip, shutdown).await
        }
        SourceKind::Rest => {
            let source = RestSource::new(&settings.rest.url, settings.rest.parallel);
            let mut f = with_zmq(follower(source, store, pools, config), settings);
            follow(&mut f, settings.exit_at_tip, shutdown).await
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
            follow(&mut follower(source, store, pools, config), true, shutdown).await
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
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    if exit_at_tip {
        let n = f.sync().await?;
        let tip = f.store().tip().await?;
        tracing::info!(blocks = n, tip = ?tip, "reached the source's tip");
        return Ok(());
    }
    f.run(shutdown).await?;
    Ok(())
}
