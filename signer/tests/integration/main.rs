//! Signer integration tests: one binary, one module per area.

mod rpc;
mod tx_roundtrip;
