//! `--settlement deposits` (the default): delivered BTC becomes sBTC in `silica` the way
//! it does on mainnet (docs/sbtc-settlement.md), every block:
//!
//! 1. **Forward** (our signers): once every payout of a recorded window is spendable
//!    (a coinbase output 100 blocks after its block), the round's coordinator builds the
//!    forward of the window's payout outputs from its own index into one sBTC deposit
//!    (recipient `.silica`, the live key read from `sbtc-registry` just before,
//!    [`MAX_FEE`], reclaim after [`RECLAIM_LOCK`] blocks to our signers); every signer
//!    rebuilds it from its own index and signs only if identical; it goes into the next
//!    block and is registered with the in-process Emily, again each block until swept.
//! 2. **Sweep** (the stand-in sBTC signers): each pending Emily deposit is reviewed
//!    against the best chain (confirmed, not a coinbase, the current key) and swept at
//!    [`SWEEP_FEE_RATE`]; once the sweep is in a block they call
//!    `sbtc-deposit complete-deposit-wrapper`, which mints `amount − fee share`.
//! 3. **Record** (anyone; here the coordinator): once `sbtc-registry` shows the deposit
//!    completed, a quorum signs the forward attestation (each signer checking the
//!    deposit transaction against its own index and chain) and `silica record-delivery`
//!    credits the minted sBTC to the Silica.
//!
//! The devnet's mempool and the forwards' progress are kept in
//! `<data>/settlement.json`, so a restarted devnet carries on; Emily is in memory and
//! is re-told every unswept deposit after a restart (registration is idempotent).

use std::path::{Path, PathBuf};

use alkahest_clarity::values::{buff, list, principal, uint, ValueExt};
use alkahest_indexer::types::Height;
use alkahest_protocol::key::SignerKey;
use alkahest_protocol::message::Forward;
use alkahest_protocol::principal::Principal;
use alkahest_protocol::sbtc::{multisig_reclaim_tail, DepositScripts};
use alkahest_signer::forward::review::ForwardPlan;
use alkahest_signer::forward::{finish_input, x_only, COINBASE_MATURITY};
use alkahest_signer::stacks::tx::{address_of, Network};
use anyhow::{anyhow, Context};
use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
use bitcoin::hashes::Hash as _;
use bitcoin::key::XOnlyPublicKey;
use bitcoin::{Amount, ScriptBuf, Transaction, Txid};
use serde::{Deserialize, Serialize};

use super::expect_ok;
use crate::emily::{self, CreateDeposit, Emily, Status};
use crate::figures::thousands;
use crate::sbtc_signers::{Refusal, SbtcSigners};
use crate::Devnet;

/// The Bitcoin fee each forward pays, sats (a documented cost of delivery).
pub const FORWARD_FEE: u64 = 500;
/// The most of the sweep fee a forward's deposit may pay, sats (its `max_fee`).
pub const MAX_FEE: u64 = 5_000;
/// The stand-in sBTC signers' sweep fee rate, sats per vbyte.
pub const SWEEP_FEE_RATE: u64 = 10;
/// Blocks after which an unswept deposit may be reclaimed to our signers.
pub const RECLAIM_LOCK: u16 = 50;
/// Emily's per-deposit limits on the devnet, sats (the lending LP pegs in 25 BTC).
pub const EMILY_LIMITS: (u64, u64) = (10_000, 5_000_000_000);
/// Seed of the stand-in sBTC signers' key (their aggregate key and Stacks principal).
pub const SBTC_SIGNERS_SEED: &[u8] = b"alkahest devnet sbtc signers";

/// One forward: a window's payouts into one deposit.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ForwardEntry {
    window: u32,
    /// The signed forward, consensus hex.
    tx: String,
    deposit_script: String,
    reclaim_script: String,
    /// Σ the window's payout outputs it spends.
    sats: u64,
    recorded: bool,
}

/// One sweep by the stand-in sBTC signers.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SweepEntry {
    /// The sweep's txid (display hex).
    txid: String,
    /// (deposit txid display hex, vout, minted sats, recipient principal).
    deposits: Vec<(String, u32, u64, String)>,
    /// The block it is in.
    mined_at: u32,
    completed: bool,
}

/// What the settlement path remembers between blocks and restarts.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Book {
    /// Transactions for the next block, consensus hex.
    mempool: Vec<String>,
    /// The next window of Silica #1 to forward.
    next_window: u32,
    forwards: Vec<ForwardEntry>,
    sweeps: Vec<SweepEntry>,
    /// Every user peg-in of block 1 is minted (and logged).
    #[serde(default)]
    peg_ins_done: bool,
    #[serde(skip)]
    path: PathBuf,
}

impl Book {
    /// Loads `<data>/settlement.json`, or starts empty.
    ///
    /// # Errors
    /// An unreadable or malformed file.
    pub fn open(data_dir: &Path) -> anyhow::Result<Book> {
        let path = data_dir.join("settlement.json");
        let mut book: Book = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a settlement book", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Book::default(),
            Err(e) => return Err(e).context(format!("reading {}", path.display())),
        };
        book.path = path;
        Ok(book)
    }

    fn save(&self) -> anyhow::Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&tmp, &self.path)?;
        Ok(())
    }

    /// The transactions waiting for the next block.
    ///
    /// # Errors
    /// A stored transaction that does not decode.
    pub fn mempool(&self) -> anyhow::Result<Vec<Transaction>> {
        self.mempool
            .iter()
            .map(|h| deserialize_hex(h).map_err(|e| anyhow!("mempool transaction: {e}")))
            .collect()
    }

    /// The block just mined holds the mempool.
    ///
    /// # Errors
    /// The book cannot be written.
    pub fn mined(&mut self) -> anyhow::Result<()> {
        if self.mempool.is_empty() {
            return Ok(());
        }
        self.mempool.clear();
        self.save()
    }

    fn queue(&mut self, tx: &Transaction) {
        self.mempool.push(serialize_hex(tx));
    }

    /// Whether block 1's user peg-ins are all minted.
    pub fn peg_ins_done(&self) -> bool {
        self.peg_ins_done
    }

    /// Block 1's user peg-ins are all minted.
    ///
    /// # Errors
    /// The book cannot be written.
    pub fn set_peg_ins_done(&mut self) -> anyhow::Result<()> {
        self.peg_ins_done = true;
        self.save()
    }

    /// Whether every forward so far has been recorded by `silica`.
    pub fn all_recorded(&self) -> bool {
        self.forwards.iter().all(|f| f.recorded)
    }
}

/// The stand-in sBTC signers' Stacks key (their principal in `sbtc-registry`).
pub fn sbtc_signers_key() -> SignerKey {
    SignerKey::from_seed(SBTC_SIGNERS_SEED)
}

/// The stand-in sBTC signers.
pub fn sbtc_signers() -> SbtcSigners {
    SbtcSigners::from_seed(SBTC_SIGNERS_SEED)
}

/// A new in-process Emily with the devnet's limits.
pub fn emily() -> std::sync::Arc<Emily> {
    Emily::new(EMILY_LIMITS.0, EMILY_LIMITS.1)
}

impl Devnet {
    /// Set-up, as the deployer before the handover: `sbtc-registry` gets the stand-in
    /// sBTC signers' key and principal (funded for fees), and with deliveries by deposit
    /// `signer-registry` stops minting them.
    pub(super) async fn setup_sbtc(&mut self, height: u32, deposits: bool) -> anyhow::Result<()> {
        let d = self.actors.deployer.clone();
        if deposits {
            let r = self
                .stacks
                .submit(
                    height,
                    &d,
                    "signer-registry",
                    "set-deliveries-by-deposit",
                    vec![],
                )
                .await?;
            expect_ok(&r, "set-deliveries-by-deposit")?;
        }
        let key = sbtc_signers_key();
        let address = address_of(&key, Network::Testnet).to_string();
        let mut aggregate = vec![0x02];
        aggregate.extend_from_slice(&self.sbtc.aggregate_key().serialize());
        let args = vec![
            list(vec![buff(&aggregate)]),
            principal(&address),
            buff(&aggregate),
            uint(1),
        ];
        let r = self
            .stacks
            .submit(height, &d, "sbtc-registry", "rotate-keys", args)
            .await?;
        expect_ok(&r, "rotate-keys")?;
        self.fund_stx(height, &address).await?;
        self.log.line(format!(
            "[sbtc] stand-in sBTC signers {address} with key {}; {}",
            hex::encode(self.sbtc.aggregate_key().serialize()),
            if deposits {
                "deliveries settle through sBTC deposits, signer-registry mints none"
            } else {
                "deliveries minted directly (--settlement direct-mint)"
            }
        ));
        Ok(())
    }

    /// One block of the settlement path after the windows: forward, record (the sBTC
    /// signers' sweeps run earlier in the block, for every scenario).
    pub(super) async fn settle_deliveries(&mut self, height: u32) -> anyhow::Result<()> {
        self.forward_step(height).await?;
        self.record_step(height).await
    }

    /// The stand-in sBTC signers: complete swept deposits, then sweep pending ones.
    pub(super) async fn sbtc_signers_step(&mut self, height: u32) -> anyhow::Result<()> {
        let key = sbtc_signers_key();
        for i in 0..self.book.sweeps.len() {
            let sweep = self.book.sweeps[i].clone();
            // The sweep's block must be visible to the contracts (below the burn tip).
            if sweep.completed || height <= sweep.mined_at {
                continue;
            }
            let burn_hash = self
                .stacks
                .burn_hash(sweep.mined_at)
                .ok_or_else(|| anyhow!("no burn hash at {}", sweep.mined_at))?;
            let sweep_txid: Txid = sweep.txid.parse()?;
            for (txid, vout, minted, recipient) in &sweep.deposits {
                let deposit_txid: Txid = txid.parse()?;
                let args = vec![
                    buff(&deposit_txid.to_byte_array()),
                    uint((*vout).into()),
                    uint((*minted).into()),
                    principal(recipient),
                    buff(&burn_hash),
                    uint(sweep.mined_at.into()),
                    buff(&sweep_txid.to_byte_array()),
                ];
                let call = self
                    .stacks
                    .call("sbtc-deposit", "complete-deposit-wrapper", args);
                let id = self.signers.submit(&key, &call).await?;
                let r = self
                    .stacks
                    .receipt(&id)
                    .ok_or_else(|| anyhow!("no receipt for complete-deposit-wrapper {id}"))?;
                expect_ok(&r, "complete-deposit-wrapper")?;
                self.emily
                    .set_status(deposit_txid, *vout, Status::Confirmed);
                self.log.line(format!(
                    "[sbtc] deposit {txid}:{vout} swept in {} (btc {}) → {} sBTC minted to {recipient}",
                    &sweep.txid[..16],
                    sweep.mined_at,
                    thousands((*minted).into())
                ));
            }
            self.book.sweeps[i].completed = true;
            self.book.save()?;
        }
        let swept: Vec<(String, u32)> = self
            .book
            .sweeps
            .iter()
            .flat_map(|s| s.deposits.iter().map(|d| (d.0.clone(), d.1)))
            .collect();
        let best: Vec<bitcoin::Block> = (height.saturating_sub(12)..=height)
            .filter_map(|h| self.btc.block_at(h))
            .collect();
        let best: Vec<&bitcoin::Block> = best.iter().collect();
        for d in self.emily.with_status(Status::Pending) {
            if swept.contains(&(d.bitcoin_txid.clone(), d.bitcoin_tx_output_index)) {
                continue;
            }
            match self.sbtc.review(&d, &best) {
                Ok(candidate) => self.sweep(height, &d, candidate)?,
                // Not in a block yet: Emily keeps it pending, reviewed again next block.
                Err(Refusal::Unconfirmed(_)) => {}
                Err(refusal) => {
                    let txid: Txid = d.bitcoin_txid.parse()?;
                    self.emily
                        .set_status(txid, d.bitcoin_tx_output_index, Status::Failed);
                    self.log.line(format!("[sbtc] refused: {refusal}"));
                }
            }
        }
        Ok(())
    }

    fn sweep(
        &mut self,
        height: u32,
        d: &emily::Deposit,
        candidate: crate::sbtc_signers::Candidate,
    ) -> anyhow::Result<()> {
        let recipient = alkahest_protocol::consensus::parse_principal(&candidate.recipient)
            .ok_or_else(|| {
                anyhow!(
                    "deposit recipient {} is not a principal",
                    hex::encode(&candidate.recipient)
                )
            })?
            .to_string();
        let sweep = self
            .sbtc
            .sweep(std::slice::from_ref(&candidate), SWEEP_FEE_RATE)?;
        let (share, minted) = sweep.shares[0];
        self.book.queue(&sweep.tx);
        self.book.sweeps.push(SweepEntry {
            txid: sweep.tx.compute_txid().to_string(),
            deposits: vec![(
                d.bitcoin_txid.clone(),
                d.bitcoin_tx_output_index,
                minted,
                recipient,
            )],
            mined_at: height + 1,
            completed: false,
        });
        self.book.save()?;
        let txid: Txid = d.bitcoin_txid.parse()?;
        self.emily
            .set_status(txid, d.bitcoin_tx_output_index, Status::Accepted);
        self.log.line(format!(
            "[sbtc] sweeping deposit {}:{} ({} sats): fee share {share} sats at {SWEEP_FEE_RATE} sat/vB, {} to mint",
            d.bitcoin_txid,
            d.bitcoin_tx_output_index,
            thousands(candidate.amount.into()),
            thousands(minted.into())
        ));
        Ok(())
    }

    /// Our signers: forward the next recorded window once all its payouts are
    /// spendable, and (re-)register every unswept forward with Emily.
    async fn forward_step(&mut self, height: u32) -> anyhow::Result<()> {
        for f in self.book.forwards.iter().filter(|f| !f.recorded) {
            self.emily
                .register(&CreateDeposit {
                    bitcoin_txid: deserialize_hex::<Transaction>(&f.tx)?
                        .compute_txid()
                        .to_string(),
                    bitcoin_tx_output_index: 0,
                    reclaim_script: f.reclaim_script.clone(),
                    deposit_script: f.deposit_script.clone(),
                    transaction_hex: f.tx.clone(),
                })
                .map_err(|e| anyhow!("Emily refused our deposit: {e}"))?;
        }
        let Some(s) = self.silica(1) else {
            return Ok(());
        };
        let recorded = u32::try_from(s.field("next-window").to_uint())?;
        let window = self.book.next_window;
        if window >= recorded {
            return Ok(());
        }
        let terms = self
            .terms(1)
            .ok_or_else(|| anyhow!("silica 1 terms unreadable"))?;
        let (_, last) = terms
            .heights(window)
            .ok_or_else(|| anyhow!("window {window} out of range"))?;
        // Every coinbase payout of the window is spendable in the next block.
        if height < last.0 + COINBASE_MATURITY {
            return Ok(());
        }
        let delivered = self
            .stacks
            .read("silica", "get-window", &[uint(1), uint(window.into())])
            .to_optional()
            .map(|w| w.field("delivered").to_uint())
            .unwrap_or_default();
        if delivered == 0 {
            self.book.next_window += 1;
            return self.book.save();
        }
        let plan = self.forward_plan(&terms, window)?;
        let keys = self.signers.keys();
        let m = self.signers.threshold;
        let coordinator = self.signers.coordinator(&self.btc.tip().1);
        let (mut tx, utxos) = coordinator.signer.build_forward(&plan).await?;
        let mut signed: Vec<Vec<(alkahest_protocol::CompressedKey, Vec<u8>)>> =
            vec![Vec::new(); tx.input.len()];
        for node in &self.signers.nodes {
            match node.signer.sign_forward_tx(&plan, &tx, &keys, m).await {
                Ok(sigs) => {
                    for (i, sig) in sigs.into_iter().enumerate() {
                        signed[i].push((node.peer.public_key, sig));
                    }
                }
                Err(e) => self.log.line(format!("[forward] a signer refused: {e}")),
            }
        }
        let witness = ScriptBuf::from_bytes(alkahest_protocol::script::payout_witness_script(
            &alkahest_clarity::binding(),
            1,
            &keys,
            m,
        )?);
        for (i, u) in utxos.iter().enumerate() {
            finish_input(&mut tx, i, &witness, u.value, &keys, m, &signed[i])?;
        }
        let sats: u64 = utxos.iter().map(|u| u.value.to_sat()).sum();
        if u128::from(sats) != delivered {
            anyhow::bail!(
                "window {window}: the payout outputs hold {sats} sats, silica recorded {delivered}"
            );
        }
        let deposit_script = plan.deposit.output_script();
        self.signers
            .watch(
                &deposit_script,
                &format!("deposit-w{window}"),
                Height(height),
            )
            .await?;
        self.book.queue(&tx);
        self.book.forwards.push(ForwardEntry {
            window,
            tx: serialize_hex(&tx),
            deposit_script: hex::encode(plan.deposit.deposit.as_bytes()),
            reclaim_script: hex::encode(plan.deposit.reclaim.as_bytes()),
            sats,
            recorded: false,
        });
        self.book.next_window += 1;
        self.book.save()?;
        self.log.line(format!(
            "[forward] window {window}: {} payout output(s), {} sats → deposit {}:0 of {} sats to .silica (fee {FORWARD_FEE}, max fee {MAX_FEE}), signed 2-of-3",
            utxos.len(),
            thousands(sats.into()),
            tx.compute_txid(),
            thousands(tx.output[0].value.to_sat().into())
        ));
        Ok(())
    }

    /// The forward of `window`: recipient `.silica`, the key `sbtc-registry` holds now.
    fn forward_plan(
        &self,
        terms: &alkahest_signer::observer::WindowTerms,
        window: u32,
    ) -> anyhow::Result<ForwardPlan> {
        let live = self
            .stacks
            .read("sbtc-registry", "get-current-aggregate-pubkey", &[])
            .to_buff();
        let key = live
            .get(1..)
            .and_then(|x| XOnlyPublicKey::from_slice(x).ok())
            .ok_or_else(|| {
                anyhow!(
                    "sbtc-registry's aggregate key {} is not a key",
                    hex::encode(&live)
                )
            })?;
        let ours: Vec<XOnlyPublicKey> = self.signers.keys().iter().map(x_only).collect();
        let silica = Principal::parse(&self.stacks.contract("silica"))?;
        let tail = multisig_reclaim_tail(&ours, self.signers.threshold)?;
        Ok(ForwardPlan {
            terms: terms.clone(),
            first: window,
            last: window,
            deposit: DepositScripts::new(&silica, MAX_FEE, &key, RECLAIM_LOCK, &tail)?,
            fee: Amount::from_sat(FORWARD_FEE),
            minimum: Amount::from_sat(self.emily.per_deposit_minimum),
        })
    }

    /// Records every completed, unrecorded deposit with `silica record-delivery`.
    async fn record_step(&mut self, _height: u32) -> anyhow::Result<()> {
        for i in 0..self.book.forwards.len() {
            let f = self.book.forwards[i].clone();
            if f.recorded {
                continue;
            }
            let tx: Transaction = deserialize_hex(&f.tx)?;
            let txid = tx.compute_txid();
            let completed = self
                .stacks
                .read(
                    "sbtc-registry",
                    "get-completed-deposit",
                    &[buff(&txid.to_byte_array()), uint(0)],
                )
                .to_optional();
            let Some(completed) = completed else { continue };
            let terms = self
                .terms(1)
                .ok_or_else(|| anyhow!("silica 1 terms unreadable"))?;
            let mut plan = self.forward_plan(&terms, f.window)?;
            // The deposit was built on the key of its day: check it as built.
            plan.deposit = DepositScripts {
                deposit: ScriptBuf::from_bytes(hex::decode(&f.deposit_script)?),
                reclaim: ScriptBuf::from_bytes(hex::decode(&f.reclaim_script)?),
            };
            let message = Forward {
                silica_id: 1,
                window: f.window.into(),
                sats: f.sats.into(),
                txid: txid.to_byte_array(),
                vout: 0,
            };
            let mut sigs = Vec::new();
            for node in &self.signers.nodes {
                if sigs.len() == self.signers.threshold {
                    break;
                }
                match node.signer.sign_forward(&plan, &tx, &message).await {
                    Ok(s) => sigs.push(buff(&s.0)),
                    Err(e) => self.log.line(format!("[record] a signer refused: {e}")),
                }
            }
            let coordinator = self.signers.coordinator(&self.btc.tip().1);
            let key = coordinator.signer.key().clone();
            let args = vec![
                principal(&self.stacks.contract("sbtc-token")),
                uint(1),
                uint(f.window.into()),
                uint(f.sats.into()),
                buff(&txid.to_byte_array()),
                uint(0),
                list(sigs),
            ];
            let r = self
                .signer_tx(&key, "silica", "record-delivery", args)
                .await?;
            expect_ok(&r, "record-delivery")?;
            self.book.forwards[i].recorded = true;
            self.book.save()?;
            let amount = completed.field("amount").to_uint();
            self.log.line(format!(
                "[record] window {}: deposit {}:0 credited to silica #1: {} sats delivered, {} sBTC received ({} in fees)",
                f.window,
                txid,
                thousands(f.sats.into()),
                thousands(amount),
                thousands(u128::from(f.sats) - amount)
            ));
        }
        Ok(())
    }
}
