//! Simnet accounts: a secp256k1 key, the Stacks address it controls, and a starting
//! STX balance.
//!
//! `settings/Devnet.toml` is a Clarinet settings file: each account is a BIP39
//! `mnemonic`, an optional BIP32 `derivation` path (Clarinet's default is
//! [`DEFAULT_DERIVATION`]) and a `balance`. The key is derived exactly as Clarinet and
//! `@stacks/clarinet-sdk` derive it (BIP39 seed with an empty passphrase → BIP32 path →
//! compressed secp256k1 key → testnet P2PKH `ST…` address), so this harness, the
//! devnet and the node suite in `clarinet-tests/` all act as the same addresses. An
//! optional `address` entry is checked against the derived address, so documented
//! addresses can be trusted. They are public test keys: never fund them on a real
//! network.

use bitcoin::bip32::{DerivationPath, Xpriv};
use bitcoin::secp256k1::Secp256k1;
use bitcoin::NetworkKind;
use clarity::address::{AddressHashMode, C32_ADDRESS_VERSION_TESTNET_SINGLESIG};
use clarity::types::chainstate::StacksAddress;
use clarity::util::hash::to_hex;
use clarity::util::secp256k1::{Secp256k1PrivateKey, Secp256k1PublicKey};
use serde::Deserialize;

/// The BIP32 path Clarinet uses when an account gives no `derivation` (BIP44, coin
/// type 5757 = Stacks, first account, first external address).
pub const DEFAULT_DERIVATION: &str = "m/44'/5757'/0'/0/0";

/// Why an account of `Devnet.toml` could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The mnemonic is not a valid English BIP39 phrase (unknown word, bad word
    /// count or checksum).
    #[error("invalid BIP39 mnemonic: {0}")]
    Mnemonic(#[from] bip39::Error),
    /// The derivation path does not parse, or a step of it cannot be derived.
    #[error("invalid derivation path `{path}`: {source}")]
    Derivation {
        /// The path as written.
        path: String,
        /// The BIP32 error.
        #[source]
        source: bitcoin::bip32::Error,
    },
    /// A hex secret key is not a valid secp256k1 secret key.
    #[error("invalid secret key: {0}")]
    SecretKey(String),
    /// The key's public key does not form a P2PKH address (cannot happen for a valid
    /// key; kept so the conversion is total).
    #[error("cannot derive an address from the key")]
    Address,
    /// The file's `address` entry is not the address the mnemonic controls.
    #[error("address {written} does not match its mnemonic (which controls {derived})")]
    AddressMismatch {
        /// The `address` written in the file.
        written: String,
        /// The address derived from the mnemonic and path.
        derived: String,
    },
}

/// One funded simnet account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its name in `Devnet.toml` (`deployer`, `wallet_1`, …).
    pub name: String,
    /// Testnet `ST…` address.
    pub address: String,
    /// Hex secret key (33 bytes: the key plus the `01` compressed-public-key flag),
    /// derived from the mnemonic.
    pub secret_key: String,
    /// The BIP32 path the key was derived at.
    pub derivation: String,
    /// Starting balance in micro-STX.
    pub balance: u64,
}

/// An `[accounts.<name>]` table as Clarinet writes it.
#[derive(Debug, Deserialize)]
pub(crate) struct RawAccount {
    mnemonic: String,
    #[serde(default)]
    derivation: Option<String>,
    balance: u64,
    /// Not a Clarinet field (Clarinet ignores it): the expected address, checked.
    #[serde(default)]
    address: Option<String>,
}

impl Account {
    pub(crate) fn from_raw(name: &str, raw: RawAccount) -> Result<Account, AccountError> {
        let derivation = raw
            .derivation
            .unwrap_or_else(|| DEFAULT_DERIVATION.to_string());
        let secret_key = secret_key_from_mnemonic(&raw.mnemonic, &derivation)?;
        let address = address_of(&secret_key)?;
        if let Some(written) = raw.address {
            if written != address {
                return Err(AccountError::AddressMismatch {
                    written,
                    derived: address,
                });
            }
        }
        Ok(Account {
            name: name.to_string(),
            address,
            secret_key,
            derivation,
            balance: raw.balance,
        })
    }
}

/// Derives the hex secret key (with the `01` compressed flag, as stacks-common and
/// Clarinet print it) at `derivation` from a BIP39 `mnemonic` with an empty
/// passphrase — Clarinet's derivation.
///
/// # Errors
/// An invalid mnemonic or derivation path.
///
/// ```
/// use alkahest_clarity::accounts::{address_of, secret_key_from_mnemonic, DEFAULT_DERIVATION};
/// // Clarinet's well-known default devnet deployer (a public test mnemonic).
/// let m = "twice kind fence tip hidden tilt action fragile skin nothing glory cousin \
///          green tomorrow spring wrist shed math olympic multiply hip blue scout claw";
/// let key = secret_key_from_mnemonic(m, DEFAULT_DERIVATION).unwrap();
/// assert_eq!(address_of(&key).unwrap(), "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM");
/// ```
pub fn secret_key_from_mnemonic(mnemonic: &str, derivation: &str) -> Result<String, AccountError> {
    let mnemonic = bip39::Mnemonic::parse_in(bip39::Language::English, mnemonic)?;
    let seed = mnemonic.to_seed("");
    let bad_path = |source| AccountError::Derivation {
        path: derivation.to_string(),
        source,
    };
    let path: DerivationPath = derivation.parse().map_err(bad_path)?;
    let secp = Secp256k1::signing_only();
    let master = Xpriv::new_master(NetworkKind::Test, &seed).map_err(bad_path)?;
    let child = master.derive_priv(&secp, &path).map_err(bad_path)?;
    Ok(format!("{}01", to_hex(&child.private_key.secret_bytes())))
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
pub fn address_of(secret_key_hex: &str) -> Result<String, AccountError> {
    let sk = Secp256k1PrivateKey::from_hex(secret_key_hex)
        .map_err(|e| AccountError::SecretKey(e.to_string()))?;
    let pk = Secp256k1PublicKey::from_private(&sk);
    let addr = StacksAddress::from_public_keys(
        C32_ADDRESS_VERSION_TESTNET_SINGLESIG,
        &AddressHashMode::SerializeP2PKH,
        1,
        &vec![pk],
    )
    .ok_or(AccountError::Address)?;
    Ok(addr.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clarinet's default devnet deployer mnemonic and what Clarinet prints for it
    /// (`secret_key` / `stx_address` comments of its generated `Devnet.toml`).
    const CLARINET_DEPLOYER: &str = "twice kind fence tip hidden tilt action fragile skin \
        nothing glory cousin green tomorrow spring wrist shed math olympic multiply hip blue \
        scout claw";

    #[test]
    fn clarinet_default_deployer_vector() {
        let key = secret_key_from_mnemonic(CLARINET_DEPLOYER, DEFAULT_DERIVATION).unwrap();
        assert_eq!(
            key,
            "753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601"
        );
        assert_eq!(
            address_of(&key).unwrap(),
            "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM"
        );
    }

    fn raw(mnemonic: &str, derivation: Option<&str>, address: Option<&str>) -> RawAccount {
        RawAccount {
            mnemonic: mnemonic.into(),
            derivation: derivation.map(String::from),
            balance: 7,
            address: address.map(String::from),
        }
    }

    #[test]
    fn derivation_defaults_to_clarinets_and_other_paths_give_other_keys() {
        let a = Account::from_raw("deployer", raw(CLARINET_DEPLOYER, None, None)).unwrap();
        assert_eq!(a.derivation, DEFAULT_DERIVATION);
        assert_eq!(a.address, "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM");
        assert_eq!(a.balance, 7);
        let b = Account::from_raw(
            "deployer",
            raw(CLARINET_DEPLOYER, Some("m/44'/5757'/0'/0/1"), None),
        )
        .unwrap();
        assert_ne!(b.address, a.address);
        assert!(b.address.starts_with("ST"));
    }

    #[test]
    fn bad_inputs_get_clear_errors() {
        let e = Account::from_raw(
            "x",
            raw(
                CLARINET_DEPLOYER,
                None,
                Some("ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5"),
            ),
        )
        .unwrap_err();
        assert!(
            matches!(&e, AccountError::AddressMismatch { derived, .. }
                if derived == "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM"),
            "{e}"
        );
        // Same words, last one swapped: the BIP39 checksum fails.
        let bad = CLARINET_DEPLOYER.replace("claw", "cloud");
        let e = Account::from_raw("x", raw(&bad, None, None)).unwrap_err();
        assert!(matches!(e, AccountError::Mnemonic(_)), "{e}");
        let e = Account::from_raw("x", raw(CLARINET_DEPLOYER, Some("m/44'/x"), None)).unwrap_err();
        assert!(e.to_string().contains("m/44'/x"), "{e}");
        assert!(matches!(address_of("zz"), Err(AccountError::SecretKey(_))));
    }
}
