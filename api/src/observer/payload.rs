//! The body of stacks-node's `POST /new_block` (stacks-core
//! `stacks-node/src/event_dispatcher/payloads.rs`, `make_new_block_processed_payload`,
//! and `clarity/src/vm/events.rs`, `StacksTransactionEvent::json_serialize`), with the
//! fields the chain-state store needs. Unknown fields are ignored, so the full payload
//! of a real node (costs, reward sets, signer data, ...) parses.

use clarity::codec::StacksMessageCodec;
use clarity::vm::Value;
use serde::{Deserialize, Serialize};

use crate::chainstate::{ChainEvent, Contracts, StacksBlock};

/// `POST /new_block`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBlock {
    /// `0x`-hex block header hash.
    pub block_hash: String,
    /// Stacks height.
    pub block_height: u64,
    /// `0x`-hex index block hash (the block's id across forks).
    pub index_block_hash: String,
    /// `0x`-hex parent index block hash.
    pub parent_index_block_hash: String,
    /// `0x`-hex parent header hash.
    #[serde(default)]
    pub parent_block_hash: String,
    /// `0x`-hex burn block hash.
    pub burn_block_hash: String,
    /// Burn height.
    pub burn_block_height: u64,
    /// Burn block time, Unix seconds.
    #[serde(default)]
    pub burn_block_time: u64,
    /// `0x`-hex txid of the winning block commit.
    #[serde(default)]
    pub miner_txid: String,
    /// The block's transactions.
    #[serde(default)]
    pub transactions: Vec<TransactionPayload>,
    /// The events the observer subscribed to.
    #[serde(default)]
    pub events: Vec<EventPayload>,
}

/// One transaction of a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionPayload {
    /// `0x`-hex txid.
    pub txid: String,
    /// Position in the block.
    pub tx_index: u32,
    /// `success`, `abort_by_response` or `abort_by_post_condition`.
    pub status: String,
    /// `0x`-hex consensus-serialised result.
    #[serde(default)]
    pub raw_result: String,
    /// `0x`-hex transaction bytes (`0x00` for a burnchain operation).
    #[serde(default)]
    pub raw_tx: String,
}

/// One event; only `contract_event`s are read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPayload {
    /// `0x`-hex txid of the emitting transaction.
    pub txid: String,
    /// Index among the block's events.
    pub event_index: u64,
    /// Whether the transaction committed.
    #[serde(default = "committed")]
    pub committed: bool,
    /// `contract_event`, `stx_transfer_event`, `ft_mint_event`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Set for `contract_event`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_event: Option<ContractEventPayload>,
}

fn committed() -> bool {
    true
}

/// A `print` (topic `print`) of a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractEventPayload {
    /// `address.name`.
    pub contract_identifier: String,
    /// `print`.
    pub topic: String,
    /// `0x`-hex consensus-serialised value.
    pub raw_value: String,
}

/// A hash field as 32 bytes of lowercase hex without `0x`.
fn hash32(field: &str, v: &str) -> Result<String, String> {
    let digits = v.strip_prefix("0x").unwrap_or(v);
    match hex::decode(digits) {
        Ok(b) if b.len() == 32 => Ok(hex::encode(b)),
        _ => Err(format!(
            "{field} must be 32 bytes of hex, got {:?}",
            clip(v)
        )),
    }
}

/// A value shortened for an error message.
fn clip(v: &str) -> String {
    v.chars().take(80).collect()
}

impl NewBlock {
    /// Validates the block and keeps the `print` events of `contracts` from
    /// transactions that succeeded, with their values decoded.
    ///
    /// # Errors
    /// A message naming the first malformed field (hash, hex, Clarity value).
    pub fn decode(&self, contracts: &Contracts) -> Result<StacksBlock, String> {
        let failed: std::collections::HashSet<&str> = self
            .transactions
            .iter()
            .filter(|t| t.status != "success")
            .map(|t| t.txid.as_str())
            .collect();
        let mut events = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            let Some(c) = &e.contract_event else {
                if e.kind == "contract_event" {
                    return Err(format!(
                        "events[{i}] is a contract_event without contract_event"
                    ));
                }
                continue;
            };
            if e.kind != "contract_event"
                || !e.committed
                || c.topic != "print"
                || !contracts.follows(&c.contract_identifier)
                || failed.contains(e.txid.as_str())
            {
                continue;
            }
            let txid = hash32(&format!("events[{i}].txid"), &e.txid)?;
            let raw_hex = c.raw_value.strip_prefix("0x").unwrap_or(&c.raw_value);
            let raw_value = hex::decode(raw_hex).map_err(|_| {
                format!(
                    "events[{i}].contract_event.raw_value is not hex: {:?}",
                    clip(&c.raw_value)
                )
            })?;
            let value = Value::consensus_deserialize(&mut raw_value.as_slice()).map_err(|err| {
                format!("events[{i}].contract_event.raw_value is not a Clarity value: {err}")
            })?;
            events.push(ChainEvent {
                event_index: e.event_index,
                txid,
                contract_id: c.contract_identifier.clone(),
                topic: c.topic.clone(),
                raw_value,
                value,
            });
        }
        let in_range = |field: &str, v: u64| {
            if i64::try_from(v).is_ok() {
                Ok(v)
            } else {
                Err(format!("{field} {v} is out of range"))
            }
        };
        Ok(StacksBlock {
            index_block_hash: hash32("index_block_hash", &self.index_block_hash)?,
            parent_index_block_hash: hash32(
                "parent_index_block_hash",
                &self.parent_index_block_hash,
            )?,
            block_hash: hash32("block_hash", &self.block_hash)?,
            block_height: in_range("block_height", self.block_height)?,
            burn_block_hash: hash32("burn_block_hash", &self.burn_block_hash)?,
            burn_block_height: in_range("burn_block_height", self.burn_block_height)?,
            burn_block_time: in_range("burn_block_time", self.burn_block_time)?,
            events,
        })
    }
}
