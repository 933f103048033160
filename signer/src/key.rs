//! The signer's secp256k1 key: loaded from a key file that only its owner can read,
//! or from the environment, and never printed.

use std::path::{Path, PathBuf};

use clarity::util::secp256k1::{Secp256k1PrivateKey, Secp256k1PublicKey};

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read.
    #[error("cannot read key file {path}: {source}")]
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

/// A signing key. `Debug` shows only the public key.
#[derive(Clone)]
pub struct SignerKey {
    secret: Secp256k1PrivateKey,
}

impl std::fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SignerKey(public {})",
            hex::encode(self.public_key_bytes())
        )
    }
}

impl SignerKey {
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
        let mut secret = Secp256k1PrivateKey::from_hex(&text[..64]).map_err(|_| invalid())?;
        secret.set_compress_public(true);
        Ok(SignerKey { secret })
    }

    /// Loads the key from `path`, refusing a file that group or others can access.
    ///
    /// # Errors
    /// [`KeyError::Permissions`], [`KeyError::Read`] or [`KeyError::Invalid`].
    pub fn from_file(path: &Path) -> Result<SignerKey, KeyError> {
        let meta = std::fs::metadata(path).map_err(|source| KeyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        check_permissions(path, &meta)?;
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
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

    /// The stacks-common secret key, for signing.
    pub fn secret(&self) -> &Secp256k1PrivateKey {
        &self.secret
    }

    /// The compressed public key.
    pub fn public_key(&self) -> Secp256k1PublicKey {
        Secp256k1PublicKey::from_private(&self.secret)
    }

    /// The 33-byte compressed public key.
    pub fn public_key_bytes(&self) -> Vec<u8> {
        self.public_key().to_bytes_compressed()
    }
}

impl SignerKey {
    /// Signs a 32-byte digest, returning the 65 bytes `r || s || v` that Clarity's
    /// `secp256k1-recover?` reads (stacks-common produces `v || r || s`).
    pub fn sign_digest(
        &self,
        digest: &[u8; 32],
    ) -> alkahest_clarity::attestation::RecoverableSignature {
        use clarity::types::PrivateKey;
        let vrs = self
            .secret
            .sign(digest)
            .expect("signing a 32-byte digest cannot fail");
        alkahest_clarity::attestation::RecoverableSignature::from_vrs(&vrs)
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
        let key = SignerKey::from_file(&path).unwrap();
        assert_eq!(key.public_key_bytes().len(), 33);
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
        // 64 and 66 digit forms give the same key.
        let short = SignerKey::from_hex(&KEY[..64], "x").unwrap();
        assert_eq!(short.public_key_bytes(), key.public_key_bytes());
    }
}
