//! Block sources: where raw blocks come from.
//!
//! A [`BlockSource`] reports its best chain and emits [`BlockEvent`]s, each a height, the
//! raw block bytes and the parent hash. Sources hold no database handle and never decide
//! what the indexer has applied: the follower in [`crate::chain`] compares parents and
//! detects reorgs itself.
//!
//! Implementations: [`rpc::RpcSource`] (Bitcoin Core JSON-RPC), [`rest::RestSource`]
//! (Bitcoin Core REST), [`blk::BlkSource`] (a `blk*.dat` directory) and
//! [`RegtestSource`] over the [`regtest::ChainBuilder`] generator. [`zmq`] turns Bitcoin
//! Core's `hashblock` notifications into early wake-ups for the follower.

pub mod blk;
pub mod regtest;
pub mod rest;
pub mod rpc;
pub mod zmq;

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bitcoin::bip158::BlockFilter;
use bitcoin::consensus::serialize;
use bitcoin::BlockHash;

use crate::types::Height;

/// One block on a source's best chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockEvent {
    /// The block's position on the source's best chain.
    pub height: Height,
    /// The block hash.
    pub hash: BlockHash,
    /// The previous block's hash, from the header.
    pub parent: BlockHash,
    /// The serialized block.
    pub bytes: Vec<u8>,
}

/// Why a source could not answer.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A Bitcoin Core RPC call failed.
    #[error("bitcoind rpc {call} to {url} failed{}", cookie_note(.cookie.as_deref()))]
    Rpc {
        /// The RPC method.
        call: &'static str,
        /// The node's URL.
        url: String,
        /// The cookie file authenticating the call, if any.
        cookie: Option<PathBuf>,
        /// The client error.
        #[source]
        source: bitcoincore_rpc::Error,
    },
    /// The RPC cookie file could not be read.
    #[error("cannot read the bitcoind cookie file {path}")]
    Cookie {
        /// The cookie file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The RPC cookie file is not `user:password`.
    #[error("the bitcoind cookie file {path} does not hold user:password")]
    BadCookie {
        /// The cookie file.
        path: PathBuf,
    },
    /// An HTTP request failed before a response arrived.
    #[error("http request to {url} failed")]
    Http {
        /// The URL.
        url: String,
        /// The client error.
        #[source]
        source: reqwest::Error,
    },
    /// An HTTP response had a non-success status.
    #[error("http {status} from {url}")]
    HttpStatus {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A blk file frame does not start with the network magic.
    #[error("bad magic {} in {path} at offset {offset}", hex::encode(.found))]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The frame offset.
        offset: u64,
        /// The bytes found.
        found: [u8; 4],
    },
    /// A blk frame's header does not decode.
    #[error("undecodable block header in {path} at offset {offset}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// The frame offset.
        offset: u64,
        /// The decoding error.
        #[source]
        source: bitcoin::consensus::encode::Error,
    },
    /// `xor.dat` is not an 8-byte key.
    #[error("{path} holds {len} bytes, expected an 8-byte key")]
    BadXorKey {
        /// The key file.
        path: PathBuf,
        /// Its length.
        len: usize,
    },
    /// A block was asked for that the blk scan did not find.
    #[error("block {0} is not in the blk files")]
    UnknownBlock(BlockHash),
    /// Bytes that should be a header or block do not decode.
    #[error("malformed {what} from the source")]
    Decode {
        /// What was being decoded.
        what: &'static str,
        /// The decoding error.
        #[source]
        source: bitcoin::consensus::encode::Error,
    },
    /// A hex string from the source does not decode.
    #[error("malformed hex in {what} from the source")]
    Hex {
        /// What was being decoded.
        what: &'static str,
        /// The decoding error.
        #[source]
        source: hex::FromHexError,
    },
    /// A JSON document from the source does not fit the expected shape.
    #[error("malformed JSON in {what} from the source")]
    Json {
        /// What was being decoded.
        what: &'static str,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// A block hash from the source does not parse.
    #[error("malformed block hash in {what} from the source")]
    BadHash {
        /// What was being decoded.
        what: &'static str,
        /// The parse error.
        #[source]
        source: bitcoin::hex::HexToArrayError,
    },
    /// A binary answer has the wrong length.
    #[error("{what} from the source has {found} bytes, expected {expected}")]
    BadLength {
        /// What was being read.
        what: &'static str,
        /// The expected length.
        expected: usize,
        /// The length received.
        found: usize,
    },
    /// The source returned another block than the one requested.
    #[error("asked for block {requested}, the source returned {returned}")]
    WrongBlock {
        /// The requested hash.
        requested: BlockHash,
        /// The hash of the returned block.
        returned: BlockHash,
    },
    /// The source reported a block count that is not a `u32` height.
    #[error("the source reports {0} blocks, more than a height can hold")]
    HeightOverflow(u64),
    /// The source has no block at this height on its best chain.
    #[error("no block at height {0}")]
    Missing(Height),
    /// A ZMQ subscription failed.
    #[error("zmq subscription to {endpoint} failed")]
    Zmq {
        /// The endpoint.
        endpoint: String,
        /// The socket error.
        #[source]
        source: zeromq::ZmqError,
    },
    /// A ZMQ message is not a `hashblock` notification.
    #[error("unexpected zmq message on {endpoint}")]
    UnexpectedZmq {
        /// The endpoint.
        endpoint: String,
    },
    /// A blocking task panicked or was cancelled.
    #[error("source task failed")]
    Join(#[source] tokio::task::JoinError),
}

/// Names the cookie file in RPC errors: a stale or unreadable cookie is the usual cause
/// of a refused connection.
fn cookie_note(cookie: Option<&std::path::Path>) -> String {
    cookie.map_or_else(String::new, |p| {
        format!(" (authenticating with cookie file {})", p.display())
    })
}

impl SourceError {
    /// Returns true for failures worth retrying (network and node errors).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SourceError::Rpc { .. }
                | SourceError::Cookie { .. }
                | SourceError::Http { .. }
                | SourceError::HttpStatus { .. }
                | SourceError::Zmq { .. }
        )
    }
}

/// A provider of blocks on one best chain.
pub trait BlockSource: Send {
    /// Returns the height and hash of the best tip, or `None` when the source is empty.
    fn tip(
        &mut self,
    ) -> impl Future<Output = Result<Option<(Height, BlockHash)>, SourceError>> + Send;

    /// Returns the lowest height the source can serve: 0, except for a pruned blk
    /// directory anchored above genesis.
    fn first_height(&self) -> Height {
        Height(0)
    }

    /// Returns the hash at `height` on the best chain, or `None` above the tip.
    fn hash_at(
        &mut self,
        height: Height,
    ) -> impl Future<Output = Result<Option<BlockHash>, SourceError>> + Send;

    /// Returns up to `count` consecutive blocks of the best chain starting at `from`;
    /// fewer (possibly none) when the tip is reached.
    fn fetch(
        &mut self,
        from: Height,
        count: u32,
    ) -> impl Future<Output = Result<Vec<BlockEvent>, SourceError>> + Send;

    /// Returns, like [`BlockSource::fetch`], up to `count` blocks from `from`, but each
    /// cut down to its header and coinbase ([`CoinbaseEvent`]): what the follower needs.
    /// The default fetches full blocks [`FETCH_CHUNK`] at a time and truncates them, so
    /// at most one chunk of full blocks is in memory; sources that can read less
    /// (the blk reader) override it.
    fn fetch_coinbases(
        &mut self,
        from: Height,
        count: u32,
    ) -> impl Future<Output = Result<Vec<CoinbaseEvent>, SourceError>> + Send {
        async move {
            let mut out = Vec::with_capacity(count as usize);
            while (out.len() as u32) < count {
                let next = Height(from.0.saturating_add(out.len() as u32));
                let want = (count - out.len() as u32).min(FETCH_CHUNK);
                let events = self.fetch(next, want).await?;
                let got = events.len() as u32;
                out.extend(events.into_iter().map(CoinbaseEvent::from_block));
                if got < want {
                    break;
                }
            }
            Ok(out)
        }
    }

    /// Returns the whole serialized block `hash` at `height` on the best chain.
    ///
    /// # Errors
    /// [`SourceError::Missing`] when the source has no block there,
    /// [`SourceError::WrongBlock`] when its block there is another one (a reorg).
    fn block(
        &mut self,
        height: Height,
        hash: BlockHash,
    ) -> impl Future<Output = Result<Vec<u8>, SourceError>> + Send {
        async move {
            let event = self
                .fetch(height, 1)
                .await?
                .into_iter()
                .next()
                .ok_or(SourceError::Missing(height))?;
            if event.hash != hash {
                return Err(SourceError::WrongBlock {
                    requested: hash,
                    returned: event.hash,
                });
            }
            Ok(event.bytes)
        }
    }

    /// Returns the BIP158 basic filter of block `hash` at `height` when the source has a
    /// filter index, which the follower checks before reading a whole block for payouts
    /// ([`crate::payouts`]); `None` when it has none, and the follower reads the block.
    ///
    /// Without an index a filter would have to be computed from the whole block, which
    /// costs about twice the decode-and-scan it would save (`cargo bench -p
    /// alkahest-indexer`, block 702,861: 3,074 µs vs 1,583 µs; matching a served filter
    /// takes 47 µs), so the default serves none.
    ///
    /// # Errors
    /// The source failing to answer.
    fn filter(
        &mut self,
        height: Height,
        hash: BlockHash,
    ) -> impl Future<Output = Result<Option<BlockFilter>, SourceError>> + Send {
        let _ = (height, hash);
        async { Ok(None) }
    }
}

/// Full blocks fetched per request by the default [`BlockSource::fetch_coinbases`]:
/// small enough to bound memory (16 × 4 MB at most), large enough to keep parallel REST
/// fetches busy.
pub const FETCH_CHUNK: u32 = 16;

/// A block cut down to its header and coinbase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinbaseEvent {
    /// The block's position on the source's best chain.
    pub height: Height,
    /// The block hash.
    pub hash: BlockHash,
    /// The previous block's hash.
    pub parent: BlockHash,
    /// The start of the serialized block, holding at least the header and the coinbase
    /// (the whole block when it could not be parsed, so the error can be reported).
    pub prefix: Vec<u8>,
    /// The size of the whole serialized block.
    pub size: u64,
}

impl CoinbaseEvent {
    /// Cuts a full block down to its header and coinbase; keeps it whole when it does not
    /// parse.
    pub fn from_block(event: BlockEvent) -> CoinbaseEvent {
        let size = event.bytes.len() as u64;
        let mut prefix = event.bytes;
        if let Ok(parsed) = crate::coinbase::parse_coinbase(&prefix) {
            prefix.truncate(parsed.coinbase_end);
            prefix.shrink_to_fit();
        }
        CoinbaseEvent {
            height: event.height,
            hash: event.hash,
            parent: event.parent,
            prefix,
            size,
        }
    }
}

/// A [`BlockSource`] over a shared [`regtest::ChainBuilder`]: whatever the builder mines,
/// including forks that overtake the tip, becomes visible on the next call.
#[derive(Clone)]
pub struct RegtestSource {
    chain: Arc<Mutex<regtest::ChainBuilder>>,
}

impl RegtestSource {
    /// Wraps a shared builder.
    pub fn new(chain: Arc<Mutex<regtest::ChainBuilder>>) -> RegtestSource {
        RegtestSource { chain }
    }

    /// Returns the shared builder.
    pub fn chain(&self) -> Arc<Mutex<regtest::ChainBuilder>> {
        self.chain.clone()
    }

    fn with_best<T>(&self, f: impl FnOnce(&[&bitcoin::Block]) -> T) -> T {
        let chain = self.chain.lock().unwrap_or_else(|p| p.into_inner());
        f(&chain.best_chain())
    }
}

impl BlockSource for RegtestSource {
    /// The generator holds its blocks decoded, so it serves filters as a node with a
    /// filter index does (over output scripts: it keeps no UTXO set).
    async fn filter(
        &mut self,
        _height: Height,
        hash: BlockHash,
    ) -> Result<Option<BlockFilter>, SourceError> {
        let chain = self.chain.lock().unwrap_or_else(|p| p.into_inner());
        Ok(chain.block(&hash).map(crate::payouts::output_filter))
    }

    async fn tip(&mut self) -> Result<Option<(Height, BlockHash)>, SourceError> {
        let chain = self.chain.lock().unwrap_or_else(|p| p.into_inner());
        Ok(Some(chain.tip()))
    }

    async fn hash_at(&mut self, height: Height) -> Result<Option<BlockHash>, SourceError> {
        Ok(self.with_best(|b| b.get(height.0 as usize).map(|b| b.block_hash())))
    }

    async fn fetch(&mut self, from: Height, count: u32) -> Result<Vec<BlockEvent>, SourceError> {
        Ok(self.with_best(|best| {
            best.iter()
                .enumerate()
                .skip(from.0 as usize)
                .take(count as usize)
                .map(|(h, b)| BlockEvent {
                    height: Height(h as u32),
                    hash: b.block_hash(),
                    parent: b.header.prev_blockhash,
                    bytes: serialize(*b),
                })
                .collect()
        }))
    }
}
