//! What a contract call returns: its outcome, the events it emitted and what it cost.

use std::fmt;

use clarity::vm::events::{FTEventType, NFTEventType, STXEventType, StacksTransactionEvent};
use clarity::vm::types::{CharType, SequenceData};
use clarity::vm::Value;

/// The five dimensions of Clarity execution cost, in the VM's units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    /// Runtime units.
    pub runtime: u64,
    /// Number of state reads.
    pub read_count: u64,
    /// Bytes read.
    pub read_length: u64,
    /// Number of state writes.
    pub write_count: u64,
    /// Bytes written.
    pub write_length: u64,
}

/// The Stacks block limits a call is measured against (epoch 2.4 values).
pub const BLOCK_LIMIT: Cost = Cost {
    runtime: 5_000_000_000,
    read_count: 15_000,
    read_length: 100_000_000,
    write_count: 15_000,
    write_length: 15_000_000,
};

impl Cost {
    /// Each dimension as a percentage of [`BLOCK_LIMIT`], in the field order of `Cost`.
    pub fn percent_of_block(&self) -> [f64; 5] {
        let pct = |v: u64, l: u64| v as f64 * 100.0 / l as f64;
        [
            pct(self.runtime, BLOCK_LIMIT.runtime),
            pct(self.read_count, BLOCK_LIMIT.read_count),
            pct(self.read_length, BLOCK_LIMIT.read_length),
            pct(self.write_count, BLOCK_LIMIT.write_count),
            pct(self.write_length, BLOCK_LIMIT.write_length),
        ]
    }
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `(ok v)`: the state changes were committed.
    Ok(Value),
    /// `(err v)`: the contract refused; its state changes were rolled back.
    Err(Value),
    /// The VM aborted the transaction (overflow, `unwrap-panic`, failed `asserts` in a
    /// read-only context, …). Nothing was committed.
    Aborted(String),
}

/// An asset movement or `print`, decoded from the VM's event list.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// STX moved between principals.
    StxTransfer {
        /// Sender principal.
        sender: String,
        /// Recipient principal.
        recipient: String,
        /// micro-STX.
        amount: u128,
    },
    /// STX created (only the boot code does this).
    StxMint {
        /// Recipient principal.
        recipient: String,
        /// micro-STX.
        amount: u128,
    },
    /// STX destroyed.
    StxBurn {
        /// Sender principal.
        sender: String,
        /// micro-STX.
        amount: u128,
    },
    /// A fungible-token transfer. `asset` is `contract::token-name`.
    FtTransfer {
        /// `deployer.contract::token`.
        asset: String,
        /// Sender principal.
        sender: String,
        /// Recipient principal.
        recipient: String,
        /// Base units.
        amount: u128,
    },
    /// A fungible-token mint.
    FtMint {
        /// `deployer.contract::token`.
        asset: String,
        /// Recipient principal.
        recipient: String,
        /// Base units.
        amount: u128,
    },
    /// A fungible-token burn.
    FtBurn {
        /// `deployer.contract::token`.
        asset: String,
        /// Owner whose tokens were burnt.
        sender: String,
        /// Base units.
        amount: u128,
    },
    /// A non-fungible token moved, was minted (`sender` is `None`) or burnt
    /// (`recipient` is `None`).
    Nft {
        /// `deployer.contract::token`.
        asset: String,
        /// Previous owner.
        sender: Option<String>,
        /// New owner.
        recipient: Option<String>,
        /// The token identifier.
        id: Value,
    },
    /// A SIP-013 semi-fungible movement, read from the standard
    /// `{type: "sft_transfer" | "sft_mint" | "sft_burn", token-id, amount, …}` print.
    Sft {
        /// The contract that printed it.
        contract: String,
        /// `sft_transfer`, `sft_mint` or `sft_burn`.
        kind: String,
        /// Token id.
        token_id: u128,
        /// Amount of that id.
        amount: u128,
        /// Previous owner (absent on mint).
        sender: Option<String>,
        /// New owner (absent on burn).
        recipient: Option<String>,
    },
    /// A `print` from `contract`.
    Print {
        /// The printing contract.
        contract: String,
        /// The printed value.
        value: Value,
    },
}

/// The result of one contract call.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// `contract::function`, for messages.
    pub call: String,
    /// How the call ended.
    pub outcome: Outcome,
    /// Events in emission order (empty unless the call returned `ok`).
    pub events: Vec<Event>,
    /// Execution cost of the whole call.
    pub cost: Cost,
}

/// Environment variable naming a file to which every error code a test asserted as a
/// call's outcome is appended, one per line. The contract tests' error-coverage check
/// runs the suite with it set and requires every `ERR_*` of every contract there: a
/// code that merely appears in a test's source is not enough.
pub const ASSERTED_ERRORS_VAR: &str = "ALKAHEST_ASSERTED_ERRORS";

/// Records that a test asserted `(err u<code>)` as the outcome of a call (done by
/// [`Receipt::expect_err`]; call it directly only where a test checks an error outcome
/// some other way, such as against a model). No-op unless [`ASSERTED_ERRORS_VAR`] is set.
pub fn note_asserted_error(code: u128) {
    use std::io::Write;
    let Some(path) = std::env::var_os(ASSERTED_ERRORS_VAR) else {
        return;
    };
    // One short `write` per line on an O_APPEND file: lines from parallel tests do not
    // interleave.
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(format!("{code}\n").as_bytes());
    }
}

impl Receipt {
    /// Returns the `ok` value.
    ///
    /// # Panics
    /// If the call returned `err` or aborted; the message shows the outcome and events.
    #[track_caller]
    pub fn expect_ok(&self) -> Value {
        match &self.outcome {
            Outcome::Ok(v) => v.clone(),
            _ => panic!("expected (ok ..) from {}\n{self}", self.call),
        }
    }

    /// Asserts the call returned `(err u<code>)`.
    ///
    /// # Panics
    /// If it returned anything else; the message shows the outcome and events.
    #[track_caller]
    pub fn expect_err(&self, code: u128) {
        match &self.outcome {
            Outcome::Err(Value::UInt(c)) if *c == code => note_asserted_error(code),
            _ => panic!("expected (err u{code}) from {}\n{self}", self.call),
        }
    }

    /// Asserts the VM aborted the call, and returns its message.
    ///
    /// # Panics
    /// If the call returned a response instead.
    #[track_caller]
    pub fn expect_abort(&self) -> String {
        match &self.outcome {
            Outcome::Aborted(m) => m.clone(),
            _ => panic!("expected the VM to abort {}\n{self}", self.call),
        }
    }

    /// Whether the call returned `ok`.
    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, Outcome::Ok(_))
    }

    /// The printed values, in order.
    pub fn prints(&self) -> impl Iterator<Item = &Value> {
        self.events.iter().filter_map(|e| match e {
            Event::Print { value, .. } => Some(value),
            _ => None,
        })
    }

    /// The `topic` field of every printed tuple that has one.
    pub fn topics(&self) -> Vec<String> {
        self.prints().filter_map(topic_of).collect()
    }

    /// The first printed tuple whose `topic` is `topic`.
    pub fn print_with_topic(&self, topic: &str) -> Option<&Value> {
        self.prints()
            .find(|v| topic_of(v).as_deref() == Some(topic))
    }
}

/// The `topic` string of a printed tuple, if it has one.
pub fn topic_of(v: &Value) -> Option<String> {
    match v {
        Value::Tuple(t) => match t.get("topic") {
            Ok(Value::Sequence(SequenceData::String(CharType::ASCII(s)))) => {
                Some(String::from_utf8_lossy(&s.data).into_owned())
            }
            _ => None,
        },
        _ => None,
    }
}

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Ok(v) => writeln!(f, "  result: (ok {v})")?,
            Outcome::Err(v) => writeln!(f, "  result: (err {v})")?,
            Outcome::Aborted(m) => writeln!(f, "  aborted: {m}")?,
        }
        if self.events.is_empty() {
            writeln!(f, "  events: none")?;
        }
        for e in &self.events {
            match e {
                Event::Print { contract, value } => writeln!(f, "  print {contract}: {value}")?,
                other => writeln!(f, "  event: {other:?}")?,
            }
        }
        Ok(())
    }
}

pub(crate) fn decode_events(raw: &[StacksTransactionEvent]) -> Vec<Event> {
    raw.iter().filter_map(decode_event).collect()
}

fn decode_event(e: &StacksTransactionEvent) -> Option<Event> {
    Some(match e {
        StacksTransactionEvent::SmartContractEvent(d) => {
            let contract = d.key.0.to_string();
            sft_event(&contract, &d.value).unwrap_or(Event::Print {
                contract,
                value: d.value.clone(),
            })
        }
        StacksTransactionEvent::STXEvent(STXEventType::STXTransferEvent(d)) => Event::StxTransfer {
            sender: d.sender.to_string(),
            recipient: d.recipient.to_string(),
            amount: d.amount,
        },
        StacksTransactionEvent::STXEvent(STXEventType::STXMintEvent(d)) => Event::StxMint {
            recipient: d.recipient.to_string(),
            amount: d.amount,
        },
        StacksTransactionEvent::STXEvent(STXEventType::STXBurnEvent(d)) => Event::StxBurn {
            sender: d.sender.to_string(),
            amount: d.amount,
        },
        StacksTransactionEvent::STXEvent(STXEventType::STXLockEvent(_)) => return None,
        StacksTransactionEvent::FTEvent(FTEventType::FTTransferEvent(d)) => Event::FtTransfer {
            asset: d.asset_identifier.to_string(),
            sender: d.sender.to_string(),
            recipient: d.recipient.to_string(),
            amount: d.amount,
        },
        StacksTransactionEvent::FTEvent(FTEventType::FTMintEvent(d)) => Event::FtMint {
            asset: d.asset_identifier.to_string(),
            recipient: d.recipient.to_string(),
            amount: d.amount,
        },
        StacksTransactionEvent::FTEvent(FTEventType::FTBurnEvent(d)) => Event::FtBurn {
            asset: d.asset_identifier.to_string(),
            sender: d.sender.to_string(),
            amount: d.amount,
        },
        StacksTransactionEvent::NFTEvent(NFTEventType::NFTTransferEvent(d)) => Event::Nft {
            asset: d.asset_identifier.to_string(),
            sender: Some(d.sender.to_string()),
            recipient: Some(d.recipient.to_string()),
            id: d.value.clone(),
        },
        StacksTransactionEvent::NFTEvent(NFTEventType::NFTMintEvent(d)) => Event::Nft {
            asset: d.asset_identifier.to_string(),
            sender: None,
            recipient: Some(d.recipient.to_string()),
            id: d.value.clone(),
        },
        StacksTransactionEvent::NFTEvent(NFTEventType::NFTBurnEvent(d)) => Event::Nft {
            asset: d.asset_identifier.to_string(),
            sender: Some(d.sender.to_string()),
            recipient: None,
            id: d.value.clone(),
        },
    })
}

fn sft_event(contract: &str, v: &Value) -> Option<Event> {
    let Value::Tuple(t) = v else { return None };
    let kind = match t.get("type") {
        Ok(Value::Sequence(SequenceData::String(CharType::ASCII(s)))) => {
            String::from_utf8_lossy(&s.data).into_owned()
        }
        _ => return None,
    };
    if !matches!(kind.as_str(), "sft_transfer" | "sft_mint" | "sft_burn") {
        return None;
    }
    let uint = |k: &str| match t.get(k) {
        Ok(Value::UInt(n)) => Some(*n),
        _ => None,
    };
    let who = |k: &str| match t.get(k) {
        Ok(Value::Principal(p)) => Some(p.to_string()),
        _ => None,
    };
    Some(Event::Sft {
        contract: contract.to_string(),
        kind,
        token_id: uint("token-id")?,
        amount: uint("amount")?,
        sender: who("sender"),
        recipient: who("recipient"),
    })
}
