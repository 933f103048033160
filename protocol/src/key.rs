//! Signer keys and the 65-byte recoverable signatures `secp256k1-recover?` reads.
//!
//! A key comes from a file only its owner can read, from the environment, or (tests and
//! the devnet) from a seed; it is never printed: `Debug` shows the public key, and
//! errors name where the key came from, never its text.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bitcoin::secp256k1::ecdsa::{RecoverableSignature as SecpRecoverable, RecoveryId};
use bitcoin::secp256k1::{All, Message, PublicKey, Secp256k1, SecretKey};

use crate::{sha256, CompressedKey};

fn secp() -> &'static Secp256k1<All> {
    static CTX: OnceLock<Secp256k1<All>> = OnceLock::new();
    CTX.get_or_init(Secp256k1::new)
}

/// A 65-byte recoverable signature in `secp256k1-recover?` order: `r || s || v`,
/// v the recovery id 0..=3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoverableSignature(pub [u8; 65]);

impl RecoverableSignature {
    /// Reorders a `v || r || s` signature (stacks-common's `MessageSignature` layout)
    /// into `r || s || v`.
    pub fn from_vrs(vrs: &[u8; 65]) -> RecoverableSignature {
        let mut rsv = [0u8; 65];
        rsv[..64].copy_from_slice(&vrs[1..]);
        rsv[64] = vrs[0];
        RecoverableSignature(rsv)
    }

    /// The compressed key that signed `hash`, or `None` if the signature is invalid.
    pub fn recover(&self, hash: &[u8; 32]) -> Option<CompressedKey> {
        let id = RecoveryId::from_i32(i32::from(self.0[64])).ok()?;
        let sig = SecpRecoverable::from_compact(&self.0[..64], id).ok()?;
        let key = secp()
            .recover_ecdsa(&Message::from_digest(*hash), &sig)
            .ok()?;
        Some(key.serialize())
    }
}

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read.
    #[error("cannot read key file {path}")]
    Read {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The key file is readable or writable by group or others.
    #[error("key file {path} has mode {mode:o}: it must not be accessible by group or others (chmod 600)")]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The environment variable is not set.
    #[error("environment variable {0} is not set")]
    MissingEnv(String),
    /// The text is not a 32-byte hex key (optionally with the `01` compression suffix).
    /// The key text itself is never included.
    #[error("{source_name} does not hold a valid secp256k1 secret key in hex")]
    Invalid {
        /// Where the key came from (a path or a variable name), never the key.
        source_name: String,
    },
}

/// A signer's secret key. `Debug` shows only the public key.
#[derive(Clone)]
pub struct SignerKey(SecretKey);

impl std::fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignerKey(public {})", hex::encode(self.public_key()))
    }
}

impl SignerKey {
    /// The key whose 32 secret bytes are `sha256(seed)` (deterministic test and devnet
    /// keys; never for real funds).
    pub fn from_seed(seed: &[u8]) -> SignerKey {
        let mut hash = sha256(seed);
        loop {
            if let Ok(key) = SecretKey::from_slice(&hash) {
                return SignerKey(key);
            }
            // Out of the curve order (probability ~2^-128): hash again.
            hash = sha256(&hash);
        }
    }

    /// Parses a hex secret key (64 hex digits, or 66 with the `01` suffix).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] naming `source_name`, never the key text.
    pub fn from_hex(text: &str, source_name: &str) -> Result<SignerKey, KeyError> {
        let text = text.trim();
        let invalid = || KeyError::Invalid {
            source_name: source_name.to_string(),
        };
        if !(text.len() == 64 || (text.len() == 66 && text.ends_with("01"))) {
            return Err(invalid());
        }
        let bytes = hex::decode(&text[..64]).map_err(|_| invalid())?;
        SecretKey::from_slice(&bytes)
            .map(SignerKey)
            .map_err(|_| invalid())
    }

    /// Loads the key from `path`, refusing a file that group or others can access.
    ///
    /// # Errors
    /// [`KeyError::Permissions`], [`KeyError::Read`] or [`KeyError::Invalid`].
    pub fn from_file(path: &Path) -> Result<SignerKey, KeyError> {
        let read = |source| KeyError::Read {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(read)?;
        check_permissions(path, &meta)?;
        let text = std::fs::read_to_string(path).map_err(read)?;
        SignerKey::from_hex(&text, &path.display().to_string())
    }

    /// Loads the key from the environment variable `var`.
    ///
    /// # Errors
    /// [`KeyError::MissingEnv`] or [`KeyError::Invalid`].
    pub fn from_env(var: &str) -> Result<SignerKey, KeyError> {
        let text = std::env::var(var).map_err(|_| KeyError::MissingEnv(var.to_string()))?;
        SignerKey::from_hex(&text, var)
    }

    /// The 33-byte compressed public key.
    pub fn public_key(&self) -> CompressedKey {
        PublicKey::from_secret_key(secp(), &self.0).serialize()
    }

    /// The 32 secret bytes, for a Stacks transaction signer that needs its own key
    /// type. Handle with care: never log them.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.secret_bytes()
    }

    /// Signs a 32-byte message hash (RFC 6979 nonces); returns `r || s || v`.
    pub fn sign(&self, hash: &[u8; 32]) -> RecoverableSignature {
        let sig = secp().sign_ecdsa_recoverable(&Message::from_digest(*hash), &self.0);
        let (id, compact) = sig.serialize_compact();
        let mut rsv = [0u8; 65];
        rsv[..64].copy_from_slice(&compact);
        // Recovery ids are 0..=3.
        rsv[64] = id.to_i32() as u8;
        RecoverableSignature(rsv)
    }
}

#[cfg(unix)]
fn check_permissions(path: &Path, meta: &std::fs::Metadata) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), KeyError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "d91c611dad20df521b049d63b1a38df069bba3f8763dc550fc67f426af6e41e701";

    #[test]
    fn signatures_are_rsv_and_recover() {
        let key = SignerKey::from_seed(b"unit");
        let hash = sha256(b"message");
        let sig = key.sign(&hash);
        assert!(sig.0[64] <= 3);
        assert_eq!(sig.recover(&hash), Some(key.public_key()));
        // The v-first order does not recover to the same key.
        let mut vrs = [0u8; 65];
        vrs[0] = sig.0[64];
        vrs[1..].copy_from_slice(&sig.0[..64]);
        assert_ne!(
            RecoverableSignature(vrs).recover(&hash),
            Some(key.public_key())
        );
        assert_eq!(RecoverableSignature::from_vrs(&vrs), sig);
        // A different message recovers to some other key, never to ours.
        assert_ne!(sig.recover(&sha256(b"other")), Some(key.public_key()));
        let mut bad = sig;
        bad.0[64] = 7;
        assert_eq!(bad.recover(&hash), None);
    }

    #[cfg(unix)]
    #[test]
    fn key_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signer.key");
        std::fs::write(&path, KEY).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = SignerKey::from_file(&path).unwrap_err();
        assert!(
            matches!(e, KeyError::Permissions { mode: 0o644, .. }),
            "{e}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(SignerKey::from_file(&path).is_err());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            SignerKey::from_file(&path).unwrap().public_key(),
            SignerKey::from_hex(KEY, "x").unwrap().public_key()
        );
    }

    #[test]
    fn errors_and_debug_never_show_the_key() {
        let key = SignerKey::from_hex(KEY, "test").unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&KEY[..16]), "{shown}");
        let bad = "zz".repeat(32);
        let e = SignerKey::from_hex(&bad, "SIGNER_KEY")
            .unwrap_err()
            .to_string();
        assert!(e.contains("SIGNER_KEY") && !e.contains(&bad), "{e}");
        let short = SignerKey::from_hex(&KEY[..64], "x").unwrap();
        assert_eq!(short.public_key(), key.public_key());
        assert!(SignerKey::from_hex(&"00".repeat(32), "zero").is_err());
    }
}
