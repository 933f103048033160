//! Signer integration tests: one binary, one module per area.

mod quorum;
mod round;
mod rpc;
mod simnet;
mod tx_roundtrip;
