//! [`SimnetClient`]: a [`StacksClient`] over the in-process Clarity simnet, for the
//! devnet. Submitted transactions go through the same path as on a node: the consensus
//! bytes are decoded, the signature verified, the nonce checked, and the contract call
//! executed as the transaction's origin.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use alkahest_clarity::{Outcome, Receipt, Simnet};
use clarity::vm::Value;
use clarity_repl::codec::{StacksTransaction, TransactionPayload};

use super::{tx, StacksClient, StacksError};

const SIMNET_URL: &str = "simnet";

/// Shared simnet state: the chain, the next nonce of each origin, the receipt of
/// every transaction, by txid, and the transactions executed since the last block was
/// sealed ([`SimnetClient::take_block_txs`]).
#[derive(Clone)]
pub struct SimnetClient {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    sim: Simnet,
    nonces: HashMap<String, u64>,
    receipts: HashMap<String, Receipt>,
    block_txs: Vec<ExecutedTx>,
}

/// A transaction the simnet executed, as a node's block would carry it: the devnet
/// turns these into the event observer's `/new_block` payloads.
#[derive(Debug, Clone)]
pub struct ExecutedTx {
    /// Txid, hex.
    pub txid: String,
    /// The consensus bytes.
    pub raw: Vec<u8>,
    /// Outcome and events.
    pub receipt: Receipt,
}

impl SimnetClient {
    /// Wraps a deployed simnet. Its bootstrap calls (made at deployment, not as
    /// signed transactions) open the first block, so event observers see the pools,
    /// approvals and parameters they set as a node's observers would see the
    /// deployment's transactions. Their txids are derived from the call and its position
    /// (`sha256("bootstrap" ‖ index ‖ contract.function)`); they carry no raw bytes.
    pub fn new(mut sim: Simnet) -> SimnetClient {
        let block_txs = sim
            .take_bootstrap_receipts()
            .into_iter()
            .enumerate()
            .map(|(i, (call, receipt))| {
                let mut preimage = b"bootstrap".to_vec();
                preimage.extend_from_slice(&(i as u64).to_be_bytes());
                preimage.extend_from_slice(call.as_bytes());
                ExecutedTx {
                    txid: hex::encode(Sha256::digest(&preimage)),
                    raw: Vec::new(),
                    receipt,
                }
            })
            .collect();
        SimnetClient {
            inner: Arc::new(Mutex::new(Inner {
                sim,
                nonces: HashMap::new(),
                receipts: HashMap::new(),
                block_txs,
            })),
        }
    }

    /// Runs `f` on the simnet (to mine blocks or read state).
    pub fn with_sim<T>(&self, f: impl FnOnce(&mut Simnet) -> T) -> T {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut inner.sim)
    }

    /// The receipt of an executed transaction.
    pub fn receipt(&self, txid: &str) -> Option<Receipt> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.receipts.get(txid).cloned()
    }

    /// The transactions executed since the last call, in order: the block being
    /// sealed.
    pub fn take_block_txs(&self) -> Vec<ExecutedTx> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut inner.block_txs)
    }

    fn refuse(reason: String) -> StacksError {
        StacksError::Refused {
            url: SIMNET_URL.into(),
            status: 400,
            body: reason,
        }
    }
}

impl StacksClient for SimnetClient {
    async fn get_nonce(&self, address: &str) -> Result<u64, StacksError> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        Ok(inner.nonces.get(address).copied().unwrap_or(0))
    }

    async fn call_read_only(
        &self,
        contract_id: &str,
        function: &str,
        args: &[Value],
        sender: &str,
    ) -> Result<Value, StacksError> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let receipt = inner
            .sim
            .try_call(contract_id, function, args, sender)
            .map_err(|e| StacksError::ReadOnly {
                function: function.to_string(),
                cause: e.to_string(),
            })?;
        match receipt.outcome {
            Outcome::Ok(v) => Ok(Value::okay(v).unwrap_or(Value::none())),
            Outcome::Err(v) => Ok(Value::error(v).unwrap_or(Value::none())),
            Outcome::Aborted(cause) => Err(StacksError::ReadOnly {
                function: function.to_string(),
                cause,
            }),
        }
    }

    async fn submit(&self, transaction: &StacksTransaction) -> Result<String, StacksError> {
        // Round-trip through the wire format, as a node would receive it.
        let decoded =
            tx::decode(&tx::encode(transaction)).map_err(|e| Self::refuse(e.to_string()))?;
        tx::verify(&decoded).map_err(|e| Self::refuse(format!("bad signature: {e}")))?;
        let origin = decoded.origin_address().to_string();
        let TransactionPayload::ContractCall(call) = &decoded.payload else {
            return Err(Self::refuse("only contract calls are supported".into()));
        };
        let txid = tx::txid_hex(&decoded);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let expected = inner.nonces.get(&origin).copied().unwrap_or(0);
        if decoded.get_origin_nonce() != expected {
            return Err(Self::refuse(format!(
                "bad nonce {} for {origin}: expected {expected}",
                decoded.get_origin_nonce()
            )));
        }
        let contract_id = format!("{}.{}", call.address, call.contract_name);
        let receipt = inner
            .sim
            .try_call(
                &contract_id,
                call.function_name.as_str(),
                &call.function_args,
                &origin,
            )
            .map_err(|e| Self::refuse(e.to_string()))?;
        inner.nonces.insert(origin, expected + 1);
        inner.block_txs.push(ExecutedTx {
            txid: txid.clone(),
            raw: tx::encode(&decoded),
            receipt: receipt.clone(),
        });
        inner.receipts.insert(txid.clone(), receipt);
        Ok(txid)
    }
}
