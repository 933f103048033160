//! Bitcoin Core JSON-RPC source: `getblockcount`, `getblockhash`, `getblock` at
//! verbosity 0 and `getblockfilter`, with cookie-file or user/password authentication.
//!
//! `getblockfilter` needs the node's `-blockfilterindex`; a node without it answers with
//! an RPC error, after which this source serves no filters (the follower reads the whole
//! block at heights a watched script may be paid) and says so once in the log.
//!
//! The `bitcoincore-rpc` client is blocking, so every call runs on tokio's blocking pool.
//! Bitcoin Core writes a new `.cookie` at every start, so a call answered with HTTP 401
//! re-reads the cookie file and is retried once with the new credentials.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bitcoin::block::Header;
use bitcoin::consensus::deserialize;
use bitcoin::BlockHash;
use bitcoincore_rpc::jsonrpc;
use bitcoincore_rpc::{Auth, Client, RpcApi};

use bitcoin::bip158::BlockFilter;

use super::{BlockEvent, BlockSource, SourceError};
use crate::types::Height;

/// Bitcoin Core's `RPC_INVALID_PARAMETER`, returned by `getblockhash` above the tip.
const RPC_INVALID_PARAMETER: i32 = -8;

/// HTTP 401: the credentials were refused (for a cookie: bitcoind restarted).
const HTTP_UNAUTHORIZED: u16 = 401;

/// How to authenticate to Bitcoin Core.
#[derive(Debug, Clone)]
pub enum RpcAuth {
    /// The `.cookie` file Core writes in its data directory.
    Cookie(PathBuf),
    /// `rpcuser` / `rpcpassword`.
    UserPass(String, String),
}

impl RpcAuth {
    fn cookie_path(&self) -> Option<&Path> {
        match self {
            RpcAuth::Cookie(p) => Some(p),
            RpcAuth::UserPass(..) => None,
        }
    }
}

type Call<T> = dyn Fn(&Client) -> Result<T, bitcoincore_rpc::Error> + Send + Sync;

/// A [`BlockSource`] over Bitcoin Core's JSON-RPC.
#[derive(Clone)]
pub struct RpcSource {
    url: String,
    auth: RpcAuth,
    /// Replaced, for every clone, when a 401 makes the cookie be re-read.
    client: Arc<Mutex<Arc<Client>>>,
    /// False once the node answered `getblockfilter` with an error (no filter index).
    filter_index: bool,
}

impl std::fmt::Debug for RpcSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcSource")
            .field("url", &self.url)
            .field("cookie", &self.auth.cookie_path())
            .finish_non_exhaustive()
    }
}

/// Reads `user:password` from a cookie file.
fn read_cookie(path: &Path) -> Result<(String, String), SourceError> {
    let text = std::fs::read_to_string(path).map_err(|source| SourceError::Cookie {
        path: path.to_owned(),
        source,
    })?;
    let line = text.lines().next().unwrap_or_default();
    let (user, pass) = line.split_once(':').ok_or_else(|| SourceError::BadCookie {
        path: path.to_owned(),
    })?;
    Ok((user.to_owned(), pass.to_owned()))
}

/// True when the node answered HTTP 401.
fn is_unauthorized(e: &bitcoincore_rpc::Error) -> bool {
    let bitcoincore_rpc::Error::JsonRpc(jsonrpc::Error::Transport(t)) = e else {
        return false;
    };
    matches!(
        t.downcast_ref::<jsonrpc::simple_http::Error>(),
        Some(jsonrpc::simple_http::Error::HttpErrorCode(
            HTTP_UNAUTHORIZED
        ))
    )
}

impl RpcSource {
    /// Creates a client for `url` (e.g. `http://127.0.0.1:8332`). No request is sent yet.
    ///
    /// # Errors
    ///
    /// [`SourceError::Cookie`] or [`SourceError::BadCookie`] when the cookie file cannot
    /// be read, [`SourceError::Rpc`] for an unusable URL.
    pub fn new(url: &str, auth: RpcAuth) -> Result<RpcSource, SourceError> {
        let client = connect(url, &auth)?;
        Ok(RpcSource {
            url: url.to_owned(),
            auth,
            client: Arc::new(Mutex::new(Arc::new(client))),
            filter_index: true,
        })
    }

    fn rpc_error(&self, call: &'static str, source: bitcoincore_rpc::Error) -> SourceError {
        SourceError::Rpc {
            call,
            url: self.url.clone(),
            cookie: self.auth.cookie_path().map(Path::to_owned),
            source,
        }
    }

    fn current(&self) -> Arc<Client> {
        self.client
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    async fn run<T: Send + 'static>(
        client: Arc<Client>,
        f: Arc<Call<T>>,
    ) -> Result<Result<T, bitcoincore_rpc::Error>, SourceError> {
        tokio::task::spawn_blocking(move || f(&client))
            .await
            .map_err(SourceError::Join)
    }

    async fn call<T: Send + 'static>(
        &self,
        call: &'static str,
        f: impl Fn(&Client) -> Result<T, bitcoincore_rpc::Error> + Send + Sync + 'static,
    ) -> Result<T, SourceError> {
        let f: Arc<Call<T>> = Arc::new(f);
        match Self::run(self.current(), f.clone()).await? {
            Err(e) if is_unauthorized(&e) && self.auth.cookie_path().is_some() => {
                tracing::info!(cookie = ?self.auth.cookie_path(), "rpc answered 401; re-reading the cookie file");
                let fresh = Arc::new(connect(&self.url, &self.auth)?);
                *self.client.lock().unwrap_or_else(|p| p.into_inner()) = fresh.clone();
                Self::run(fresh, f)
                    .await?
                    .map_err(|source| self.rpc_error(call, source))
            }
            result => result.map_err(|source| self.rpc_error(call, source)),
        }
    }
}

/// Builds a client, reading the cookie file now.
fn connect(url: &str, auth: &RpcAuth) -> Result<Client, SourceError> {
    let (user, pass) = match auth {
        RpcAuth::Cookie(path) => read_cookie(path)?,
        RpcAuth::UserPass(u, p) => (u.clone(), p.clone()),
    };
    Client::new(url, Auth::UserPass(user, pass)).map_err(|source| SourceError::Rpc {
        call: "connect",
        url: url.to_owned(),
        cookie: auth.cookie_path().map(Path::to_owned),
        source,
    })
}

/// An error the node answered (as opposed to a transport failure).
fn is_rpc_answer(e: &SourceError) -> bool {
    matches!(
        e,
        SourceError::Rpc {
            source: bitcoincore_rpc::Error::JsonRpc(jsonrpc::Error::Rpc(_)),
            ..
        }
    )
}

fn is_out_of_range(e: &SourceError) -> bool {
    matches!(
        e,
        SourceError::Rpc {
            source: bitcoincore_rpc::Error::JsonRpc(jsonrpc::Error::Rpc(rpc)),
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
        let height = u32::try_from(count).map_err(|_| SourceError::HeightOverflow(count))?;
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
            let bytes = hex::decode(&hex).map_err(|source| SourceError::Hex {
                what: "getblock",
                source,
            })?;
            let header_bytes = bytes.get(..80).unwrap_or(&bytes);
            let header: Header =
                deserialize(header_bytes).map_err(|source| SourceError::Decode {
                    what: "getblock header",
                    source,
                })?;
            if header.block_hash() != hash {
                return Err(SourceError::WrongBlock {
                    requested: hash,
                    returned: header.block_hash(),
                });
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

    async fn filter(
        &mut self,
        _height: Height,
        hash: BlockHash,
    ) -> Result<Option<BlockFilter>, SourceError> {
        if !self.filter_index {
            return Ok(None);
        }
        match self
            .call("getblockfilter", move |c| c.get_block_filter(&hash))
            .await
        {
            Ok(answer) => Ok(Some(answer.into_filter())),
            Err(e) if is_rpc_answer(&e) => {
                tracing::warn!(error = %format!("{:#}", anyhow::Error::new(e)), "getblockfilter refused (start bitcoind with -blockfilterindex=1 to serve filters); reading whole blocks of watched heights instead");
                self.filter_index = false;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}
