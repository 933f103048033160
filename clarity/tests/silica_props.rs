//! silica property test: random sequences against a Rust model of the settlement rules.
//!
//! Each case lists one Silica with random terms, then applies a random sequence of
//! buys, share transfers, top-ups, attestations (random deliveries and indices, some
//! deliberately out of order), replays, redeems, collects, expiries, cancels (refunding
//! any buyers) and stalled settlements (settle-stalled, sometimes after mining past the
//! stall height). Indices are in 1e-8 sat units with the contract's rounding (due =
//! floor(sold * index / 1e8) per window). After every
//! step it checks:
//! 1. the contract accepted exactly the operations the model says are valid;
//! 2. every party's sBTC balance and the contract's equal the model's (to the sat), and
//!    sats are conserved: Σ parties + contract == Σ peg-ins + Σ minted deliveries
//!    (the model's checked arithmetic makes any negative balance a failure);
//! 3. the status moved only along OPEN -> RUNNING -> FINISHED | DEFAULTED,
//!    OPEN -> EXPIRED, OPEN -> CANCELLED (OPEN -> FINISHED | DEFAULTED only within
//!    an attestation that also printed `start`).
//!
//! Finally it settles (attests the remaining windows or expires), every holder
//! redeems and the miner collects, and the contract's sBTC balance must be exactly 0.
//! Case count is modest (24) to keep the debug suite fast.

use crate::silica_common::{
    ceil_div, locked, silica_call, Terms, World, CANCELLED, DEFAULTED, EXPIRED, FINISHED, FUNDING,
    OPEN, RUNNING, SAT, SILICA,
};
use alkahest_clarity::binding;
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::Receipt;
use alkahest_protocol::message::Delivery;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Buy {
        who: usize,
        amount: u128,
    },
    Transfer {
        from: usize,
        to: usize,
        amount: u128,
    },
    TopUp {
        amount: u128,
    },
    Attest {
        delivery_pct: u128,
        index: u128,
        skip: bool,
    },
    Replay,
    Redeem {
        who: usize,
    },
    Collect,
    Expire,
    Cancel,
    /// settle-stalled; `wait` first mines to the Silica's stall height.
    Stall {
        wait: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 1..60u128).prop_map(|(who, amount)| Op::Buy { who, amount }),
        1 => (0..3usize, 0..3usize, 1..30u128)
            .prop_map(|(from, to, amount)| Op::Transfer { from, to, amount }),
        1 => (1..3_000u128).prop_map(|amount| Op::TopUp { amount }),
        4 => (0..200u128, 1..120 * SAT, prop::bool::weighted(0.15))
            .prop_map(|(delivery_pct, index, skip)| Op::Attest { delivery_pct, index, skip }),
        1 => Just(Op::Replay),
        1 => (0..3usize).prop_map(|who| Op::Redeem { who }),
        1 => Just(Op::Collect),
        1 => Just(Op::Expire),
        1 => Just(Op::Cancel),
        1 => prop::bool::weighted(0.5).prop_map(|wait| Op::Stall { wait }),
    ]
}

/// The settlement rules, in Rust, with checked arithmetic.
#[derive(Debug, Clone)]
struct Model {
    t: Terms,
    status: u128,
    sold: u128,
    collateral: u128,
    held: u128,
    topups: u128,
    next: u128,
    cum_delivered: u128,
    cum_due: u128,
    released: u128,
    pool: u128,
    outstanding: u128,
    miner_amount: u128,
    collected: bool,
    /// A settlement pool exists (FINISHED, DEFAULTED, or CANCELLED with sales).
    has_pool: bool,
    shares: [u128; 3],
    /// sBTC of miner, holder 0..3, contract.
    miner: u128,
    holders: [u128; 3],
    escrow: u128,
    minted: u128,
}

fn sub(a: u128, b: u128) -> u128 {
    a.checked_sub(b).expect("the model never goes negative")
}

impl Model {
    fn settled(&self) -> bool {
        self.has_pool
    }

    fn live(&self) -> bool {
        self.status == RUNNING || (self.status == OPEN && self.sold > 0)
    }

    fn pay_out(&mut self, amount: u128) {
        self.escrow = sub(self.escrow, amount);
    }

    /// OPEN -> RUNNING: collateral scaled to the amount sold, the rest back.
    fn activate(&mut self) {
        if self.status == OPEN {
            let scaled = ceil_div(self.collateral * self.sold, self.t.hashrate);
            let back = sub(self.collateral, scaled);
            self.pay_out(back);
            self.miner += back;
            self.collateral = scaled;
            self.held = scaled;
            self.status = RUNNING;
        }
    }

    fn attest(&mut self, delivered: u128, index: u128) {
        self.minted += delivered;
        self.escrow += delivered;
        self.activate();
        let d = self.next;
        self.cum_delivered += delivered;
        self.cum_due += self.sold * index / SAT;
        self.next += 1;
        let lock = locked(self.collateral, self.t.windows, d);
        if self.cum_delivered + self.topups + lock >= self.cum_due {
            let release = self.t.price * self.sold + sub(self.held, lock);
            self.pay_out(release);
            self.miner += release;
            self.released += self.t.price * self.sold;
            self.held = lock;
            if self.next == self.t.windows {
                self.settle(FINISHED);
            }
        } else {
            self.settle(DEFAULTED);
        }
    }

    fn settle(&mut self, status: u128) {
        let backing = self.cum_delivered + self.topups + self.held;
        let unreleased = sub(self.t.price * self.t.windows * self.sold, self.released);
        if status == FINISHED {
            self.pool = self.cum_due;
            self.miner_amount = sub(backing, self.cum_due);
        } else {
            self.pool = backing + unreleased;
            self.miner_amount = 0;
        }
        self.outstanding = self.sold;
        self.has_pool = true;
        self.status = status;
    }

    /// Cancel before start: collateral and top-ups back; buyers' payments become a pool.
    fn cancel(&mut self) {
        let refund = self.held + self.topups;
        self.pay_out(refund);
        self.miner += refund;
        self.held = 0;
        self.topups = 0;
        self.status = CANCELLED;
        if self.sold > 0 {
            self.pool = self.t.price * self.t.windows * self.sold;
            self.outstanding = self.sold;
            self.miner_amount = 0;
            self.collected = true;
            self.has_pool = true;
        }
    }
}

struct Case {
    w: World,
    id: u128,
    m: Model,
    start: u128,
    last: Option<Delivery>,
    holders: [String; 3],
}

impl Case {
    fn new(t: Terms) -> Case {
        let mut w = World::new();
        let id = w.create(t);
        let collateral = w.field(id, "collateral");
        assert_eq!(
            collateral,
            ceil_div(
                t.hashrate * t.windows * 50 * SAT * t.collateral_bps,
                10_000 * SAT
            )
        );
        let start = w.field(id, "start");
        let holders = [w.alice.clone(), w.bob.clone(), w.carol.clone()];
        let m = Model {
            t,
            status: OPEN,
            sold: 0,
            collateral,
            held: collateral,
            topups: 0,
            next: 0,
            cum_delivered: 0,
            cum_due: 0,
            released: 0,
            pool: 0,
            outstanding: 0,
            miner_amount: 0,
            collected: false,
            has_pool: false,
            shares: [0; 3],
            miner: FUNDING - collateral,
            holders: [FUNDING; 3],
            escrow: collateral,
            minted: 0,
        };
        Case {
            w,
            id,
            m,
            start,
            last: None,
            holders,
        }
    }

    fn started(&mut self) -> bool {
        self.w.sim.burn_block_height() >= self.start
    }

    /// Applies `op` to the chain and the model; checks that they agree on validity.
    fn apply(&mut self, op: &Op) -> Receipt {
        let id = self.id;
        let (r, valid) = match *op {
            Op::Buy { who, amount } => {
                let valid = self.m.status == OPEN
                    && !self.started()
                    && self.m.sold + amount <= self.m.t.hashrate;
                let holder = self.holders[who].clone();
                let r = self.w.buy(id, &holder, amount);
                if valid {
                    let cost = self.m.t.price * self.m.t.windows * amount;
                    self.m.sold += amount;
                    self.m.shares[who] += amount;
                    self.m.holders[who] = sub(self.m.holders[who], cost);
                    self.m.escrow += cost;
                }
                (r, valid)
            }
            Op::Transfer { from, to, amount } => {
                let valid = from != to && amount <= self.m.shares[from];
                let args = [
                    uint(id),
                    uint(amount),
                    principal(&self.holders[from]),
                    principal(&self.holders[to]),
                ];
                let sender = self.holders[from].clone();
                let r = self.w.sim.call(SILICA, "transfer", &args, &sender);
                if valid {
                    self.m.shares[from] -= amount;
                    self.m.shares[to] += amount;
                }
                (r, valid)
            }
            Op::TopUp { amount } => {
                let valid = self.m.status == OPEN || self.m.status == RUNNING;
                let r = self.w.top_up(id, amount);
                if valid {
                    self.m.topups += amount;
                    self.m.miner = sub(self.m.miner, amount);
                    self.m.escrow += amount;
                }
                (r, valid)
            }
            Op::Attest {
                delivery_pct,
                index,
                skip,
            } => {
                self.w.mine_to_attestable(id);
                let expected = self.m.sold.max(1) * index / SAT;
                let delivered = expected * delivery_pct / 100;
                let window = self.m.next + u128::from(skip);
                let d = self.w.delivery(id, window, delivered, index);
                let sigs = self.w.signers.sign(&d.id(&binding()));
                let r = self.w.submit(&d, sigs);
                let valid = self.m.live() && !skip;
                if valid {
                    self.m.attest(delivered, index);
                    self.last = Some(d);
                }
                (r, valid)
            }
            Op::Replay => {
                let Some(d) = self.last.clone() else {
                    return self.apply(&Op::Collect);
                };
                let sigs = self.w.signers.sign(&d.id(&binding()));
                (self.w.submit(&d, sigs), false)
            }
            Op::Redeem { who } => {
                let valid = self.m.settled() && self.m.shares[who] > 0;
                let holder = self.holders[who].clone();
                let r = self.w.redeem(id, &holder);
                if valid {
                    let bal = self.m.shares[who];
                    let amount = self.m.pool * bal / self.m.outstanding;
                    self.m.pool -= amount;
                    self.m.outstanding -= bal;
                    self.m.shares[who] = 0;
                    self.m.pay_out(amount);
                    self.m.holders[who] += amount;
                    assert_eq!(r.expect_ok(), uint(amount), "redeem amount");
                }
                (r, valid)
            }
            Op::Collect => {
                let valid = self.m.settled() && !self.m.collected;
                let r = self.w.collect(id);
                if valid {
                    self.m.collected = true;
                    let amount = self.m.miner_amount;
                    self.m.pay_out(amount);
                    self.m.miner += amount;
                    assert_eq!(r.expect_ok(), uint(amount), "collect amount");
                }
                (r, valid)
            }
            Op::Expire => {
                let valid = self.m.status == OPEN && self.started() && self.m.sold == 0;
                let stranger = self.w.stranger.clone();
                let r = silica_call(&mut self.w.sim, "expire", &[uint(id)], &stranger);
                if valid {
                    let refund = self.m.held + self.m.topups;
                    self.m.pay_out(refund);
                    self.m.miner += refund;
                    self.m.status = EXPIRED;
                }
                (r, valid)
            }
            Op::Cancel => {
                let valid = self.m.status == OPEN && !self.started();
                let miner = self.w.miner.clone();
                let r = silica_call(&mut self.w.sim, "cancel", &[uint(id)], &miner);
                if valid {
                    self.m.cancel();
                }
                (r, valid)
            }
            Op::Stall { wait } => {
                let stall = self
                    .w
                    .sim
                    .read_only(SILICA, "get-stall-height", &[uint(id)])
                    .to_uint();
                let now = self.w.sim.burn_block_height();
                if wait && now < stall {
                    self.w.sim.mine((stall - now) as u32);
                }
                let reached = self.w.sim.burn_block_height() >= stall;
                let valid = self.m.live() && reached;
                let stranger = self.w.stranger.clone();
                let r = silica_call(&mut self.w.sim, "settle-stalled", &[uint(id)], &stranger);
                if valid {
                    self.m.activate();
                    self.m.settle(DEFAULTED);
                }
                (r, valid)
            }
        };
        assert_eq!(
            r.is_ok(),
            valid,
            "{op:?}: the model expected valid = {valid}\n{r}"
        );
        r
    }

    fn check(&mut self, before: u128, r: &Receipt) {
        let (m, id) = (self.m.clone(), self.id);
        let miner = self.w.miner.clone();
        assert_eq!(self.w.sbtc(&miner), m.miner, "miner balance");
        let mut total = self.w.sbtc(&miner);
        for (i, h) in self.holders.clone().iter().enumerate() {
            let b = self.w.sbtc(h);
            assert_eq!(b, m.holders[i], "holder {i} balance");
            assert_eq!(self.w.shares(id, h), m.shares[i], "holder {i} shares");
            total += b;
        }
        let escrow = self.w.escrow();
        assert_eq!(escrow, m.escrow, "contract balance");
        assert_eq!(total + escrow, 4 * FUNDING + m.minted, "conservation");
        let status = self.w.status(id);
        assert_eq!(status, m.status, "status");
        let allowed = before == status
            || matches!(
                (before, status),
                (OPEN, RUNNING)
                    | (RUNNING, FINISHED)
                    | (RUNNING, DEFAULTED)
                    | (OPEN, EXPIRED)
                    | (OPEN, CANCELLED)
            )
            || (before == OPEN
                && (status == FINISHED || status == DEFAULTED)
                && r.topics().contains(&"start".to_string()));
        assert!(allowed, "illegal status edge {before} -> {status}\n{r}");
    }

    /// Drives the Silica to its end and lets everyone claim; the escrow must be 0.
    fn finish(&mut self) {
        while self.m.status == RUNNING || (self.m.status == OPEN && self.m.sold > 0) {
            let before = self.m.status;
            let r = self.apply(&Op::Attest {
                delivery_pct: 100,
                index: 40 * SAT + 12_345_678,
                skip: false,
            });
            self.check(before, &r);
        }
        if self.m.status == OPEN {
            self.w.mine_to_start(self.id);
            let r = self.apply(&Op::Expire);
            self.check(OPEN, &r);
        }
        if self.m.settled() {
            for who in 0..3 {
                if self.m.shares[who] > 0 {
                    let r = self.apply(&Op::Redeem { who });
                    self.check(self.m.status, &r);
                }
            }
            let r = self.apply(&Op::Collect);
            self.check(self.m.status, &r);
        }
        assert_eq!(self.w.escrow(), 0, "residual after final settlement");
        assert_eq!(self.m.escrow, 0);
    }
}

fn terms() -> impl Strategy<Value = Terms> {
    (10..150u128, 1..5u128, 1..80u128, 1_000..10_000u128).prop_map(
        |(hashrate, windows, price, collateral_bps)| Terms {
            hashrate,
            windows,
            start_in: 150,
            price,
            collateral_bps,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_conserve_sats_and_settle_to_zero(
        t in terms(),
        ops in prop::collection::vec(op(), 4..18),
    ) {
        let mut case = Case::new(t);
        for op in &ops {
            let before = case.m.status;
            let r = case.apply(op);
            case.check(before, &r);
        }
        case.finish();
    }
}
