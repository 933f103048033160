//! Deciding whether to sign a proposed delivery attestation, and signing it.
//!
//! A signer signs only what its **own** index shows: the window must be final (its last
//! block buried under `confirmations` blocks in this signer's store), and the proposed
//! delivered sats and index must equal this signer's observation exactly. Anything
//! else is a [`Refusal`], with the numbers that disagreed.

use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::Height;
use alkahest_protocol::index::WorkModel;
use alkahest_protocol::key::{RecoverableSignature, SignerKey};
use alkahest_protocol::message::{Binding, Delivery};
use bitcoin::hashes::Hash as _;

use crate::observer::{observe, ObserveError, WindowTerms};

/// Why a signer would not sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The proposal names a different Silica than the terms.
    #[error("proposal is for silica {proposed}, terms are for {terms}")]
    WrongSilica {
        /// In the proposal.
        proposed: u128,
        /// In the terms.
        terms: u128,
    },
    /// The window number does not fit.
    #[error("window {0} is out of range")]
    WindowOutOfRange(u128),
    /// This signer's store does not hold all of the window's blocks yet.
    #[error("window {window} is not fully indexed here")]
    NotIndexed {
        /// The window.
        window: u128,
    },
    /// The window's last block is not yet buried under `confirmations` blocks.
    #[error("window {window} ends at {last}; final at {final_at}, local tip {tip}")]
    NotFinal {
        /// The window.
        window: u128,
        /// Its last height.
        last: u32,
        /// The height at which it becomes final.
        final_at: u64,
        /// This signer's tip.
        tip: u32,
    },
    /// The proposed delivered sats differ from this signer's index.
    #[error("delivered {proposed} sats proposed, this signer's index shows {observed}")]
    Delivered {
        /// Proposed.
        proposed: u128,
        /// Observed.
        observed: u128,
    },
    /// The proposed network index differs from this signer's index.
    #[error("index {proposed} proposed, this signer's index shows {observed}")]
    Index {
        /// Proposed.
        proposed: u128,
        /// Observed.
        observed: u128,
    },
    /// A deposit does not match this signer's index.
    #[error("deposit: {0}")]
    Deposit(String),
    /// A forward (its transaction or its attestation) is not what this signer's index
    /// builds.
    #[error("forward: {0}")]
    Forward(String),
    /// The proposal pins a Bitcoin height this signer has not indexed (or never will:
    /// past its tip).
    #[error("burn height {burn_height} is past this signer's tip {tip}")]
    BurnHeightAhead {
        /// Proposed.
        burn_height: u128,
        /// This signer's tip.
        tip: u32,
    },
    /// The proposal's burn hash is not this signer's block at that height (another
    /// fork, or made up). Both in display byte order, as the contract compares them.
    #[error("burn hash {proposed} at height {height} differs from this signer's block {stored}")]
    BurnHash {
        /// The pinned height.
        height: u128,
        /// Proposed, hex.
        proposed: String,
        /// Stored, hex.
        stored: String,
    },
    /// The proposal's burn height is before the window is final.
    #[error("burn height {burn_height} is before the window is final at {final_at}")]
    BurnHeight {
        /// Proposed.
        burn_height: u128,
        /// Required minimum.
        final_at: u64,
    },
}

/// Failures that are not a decision about the proposal.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    /// The signer's store could not be read.
    #[error("observing the window failed: {0}")]
    Observe(#[from] ObserveError),
    /// The signer refused.
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
}

/// How a signer decides: finality, the deployment it signs for, and where work comes
/// from.
#[derive(Debug, Clone)]
pub struct SignerConfig {
    /// Blocks that must bury a window's last block (100 on mainnet: coinbase maturity).
    pub confirmations: u32,
    /// The deployment (chain id, registry and silica contracts) signed into every
    /// message.
    pub binding: Binding,
    /// Header work, or the devnet's simulated difficulty.
    pub work_model: WorkModel,
}

/// One signer: its key, its own store, and its decision rules.
pub struct Signer<D> {
    key: SignerKey,
    store: D,
    config: SignerConfig,
}

impl<D: DbRead> Signer<D> {
    /// A signer over its own store.
    pub fn new(key: SignerKey, store: D, config: SignerConfig) -> Signer<D> {
        Signer { key, store, config }
    }

    /// The decision rules.
    pub fn config(&self) -> &SignerConfig {
        &self.config
    }

    /// The signer's key.
    pub fn key(&self) -> &SignerKey {
        &self.key
    }

    /// The signer's store.
    pub fn store(&self) -> &D {
        &self.store
    }

    /// Builds the attestation this signer would propose for `window`, pinned at
    /// `burn_height`/`burn_hash` (read from the Stacks chain's view of Bitcoin).
    ///
    /// # Errors
    /// [`AttestError`] when the window is not indexed or not final here.
    pub async fn propose(
        &self,
        terms: &WindowTerms,
        window: u32,
        burn_height: u128,
        burn_hash: [u8; 32],
    ) -> Result<Delivery, AttestError> {
        let obs = observe(&self.store, terms, window, self.config.work_model)
            .await?
            .ok_or(Refusal::NotIndexed {
                window: window.into(),
            })?;
        let proposal = Delivery {
            silica_id: terms.silica_id,
            window: window.into(),
            delivered: obs.delivered,
            index: obs.index,
            burn_height,
            burn_hash,
        };
        self.check(terms, &proposal).await?;
        Ok(proposal)
    }

    /// Checks `proposal` against this signer's own index.
    ///
    /// # Errors
    /// [`AttestError::Refused`] with the first disagreement.
    pub async fn check(&self, terms: &WindowTerms, proposal: &Delivery) -> Result<(), AttestError> {
        if proposal.silica_id != terms.silica_id {
            return Err(Refusal::WrongSilica {
                proposed: proposal.silica_id,
                terms: terms.silica_id,
            }
            .into());
        }
        let window = u32::try_from(proposal.window)
            .map_err(|_| Refusal::WindowOutOfRange(proposal.window))?;
        let (_, last) = terms
            .heights(window)
            .ok_or(Refusal::WindowOutOfRange(proposal.window))?;
        let final_at = u64::from(last.0) + u64::from(self.config.confirmations);
        let tip = self.store.tip().await.map_err(ObserveError::from)?;
        let tip_height = tip.map(|(h, _)| h.0).unwrap_or(0);
        if u64::from(tip_height) < final_at {
            return Err(Refusal::NotFinal {
                window: proposal.window,
                last: last.0,
                final_at,
                tip: tip_height,
            }
            .into());
        }
        if proposal.burn_height < u128::from(final_at) {
            return Err(Refusal::BurnHeight {
                burn_height: proposal.burn_height,
                final_at,
            }
            .into());
        }
        self.check_burn_pin(proposal.burn_height, &proposal.burn_hash, tip_height)
            .await?;
        let obs = observe(&self.store, terms, window, self.config.work_model)
            .await?
            .ok_or(Refusal::NotIndexed {
                window: proposal.window,
            })?;
        if obs.delivered != proposal.delivered {
            return Err(Refusal::Delivered {
                proposed: proposal.delivered,
                observed: obs.delivered,
            }
            .into());
        }
        if obs.index != proposal.index {
            return Err(Refusal::Index {
                proposed: proposal.index,
                observed: obs.index,
            }
            .into());
        }
        Ok(())
    }

    /// Checks `proposal` and, if this signer agrees, signs its attestation id.
    ///
    /// # Errors
    /// As [`Signer::check`].
    pub async fn sign(
        &self,
        terms: &WindowTerms,
        proposal: &Delivery,
    ) -> Result<RecoverableSignature, AttestError> {
        self.check(terms, proposal).await?;
        Ok(self.key.sign(&proposal.id(&self.config.binding)))
    }

    /// Refuses a pin (`burn_height`, `burn_hash`) unless `burn_height` is at or below
    /// this signer's tip and its own block there has exactly `burn_hash` (display byte
    /// order, what `get-burn-block-info? header-hash` returns). A signer signs only
    /// burn data it verified against its own chain.
    ///
    /// # Errors
    /// [`Refusal::BurnHeightAhead`], [`Refusal::BurnHash`], or a storage failure.
    pub async fn check_burn_pin(
        &self,
        burn_height: u128,
        burn_hash: &[u8; 32],
        tip: u32,
    ) -> Result<(), AttestError> {
        let ahead = || Refusal::BurnHeightAhead { burn_height, tip };
        let height = u32::try_from(burn_height).map_err(|_| ahead())?;
        if height > tip {
            return Err(ahead().into());
        }
        let block = self
            .store
            .block(Height(height))
            .await
            .map_err(ObserveError::from)?
            .ok_or_else(ahead)?;
        let mut stored = block.hash.to_byte_array();
        stored.reverse();
        if &stored != burn_hash {
            return Err(Refusal::BurnHash {
                height: burn_height,
                proposed: hex::encode(burn_hash),
                stored: hex::encode(stored),
            }
            .into());
        }
        Ok(())
    }
}
