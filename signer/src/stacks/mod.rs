//! Talking to Stacks: the [`StacksClient`] trait that the coordinator submits through,
//! transaction building ([`tx`]) and the node RPC implementation ([`rpc`]).

pub mod rpc;
#[cfg(feature = "simnet")]
pub mod simnet;
pub mod tx;

use std::future::Future;

use clarity::vm::Value;
use clarity_repl::codec::StacksTransaction;

/// Why a Stacks operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StacksError {
    /// The HTTP request failed (connection refused, timeout, …).
    #[error("request to {url} failed: {source}")]
    Http {
        /// The URL called.
        url: String,
        /// The client error.
        #[source]
        source: reqwest::Error,
    },
    /// The node answered with an error status or body.
    #[error("node refused {url}: status {status}: {body}")]
    Refused {
        /// The URL called.
        url: String,
        /// HTTP status.
        status: u16,
        /// The response body, as sent.
        body: String,
    },
    /// The node's answer could not be decoded.
    #[error("unexpected answer from {url}: {reason}")]
    Decode {
        /// The URL called.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A read-only call returned an error (`okay: false`).
    #[error("read-only call {function} failed: {cause}")]
    ReadOnly {
        /// The function called.
        function: String,
        /// The node's cause.
        cause: String,
    },
}

/// Access to a Stacks chain: a node over RPC, or the in-process simnet of the devnet.
pub trait StacksClient: Send + Sync {
    /// The next nonce of `address`.
    fn get_nonce(&self, address: &str) -> impl Future<Output = Result<u64, StacksError>> + Send;

    /// Calls a read-only function as `sender`, returning its value.
    fn call_read_only(
        &self,
        contract_id: &str,
        function: &str,
        args: &[Value],
        sender: &str,
    ) -> impl Future<Output = Result<Value, StacksError>> + Send;

    /// Broadcasts a signed transaction; returns its txid (hex).
    fn submit(
        &self,
        tx: &StacksTransaction,
    ) -> impl Future<Output = Result<String, StacksError>> + Send;
}
