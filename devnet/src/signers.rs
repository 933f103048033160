//! The devnet's signers: three keys, each with its **own** indexer database following
//! the regtest chain, each serving `POST /v1/attestations` on a loopback port. The
//! coordinator of a round is chosen from the Bitcoin tip hash and collects M
//! signatures over HTTP. Their transactions go to Stacks the production way: through
//! [`RpcClient`] over HTTP to the devnet's Stacks RPC ([`crate::node`]), which checks
//! them as a stacks-node would.

use std::path::Path;
use std::sync::{Arc, Mutex};

use alkahest_indexer::chain::{Follower, FollowerConfig};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::regtest::ChainBuilder;
use alkahest_indexer::source::RegtestSource;
use alkahest_indexer::storage::{DbWrite, SqliteStore};
use alkahest_indexer::types::{Height, WindowSpec};
use alkahest_protocol::index::WorkModel;
use alkahest_protocol::key::RecoverableSignature;
use alkahest_protocol::message::Delivery;
use alkahest_protocol::{sha256, CompressedKey};
use alkahest_signer::attest::{Signer, SignerConfig};
use alkahest_signer::coordinator::{collect, coordinator_index, Peer};
use alkahest_signer::exchange::{router, StaticTerms};
use alkahest_signer::key::SignerKey;
use alkahest_signer::observer::WindowTerms;
use alkahest_signer::stacks::rpc::RpcClient;
use alkahest_signer::stacks::tx::{ContractCall, Network as StacksNetwork};
use anyhow::{anyhow, Context};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Network, ScriptBuf};

/// One signer process-equivalent.
pub struct SignerNode {
    /// The signer (key, own store, rules).
    pub signer: Arc<Signer<SqliteStore>>,
    follower: Follower<RegtestSource, SqliteStore>,
    /// How the coordinator reaches it.
    pub peer: Peer,
}

/// The signer set.
pub struct Signers {
    /// Nodes sorted by public key (the registry's order).
    pub nodes: Vec<SignerNode>,
    /// M.
    pub threshold: usize,
    /// Silica terms the signers know (read from the chain by the devnet).
    pub terms: StaticTerms,
    http: reqwest::Client,
    /// The Stacks node the signers submit to (set by [`Signers::connect`]).
    stacks: Option<RpcClient>,
}

/// The devnet signer key `i`, from `<data>/signer-<i>.key`. On first start the file is
/// written (mode 0600) with `sha256("alkahest devnet signer <i>")`, a public test key;
/// like a production signer, the devnet then loads it through
/// [`SignerKey::from_file`], which refuses a file readable by group or others.
///
/// # Errors
/// An unreadable, malformed or too widely readable key file.
pub fn signer_key(data_dir: &Path, i: usize) -> anyhow::Result<SignerKey> {
    let path = data_dir.join(format!("signer-{i}.key"));
    if !path.exists() {
        let secret = sha256(format!("alkahest devnet signer {i}").as_bytes());
        write_private(&path, hex::encode(secret).as_bytes())?;
    }
    Ok(SignerKey::from_file(&path)?)
}

/// Creates `path` (which must not exist) readable by its owner only.
#[cfg(unix)]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// Opens (or creates) a SQLite index at `path` following `chain`, its window table
/// computed with `work` (the signers' model, so the API shows what they sign).
pub async fn follow(
    path: &Path,
    chain: Arc<Mutex<ChainBuilder>>,
    spec: WindowSpec,
    pools: PoolSet,
    work: WorkModel,
) -> anyhow::Result<(SqliteStore, Follower<RegtestSource, SqliteStore>)> {
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&url, spec, true)
        .await
        .with_context(|| format!("opening {url}"))?
        .with_work_model(work);
    // The names the API shows for the pools the follower identifies.
    store
        .upsert_pools(&pools)
        .await
        .with_context(|| format!("storing the pools list in {url}"))?;
    let config = FollowerConfig {
        network: Network::Regtest,
        batch_size: 50,
        ..FollowerConfig::default()
    };
    let follower = Follower::new(RegtestSource::new(chain), store.clone(), pools, config);
    Ok((store, follower))
}

impl Signers {
    /// Starts `n` signers with threshold `m` over `chain`, storing under `data_dir`.
    ///
    /// # Errors
    /// A database that cannot be opened or a port that cannot be bound.
    pub async fn start(
        data_dir: &Path,
        chain: Arc<Mutex<ChainBuilder>>,
        spec: WindowSpec,
        (n, m): (usize, usize),
        config: SignerConfig,
    ) -> anyhow::Result<Signers> {
        let terms = StaticTerms::default();
        let mut nodes = Vec::new();
        for i in 0..n {
            let key = signer_key(data_dir, i)?;
            let public_key: CompressedKey = key.public_key();
            let path = data_dir.join(format!("signer-{i}.sqlite"));
            let (store, follower) = follow(
                &path,
                chain.clone(),
                spec,
                PoolSet::default(),
                config.work_model,
            )
            .await?;
            let signer = Arc::new(Signer::new(key, store, config.clone()));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let app = router(signer.clone(), terms.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "signer endpoint stopped");
                }
            });
            nodes.push(SignerNode {
                signer,
                follower,
                peer: Peer {
                    url: format!("http://{addr}"),
                    public_key,
                },
            });
        }
        nodes.sort_by_key(|n| n.peer.public_key);
        Ok(Signers {
            nodes,
            threshold: m,
            terms,
            http: reqwest::Client::new(),
            stacks: None,
        })
    }

    /// Points the signers at the Stacks node RPC at `url` (e.g. `http://127.0.0.1:20443`).
    ///
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn connect(&mut self, url: &str) -> anyhow::Result<()> {
        let client = RpcClient::new(url, std::time::Duration::from_secs(30))
            .with_context(|| format!("a Stacks RPC client for {url}"))?;
        self.stacks = Some(client);
        Ok(())
    }

    /// Signs `call` as the signer holding `key` and broadcasts it to the Stacks node
    /// (its nonce and fee from the node); returns the txid.
    ///
    /// # Errors
    /// No node connected, or the node refusing the transaction (its reason included).
    pub async fn submit(&self, key: &SignerKey, call: &ContractCall) -> anyhow::Result<String> {
        let rpc = self
            .stacks
            .as_ref()
            .ok_or_else(|| anyhow!("the signers have no Stacks node: Signers::connect first"))?;
        rpc.sign_and_submit(call, key, StacksNetwork::Testnet)
            .await
            .with_context(|| {
                format!(
                    "a signer submitting {}::{}",
                    call.contract_id, call.function
                )
            })
    }

    /// Brings every signer's own index up to the chain tip.
    ///
    /// # Errors
    /// A follower failure.
    pub async fn sync(&mut self) -> anyhow::Result<()> {
        for node in &mut self.nodes {
            node.follower.sync().await?;
        }
        Ok(())
    }

    /// Makes every signer's index watch `script` from height `from`.
    ///
    /// # Errors
    /// A store failing.
    pub async fn watch(&self, script: &ScriptBuf, label: &str, from: Height) -> anyhow::Result<()> {
        for node in &self.nodes {
            node.signer
                .store()
                .watch_script(script, label, from)
                .await?;
        }
        Ok(())
    }

    /// Registered keys, ascending.
    pub fn keys(&self) -> Vec<CompressedKey> {
        self.nodes.iter().map(|n| n.peer.public_key).collect()
    }

    /// This round's coordinator for Bitcoin tip `tip`.
    pub fn coordinator(&self, tip: &BlockHash) -> &SignerNode {
        &self.nodes[coordinator_index(&tip.to_byte_array(), self.nodes.len())]
    }

    /// The coordinator proposes window `window` from its own index and collects M
    /// signatures from the set over HTTP.
    ///
    /// # Errors
    /// The coordinator's own refusal, or no quorum (with every refusal).
    pub async fn attest(
        &self,
        tip: &BlockHash,
        terms: &WindowTerms,
        window: u32,
        burn: (u128, [u8; 32]),
    ) -> anyhow::Result<(usize, Delivery, Vec<RecoverableSignature>)> {
        let index = coordinator_index(&tip.to_byte_array(), self.nodes.len());
        let coordinator = &self.nodes[index];
        let proposal = coordinator
            .signer
            .propose(terms, window, burn.0, burn.1)
            .await?;
        let peers: Vec<Peer> = self.nodes.iter().map(|n| n.peer.clone()).collect();
        let binding = &coordinator.signer.config().binding;
        let sigs = collect(&self.http, &peers, &proposal, self.threshold, binding).await?;
        Ok((index, proposal, sigs))
    }
}
