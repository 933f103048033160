//! The coordinator: chosen deterministically from the signer set and the Bitcoin tip,
//! it sends a proposal to every signer, keeps the signatures that recover to that
//! signer's registered key, and stops at the threshold.

use alkahest_protocol::key::RecoverableSignature;
use alkahest_protocol::message::{Binding, Delivery};
use sha2::{Digest, Sha256};

use crate::exchange::{ProposalJson, SignatureJson};

/// A signer as the coordinator knows it: where it listens and its registered key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Base URL, e.g. `http://127.0.0.1:18001`.
    pub url: String,
    /// Compressed public key as registered in `signer-registry`.
    pub public_key: [u8; 33],
}

/// Index, into the signer keys sorted ascending, of this round's coordinator:
/// `u32::from_be_bytes(sha256(tip_hash)[0..4]) mod n` (the sBTC signer's rule).
///
/// # Panics
/// If `signer_count` is 0.
pub fn coordinator_index(tip_hash: &[u8; 32], signer_count: usize) -> usize {
    assert!(signer_count > 0, "a signer set is never empty");
    let digest = Sha256::digest(tip_hash);
    let word = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    word as usize % signer_count
}

/// Why the coordinator could not gather a quorum.
#[derive(Debug, thiserror::Error)]
#[error("{got} of {needed} signatures; refusals: {}", .refusals.join("; "))]
pub struct CollectError {
    /// Valid signatures gathered.
    pub got: usize,
    /// The threshold.
    pub needed: usize,
    /// Each signer that did not sign, and why.
    pub refusals: Vec<String>,
}

/// Asks every peer to sign `proposal` and returns `threshold` signatures, each verified
/// to recover to its peer's key over the attestation id.
///
/// # Errors
/// [`CollectError`] listing every refusal when fewer than `threshold` signed.
pub async fn collect(
    http: &reqwest::Client,
    peers: &[Peer],
    proposal: &Delivery,
    threshold: usize,
    binding: &Binding,
) -> Result<Vec<RecoverableSignature>, CollectError> {
    let body = ProposalJson::from_delivery(proposal);
    let id = proposal.id(binding);
    let mut sigs = Vec::new();
    let mut refusals = Vec::new();
    for peer in peers {
        if sigs.len() == threshold {
            break;
        }
        let url = format!("{}/v1/attestations", peer.url);
        let resp = match http.post(&url).json(&body).send().await {
            Ok(r) => r,
            Err(e) => {
                refusals.push(format!("{url}: {e}"));
                continue;
            }
        };
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            refusals.push(format!("{url}: {status}: {text}"));
            continue;
        }
        let answer: SignatureJson = match serde_json::from_str(&text) {
            Ok(a) => a,
            Err(e) => {
                refusals.push(format!("{url}: bad answer: {e}"));
                continue;
            }
        };
        let sig = hex::decode(&answer.signature)
            .ok()
            .and_then(|b| <[u8; 65]>::try_from(b).ok())
            .map(RecoverableSignature);
        match sig {
            Some(sig) if sig.recover(&id) == Some(peer.public_key) => sigs.push(sig),
            _ => refusals.push(format!("{url}: signature does not recover to its key")),
        }
    }
    if sigs.len() < threshold {
        return Err(CollectError {
            got: sigs.len(),
            needed: threshold,
            refusals,
        });
    }
    Ok(sigs)
}
