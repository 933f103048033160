//! Bitcoin Core ZMQ `hashblock` notifications (`-zmqpubhashblock=tcp://…`).
//!
//! They only wake the follower early; blocks still come from a [`super::BlockSource`],
//! and polling remains the fallback, so a lost notification only costs latency. Each
//! message has three parts: the topic `hashblock`, the 32-byte hash in RPC (display)
//! byte order, and a 4-byte little-endian sequence number.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use zeromq::{Socket, SocketRecv, SubSocket};

use super::SourceError;

/// The topic Bitcoin Core publishes new tips under.
pub const HASHBLOCK_TOPIC: &str = "hashblock";

/// Longest wait between reconnection attempts.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// A subscription to `hashblock`.
pub struct HashblockListener {
    endpoint: String,
    socket: SubSocket,
}

impl std::fmt::Debug for HashblockListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashblockListener")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

fn zmq_err(endpoint: &str) -> impl FnOnce(zeromq::ZmqError) -> SourceError + '_ {
    move |source| SourceError::Zmq {
        endpoint: endpoint.to_owned(),
        source,
    }
}

impl HashblockListener {
    /// Connects to `endpoint` (e.g. `tcp://127.0.0.1:28332`) and subscribes.
    ///
    /// # Errors
    ///
    /// [`SourceError::Zmq`] when the endpoint is invalid or unreachable.
    pub async fn connect(endpoint: &str) -> Result<HashblockListener, SourceError> {
        let mut socket = SubSocket::new();
        socket.connect(endpoint).await.map_err(zmq_err(endpoint))?;
        socket
            .subscribe(HASHBLOCK_TOPIC)
            .await
            .map_err(zmq_err(endpoint))?;
        Ok(HashblockListener {
            endpoint: endpoint.to_owned(),
            socket,
        })
    }

    /// Waits for the next announced block hash.
    ///
    /// # Errors
    ///
    /// [`SourceError::Zmq`] on a socket error, [`SourceError::UnexpectedZmq`] for a
    /// message that is not a `hashblock` notification.
    pub async fn next(&mut self) -> Result<BlockHash, SourceError> {
        let msg = self.socket.recv().await.map_err(zmq_err(&self.endpoint))?;
        let topic = msg.get(0).map(|b| b.as_ref());
        let body = msg.get(1).map(|b| b.as_ref());
        match (topic, body) {
            (Some(t), Some(h)) if t == HASHBLOCK_TOPIC.as_bytes() && h.len() == 32 => {
                let mut bytes: [u8; 32] = h.try_into().expect("length checked above");
                bytes.reverse(); // display order to internal order
                Ok(BlockHash::from_byte_array(bytes))
            }
            _ => Err(SourceError::UnexpectedZmq {
                endpoint: self.endpoint.clone(),
            }),
        }
    }
}

/// Spawns a task that connects to `endpoint`, and calls `wake.notify_one()` for every
/// `hashblock`; on errors it logs, waits (doubling up to 30 s) and reconnects.
pub fn spawn_wake(endpoint: String, wake: Arc<Notify>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut retry = Duration::from_millis(500);
        loop {
            match HashblockListener::connect(&endpoint).await {
                Ok(mut listener) => {
                    tracing::info!(%endpoint, "subscribed to zmq hashblock");
                    loop {
                        match listener.next().await {
                            Ok(hash) => {
                                tracing::debug!(%hash, "zmq hashblock");
                                retry = Duration::from_millis(500);
                                wake.notify_one();
                            }
                            Err(e @ SourceError::UnexpectedZmq { .. }) => {
                                tracing::warn!(error = %e, "ignoring zmq message")
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "zmq subscription failed; reconnecting");
                                break;
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?retry, "cannot subscribe to zmq hashblock")
                }
            }
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(MAX_RETRY);
        }
    })
}
