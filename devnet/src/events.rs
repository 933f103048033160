//! The devnet as a stacks-node event emitter: each sealed simnet block becomes the
//! `POST /new_block` body stacks-node would send an event observer (stacks-core
//! `make_new_block_processed_payload` and `StacksTransactionEvent::json_serialize`), so
//! the API's chain-state store is fed the same way on the devnet as on a real node.
//!
//! The simnet has no real block headers, so block and index hashes are derived
//! deterministically from the Stacks height and the burn block hash: replaying
//! `txs.log` after a restart re-emits identical blocks, which the idempotent store
//! ignores.

use alkahest_clarity::receipt::{Event, Outcome};
use alkahest_signer::stacks::simnet::ExecutedTx;
use bitcoin::hashes::{sha256, Hash};
use clarity::codec::StacksMessageCodec;
use clarity::vm::types::{PrincipalData, TupleData};
use clarity::vm::{ClarityName, Value};
use serde_json::{json, Value as Json};

/// Where a sealed block sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    /// Stacks height of the block.
    pub stacks_height: u64,
    /// Burn height its transactions ran at.
    pub burn_height: u32,
    /// That burn block's display-order hash.
    pub burn_hash: [u8; 32],
    /// Parent's block hash (zeros for the first).
    pub parent_block_hash: [u8; 32],
    /// Parent's index block hash (zeros for the first).
    pub parent_index_block_hash: [u8; 32],
}

/// A built `/new_block` body and the hashes the next block names as its parent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBlock {
    /// The JSON body.
    pub body: Json,
    /// Its block hash.
    pub block_hash: [u8; 32],
    /// Its index block hash.
    pub index_block_hash: [u8; 32],
}

fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut data = Vec::new();
    for p in parts {
        data.extend_from_slice(p);
    }
    sha256::Hash::hash(&data).to_byte_array()
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn serialized(v: &Value) -> String {
    let mut bytes = Vec::new();
    // Serialising a value the VM produced cannot fail; an empty buffer would be
    // refused by the observer by name.
    let _ = v.consensus_serialize(&mut bytes);
    hex0x(&bytes)
}

fn principal(p: &str) -> Value {
    PrincipalData::parse(p).map_or(Value::none(), Value::Principal)
}

/// The SIP-013 `print` the receipt decoded into [`Event::Sft`], rebuilt.
fn sft_print(
    kind: &str,
    token_id: u128,
    amount: u128,
    sender: &Option<String>,
    recipient: &Option<String>,
) -> Value {
    let mut fields: Vec<(&str, Value)> = vec![
        (
            "type",
            Value::string_ascii_from_bytes(kind.as_bytes().to_vec()).unwrap_or(Value::none()),
        ),
        ("token-id", Value::UInt(token_id)),
        ("amount", Value::UInt(amount)),
    ];
    if let Some(s) = sender {
        fields.push(("sender", principal(s)));
    }
    if let Some(r) = recipient {
        fields.push(("recipient", principal(r)));
    }
    let data = fields
        .into_iter()
        .filter_map(|(k, v)| ClarityName::try_from(k.to_string()).ok().map(|n| (n, v)))
        .collect();
    TupleData::from_data(data).map_or(Value::none(), Value::Tuple)
}

fn contract_event(contract: &str, value: &Value) -> (&'static str, Json) {
    (
        "contract_event",
        json!({
            "contract_identifier": contract,
            "topic": "print",
            "value": serde_json::to_value(value).unwrap_or(Json::Null),
            "raw_value": serialized(value),
        }),
    )
}

/// One event as stacks-node serialises it (type name and body).
fn event_json(e: &Event) -> (&'static str, Json) {
    match e {
        Event::Print { contract, value } => contract_event(contract, value),
        Event::Sft {
            contract,
            kind,
            token_id,
            amount,
            sender,
            recipient,
        } => contract_event(
            contract,
            &sft_print(kind, *token_id, *amount, sender, recipient),
        ),
        Event::StxTransfer {
            sender,
            recipient,
            amount,
        } => (
            "stx_transfer_event",
            json!({"sender": sender, "recipient": recipient, "amount": amount.to_string(), "memo": ""}),
        ),
        Event::StxMint { recipient, amount } => (
            "stx_mint_event",
            json!({"recipient": recipient, "amount": amount.to_string()}),
        ),
        Event::StxBurn { sender, amount } => (
            "stx_burn_event",
            json!({"sender": sender, "amount": amount.to_string()}),
        ),
        Event::FtTransfer {
            asset,
            sender,
            recipient,
            amount,
        } => (
            "ft_transfer_event",
            json!({"asset_identifier": asset, "sender": sender, "recipient": recipient, "amount": amount.to_string()}),
        ),
        Event::FtMint {
            asset,
            recipient,
            amount,
        } => (
            "ft_mint_event",
            json!({"asset_identifier": asset, "recipient": recipient, "amount": amount.to_string()}),
        ),
        Event::FtBurn {
            asset,
            sender,
            amount,
        } => (
            "ft_burn_event",
            json!({"asset_identifier": asset, "sender": sender, "amount": amount.to_string()}),
        ),
        Event::Nft {
            asset,
            sender,
            recipient,
            id,
        } => {
            let kind = match (sender, recipient) {
                (None, _) => "nft_mint_event",
                (_, None) => "nft_burn_event",
                _ => "nft_transfer_event",
            };
            let mut body = json!({
                "asset_identifier": asset,
                "value": serde_json::to_value(id).unwrap_or(Json::Null),
                "raw_value": serialized(id),
            });
            if let Some(s) = sender {
                body["sender"] = json!(s);
            }
            if let Some(r) = recipient {
                body["recipient"] = json!(r);
            }
            (kind, body)
        }
    }
}

/// The `/new_block` body for a block holding `txs`.
pub fn new_block(info: &BlockInfo, txs: &[ExecutedTx]) -> NewBlock {
    let height = info.stacks_height.to_be_bytes();
    let block_hash = hash(&[b"alkahest-devnet-block", &height, &info.burn_hash]);
    let consensus = hash(&[b"alkahest-devnet-consensus", &info.burn_hash]);
    let index_block_hash = hash(&[&block_hash, &consensus]);
    let mut events = Vec::new();
    let mut transactions = Vec::new();
    for (i, t) in txs.iter().enumerate() {
        let txid = format!("0x{}", t.txid.trim_start_matches("0x"));
        let (status, result, vm_error) = match &t.receipt.outcome {
            Outcome::Ok(v) => ("success", Value::okay(v.clone()), Json::Null),
            Outcome::Err(v) => ("abort_by_response", Value::error(v.clone()), Json::Null),
            Outcome::Aborted(m) => ("abort_by_response", Value::error(Value::none()), json!(m)),
        };
        let result = result.unwrap_or(Value::none());
        transactions.push(json!({
            "txid": txid,
            "tx_index": i,
            "status": status,
            "raw_result": serialized(&result),
            "raw_tx": hex0x(&t.raw),
            "contract_abi": null,
            "burnchain_op": null,
            "execution_cost": {
                "runtime": t.receipt.cost.runtime,
                "read_count": t.receipt.cost.read_count,
                "read_length": t.receipt.cost.read_length,
                "write_count": t.receipt.cost.write_count,
                "write_length": t.receipt.cost.write_length,
            },
            "microblock_sequence": null,
            "microblock_hash": null,
            "microblock_parent_hash": null,
            "vm_error": vm_error,
        }));
        for e in &t.receipt.events {
            let (kind, body) = event_json(e);
            let mut ev = json!({
                "txid": txid,
                "event_index": events.len(),
                "committed": true,
                "type": kind,
            });
            ev[kind] = body;
            events.push(ev);
        }
    }
    let zero_cost = json!({"runtime": 0, "read_count": 0, "read_length": 0, "write_count": 0, "write_length": 0});
    let body = json!({
        "block_hash": hex0x(&block_hash),
        "block_height": info.stacks_height,
        "block_time": null,
        "burn_block_hash": hex0x(&info.burn_hash),
        "burn_block_height": info.burn_height,
        "miner_txid": hex0x(&[0u8; 32]),
        "burn_block_time": 0,
        "index_block_hash": hex0x(&index_block_hash),
        "parent_block_hash": hex0x(&info.parent_block_hash),
        "parent_index_block_hash": hex0x(&info.parent_index_block_hash),
        "parent_microblock": hex0x(&[0u8; 32]),
        "parent_microblock_sequence": 0,
        "matured_miner_rewards": [],
        "events": events,
        "transactions": transactions,
        "parent_burn_block_hash": hex0x(&[0u8; 32]),
        "parent_burn_block_height": info.burn_height.saturating_sub(1),
        "parent_burn_block_timestamp": 0,
        "anchored_cost": zero_cost,
        "confirmed_microblocks_cost": zero_cost,
        "signer_bitvec": null,
        "reward_set": null,
        "cycle_number": null,
        "tenure_height": info.stacks_height,
        "consensus_hash": hex0x(&consensus[..20]),
    });
    NewBlock {
        body,
        block_hash,
        index_block_hash,
    }
}

/// Seals simnet blocks into `/new_block` bodies, chaining each to the previous one,
/// and holds them until the devnet posts them to the observer.
#[derive(Debug, Default)]
pub struct Emitter {
    parent_block_hash: [u8; 32],
    parent_index_block_hash: [u8; 32],
    pending: Vec<Json>,
}

impl Emitter {
    /// Builds the body of the block the simnet is about to close: its height, burn
    /// block and the transactions executed since the last seal. Call it right before
    /// each `mine`.
    pub fn seal(&mut self, client: &alkahest_signer::stacks::simnet::SimnetClient) {
        let (stacks_height, burn_height, burn_hash) = client.with_sim(|s| {
            let burn = s.burn_block_height();
            let hash = s
                .burn_header_hash(burn)
                .and_then(|h| <[u8; 32]>::try_from(h).ok())
                .unwrap_or([0; 32]);
            (
                u64::from(s.block_height()),
                u32::try_from(burn).unwrap_or(u32::MAX),
                hash,
            )
        });
        let info = BlockInfo {
            stacks_height,
            burn_height,
            burn_hash,
            parent_block_hash: self.parent_block_hash,
            parent_index_block_hash: self.parent_index_block_hash,
        };
        let block = new_block(&info, &client.take_block_txs());
        self.parent_block_hash = block.block_hash;
        self.parent_index_block_hash = block.index_block_hash;
        self.pending.push(block.body);
    }

    /// The bodies sealed since the last call, oldest first.
    pub fn take(&mut self) -> Vec<Json> {
        std::mem::take(&mut self.pending)
    }
}

/// Posts `bodies` in order to the observer at `base` (`http://host:port`), as
/// stacks-node's blocking dispatcher does: the devnet waits until each is accepted.
///
/// # Errors
/// An unreachable observer, or one that refuses a block (the message has its reason).
pub async fn post_blocks(
    http: &reqwest::Client,
    base: &str,
    bodies: Vec<Json>,
) -> anyhow::Result<()> {
    for body in bodies {
        let resp = http
            .post(format!("{base}/new_block"))
            .json(&body)
            .send()
            .await?;
        if !resp.status().is_success() {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            anyhow::bail!(
                "observer refused Stacks block {}: {status}: {text}",
                body["block_height"]
            );
        }
    }
    Ok(())
}
