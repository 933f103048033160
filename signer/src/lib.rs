//! Alkahest signer: attests verified Silica payouts to the contracts.
//!
//! A signer is a secp256k1 key plus its own indexer store. Once a Silica window is final
//! it signs the exact message the `signer-registry` contract verifies (see
//! `docs/attestation.md`), exchanges attestations with the other signers, and a
//! deterministic coordinator submits M of N signatures to Stacks.
//!
//! Status: not built yet — the "Signer, devnet and API" issue delivers it. This crate
//! holds no functionality until then, on purpose: nothing here pretends to sign.
#![deny(missing_docs)]
