//! Simnet accounts: a secp256k1 key, the Stacks address it controls, and a starting
//! STX balance.
//!
//! `settings/Devnet.toml` stores both the key and the address. Loading re-derives the
//! address from the key and refuses a mismatch, so the documented keys can be trusted
//! to control the documented addresses (they are public test keys: never fund them on
//! a real network).

use clarity::address::{AddressHashMode, C32_ADDRESS_VERSION_TESTNET_SINGLESIG};
use clarity::types::chainstate::StacksAddress;
use clarity::util::secp256k1::{Secp256k1PrivateKey, Secp256k1PublicKey};
use serde::Deserialize;

/// One funded simnet account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its name in `Devnet.toml` (`deployer`, `wallet_1`, …).
    pub name: String,
    /// Testnet `ST…` address.
    pub address: String,
    /// Hex secret key (33 bytes: the key plus the `01` compressed-public-key flag).
    pub secret_key: String,
    /// Starting balance in micro-STX.
    pub balance: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawAccount {
    secret_key: String,
    address: String,
    balance: u64,
}

impl Account {
    pub(crate) fn from_raw(name: &str, raw: RawAccount) -> Result<Account, String> {
        let derived = address_of(&raw.secret_key)
            .map_err(|e| format!("account `{name}`: secret_key: {e}"))?;
        if derived != raw.address {
            return Err(format!(
                "account `{name}`: address {} does not match its key (which controls {derived})",
                raw.address
            ));
        }
        Ok(Account {
            name: name.to_string(),
            address: raw.address,
            secret_key: raw.secret_key,
            balance: raw.balance,
        })
    }
}

/// Returns the testnet single-sig (P2PKH) address controlled by a hex secret key.
///
/// # Errors
/// If the hex is not a valid secp256k1 secret key.
///
/// ```
/// let a = alkahest_clarity::accounts::address_of(
///     "0000000000000000000000000000000000000000000000000000000000000001" ).unwrap();
/// assert!(a.starts_with("ST"));
/// ```
pub fn address_of(secret_key_hex: &str) -> Result<String, String> {
    let sk = Secp256k1PrivateKey::from_hex(secret_key_hex).map_err(|e| e.to_string())?;
    let pk = Secp256k1PublicKey::from_private(&sk);
    let addr = StacksAddress::from_public_keys(
        C32_ADDRESS_VERSION_TESTNET_SINGLESIG,
        &AddressHashMode::SerializeP2PKH,
        1,
        &vec![pk],
    )
    .ok_or_else(|| "cannot derive an address".to_string())?;
    Ok(addr.to_string())
}
