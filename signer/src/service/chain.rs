//! What the signer reads from the Stacks chain: a Silica's status and terms, through
//! `silica`'s read-only `get-silica` on a node. Parsing never panics: a value of the
//! wrong shape is an error naming the field (a node answering garbage must not stop
//! the signer).

use alkahest_indexer::storage::{DbRead, DbWrite, WatchState};
use alkahest_indexer::types::Height;
use bitcoin::ScriptBuf;
use clarity::vm::types::TupleData;
use clarity::vm::Value;

use crate::exchange::TermsSource;
use crate::observer::WindowTerms;
use crate::stacks::{StacksClient, StacksError};

/// `silica`'s status codes the signer acts on.
pub mod status {
    /// Listed, not started: the first attestation starts it once shares are sold.
    pub const OPEN: u128 = 0;
    /// Delivering.
    pub const RUNNING: u128 = 1;
}

/// The fields of a Silica the signer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilicaState {
    /// Terms fixing which blocks and outputs a window covers.
    pub terms: WindowTerms,
    /// Status code.
    pub status: u128,
    /// TH/s sold.
    pub sold: u128,
    /// The next window to attest.
    pub next_window: u32,
}

impl SilicaState {
    /// Whether its next window may be attested: running, or open with shares sold.
    pub fn attestable(&self) -> bool {
        self.status == status::RUNNING || (self.status == status::OPEN && self.sold > 0)
    }
}

/// Why chain state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The node call failed.
    #[error(transparent)]
    Stacks(#[from] StacksError),
    /// The answer has the wrong shape.
    #[error("get-silica {id}: {reason}")]
    Shape {
        /// The Silica.
        id: u128,
        /// What was wrong.
        reason: String,
    },
}

/// Reads Silicas through a [`StacksClient`].
#[derive(Clone)]
pub struct ChainTerms<C> {
    client: C,
    silica: String,
    sender: String,
}

impl<C: StacksClient> ChainTerms<C> {
    /// Reads `{deployer}.silica`, calling as `deployer`.
    pub fn new(client: C, deployer: &str) -> ChainTerms<C> {
        ChainTerms {
            client,
            silica: format!("{deployer}.silica"),
            sender: deployer.to_owned(),
        }
    }

    /// The client.
    pub fn client(&self) -> &C {
        &self.client
    }

    /// Silica `id`, or `None` if it does not exist.
    ///
    /// # Errors
    /// [`ChainError`] when the node fails or answers with an unexpected shape.
    pub async fn silica(&self, id: u128) -> Result<Option<SilicaState>, ChainError> {
        let answer = self
            .client
            .call_read_only(&self.silica, "get-silica", &[Value::UInt(id)], &self.sender)
            .await?;
        let shape = |reason: String| ChainError::Shape { id, reason };
        let tuple = match answer {
            Value::Optional(o) => match o.data {
                None => return Ok(None),
                Some(inner) => match *inner {
                    Value::Tuple(t) => t,
                    other => return Err(shape(format!("expected a tuple, got {other}"))),
                },
            },
            other => return Err(shape(format!("expected an optional, got {other}"))),
        };
        let uint = |name: &str| match tuple.get(name) {
            Ok(Value::UInt(n)) => Ok(*n),
            _ => Err(shape(format!("no uint field {name}"))),
        };
        let small = |name: &str| {
            u32::try_from(uint(name)?).map_err(|_| shape(format!("{name} exceeds 32 bits")))
        };
        Ok(Some(SilicaState {
            terms: WindowTerms {
                silica_id: id,
                payout_script: ScriptBuf::from_bytes(
                    buff(&tuple, "payout-script")
                        .ok_or_else(|| shape("no buffer field payout-script".into()))?,
                ),
                start: Height(small("start")?),
                window_length: small("window-length")?,
            },
            status: uint("status")?,
            sold: uint("sold")?,
            next_window: small("next-window")?,
        }))
    }
}

fn buff(tuple: &TupleData, name: &str) -> Option<Vec<u8>> {
    match tuple.get(name) {
        Ok(Value::Sequence(clarity::vm::types::SequenceData::Buffer(b))) => Some(b.data.clone()),
        _ => None,
    }
}

impl<C: StacksClient> TermsSource for ChainTerms<C> {
    async fn terms(&self, silica_id: u128) -> Option<WindowTerms> {
        match self.silica(silica_id).await {
            Ok(s) => s.map(|s| s.terms),
            Err(e) => {
                tracing::warn!(silica = silica_id, error = %e, "cannot read silica terms");
                None
            }
        }
    }
}

/// Makes this signer's index watch the payout script of every Silica on chain, so its
/// follower finds their payouts in ordinary transactions ([`crate::observer`] observes a
/// window only once its script is scanned). Silicas are numbered from 1 without gaps, so
/// the walk stops at the first id with none. Returns how many scripts were newly watched.
///
/// # Errors
/// The node or the store failing; the caller retries on its next tick.
pub async fn watch_payouts<C: StacksClient, D: DbRead + DbWrite>(
    chain: &ChainTerms<C>,
    store: &D,
) -> anyhow::Result<usize> {
    let mut added = 0;
    for id in 1u128.. {
        let Some(silica) = chain.silica(id).await? else {
            break;
        };
        let script = &silica.terms.payout_script;
        if store.watch_state(script).await? == WatchState::Unwatched {
            store
                .watch_script(script, &format!("silica-{id}"), silica.terms.start)
                .await?;
            tracing::info!(silica = id, from = %silica.terms.start, "watching the payout script");
            added += 1;
        }
    }
    Ok(added)
}
