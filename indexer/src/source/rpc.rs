//! Bitcoin Core JSON-RPC source: `getblockcount`, `getblockhash` and `getblock` at
//! verbosity 0, with cookie-file or user/password authentication.
//!
//! The `bitcoincore-rpc` client is blocking, so every call runs on tokio's blocking pool.

use std::path::PathBuf;
use std::sync::Arc;

use bitcoin::block::Header;
use bitcoin::consensus::deserialize;
use bitcoin::BlockHash;
use bitcoincore_rpc::{Auth, Client, RpcApi};

use super::{BlockEvent, BlockSource, SourceError};
use crate::types::Height;

/// Bitcoin Core's `RPC_INVALID_PARAMETER`, returned by `getblockhash` above the tip.
const RPC_INVALID_PARAMETER: i32 = -8;

/// How to authenticate to Bitcoin Core.
#[derive(Debug, Clone)]
pub enum RpcAuth {
    /// The `.cookie` file Core writes in its data directory.
    Cookie(PathBuf),
    /// `rpcuser` / `rpcpassword`.
    UserPass(String, String),
}

/// A [`BlockSource`] over Bitcoin Core's JSON-RPC.
#[derive(Clone)]
pub struct RpcSource {
    client: Arc<Client>,
}

impl std::fmt::Debug for RpcSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcSource").finish_non_exhaustive()
    }
}

impl RpcSource {
    /// Creates a client for `url` (e.g. `http://127.0.0.1:8332`). No request is sent yet.
    ///
    /// # Errors
    ///
    /// [`SourceError::Rpc`] when the cookie file cannot be read.
    pub fn new(url: &str, auth: RpcAuth) -> Result<RpcSource, SourceError> {
        let auth = match auth {
            RpcAuth::Cookie(path) => Auth::CookieFile(path),
            RpcAuth::UserPass(u, p) => Auth::UserPass(u, p),
        };
        let client = Client::new(url, auth).map_err(|source| SourceError::Rpc {
            call: "connect",
            source,
        })?;
        Ok(RpcSource {
            client: Arc::new(client),
        })
    }

    async fn call<T: Send + 'static>(
        &self,
        call: &'static str,
        f: impl FnOnce(&Client) -> Result<T, bitcoincore_rpc::Error> + Send + 'static,
    ) -> Result<T, SourceError> {
        let client = self.client.clone();
        tokio::task::spawn_blocking(move || f(&client))
            .await
            .map_err(SourceError::Join)?
            .map_err(|source| SourceError::Rpc { call, source })
    }
}

fn is_out_of_range(e: &SourceError) -> bool {
    matches!(
        e,
        SourceError::Rpc {
            source: bitcoincore_rpc::Error::JsonRpc(bitcoincore_rpc::jsonrpc::Error::Rpc(rpc)),
            ..
        } if rpc.code == RPC_INVALID_PARAMETER
    )
}

impl BlockSource for RpcSource {
    async fn tip(&mut self) -> Result<Option<(Height, BlockHash)>, SourceError> {
        let (count, hash) = self
            .call("getblockcount", |c| {
                let count = c.get_block_count()?;
                Ok((count, c.get_block_hash(count)?))
            })
            .await?;
        let height = u32::try_from(count)
            .map_err(|_| SourceError::Malformed(format!("block count {count}")))?;
        Ok(Some((Height(height), hash)))
    }

    async fn hash_at(&mut self, height: Height) -> Result<Option<BlockHash>, SourceError> {
        match self
            .call("getblockhash", move |c| {
                c.get_block_hash(u64::from(height.0))
            })
            .await
        {
            Ok(h) => Ok(Some(h)),
            Err(e) if is_out_of_range(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn fetch(&mut self, from: Height, count: u32) -> Result<Vec<BlockEvent>, SourceError> {
        let mut out = Vec::new();
        for i in 0..count {
            let height = Height(from.0.saturating_add(i));
            let Some(hash) = self.hash_at(height).await? else {
                break;
            };
            let hex = self
                .call("getblock", move |c| c.get_block_hex(&hash))
                .await?;
            let bytes = hex::decode(&hex)
                .map_err(|e| SourceError::Malformed(format!("getblock hex: {e}")))?;
            let header: Header = bytes
                .get(..80)
                .and_then(|b| deserialize(b).ok())
                .ok_or_else(|| SourceError::Malformed(format!("getblock {hash}: no header")))?;
            if header.block_hash() != hash {
                return Err(SourceError::Malformed(format!(
                    "getblock {hash} returned another block"
                )));
            }
            out.push(BlockEvent {
                height,
                hash,
                parent: header.prev_blockhash,
                bytes,
            });
        }
        Ok(out)
    }
}
