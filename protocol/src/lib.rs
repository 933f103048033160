//! The Alkahest protocol, shared by every role and free of the Clarity VM: the messages
//! the signers sign and their exact bytes ([`message`], [`consensus`]), Stacks
//! principals ([`principal`]), signer keys and recoverable signatures ([`key`]), the
//! signer-controlled Bitcoin scripts ([`script`]), the hashprice index with its work
//! formula ([`index`]), the SPV proofs the `btc-proof` contract checks ([`spv`]), and
//! sBTC deposit outputs as the sBTC signers read them ([`sbtc`]).
//! The indexer, the signer, the API and the contract harness all use these one
//! implementations, so what the API shows is what the signers sign.
//!
//! ```
//! use alkahest_protocol::message::{Binding, Delivery};
//! use alkahest_protocol::key::SignerKey;
//! use alkahest_protocol::CHAIN_ID_TESTNET;
//!
//! let binding = Binding::testnet("ST37ZXAWCBKQB09TX4FKGR1SM1B6WF42QGD0WHE7Y").unwrap();
//! let msg = Delivery { silica_id: 1, window: 0, delivered: 50_000, index: 6_000_000_000,
//!                      burn_height: 300, burn_hash: [7; 32] };
//! let bytes = msg.message(&binding);
//! assert_eq!(bytes[0], 0x0c); // a Clarity tuple
//! let key = SignerKey::from_seed(b"doc signer");
//! let sig = key.sign(&msg.id(&binding));
//! assert!(sig.0[64] <= 3); // recovery id last, as `secp256k1-recover?` reads it
//! assert_eq!(sig.recover(&msg.id(&binding)), Some(key.public_key()));
//! assert_eq!(binding.chain_id, CHAIN_ID_TESTNET);
//! ```
#![deny(missing_docs)]

pub mod consensus;
pub mod index;
pub mod key;
pub mod message;
pub mod principal;
pub mod sbtc;
pub mod script;
pub mod spv;

/// `chain-id` on Stacks mainnet.
pub const CHAIN_ID_MAINNET: u128 = 0x0000_0001;
/// `chain-id` on Stacks testnet, devnet and the simnet.
pub const CHAIN_ID_TESTNET: u128 = 0x8000_0000;

/// Most keys a signer set holds (`MAX_SIGNERS` in `signer-registry`).
pub const MAX_SIGNERS: usize = 15;

/// A 33-byte compressed secp256k1 public key.
pub type CompressedKey = [u8; 33];

/// `sha256` of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
