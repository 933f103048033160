//! `devnet --processes`: the same network with the production binaries as separate OS
//! processes, each configured as an operator would configure it.
//!
//! The devnet keeps the chain, the Clarity simnet, its Stacks RPC and the scenario, and
//! serves the regtest chain as a Bitcoin Core RPC ([`crate::bitcoind`]). It starts,
//! from the folder of its own executable: one `indexer` (`--source rpc` against that
//! RPC with the cookie), three `signer`s (each with its own config file, the devnet's
//! `signer-<i>.key`, its own index over the same RPC, the devnet's Stacks RPC, the two
//! others as peers, threshold 2) and the `api` (the indexer's database, its own
//! chain-state store, the event observer the devnet posts blocks to). Config files are
//! written to `<data>/processes/`, each child's output goes to `<data>/logs/<name>.log`.
//!
//! Every child is stopped and reaped when [`Processes`] is dropped, so the devnet
//! leaves none behind whether it ends normally, with an error, on Ctrl-C or by a panic:
//! SIGTERM first (each binary shuts down cleanly), SIGKILL after a grace period (every
//! store is a crash-safe database and the next start resumes from it). Only a devnet
//! itself killed with SIGKILL cannot clean up.

use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alkahest_indexer::storage::SqliteStore;
use alkahest_indexer::types::{Height, WindowSpec};
use alkahest_protocol::CompressedKey;
use anyhow::{bail, Context};

use crate::bitcoind::BitcoindRpc;

/// The binaries `--processes` runs, found next to the devnet's executable.
pub const BINARIES: [&str; 3] = ["indexer", "signer", "api"];

/// How long a child may take to open its database or port: a hang guard, reported
/// with the end of the child's log.
const STARTUP_PATIENCE: Duration = Duration::from_secs(120);

/// How often the processes poll their sources: short, so windows are attested a
/// block or two after they are final even with fast devnet blocks.
pub const POLL_INTERVAL_MS: u64 = 100;

/// Fee of each `attest-window` a signer process submits, in µSTX: the devnet's
/// Stacks RPC, as a stacks-node, wants at least 1 µSTX per byte.
const SIGNER_FEE_USTX: u64 = 10_000;

/// What the processes are started with.
pub struct Plan<'a> {
    /// The devnet's data folder.
    pub data_dir: &'a Path,
    /// The Bitcoin Core RPC the indexers follow.
    pub bitcoind: &'a BitcoindRpc,
    /// The devnet's Stacks RPC base URL.
    pub stacks_rpc: &'a str,
    /// The contracts' deployer.
    pub deployer: &'a str,
    /// Where the api process serves the public API (port 0: a free one).
    pub api_addr: SocketAddr,
    /// Blocks per window.
    pub window_length: u32,
    /// Blocks that bury a window before it is attested.
    pub confirmations: u32,
    /// The simulated network difficulty the signers compute the index with.
    pub simulated_difficulty: u64,
    /// Each signer's key file and public key, in the devnet's order.
    pub signers: Vec<(PathBuf, CompressedKey)>,
    /// Payout scripts the indexer watches from the start, so the API counts their
    /// payouts in ordinary transactions too (the signers watch every Silica by
    /// themselves).
    pub watch: Vec<Vec<u8>>,
}

struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

/// The running child processes; dropping this kills them.
pub struct Processes {
    children: Vec<Proc>,
    /// The api process's public URL, e.g. `http://127.0.0.1:8080`.
    pub api_url: String,
    /// Its event-observer base URL, where the devnet posts `/new_block`.
    pub observer_url: String,
    /// The api process's bound address.
    pub api_addr: SocketAddr,
}

/// The folder holding the devnet's executable, where `cargo build` puts the others.
///
/// # Errors
/// The executable's path is unknown.
pub fn binary_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the devnet's own executable")?;
    exe.parent()
        .map(Path::to_path_buf)
        .with_context(|| format!("{} has no parent folder", exe.display()))
}

/// The path of binary `name` in `dir`, or an error naming it and the build command.
///
/// # Errors
/// The binary does not exist.
pub fn find_binary(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() {
        return Ok(path);
    }
    let release = if dir.ends_with("release") {
        " --release"
    } else {
        ""
    };
    bail!(
        "devnet --processes needs the `{name}` binary at {}; build the three with \
         `cargo build{release} -p alkahest-indexer -p alkahest-signer -p alkahest-api`",
        path.display()
    )
}

/// A loopback port nobody listens on now (the child binds it right after).
/// A port for a child to bind, chosen below Linux's ephemeral range (32768–60999):
/// a port the kernel hands out for `bind(…:0)` could be given to another process (a
/// concurrent test's API, say) between this check and the child's bind, and the devnet
/// would then post its blocks to a stranger. Random, so concurrent devnets rarely pick
/// the same one; checked bindable.
fn free_port() -> anyhow::Result<SocketAddr> {
    for _ in 0..200 {
        let mut b = [0u8; 2];
        getrandom::getrandom(&mut b).context("choosing a port")?;
        let port = 20_000 + u16::from_le_bytes(b) % 12_000;
        if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            return Ok(l.local_addr()?);
        }
    }
    anyhow::bail!("no free port in 20000..32000 on 127.0.0.1")
}

/// The devnet's pools list ([`crate::chain::pools_json`]) in `<data>/processes/`.
const POOLS_FILE: &str = "pools.json";

/// A TOML string literal.
fn q(s: impl std::fmt::Display) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn sqlite(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

impl Plan<'_> {
    /// The indexer settings shared by the indexer and every signer's own index.
    fn index_toml(&self, db: &Path) -> String {
        format!(
            "db = {}\nnetwork = \"regtest\"\nsource = \"rpc\"\nwindow_origin = 0\n\
             window_length = {}\npoll_interval_ms = {POLL_INTERVAL_MS}\nbatch_size = 50\n\
             simulated_difficulty = {}\npools_file = {}\n",
            q(sqlite(db)),
            self.window_length,
            self.simulated_difficulty,
            q(self.data_dir.join("processes").join(POOLS_FILE).display()),
        )
    }

    fn rpc_toml(&self, table: &str) -> String {
        format!(
            "[{table}]\nurl = {}\ncookie_file = {}\n",
            q(self.bitcoind.url()),
            q(self.bitcoind.cookie_file().display())
        )
    }

    fn signer_toml(&self, i: usize, dir: &Path, listens: &[SocketAddr]) -> String {
        let (key_file, _) = &self.signers[i];
        let mut t = format!(
            "key_file = {}\nlisten = {}\nstacks_rpc = {}\nstacks_network = \"testnet\"\n\
             deployer = {}\nthreshold = 2\nconfirmations = {}\n\
             poll_interval_ms = {POLL_INTERVAL_MS}\nfee_ustx = {SIGNER_FEE_USTX}\n\n",
            q(key_file.display()),
            q(listens[i]),
            q(self.stacks_rpc),
            q(self.deployer),
            self.confirmations,
        );
        for (j, (_, key)) in self.signers.iter().enumerate() {
            if j != i {
                t += &format!(
                    "[[peers]]\nurl = {}\npublic_key = {}\n\n",
                    q(format!("http://{}", listens[j])),
                    q(hex::encode(key))
                );
            }
        }
        let db = dir.join(format!("signer-{i}.sqlite"));
        t += &format!("[indexer]\n{}\n", self.index_toml(&db));
        t += &self.rpc_toml("indexer.rpc");
        t
    }
}

impl Processes {
    /// Writes every config file, starts the children and waits until each is ready
    /// (the indexer's database migrated, every port listening).
    ///
    /// # Errors
    /// A missing binary, an unwritable file, or a child that exits or hangs at start
    /// (with the end of its log).
    pub async fn start(plan: &Plan<'_>) -> anyhow::Result<Processes> {
        let bins = binary_dir()?;
        let [indexer, signer, api] = BINARIES.map(|b| find_binary(&bins, b));
        let (indexer, signer, api) = (indexer?, signer?, api?);
        let dir = plan.data_dir.join("processes");
        let logs = plan.data_dir.join("logs");
        for d in [&dir, &logs] {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        }
        let api_addr = match plan.api_addr.port() {
            0 => free_port()?,
            _ => plan.api_addr,
        };
        let observer = free_port()?;
        let mut me = Processes {
            children: Vec::new(),
            api_url: format!("http://{api_addr}"),
            observer_url: format!("http://{observer}"),
            api_addr,
        };

        std::fs::write(dir.join(POOLS_FILE), crate::chain::pools_json())
            .with_context(|| format!("writing {}", dir.join(POOLS_FILE).display()))?;
        let index_db = dir.join("indexer.sqlite");
        let watch: Vec<String> = plan.watch.iter().map(|s| q(hex::encode(s))).collect();
        let toml = format!(
            "{}watch = [{}]\n\n{}",
            plan.index_toml(&index_db),
            watch.join(", "),
            plan.rpc_toml("rpc")
        );
        let config = write_config(&dir, "indexer", &toml)?;
        me.spawn(
            "indexer",
            &indexer,
            &[
                "--config".as_ref(),
                config.as_os_str(),
                "run".as_ref(),
                "--migrate-db".as_ref(),
            ],
            &logs,
        )?;
        let spec = WindowSpec {
            origin: Height(0),
            length: plan.window_length,
        };
        let url = sqlite(&index_db);
        me.wait("indexer", || {
            let url = url.clone();
            async move { SqliteStore::open(&url, spec, false).await.is_ok() }
        })
        .await?;

        let mut listens = Vec::new();
        for _ in &plan.signers {
            listens.push(free_port()?);
        }
        for i in 0..plan.signers.len() {
            let name = format!("signer-{i}");
            let config = write_config(&dir, &name, &plan.signer_toml(i, &dir, &listens))?;
            me.spawn(
                &name,
                &signer,
                &["--config".as_ref(), config.as_os_str()],
                &logs,
            )?;
        }

        let toml = format!(
            "listen = {}\ndb = {}\nwindow_origin = 0\nwindow_length = {}\n\
             chain_db = {}\nobserver_listen = {}\ndeployer = {}\nnetwork = \"regtest\"\n\
             proof_node_url = {}\nproof_rpc_cookie = {}\n",
            q(api_addr),
            q(url),
            plan.window_length,
            q(sqlite(&dir.join("chainstate.sqlite"))),
            q(observer),
            q(plan.deployer),
            q(plan.bitcoind.url()),
            q(plan.bitcoind.cookie_file().display()),
        );
        let config = write_config(&dir, "api", &toml)?;
        me.spawn(
            "api",
            &api,
            &["--config".as_ref(), config.as_os_str()],
            &logs,
        )?;

        for (i, addr) in listens.iter().enumerate() {
            me.wait_listening(&format!("signer-{i}"), *addr).await?;
        }
        me.wait_listening("api", api_addr).await?;
        me.wait_listening("api", observer).await?;
        Ok(me)
    }

    fn spawn(
        &mut self,
        name: &str,
        bin: &Path,
        args: &[&std::ffi::OsStr],
        logs: &Path,
    ) -> anyhow::Result<()> {
        let log = logs.join(format!("{name}.log"));
        let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(bin)
            .args(args)
            // Plain text in the log files (tracing-subscriber honours NO_COLOR).
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        tracing::info!(pid = child.id(), log = %log.display(), "started the {name} process");
        self.children.push(Proc {
            name: name.to_string(),
            child,
            log,
        });
        Ok(())
    }

    /// Polls `ready` until it holds; fails if `name` exits first or after
    /// [`STARTUP_PATIENCE`] (a hang guard).
    async fn wait<F, Fut>(&mut self, name: &str, ready: F) -> anyhow::Result<()>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + STARTUP_PATIENCE;
        loop {
            self.check()?;
            if ready().await {
                return Ok(());
            }
            if Instant::now() > deadline {
                let log = self.log_of(name);
                bail!(
                    "the {name} process was not ready after {} s; {}",
                    STARTUP_PATIENCE.as_secs(),
                    tail(&log)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_listening(&mut self, name: &str, addr: SocketAddr) -> anyhow::Result<()> {
        self.wait(name, || async move { TcpStream::connect(addr).is_ok() })
            .await
    }

    fn log_of(&self, name: &str) -> PathBuf {
        self.children
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.log.clone())
            .unwrap_or_default()
    }

    /// Fails if any child has exited: a network missing a part must not go on.
    ///
    /// # Errors
    /// The first child found stopped, with its exit status and the end of its log.
    pub fn check(&mut self) -> anyhow::Result<()> {
        for p in &mut self.children {
            if let Some(status) = p.child.try_wait()? {
                bail!("the {} process exited ({status}); {}", p.name, tail(&p.log));
            }
        }
        Ok(())
    }

    /// The process ids of the children, for a caller checking none outlives the devnet.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(|p| p.child.id()).collect()
    }
}

/// How long a child may take to stop after SIGTERM before it is killed.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

impl Drop for Processes {
    fn drop(&mut self) {
        // SIGTERM first: every Alkahest binary then finishes its in-flight requests and
        // its current database transaction. `kill(1)` sends it, so no unsafe libc call.
        let mut running = Vec::new();
        for p in &mut self.children {
            if let Ok(None) = p.child.try_wait() {
                running.push(p.child.id());
            }
        }
        if !running.is_empty() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .args(running.iter().map(u32::to_string))
                .stderr(std::process::Stdio::null())
                .status();
        }
        let deadline = std::time::Instant::now() + STOP_GRACE;
        for p in &mut self.children {
            while matches!(p.child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            if let Ok(None) = p.child.try_wait() {
                tracing::warn!("the {} process did not stop on SIGTERM: killing it", p.name);
                let _ = p.child.kill();
            }
            // Reaps it: no zombie outlives the devnet either.
            let _ = p.child.wait();
        }
        if !self.children.is_empty() {
            tracing::info!("stopped the indexer, signer and api processes");
        }
    }
}

fn write_config(dir: &Path, name: &str, toml: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}.toml"));
    let header = "# Written by `devnet --processes` at every start; edits are overwritten.\n";
    std::fs::write(&path, format!("{header}{toml}"))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// "its log <path> ends with: …" for errors about a child: the child's `Error:`
/// report (without a backtrace) when it printed one, else its last lines.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let shown = match lines.iter().rposition(|l| l.starts_with("Error: ")) {
        Some(at) => lines[at..]
            .iter()
            .take_while(|l| !l.starts_with("Stack backtrace:"))
            .copied()
            .collect::<Vec<_>>(),
        None => lines[lines.len().saturating_sub(15)..].to_vec(),
    };
    format!(
        "its log {} ends with:\n{}",
        log.display(),
        shown.join("\n").trim_end()
    )
}
