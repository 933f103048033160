//! Cross-component tests: a Bitcoin block flows through the indexer and the signers to
//! a contract state change and to the API.
//!
//! Status: the end-to-end test arrives with the "Signer, devnet and API" issue; this
//! crate holds no tests until the components it joins exist.
#![deny(missing_docs)]
