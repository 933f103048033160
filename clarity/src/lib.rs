//! The Rust REPL harness for Alkahest's Clarity contracts.
//!
//! It loads `Clarinet.toml` and `settings/Devnet.toml`, deploys every contract into a
//! clarity-repl 2.0.0 session (Clarity 2, epoch 2.4) in dependency order, and lets
//! tests and the devnet call contracts with typed values, read balances, mine blocks,
//! and assert on outcomes. Every call's execution cost is collected into the cost
//! table at `target/clarity-costs/report.md`.
//!
//! Deployment happens once per process; [`Simnet::new`] returns a cheap clone, so each
//! test starts from the same freshly deployed chain.
//!
//! ```
//! use alkahest_clarity::{Simnet, values::{uint, principal, none}};
//!
//! let mut sim = Simnet::new();
//! let (alice, bob) = (sim.account("wallet_1"), sim.account("wallet_2"));
//! // wallet_1 holds no ALEX, so a transfer fails with the token's named error code.
//! let r = sim.call("alex-token", "transfer",
//!     &[uint(1), principal(&alice), principal(&bob), none()], &alice);
//! r.expect_err(sim.err_code("alex-token", "ERR_INSUFFICIENT_BALANCE"));
//! ```
#![deny(missing_docs)]

pub mod accounts;
pub mod burn;
pub mod costs;
mod error;
pub mod manifest;
pub mod mutation;
pub mod receipt;
mod simnet;
pub mod values;

pub use clarity::vm::Value;
pub use error::HarnessError;
pub use manifest::Manifest;
pub use receipt::{Cost, Event, Outcome, Receipt};
pub use simnet::Simnet;

/// The deployment binding of the workspace's contracts: `signer-registry` and `silica`
/// of the `deployer` in `settings/Devnet.toml`, on the testnet chain id the simnet
/// runs. Every message signed for this simnet is bound to it.
///
/// # Panics
/// If the workspace manifest cannot be loaded (the harness cannot run without it).
pub fn binding() -> alkahest_protocol::message::Binding {
    use std::sync::OnceLock;
    static BINDING: OnceLock<alkahest_protocol::message::Binding> = OnceLock::new();
    BINDING
        .get_or_init(|| {
            let manifest = Manifest::workspace().expect("workspace manifest loads");
            let deployer = &manifest.accounts["deployer"].address;
            alkahest_protocol::message::Binding::testnet(deployer)
                .expect("the deployer is a standard principal")
        })
        .clone()
}
