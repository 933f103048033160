//! The devnet's Stacks side: the Clarity simnet behind a [`SimnetClient`], where every
//! state change is a signed contract-call transaction, logged to
//! `<data>/stacks/txs.log` with the Bitcoin height it was made at. A restart rebuilds
//! the simnet by mining the same blocks and resubmitting the same transactions.
//!
//! The same log takes the raw transactions real clients broadcast to the devnet's
//! Stacks RPC ([`crate::node`]) through [`Stacks::submit_raw`]. Execution, logging and
//! mining are serialised by one gate ([`Stacks::lock`]), so the log lists transactions
//! in the order they ran, each at the burn height it ran at, and a replay reproduces
//! the chain whichever task submitted them.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use alkahest_clarity::{Receipt, Simnet, Value};
use alkahest_signer::key::SignerKey;
use alkahest_signer::stacks::simnet::SimnetClient;
use alkahest_signer::stacks::tx::{self, ContractCall, Network};
use alkahest_signer::stacks::StacksClient;
use anyhow::{anyhow, Context};

use crate::chain::Bitcoin;
use crate::events::Emitter;

/// The simnet plus its transaction log. Clones share the chain, the log and the gate
/// (the Stacks RPC server holds one).
#[derive(Clone)]
pub struct Stacks {
    client: SimnetClient,
    log: PathBuf,
    deployer: String,
    /// Held while a transaction runs and is logged, and while a block is mined.
    gate: Arc<tokio::sync::Mutex<()>>,
    /// The burn height each transaction ran at, by txid (its status: mined once the
    /// burn height has moved past it).
    executed: Arc<Mutex<HashMap<String, u32>>>,
    /// Seals each mined block into an event-observer payload.
    emitter: Arc<Mutex<Emitter>>,
}

/// Held while the caller checks and runs a transaction: no block is mined and no
/// other transaction runs meanwhile (see [`Stacks::lock`]).
pub struct Gate<'a> {
    _guard: tokio::sync::MutexGuard<'a, ()>,
}

/// `(height, raw transaction)` per line of a txs.log (`<height> <hex>`); a torn or
/// unreadable line (a crash mid-write) is skipped.
pub fn read_log(path: &Path) -> std::io::Result<Vec<(u32, Vec<u8>)>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let mut entries = Vec::new();
    for line in std::fs::read_to_string(path)?.lines() {
        let Some((h, hex_tx)) = line.split_once(' ') else {
            continue;
        };
        if let (Ok(h), Ok(raw)) = (h.parse::<u32>(), hex::decode(hex_tx)) {
            entries.push((h, raw));
        }
    }
    Ok(entries)
}

/// Seals the simnet's open block into an observer payload, then mines it.
fn mine_one(client: &SimnetClient, emitter: &Mutex<Emitter>) {
    emitter
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .seal(client);
    client.with_sim(|s| s.mine(1));
}

impl Stacks {
    /// A fresh simnet with every contract deployed, replaying `<data>/stacks/txs.log`
    /// up to Bitcoin height `tip` (one Stacks block per Bitcoin block).
    ///
    /// # Errors
    /// Contract deployment failure, or a logged transaction that no longer applies.
    pub async fn open(data_dir: &Path, btc: &Bitcoin) -> anyhow::Result<Stacks> {
        let tip = btc.tip().0 .0;
        let dir = data_dir.join("stacks");
        std::fs::create_dir_all(&dir)?;
        let log = dir.join("txs.log");
        // The deployer still governs: the scenario configures Silica for the devnet and
        // then submits the bootstrap's handover stage as signed transactions
        // (`Scenario::setup`), so the log replays it like every other transaction.
        let sim = Simnet::try_deployer_governed().map_err(|e| anyhow!(e))?;
        let deployer = sim.deployer();
        let client = SimnetClient::new(sim);
        let emitter = std::sync::Mutex::new(Emitter::default());
        // The contracts see the real regtest block hashes, so a delivery pinned to a
        // height carries that block's hash and the signers can check it against their
        // own index.
        client.with_sim(|s| {
            for (h, hash) in (0..=tip).zip(btc.display_hashes()) {
                s.set_burn_header_hash(h, hash);
            }
        });
        // Burn height = Bitcoin height: the simnet's burn height trails its block
        // height by one, so start one block ahead.
        mine_one(&client, &emitter);
        let entries = read_log(&log)?;
        let mut executed = HashMap::new();
        let mut height = 0u32;
        for (h, raw) in entries.iter().filter(|(h, _)| *h <= tip) {
            while height < *h {
                mine_one(&client, &emitter);
                height += 1;
            }
            let t = tx::decode(raw).context("corrupt transaction in txs.log")?;
            let txid = client.submit(&t).await.context("replaying txs.log")?;
            executed.insert(txid, *h);
        }
        while height < tip {
            mine_one(&client, &emitter);
            height += 1;
        }
        Ok(Stacks {
            client,
            log,
            deployer,
            gate: Arc::new(tokio::sync::Mutex::new(())),
            executed: Arc::new(Mutex::new(executed)),
            emitter: Arc::new(emitter),
        })
    }

    /// The client, for signers and the API.
    pub fn client(&self) -> &SimnetClient {
        &self.client
    }

    /// The deployer's address.
    pub fn deployer(&self) -> &str {
        &self.deployer
    }

    /// Mines one Stacks block with the Bitcoin block `height` whose display-order hash
    /// is `hash`.
    pub async fn mine(&self, height: u32, hash: [u8; 32]) {
        let _gate = self.lock().await;
        self.client
            .with_sim(|s| s.set_burn_header_hash(height, hash));
        mine_one(&self.client, &self.emitter);
    }

    /// The `/new_block` bodies of the blocks mined since the last call (on open, the
    /// replayed ones), oldest first, for the event observer.
    pub fn take_new_blocks(&self) -> Vec<serde_json::Value> {
        self.emitter
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// `deployer.name` for a project contract.
    pub fn contract(&self, name: &str) -> String {
        format!("{}.{name}", self.deployer)
    }

    /// A call of `deployer.contract`'s `function`.
    pub fn call(&self, contract: &str, function: &str, args: Vec<Value>) -> ContractCall {
        ContractCall {
            contract_id: self.contract(contract),
            function: function.to_string(),
            args,
        }
    }

    /// Signs and submits a call as `key`, logs it at Bitcoin height `height`, and
    /// returns its receipt.
    ///
    /// # Errors
    /// A refused transaction (bad nonce or signature), or a failed log write.
    pub async fn submit(
        &self,
        height: u32,
        key: &SignerKey,
        contract: &str,
        function: &str,
        args: Vec<Value>,
    ) -> anyhow::Result<Receipt> {
        let call = self.call(contract, function, args);
        let origin = tx::address_of(key, Network::Testnet).to_string();
        let _gate = self.lock().await;
        let nonce = self.client.get_nonce(&origin).await?;
        let signed = tx::sign_contract_call(&call, nonce, 0, key, Network::Testnet)?;
        let txid = self.submit_raw(height, &tx::encode(&signed)).await?;
        self.receipt(&txid)
            .ok_or_else(|| anyhow!("no receipt for {txid}"))
    }

    /// Waits for the gate: while the returned [`Gate`] lives, no block is mined and no
    /// other transaction runs, so a caller can check a transaction against the state it
    /// will run in (its nonce) and log it at the height it runs at.
    pub async fn lock(&self) -> Gate<'_> {
        Gate {
            _guard: self.gate.lock().await,
        }
    }

    /// Runs the raw (consensus-serialised, signed) transaction `bytes` into the Stacks
    /// block being built (it is mined with the next Bitcoin block), appends it to
    /// txs.log at Bitcoin height `height` so a restart replays it, and returns its txid.
    /// The caller holds the [`Gate`] (from [`Stacks::lock`]).
    ///
    /// # Errors
    /// Undecodable bytes, a transaction the simnet refuses (signature, nonce, not a
    /// contract call, a call that does not type-check), or a failed log write: then
    /// nothing ran.
    pub async fn submit_raw(&self, height: u32, bytes: &[u8]) -> anyhow::Result<String> {
        let t = tx::decode(bytes)?;
        let txid = self.client.submit(&t).await?;
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        writeln!(f, "{height} {}", hex::encode(bytes))?;
        f.sync_data()?;
        self.executed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(txid.clone(), height);
        Ok(txid)
    }

    /// The receipt of a transaction that ran (since this process started or replayed).
    pub fn receipt(&self, txid: &str) -> Option<Receipt> {
        self.client.receipt(txid)
    }

    /// The Bitcoin height a transaction ran at: it was mined in the Stacks block of
    /// the next Bitcoin block.
    pub fn executed_at(&self, txid: &str) -> Option<u32> {
        self.executed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(txid)
            .copied()
    }

    /// Calls a read-only function and returns its value (the `ok` value of a response).
    ///
    /// # Panics
    /// If the call is rejected: the devnet only makes calls its contracts define.
    pub fn read(&self, contract: &str, function: &str, args: &[Value]) -> Value {
        let id = self.contract(contract);
        self.client.with_sim(|s| s.read_only(&id, function, args))
    }

    /// The `get-burn-block-info? header-hash` the contracts see at `height`.
    pub fn burn_hash(&self, height: u32) -> Option<[u8; 32]> {
        self.client
            .with_sim(|s| s.burn_header_hash(u128::from(height)))
            .and_then(|v| v.try_into().ok())
    }

    /// The current burn height.
    pub fn burn_height(&self) -> u32 {
        self.client
            .with_sim(|s| s.burn_block_height())
            .try_into()
            .unwrap_or(u32::MAX)
    }
}
