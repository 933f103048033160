//! Alkahest HTTP API: serves indexed blocks, coinbase payouts, the hashprice index,
//! pool shares and Silica status over axum, with an OpenAPI document.
//!
//! Status: not built yet — the "Signer, devnet and API" issue delivers it. The crate
//! will read only through the indexer's `DbRead` trait, so API servers stay stateless.
#![deny(missing_docs)]
