//! The scenarios. Every decision reads chain state (contract views and the indexer),
//! so a restarted devnet carries on where it stopped.
//!
//! `silica-demo`: in block 1 the miner and two buyers pay sBTC deposits from their
//! wallets ([`peg_ins`]); the deployer installs the 2-of-3 signer set, short devnet
//! parameters and the stand-in sBTC signers' key; the sBTC signers sweep the deposits
//! and mint; the miner lists 100 TH/s for `windows` windows; the buyers take 60 and
//! 40; from the start height the TIDES pool (`/OCEAN.XYZ/`, every even height) pays the
//! Silica's payout script in its coinbase; each final window is attested by a quorum;
//! the Silica finishes; once each window's payouts are mature they are forwarded into
//! sBTC deposits and recorded ([`settling`]); buyers redeem and the miner collects. `silica-default`: the
//! pool stops paying after window 0. `silica-open` ([`open_sale`]): the same start,
//! then the Silica stays open for real clients to buy.
//!
//! The signers' own transactions (`attest-window`, `record-delivery`) and the sBTC
//! signers' (`complete-deposit-wrapper`) go through the devnet's Stacks RPC over HTTP,
//! as a production signer's would.

mod open_sale;
mod peg_ins;
mod proving;
pub mod settling;
mod signing;

use crate::figures::thousands;
use alkahest_clarity::values::{self, buff, list, principal, uint, ValueExt};
use alkahest_clarity::{Manifest, Outcome, Receipt, Value};
use alkahest_indexer::source::regtest::CoinbaseSpec;
use alkahest_indexer::storage::DbWrite;
use alkahest_indexer::types::Height;
use alkahest_protocol::script::payout_script;
use alkahest_signer::key::SignerKey;
use alkahest_signer::observer::WindowTerms;
use anyhow::{anyhow, bail};
use bitcoin::{Amount, ScriptBuf};

use crate::config::{Scenario, Settlement};
use crate::Devnet;

/// Sats deposited (pegged in) for each actor in block 1.
pub const DEPOSIT: u64 = 1_000_000;
/// The demo Silica: TH/s listed, price in sats per TH/s·day, collateral in bps.
pub const HASHRATE: u128 = 100;
/// Price, sats per TH/s·day.
pub const PRICE: u128 = 900;
/// Collateral, basis points of the expected reward (10%).
pub const COLLATERAL_BPS: u128 = 1_000;
/// What the buyers take.
pub const BUYS: [u128; 2] = [60, 40];
/// Sats the TIDES pool pays the Silica in each block it finds.
pub const POOL_PAYOUT: u64 = 60_000;
/// Sats the FPPS pool pays the Silica per window, in an ordinary transaction in the
/// window's last block.
pub const FPPS_PAYOUT: u64 = 15_000;
/// Governance's reference index before any attestation (about the simulated one).
pub const DEFAULT_INDEX: u128 = 1_000 * alkahest_protocol::index::INDEX_UNIT;
/// Blocks between listing and start.
pub const SALE_WINDOW: u128 = 3;

/// The accounts the scenario acts as (keys from `settings/Devnet.toml`).
pub struct Actors {
    deployer: SignerKey,
    miner: SignerKey,
    buyers: [SignerKey; 2],
    addresses: Vec<(&'static str, String)>,
}

impl Actors {
    /// Loads the keys of `deployer`, `wallet_3` (miner), `wallet_1` and `wallet_2`.
    ///
    /// # Errors
    /// A missing or malformed `settings/Devnet.toml`.
    pub fn load() -> anyhow::Result<Actors> {
        let m = Manifest::workspace()?;
        let key = |name: &str| -> anyhow::Result<SignerKey> {
            let a = m
                .accounts
                .get(name)
                .ok_or_else(|| anyhow!("no account {name}"))?;
            Ok(SignerKey::from_hex(&a.secret_key, name)?)
        };
        let addr = |name: &str| m.accounts[name].address.clone();
        Ok(Actors {
            deployer: key("deployer")?,
            miner: key("wallet_3")?,
            buyers: [key("wallet_1")?, key("wallet_2")?],
            addresses: vec![
                ("miner (wallet_3)", addr("wallet_3")),
                ("buyer wallet_1", addr("wallet_1")),
                ("buyer wallet_2", addr("wallet_2")),
            ],
        })
    }

    /// `(label, address)` of the miner and the buyers.
    pub fn named(&self) -> Vec<(&'static str, String)> {
        self.addresses.clone()
    }

    fn buyer_address(&self, i: usize) -> &str {
        &self.addresses[i + 1].1
    }
}

/// In-memory progress flags (recomputed from chain state after a restart).
#[derive(Default)]
pub struct Progress {
    /// Every block-1 deposit has been minted (checked against the registry).
    pub deposits_done: bool,
    /// The scenario settled: redeemed and collected.
    pub done: bool,
    /// `--processes`: windows of Silica #1 already logged as attested (`None` until
    /// the first look after a start).
    pub windows_logged: Option<u32>,
}

fn expect_ok(r: &Receipt, what: &str) -> anyhow::Result<Value> {
    match &r.outcome {
        Outcome::Ok(v) => Ok(v.clone()),
        _ => bail!("{what} failed:\n{r}"),
    }
}

impl Devnet {
    pub(crate) fn sbtc(&self, who: &str) -> u128 {
        self.stacks
            .read("sbtc-token", "get-balance", &[principal(who)])
            .to_uint()
    }

    fn silica(&self, id: u128) -> Option<Value> {
        self.stacks
            .read("silica", "get-silica", &[uint(id)])
            .to_optional()
    }

    pub(crate) fn silica_status(&self, id: u128) -> Option<u128> {
        self.silica(id).map(|s| s.field("status").to_uint())
    }

    /// Submits a token-moving `silica` call signed by `key` and requires `(ok …)`.
    /// Every such call takes the settlement token first: the stand-in sBTC the
    /// deployment was bootstrapped with.
    async fn silica_tx(
        &self,
        height: u32,
        key: &SignerKey,
        function: &str,
        args: Vec<Value>,
    ) -> anyhow::Result<Value> {
        let mut full = vec![principal(&self.stacks.contract("sbtc-token"))];
        full.extend(args);
        let r = self
            .stacks
            .submit(height, key, "silica", function, full)
            .await?;
        expect_ok(&r, function)
    }

    fn terms(&self, id: u128) -> Option<WindowTerms> {
        let s = self.silica(id)?;
        Some(WindowTerms {
            silica_id: id,
            payout_script: ScriptBuf::from_bytes(s.field("payout-script").to_buff()),
            start: Height(u32::try_from(s.field("start").to_uint()).ok()?),
            window_length: u32::try_from(s.field("window-length").to_uint()).ok()?,
        })
    }

    /// The coinbase of the block at `height`: pool tag, TIDES payouts, deposits.
    pub(crate) fn coinbase_for(&self, height: u32) -> anyhow::Result<CoinbaseSpec> {
        // Even heights: the TIDES pool; odd heights: Foundry, except every sixth
        // block (h ≡ 5 mod 6), which AntPool finds.
        let pool = crate::chain::POOLS[(height % 2) as usize + usize::from(height % 6 == 5)];
        let mut spec = CoinbaseSpec::default()
            .with_tag(pool.as_bytes())
            .with_fees(Amount::from_sat(25_000));
        let mut txs = Vec::new();
        // The users' peg-ins: sBTC deposits from their wallets.
        if height == 1 {
            txs.extend(self.peg_in_funding()?);
        }
        if let Some(t) = self.terms(1) {
            let paying = match self.config.scenario {
                Scenario::SilicaDefault => height < t.start.0 + t.window_length,
                _ => true,
            };
            if height >= t.start.0 && paying {
                if pool == crate::chain::POOLS[0] {
                    spec = spec.pay(t.payout_script.clone(), Amount::from_sat(POOL_PAYOUT));
                }
                // The FPPS pool pays for the window in its last block, whoever found it.
                if t.window_length > 0
                    && (height - t.start.0) % t.window_length == t.window_length - 1
                {
                    let fpps = crate::chain::fpps_payout(
                        height,
                        &t.payout_script,
                        Amount::from_sat(FPPS_PAYOUT),
                    );
                    txs.push(fpps);
                }
            }
        }
        // What the signers (forwards) and the sBTC signers (sweeps) broadcast.
        txs.extend(self.book.mempool()?);
        Ok(spec.with_txs(txs))
    }

    /// Runs whatever the scenario does after Bitcoin block `height`.
    pub(crate) async fn act(&mut self, height: u32) -> anyhow::Result<()> {
        let (_, tip_hash) = self.btc.tip();
        self.log.line(format!(
            "[btc {height}] block {} indexed by the API and 3 signers; stacks burn height {}",
            &tip_hash.to_string()[..16],
            self.stacks.burn_height()
        ));
        if self.progress.done {
            return Ok(());
        }
        self.setup(height).await?;
        self.handover(height).await?;
        // The stand-in sBTC signers sweep and mint whatever Emily holds (the users'
        // peg-ins, the Silica's forwards), every scenario, every block.
        self.register_peg_ins()?;
        self.sbtc_signers_step(height).await?;
        if self.config.scenario == Scenario::Idle {
            return Ok(());
        }
        if self.config.scenario == Scenario::GovernanceDemo {
            return self.governance_demo(height).await;
        }
        if self.config.scenario == Scenario::LendingDemo {
            return self.lending_demo(height).await;
        }
        self.peg_in(height).await?;
        if self.config.scenario == Scenario::SilicaOpen {
            return self.open_sale(height).await;
        }
        self.list_and_buy(height).await?;
        match self.config.delivery {
            crate::config::Delivery::Signers => self.attest(height).await?,
            crate::config::Delivery::Proofs => self.prove(height).await?,
        }
        if self.config.settlement == Settlement::Deposits {
            self.settle_deliveries(height).await?;
        }
        self.settle(height).await
    }

    async fn setup(&mut self, height: u32) -> anyhow::Result<()> {
        let set = self.stacks.read("signer-registry", "get-signer-set", &[]);
        if set.field("version").to_uint() > 0 {
            return Ok(());
        }
        let keys = list(self.signers.keys().iter().map(|k| buff(k)).collect());
        let d = &self.actors.deployer;
        let r = self
            .stacks
            .submit(
                height,
                d,
                "signer-registry",
                "bootstrap-signers",
                vec![keys, uint(2)],
            )
            .await?;
        expect_ok(&r, "bootstrap-signers")?;
        self.fund_signers(height).await?;
        // The index silica-proof computes uses the same simulated work as the signers.
        let work = alkahest_protocol::index::WorkModel::SimulatedDifficulty(
            self.config.simulated_difficulty,
        )
        .block_work(0)?;
        let r = self
            .stacks
            .submit(
                height,
                d,
                "silica-proof",
                "set-simulated-work",
                vec![uint(work)],
            )
            .await?;
        expect_ok(&r, "set-simulated-work")?;
        for (f, v) in [
            ("set-confirmations", u128::from(self.config.confirmations)),
            ("set-window-length", u128::from(self.config.window_length)),
            ("set-min-sale-window", SALE_WINDOW),
            ("set-default-index", DEFAULT_INDEX),
        ] {
            let r = self
                .stacks
                .submit(height, d, "silica", f, vec![uint(v)])
                .await?;
            expect_ok(&r, f)?;
        }
        self.setup_sbtc(height, self.config.settlement == Settlement::Deposits)
            .await?;
        self.log.line(format!(
            "[stx] signer set installed: 2-of-3, each funded with {} STX for fees; silica confirmations {}, window {} blocks, sale window {SALE_WINDOW}",
            crate::lending::stx(signing::SIGNER_FEE_FUND),
            self.config.confirmations,
            self.config.window_length
        ));
        Ok(())
    }

    /// The deployer's last acts, once: `deployments/bootstrap.toml`'s handover stage
    /// (every contract's governance to dao-core, vesting registration closed, the
    /// bootstrap proposal run), as signed transactions after the devnet's Silica
    /// parameters. From here on only an AGP changes a parameter.
    async fn handover(&mut self, height: u32) -> anyhow::Result<()> {
        if self
            .stacks
            .read("dao-core", "is-constructed", &[])
            .to_bool()
        {
            return Ok(());
        }
        let deployer = self.stacks.deployer().to_string();
        let calls = self
            .stacks
            .client()
            .with_sim(|s| s.manifest().bootstrap.clone());
        let d = &self.actors.deployer;
        for call in calls.into_iter().filter(|c| c.is_handover()) {
            let args = call
                .args
                .iter()
                .map(|a| values::from_literal(a, &deployer))
                .collect::<Result<Vec<_>, _>>()?;
            let r = self
                .stacks
                .submit(height, d, &call.contract, &call.function, args)
                .await?;
            expect_ok(&r, &call.function)?;
        }
        self.log.line(
            "[stx] governance handed to dao-core: the deployer keeps no privilege".to_string(),
        );
        Ok(())
    }

    /// The users' sBTC deposits of block 1 are minted (scenario/peg_ins.rs); checked
    /// from when block 1 is final, so the rest of the scenario keeps its heights.
    async fn peg_in(&mut self, height: u32) -> anyhow::Result<()> {
        if self.progress.deposits_done || height < 2 + self.config.confirmations {
            return Ok(());
        }
        self.progress.deposits_done = self.peg_ins_minted()?;
        Ok(())
    }

    async fn list_and_buy(&mut self, height: u32) -> anyhow::Result<()> {
        if !self.progress.deposits_done && self.silica(1).is_none() {
            return Ok(());
        }
        if self.silica(1).is_none() {
            let params = self.stacks.read("silica", "get-params", &[]);
            let id = params.field("next-id").to_uint();
            let script = payout_script(
                &alkahest_clarity::binding(),
                id,
                &self.signers.keys(),
                self.signers.threshold,
            )
            .map_err(|e| anyhow!("{e}"))?;
            let sale = if self.config.scenario == Scenario::SilicaOpen {
                open_sale::OPEN_SALE_BLOCKS
            } else {
                SALE_WINDOW
            };
            let start = u128::from(self.stacks.burn_height()) + sale + 1;
            let args = vec![
                uint(HASHRATE),
                uint(self.config.windows.into()),
                uint(start),
                uint(PRICE),
                uint(COLLATERAL_BPS),
                buff(&script),
            ];
            let miner = self.actors.miner.clone();
            self.silica_tx(height, &miner, "create", args).await?;
            // Every index that counts deliveries watches the script, so that its
            // follower looks for payouts in ordinary transactions too (the signer
            // binaries of `--processes` watch every Silica by themselves).
            let from = Height(u32::try_from(start)?);
            let label = format!("silica-{id}");
            let watched = ScriptBuf::from_bytes(script.clone());
            self.api_store.watch_script(&watched, &label, from).await?;
            self.signers.watch(&watched, &label, from).await?;
            let terms = self.stacks.read("silica", "get-terms", &[uint(id)]);
            self.log.line(format!(
                "[silica #{id}] listed by the miner: {HASHRATE} TH/s × {} windows of {} blocks from burn height {start}, \
                 {PRICE} sats per TH/s·day, collateral {} sats; payout script {}",
                self.config.windows,
                self.config.window_length,
                thousands(terms.field("collateral").to_uint()),
                hex::encode(&script)
            ));
            return Ok(());
        }
        let s = self.silica(1).expect("checked above");
        if self.config.scenario == Scenario::SilicaOpen
            || s.field("status").to_uint() != 0
            || u128::from(self.stacks.burn_height()) >= s.field("start").to_uint()
        {
            return Ok(());
        }
        for (i, amount) in BUYS.into_iter().enumerate() {
            let who = self.actors.buyer_address(i).to_string();
            let held = self
                .stacks
                .read("silica", "get-balance", &[uint(1), principal(&who)])
                .to_uint();
            if held > 0 {
                continue;
            }
            let key = self.actors.buyers[i].clone();
            self.silica_tx(height, &key, "buy", vec![uint(1), uint(amount)])
                .await?;
            self.log.line(format!(
                "[silica #1] {} bought {amount} TH/s for {} sats of sBTC (escrowed)",
                self.actors.named()[i + 1].0,
                thousands(PRICE * u128::from(self.config.windows) * amount)
            ));
        }
        Ok(())
    }

    async fn settle(&mut self, height: u32) -> anyhow::Result<()> {
        let Some(status) = self.silica_status(1) else {
            return Ok(());
        };
        if status != 2 && status != 3 {
            return Ok(());
        }
        // Through deposits, redeem and collect open once the delivery arrived.
        let ledger = self
            .stacks
            .read("silica", "get-delivery-ledger", &[uint(1)]);
        if ledger.field("awaiting-since").to_optional().is_some() {
            return Ok(());
        }
        for i in 0..BUYS.len() {
            let who = self.actors.buyer_address(i).to_string();
            let claim = self
                .stacks
                .read("silica", "get-claimable", &[uint(1), principal(&who)])
                .to_uint();
            let shares = self
                .stacks
                .read("silica", "get-balance", &[uint(1), principal(&who)])
                .to_uint();
            if shares == 0 {
                continue;
            }
            let key = self.actors.buyers[i].clone();
            self.silica_tx(height, &key, "redeem", vec![uint(1)])
                .await?;
            self.log.line(format!(
                "[settle] {} redeemed {shares} shares for {} sats of sBTC",
                self.actors.named()[i + 1].0,
                thousands(claim)
            ));
        }
        let st = self
            .stacks
            .read("silica", "get-settlement", &[uint(1)])
            .to_optional()
            .ok_or_else(|| anyhow!("settled silica without settlement"))?;
        if !st.field("collected").to_bool() {
            let amount = st.field("miner-amount").to_uint();
            let miner = self.actors.miner.clone();
            self.silica_tx(height, &miner, "collect", vec![uint(1)])
                .await?;
            self.log.line(format!(
                "[settle] miner collected {} sats of sBTC",
                thousands(amount)
            ));
        }
        self.progress.done = true;
        let summary = self.summary();
        self.log.line(format!(
            "[done] silica #1 {} at btc {}; final sBTC: {}",
            if status == 2 { "FINISHED" } else { "DEFAULTED" },
            summary.height,
            summary
                .balances
                .iter()
                .map(|(n, b)| format!("{n} {}", thousands(*b)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok(())
    }
}

/// An index in 10^-8 sat units as sats with its 8 decimals, e.g. `1,005.81806192`.
fn index_sats(index: u128) -> String {
    let unit = alkahest_protocol::index::INDEX_UNIT;
    format!("{}.{:08}", thousands(index / unit), index % unit)
}
