//! Cross-component tests: a Bitcoin block flows through the indexer and the signers to
//! a contract state change and to the API. The tests live in `tests/e2e.rs`; this
//! library is empty on purpose.
#![deny(missing_docs)]
