//! Shared helpers for the signer-registry and silica tests: deterministic signer sets,
//! signed messages built with `alkahest_protocol`, sBTC peg-ins, and a
//! Silica world (miner, buyers, a bootstrapped signer set).

use std::sync::atomic::{AtomicU64, Ordering};

use alkahest_clarity::binding;
use alkahest_clarity::values::{buff, list, principal, uint, ValueExt};
use alkahest_clarity::{Receipt, Simnet, Value};
use alkahest_protocol::key::SignerKey;
use alkahest_protocol::message::Delivery;
use alkahest_protocol::message::Deposit;
use alkahest_protocol::message::Rotation;
use alkahest_protocol::principal::Principal;
use alkahest_protocol::script::payout_script;
use alkahest_protocol::sha256;
use alkahest_protocol::CompressedKey;

pub const REG: &str = "signer-registry";
pub const SILICA: &str = "silica";
pub const SBTC: &str = "sbtc-token";
pub const PAYOUT: &str = "silica-payout";

/// Silica status codes (`STATUS_*` in silica.clar).
pub const OPEN: u128 = 0;
pub const RUNNING: u128 = 1;
pub const FINISHED: u128 = 2;
pub const DEFAULTED: u128 = 3;
pub const EXPIRED: u128 = 4;
pub const CANCELLED: u128 = 5;

/// Index units per sat per TH/s·day (`INDEX_SCALE` in silica.clar): attested indices
/// are in 1e-8 sat, so `50 * SAT` is 50 sats per TH/s·day.
pub const SAT: u128 = 100_000_000;

/// A deterministic signer set, keys in ascending order of their public keys (the
/// order the registry requires).
#[derive(Clone)]
pub struct Signers {
    pub keys: Vec<SignerKey>,
    pub threshold: usize,
}

impl Signers {
    pub fn new(tag: &str, n: usize, m: usize) -> Signers {
        let mut keys: Vec<SignerKey> = (0..n)
            .map(|i| SignerKey::from_seed(format!("alkahest test signer {tag} {i}").as_bytes()))
            .collect();
        keys.sort_by_key(|k| k.public_key());
        Signers { keys, threshold: m }
    }

    pub fn pubkeys(&self) -> Vec<CompressedKey> {
        self.keys.iter().map(|k| k.public_key()).collect()
    }

    /// The keys as a Clarity `(list 15 (buff 33))`.
    pub fn keys_value(&self) -> Value {
        list(self.pubkeys().iter().map(|k| buff(k)).collect())
    }

    /// Signatures over `id` by the signers at `which`, as a Clarity list.
    pub fn sign_with(&self, id: &[u8; 32], which: &[usize]) -> Value {
        list(
            which
                .iter()
                .map(|&i| buff(&self.keys[i].sign(id).0))
                .collect(),
        )
    }

    /// Signatures over `id` by the first M signers.
    pub fn sign(&self, id: &[u8; 32]) -> Value {
        let which: Vec<usize> = (0..self.threshold).collect();
        self.sign_with(id, &which)
    }

    /// Signatures over `id` by all N signers.
    pub fn sign_all(&self, id: &[u8; 32]) -> Value {
        let which: Vec<usize> = (0..self.keys.len()).collect();
        self.sign_with(id, &which)
    }
}

/// Installs `signers` as the first set (as the deployer).
pub fn bootstrap(sim: &mut Simnet, signers: &Signers) -> Receipt {
    let d = sim.deployer();
    sim.call(
        REG,
        "bootstrap-signers",
        &[signers.keys_value(), uint(signers.threshold as u128)],
        &d,
    )
}

/// The newest burn height whose header hash contracts can see (one below
/// `burn-block-height`, as on Stacks) and that hash, for the reorg guard. Mines a block
/// on a fresh chain, where no burn block is visible yet.
pub fn burn_tip(sim: &mut Simnet) -> (u128, [u8; 32]) {
    while sim.burn_block_height() == 0 {
        sim.mine(1);
    }
    let h = sim.burn_block_height() - 1;
    (h, burn_hash(sim, h))
}

pub fn burn_hash(sim: &mut Simnet, height: u128) -> [u8; 32] {
    sim.burn_header_hash(height)
        .expect("a mined height has a header hash")
        .try_into()
        .expect("header hashes are 32 bytes")
}

static DEPOSIT_NONCE: AtomicU64 = AtomicU64::new(0);

/// A fresh deposit message paying `amount` sats to `recipient`, pinned to the tip.
pub fn deposit_message(sim: &mut Simnet, recipient: &str, amount: u128) -> Deposit {
    let nonce = DEPOSIT_NONCE.fetch_add(1, Ordering::Relaxed);
    let (burn_height, burn_hash) = burn_tip(sim);
    Deposit {
        txid: sha256(format!("deposit {nonce}").as_bytes()),
        vout: 0,
        amount,
        recipient: Principal::parse(recipient).expect("valid principal"),
        burn_height,
        burn_hash,
    }
}

pub fn deposit_args(d: &Deposit, sigs: Value) -> Vec<Value> {
    vec![
        buff(&d.txid),
        uint(d.vout),
        uint(d.amount),
        principal(&d.recipient.to_string()),
        uint(d.burn_height),
        buff(&d.burn_hash),
        sigs,
    ]
}

/// Pegs in `amount` sats for `recipient` with a quorum of `signers`.
pub fn peg_in(sim: &mut Simnet, signers: &Signers, recipient: &str, amount: u128) {
    let d = deposit_message(sim, recipient, amount);
    let sigs = signers.sign(&d.id(&binding()));
    let caller = sim.account("wallet_8");
    sim.call(REG, "complete-deposit", &deposit_args(&d, sigs), &caller)
        .expect_ok();
}

pub fn rotation_args(r: &Rotation, sigs: Value) -> Vec<Value> {
    vec![
        list(r.signers.iter().map(|k| buff(k)).collect()),
        uint(r.threshold),
        sigs,
    ]
}

pub fn delivery_args(d: &Delivery, sigs: Value) -> Vec<Value> {
    vec![
        uint(d.silica_id),
        uint(d.window),
        uint(d.delivered),
        uint(d.index),
        uint(d.burn_height),
        buff(&d.burn_hash),
        sigs,
    ]
}

/// The silica functions that move the settlement token take it as their first
/// argument (`<sip-010-trait>`).
pub const TOKEN_FUNCTIONS: [&str; 10] = [
    "create",
    "buy",
    "cancel",
    "expire",
    "start",
    "top-up",
    "attest-window",
    "settle-stalled",
    "redeem",
    "collect",
];

/// The settlement token the bootstrap configures: the stand-in `sbtc-token`.
pub fn settlement_token(sim: &Simnet) -> Value {
    principal(&sim.contract_id(SBTC))
}

/// `args` with the settlement token in front when `function` moves it.
pub fn with_token(sim: &Simnet, function: &str, args: &[Value]) -> Vec<Value> {
    let mut all = Vec::with_capacity(args.len() + 1);
    if TOKEN_FUNCTIONS.contains(&function) {
        all.push(settlement_token(sim));
    }
    all.extend_from_slice(args);
    all
}

/// Calls a silica function, passing the settlement token where it takes one.
pub fn silica_call(sim: &mut Simnet, function: &str, args: &[Value], who: &str) -> Receipt {
    let all = with_token(sim, function, args);
    sim.call(SILICA, function, &all, who)
}

pub fn silica_contract(sim: &Simnet) -> String {
    sim.contract_id(SILICA)
}

/// Terms of a listing.
#[derive(Clone, Copy, Debug)]
pub struct Terms {
    pub hashrate: u128,
    pub windows: u128,
    /// Blocks from now to start (at least the sale window, 144 by default).
    pub start_in: u128,
    pub price: u128,
    pub collateral_bps: u128,
}

impl Default for Terms {
    fn default() -> Self {
        Terms {
            hashrate: 100,
            windows: 4,
            start_in: 150,
            price: 60,
            collateral_bps: 1_000,
        }
    }
}

/// A chain with a bootstrapped signer set, a funded miner and funded buyers.
pub struct World {
    pub sim: Simnet,
    pub signers: Signers,
    pub miner: String,
    pub alice: String,
    pub bob: String,
    pub carol: String,
    pub stranger: String,
}

/// Sats each actor starts with.
pub const FUNDING: u128 = 10_000_000;

impl World {
    /// 3-of-5 signers (15-of-15 signatures are only needed for the cost test).
    pub fn new() -> World {
        World::with_signers(Signers::new("main", 5, 3))
    }

    pub fn with_signers(signers: Signers) -> World {
        let mut sim = Simnet::deployer_governed();
        bootstrap(&mut sim, &signers).expect_ok();
        let miner = sim.account("wallet_1");
        let alice = sim.account("wallet_2");
        let bob = sim.account("wallet_3");
        let carol = sim.account("wallet_4");
        let stranger = sim.account("wallet_6");
        for who in [&miner, &alice, &bob, &carol] {
            peg_in(&mut sim, &signers, who, FUNDING);
        }
        World {
            sim,
            signers,
            miner,
            alice,
            bob,
            carol,
            stranger,
        }
    }

    pub fn err(&self, name: &str) -> u128 {
        self.sim.err_code(SILICA, name)
    }

    pub fn reg_err(&self, name: &str) -> u128 {
        self.sim.err_code(REG, name)
    }

    /// The payout script silica-payout derives for the next id, computed in Rust.
    pub fn next_payout_script(&mut self) -> Vec<u8> {
        let next = self
            .sim
            .read_only(SILICA, "get-params", &[])
            .field("next-id")
            .to_uint();
        payout_script(
            &binding(),
            next,
            &self.signers.pubkeys(),
            self.signers.threshold,
        )
        .expect("a valid set")
    }

    pub fn create_receipt(&mut self, t: Terms) -> Receipt {
        let script = self.next_payout_script();
        let start = self.sim.burn_block_height() + t.start_in;
        let miner = self.miner.clone();
        silica_call(
            &mut self.sim,
            "create",
            &[
                uint(t.hashrate),
                uint(t.windows),
                uint(start),
                uint(t.price),
                uint(t.collateral_bps),
                buff(&script),
            ],
            &miner,
        )
    }

    pub fn create(&mut self, t: Terms) -> u128 {
        self.create_receipt(t).expect_ok().to_uint()
    }

    pub fn buy(&mut self, id: u128, who: &str, amount: u128) -> Receipt {
        silica_call(&mut self.sim, "buy", &[uint(id), uint(amount)], who)
    }

    pub fn silica(&mut self, id: u128) -> Value {
        self.sim
            .read_only(SILICA, "get-silica", &[uint(id)])
            .to_optional()
            .expect("the silica exists")
    }

    pub fn field(&mut self, id: u128, name: &str) -> u128 {
        self.silica(id).field(name).to_uint()
    }

    pub fn status(&mut self, id: u128) -> u128 {
        self.field(id, "status")
    }

    /// Calls a governance setter (`set-confirmations`, `set-window-length`, …) as the
    /// deployer, the initial governance principal.
    pub fn govern(&mut self, function: &str, value: u128) -> Receipt {
        let gov = self.sim.deployer();
        self.sim.call(SILICA, function, &[uint(value)], &gov)
    }

    /// The first burn height at which the Silica's next window may be attested (the
    /// contract's view, so it follows the Silica's own window length).
    pub fn attestable_height(&mut self, id: u128) -> u128 {
        self.sim
            .read_only(SILICA, "get-attestable-height", &[uint(id)])
            .to_uint()
    }

    /// Mines until the Silica's next window may be attested: until the attestable
    /// height is the newest visible burn block (one below the tip).
    pub fn mine_to_attestable(&mut self, id: u128) {
        let h = self.attestable_height(id) + 1;
        let now = self.sim.burn_block_height();
        if now < h {
            self.sim.mine((h - now) as u32);
        }
    }

    pub fn mine_to_start(&mut self, id: u128) {
        let start = self.field(id, "start");
        let now = self.sim.burn_block_height();
        if now < start {
            self.sim.mine((start - now) as u32);
        }
    }

    /// A delivery message for window `window`, pinned to the newest visible burn block.
    pub fn delivery(&mut self, id: u128, window: u128, delivered: u128, index: u128) -> Delivery {
        let (burn_height, burn_hash) = burn_tip(&mut self.sim);
        Delivery {
            silica_id: id,
            window,
            delivered,
            index,
            burn_height,
            burn_hash,
        }
    }

    /// Submits a delivery signed by a quorum (as a stranger: submission is open).
    pub fn submit(&mut self, d: &Delivery, sigs: Value) -> Receipt {
        let caller = self.stranger.clone();
        silica_call(
            &mut self.sim,
            "attest-window",
            &delivery_args(d, sigs),
            &caller,
        )
    }

    /// Mines to the next window's attestable height and attests it with a quorum.
    pub fn attest(&mut self, id: u128, delivered: u128, index: u128) -> Receipt {
        self.mine_to_attestable(id);
        let window = self.field(id, "next-window");
        let d = self.delivery(id, window, delivered, index);
        let sigs = self.signers.sign(&d.id(&binding()));
        self.submit(&d, sigs)
    }

    pub fn sbtc(&mut self, who: &str) -> u128 {
        self.sim.ft_balance(SBTC, who)
    }

    /// The silica contract, which holds every Silica's escrow.
    pub fn escrow_principal(&self) -> String {
        silica_contract(&self.sim)
    }

    pub fn escrow(&mut self) -> u128 {
        let c = silica_contract(&self.sim);
        self.sim.ft_balance(SBTC, &c)
    }

    pub fn shares(&mut self, id: u128, who: &str) -> u128 {
        self.sim.sft_balance(SILICA, id, who)
    }

    pub fn redeem(&mut self, id: u128, who: &str) -> Receipt {
        silica_call(&mut self.sim, "redeem", &[uint(id)], who)
    }

    pub fn collect(&mut self, id: u128) -> Receipt {
        let miner = self.miner.clone();
        silica_call(&mut self.sim, "collect", &[uint(id)], &miner)
    }

    pub fn top_up(&mut self, id: u128, amount: u128) -> Receipt {
        let miner = self.miner.clone();
        silica_call(&mut self.sim, "top-up", &[uint(id), uint(amount)], &miner)
    }
}

/// Ceiling division, as the contract rounds collateral.
pub fn ceil_div(a: u128, b: u128) -> u128 {
    a.div_ceil(b)
}

/// The collateral schedule (`locked-collateral` in silica.clar).
pub fn locked(c: u128, n: u128, d: u128) -> u128 {
    if d < n.div_ceil(4) {
        c
    } else if d < n.div_ceil(2) {
        c - c / 4
    } else {
        0
    }
}

/// A fully sold Silica (wallet_1 holds all 100 TH/s of the default terms), mined to
/// window 0's attestable height.
pub fn running() -> (World, u128) {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let alice = w.alice.clone();
    w.buy(id, &alice, 100).expect_ok();
    w.mine_to_attestable(id);
    (w, id)
}
