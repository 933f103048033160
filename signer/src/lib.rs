//! Alkahest signer: attests verified Silica payouts to the contracts.
//!
//! A signer is a secp256k1 key plus its own indexer store. Once a Silica window is final
//! it signs the exact message the `signer-registry` contract verifies
//! (`docs/attestation.md`), but only if its own index agrees with the proposal
//! ([`attest`]); a deterministic coordinator collects M signatures over HTTP
//! ([`coordinator`], [`exchange`]) and submits them to Stacks through a
//! [`stacks::StacksClient`]: a node over RPC, or the devnet's in-process simnet.
//!
//! ```
//! use alkahest_signer::key::SignerKey;
//! use alkahest_signer::stacks::tx::{sign_contract_call, encode, decode, verify, ContractCall, Network};
//! use clarity::vm::Value;
//!
//! let key = SignerKey::from_hex(&"11".repeat(32), "example").unwrap();
//! let call = ContractCall {
//!     contract_id: "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.silica".into(),
//!     function: "attest-window".into(),
//!     args: vec![Value::UInt(1)],
//! };
//! let tx = sign_contract_call(&call, 0, 1_000, &key, Network::Testnet).unwrap();
//! let decoded = decode(&encode(&tx)).unwrap();
//! verify(&decoded).unwrap();
//! assert_eq!(decoded, tx);
//! ```
#![deny(missing_docs)]

pub mod attest;
pub mod coordinator;
pub mod deposit;
pub mod exchange;
pub mod forward;
pub mod key;
pub mod observer;
pub mod service;
pub mod stacks;

#[cfg(test)]
mod tests;
