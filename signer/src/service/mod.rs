//! The signer as a long-running service: the `signer` binary's settings and main loop.
//!
//! One process holds one key and keeps its **own** index (the indexer's follower over
//! its own database and Bitcoin source, [`alkahest_indexer::service`]), serves
//! `POST /v1/attestations` to coordinators and `/metrics`, and every poll interval runs
//! a [`round`]: when this signer is the round's coordinator, it proposes each due
//! window from its own index, gathers M signatures from its peers and submits
//! `attest-window` to a Stacks node over RPC. Silica terms are read from the chain
//! ([`chain::ChainTerms`]), never from a request.
//!
//! Settings layer as in every Alkahest binary: defaults < TOML file < `SIGNER_`
//! environment < flags; the indexer's settings sit under `[indexer]` with the same
//! keys as the `indexer` binary's (`SIGNER_INDEXER__DB`, ...). See
//! `signer/config/signer.example.toml`.

pub mod chain;
pub mod round;
mod run;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use alkahest_protocol::message::Binding;
use alkahest_service::config::{ConfigError, Layering};
use serde::{Deserialize, Serialize};

use crate::coordinator::Peer;
use crate::stacks::tx::Network;

pub use run::run;

/// How the signer's settings are layered.
pub const LAYERS: Layering = Layering {
    env_prefix: "SIGNER_",
    path_keys: &[
        "key_file",
        "indexer.pools_file",
        "indexer.blk.dir",
        "indexer.rpc.cookie_file",
    ],
    db_keys: &["indexer.db"],
};

/// Which Stacks network the signer submits to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StacksNetwork {
    /// Mainnet (chain id 1, `SP…` addresses).
    Mainnet,
    /// Testnet and devnets (chain id 0x80000000, `ST…` addresses).
    #[default]
    Testnet,
}

/// A signer of the set, as configured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PeerSettings {
    /// Base URL of its `/v1/attestations`, e.g. `http://10.0.0.2:18001`.
    pub url: String,
    /// Its compressed public key as registered in `signer-registry`, hex.
    pub public_key: String,
}

/// Every `signer` setting.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The private key file (64 hex digits, readable by its owner only).
    pub key_file: PathBuf,
    /// Address of this signer's endpoint (`/v1/attestations`, `/metrics`).
    pub listen: String,
    /// URL at which peers reach this signer; defaults to `http://{listen}`.
    pub public_url: Option<String>,
    /// The Stacks node's RPC base URL.
    pub stacks_rpc: String,
    /// `mainnet` or `testnet`.
    pub stacks_network: StacksNetwork,
    /// The principal that deployed `silica` and `signer-registry`.
    pub deployer: String,
    /// Every other signer of the set (this one is added from its own key).
    pub peers: Vec<PeerSettings>,
    /// Signatures needed (M of N).
    pub threshold: usize,
    /// Blocks that must bury a window's last block before it is signed.
    pub confirmations: u32,
    /// How often a round runs, in milliseconds.
    pub poll_interval_ms: u64,
    /// Fee of each submitted transaction, in micro-STX.
    pub fee_ustx: u64,
    /// Timeout of every request to the node and to peers, in milliseconds.
    pub request_timeout_ms: u64,
    /// This signer's own index: the `indexer` binary's settings.
    pub indexer: alkahest_indexer::config::Settings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            key_file: PathBuf::from("signer.key"),
            listen: "127.0.0.1:18001".into(),
            public_url: None,
            stacks_rpc: "http://127.0.0.1:20443".into(),
            stacks_network: StacksNetwork::Testnet,
            deployer: String::new(),
            peers: Vec::new(),
            threshold: 2,
            confirmations: 100,
            poll_interval_ms: 5_000,
            fee_ustx: 1_000,
            request_timeout_ms: 10_000,
            indexer: alkahest_indexer::config::Settings {
                db: "sqlite://signer.sqlite".into(),
                ..alkahest_indexer::config::Settings::default()
            },
        }
    }
}

impl Settings {
    /// Checks ranges and combinations, including the indexer's.
    ///
    /// # Errors
    /// [`ConfigError::Value`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.indexer.validate()?;
        if self.listen_addr().is_none() {
            return Err(ConfigError::value(
                "listen",
                &self.listen,
                "must be an address and port",
            ));
        }
        if self.binding().is_none() {
            return Err(ConfigError::value(
                "deployer",
                &self.deployer,
                "must be a standard Stacks principal",
            ));
        }
        if self.peer_list().is_none() {
            return Err(ConfigError::value(
                "peers",
                &self.peers,
                "each needs a url and a 33-byte compressed public key in hex",
            ));
        }
        let n = self.peers.len() + 1;
        if self.threshold == 0 || self.threshold > n {
            return Err(ConfigError::value(
                "threshold",
                self.threshold,
                "must be between 1 and the signer count",
            ));
        }
        if self.poll_interval_ms == 0 {
            return Err(ConfigError::value(
                "poll_interval_ms",
                0,
                "must be at least 1",
            ));
        }
        if self.request_timeout_ms == 0 {
            return Err(ConfigError::value(
                "request_timeout_ms",
                0,
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// [`Settings::listen`] parsed.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen.parse().ok()
    }

    /// The deployment this signer signs for.
    pub fn binding(&self) -> Option<Binding> {
        let chain_id = u128::from(self.network().chain_id());
        Binding::of_deployer(chain_id, &self.deployer).ok()
    }

    /// The Stacks network of submitted transactions.
    pub fn network(&self) -> Network {
        match self.stacks_network {
            StacksNetwork::Mainnet => Network::Mainnet,
            StacksNetwork::Testnet => Network::Testnet,
        }
    }

    /// The configured peers, parsed; `None` if one is malformed.
    pub fn peer_list(&self) -> Option<Vec<Peer>> {
        self.peers
            .iter()
            .map(|p| {
                let key = hex::decode(&p.public_key).ok()?;
                let public_key = <[u8; 33]>::try_from(key).ok()?;
                (!p.url.is_empty()).then(|| Peer {
                    url: p.url.trim_end_matches('/').to_owned(),
                    public_key,
                })
            })
            .collect()
    }

    /// The URL peers reach this signer at.
    pub fn own_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }

    /// The round interval.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    /// The request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

#[cfg(test)]
mod tests;
