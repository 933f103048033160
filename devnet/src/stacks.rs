//! The devnet's Stacks side: the Clarity simnet behind a [`SimnetClient`], where every
//! state change is a signed contract-call transaction, logged to
//! `<data>/stacks/txs.log` with the Bitcoin height it was made at. A restart rebuilds
//! the simnet by mining the same blocks and resubmitting the same transactions.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use alkahest_clarity::{Receipt, Simnet, Value};
use alkahest_signer::key::SignerKey;
use alkahest_signer::stacks::simnet::SimnetClient;
use alkahest_signer::stacks::tx::{self, ContractCall, Network};
use alkahest_signer::stacks::StacksClient;
use anyhow::{anyhow, Context};

use crate::chain::Bitcoin;
use crate::events::Emitter;

/// The simnet plus its transaction log.
pub struct Stacks {
    client: SimnetClient,
    log: PathBuf,
    deployer: String,
    emitter: std::sync::Mutex<Emitter>,
}

/// Seals the simnet's open block into an observer payload, then mines it.
fn mine_one(client: &SimnetClient, emitter: &std::sync::Mutex<Emitter>) {
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
        let mut entries: Vec<(u32, Vec<u8>)> = Vec::new();
        if log.is_file() {
            for line in std::fs::read_to_string(&log)?.lines() {
                let Some((h, hex_tx)) = line.split_once(' ') else {
                    continue;
                };
                let (Ok(h), Ok(raw)) = (h.parse::<u32>(), hex::decode(hex_tx)) else {
                    continue; // a torn last line
                };
                entries.push((h, raw));
            }
        }
        let mut height = 0u32;
        for (h, raw) in entries.iter().filter(|(h, _)| *h <= tip) {
            while height < *h {
                mine_one(&client, &emitter);
                height += 1;
            }
            let t = tx::decode(raw).context("corrupt transaction in txs.log")?;
            client.submit(&t).await.context("replaying txs.log")?;
        }
        while height < tip {
            mine_one(&client, &emitter);
            height += 1;
        }
        Ok(Stacks {
            client,
            log,
            deployer,
            emitter,
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
    pub fn mine(&self, height: u32, hash: [u8; 32]) {
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
        let call = ContractCall {
            contract_id: self.contract(contract),
            function: function.to_string(),
            args,
        };
        let origin = tx::address_of(key, Network::Testnet).to_string();
        let nonce = self.client.get_nonce(&origin).await?;
        let signed = tx::sign_contract_call(&call, nonce, 0, key, Network::Testnet)?;
        let txid = self.client.submit(&signed).await?;
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        writeln!(f, "{height} {}", hex::encode(tx::encode(&signed)))?;
        f.sync_data()?;
        self.client
            .receipt(&txid)
            .ok_or_else(|| anyhow!("no receipt for {txid}"))
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
