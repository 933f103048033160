//! The signer's secp256k1 key is the protocol's [`SignerKey`] (loaded from a private
//! key file or the environment, never printed); this module only adapts it to
//! stacks-common's key types for signing Stacks transactions.

use clarity::util::secp256k1::{Secp256k1PrivateKey, Secp256k1PublicKey};

pub use alkahest_protocol::key::{KeyError, RecoverableSignature, SignerKey};

/// The stacks-common secret key for `key`, compressed, to sign Stacks transactions.
pub fn stacks_secret(key: &SignerKey) -> Secp256k1PrivateKey {
    let mut secret = Secp256k1PrivateKey::from_slice(&key.secret_bytes())
        .expect("a valid secp256k1 secret is valid for stacks-common too");
    secret.set_compress_public(true);
    secret
}

/// The stacks-common public key of `key`.
pub fn stacks_public(key: &SignerKey) -> Secp256k1PublicKey {
    Secp256k1PublicKey::from_private(&stacks_secret(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_keys_match_the_protocol_key() {
        let key = SignerKey::from_seed(b"stacks adapter");
        assert_eq!(
            stacks_public(&key).to_bytes_compressed(),
            key.public_key().to_vec()
        );
    }
}
