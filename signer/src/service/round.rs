//! One round of the signer service. The round's coordinator is chosen from the Bitcoin
//! tip hash over the signer set sorted by key (the sBTC signer's rule, so every honest
//! signer agrees without talking); only it proposes. For each Silica whose next window
//! is final in its own index, it proposes the delivery, pins the block below its tip
//! (which every peer checks against its own chain), gathers M signatures and submits
//! `attest-window`. A window it submitted is not resubmitted until the tip has moved
//! [`RETRY_AFTER`] blocks, so a slow node is not flooded with duplicates.

use std::collections::HashMap;

use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::Height;
use alkahest_protocol::message::Delivery;
use anyhow::Context;
use bitcoin::hashes::Hash as _;
use clarity::vm::types::PrincipalData;
use clarity::vm::Value;

use super::chain::ChainTerms;
use crate::attest::Signer;
use crate::coordinator::{collect, coordinator_index, Peer};
use crate::stacks::tx::{self, ContractCall, Network};
use crate::stacks::StacksClient;

/// Blocks after which an unconfirmed submission is retried.
pub const RETRY_AFTER: u32 = 3;

/// Everything a round needs, owned by the service loop.
pub struct Round<D, C> {
    /// This signer.
    pub signer: std::sync::Arc<Signer<D>>,
    /// The set, this signer included, sorted by public key.
    pub peers: Vec<Peer>,
    /// M.
    pub threshold: usize,
    /// Chain reads and submission.
    pub chain: ChainTerms<C>,
    /// How transactions are made.
    pub submission: Submission,
    /// HTTP client for peers.
    pub http: reqwest::Client,
    /// (silica, window) → the tip height it was submitted at.
    submitted: HashMap<(u128, u32), u32>,
}

/// How the coordinator's transactions are made.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The Stacks principal that deployed `silica`.
    pub deployer: String,
    /// The network of submitted transactions.
    pub network: Network,
    /// Fee per transaction, micro-STX.
    pub fee_ustx: u64,
}

/// What a round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing indexed yet.
    NoTip,
    /// Another signer coordinates this tip.
    NotCoordinator,
    /// These attestations were submitted: (proposal, txid).
    Submitted(Vec<(Delivery, String)>),
}

impl<D: DbRead, C: StacksClient> Round<D, C> {
    /// A round driver; `peers` must include this signer.
    pub fn new(
        signer: std::sync::Arc<Signer<D>>,
        mut peers: Vec<Peer>,
        threshold: usize,
        chain: ChainTerms<C>,
        submission: Submission,
        http: reqwest::Client,
    ) -> Round<D, C> {
        peers.sort_by_key(|p| p.public_key);
        peers.dedup_by_key(|p| p.public_key);
        Round {
            signer,
            peers,
            threshold,
            chain,
            submission,
            http,
            submitted: HashMap::new(),
        }
    }

    /// Runs one round against this signer's current tip.
    ///
    /// # Errors
    /// The store, the node or a peer failing; the next round retries.
    pub async fn run(&mut self) -> anyhow::Result<Outcome> {
        let store = self.signer.store();
        let Some((tip, tip_hash)) = store.tip().await? else {
            return Ok(Outcome::NoTip);
        };
        let me = self.signer.key().public_key();
        let coordinator = coordinator_index(&tip_hash.to_byte_array(), self.peers.len());
        if self.peers[coordinator].public_key != me {
            return Ok(Outcome::NotCoordinator);
        }
        let mut done = Vec::new();
        for id in 1u128.. {
            let Some(silica) = self.chain.silica(id).await? else {
                break;
            };
            if !silica.attestable() {
                continue;
            }
            let window = silica.next_window;
            let Some((_, last)) = silica.terms.heights(window) else {
                continue;
            };
            let confirmations = self.signer.config().confirmations;
            // Final at last + confirmations, pinned one below the tip: one block later.
            if tip.0 < last.0.saturating_add(confirmations).saturating_add(1) {
                continue;
            }
            if self
                .submitted
                .get(&(id, window))
                .is_some_and(|at| tip.0 < at.saturating_add(RETRY_AFTER))
            {
                continue;
            }
            let pin = Height(tip.0 - 1);
            let pin_hash = store
                .block_hash(pin)
                .await?
                .with_context(|| format!("own index lacks block {pin}"))?;
            let mut display = pin_hash.to_byte_array();
            display.reverse();
            let proposal = self
                .signer
                .propose(&silica.terms, window, pin.0.into(), display)
                .await?;
            let binding = &self.signer.config().binding;
            let sigs = collect(&self.http, &self.peers, &proposal, self.threshold, binding).await?;
            let mut signatures = Vec::with_capacity(sigs.len());
            for sig in &sigs {
                signatures.push(Value::buff_from(sig.0.to_vec())?);
            }
            let call = ContractCall {
                contract_id: format!("{}.silica", self.submission.deployer),
                function: "attest-window".into(),
                // The settlement token first: `silica`'s every token-moving call takes
                // it (attest-window releases or refunds escrow), and only the minted
                // sBTC may carry a non-zero delivery.
                args: vec![
                    Value::Principal(PrincipalData::parse(&format!(
                        "{}.sbtc-token",
                        self.submission.deployer
                    ))?),
                    Value::UInt(id),
                    Value::UInt(proposal.window),
                    Value::UInt(proposal.delivered),
                    Value::UInt(proposal.index),
                    Value::UInt(proposal.burn_height),
                    Value::buff_from(proposal.burn_hash.to_vec())?,
                    Value::list_from(signatures)?,
                ],
            };
            let key = self.signer.key();
            let Submission {
                network, fee_ustx, ..
            } = self.submission;
            let origin = tx::address_of(key, network).to_string();
            let nonce = self.chain.client().get_nonce(&origin).await?;
            let signed = tx::sign_contract_call(&call, nonce, fee_ustx, key, network)?;
            let txid = self.chain.client().submit(&signed).await?;
            tracing::info!(silica = id, window, txid = %txid, delivered = %proposal.delivered, "submitted attest-window");
            metrics::counter!("signer_attestations_submitted_total").increment(1);
            self.submitted.insert((id, window), tip.0);
            done.push((proposal, txid));
        }
        Ok(Outcome::Submitted(done))
    }
}
