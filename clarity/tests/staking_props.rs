//! alex-staking property test: random sequences against the Rust model
//! (`staking_model.rs`, the same integer math).
//!
//! Each case activates staking with 10-block cycles, a random ALEX emission per cycle
//! and a random releaser cap (often exhausted), then applies a random sequence of
//! stakes by four stakers (random amounts, locks 0..=34 so the bounds are hit),
//! `add-sbtc-rewards`, block advances (sometimes past the 32-cycle catch-up bound),
//! `advance`, claims and unstakes (by the owner or someone else, of live, unstaked or
//! unknown positions). After every step:
//! 1. the contract accepted exactly what the model accepts, with the same error code,
//!    and paid exactly the model's amounts (to the base unit);
//! 2. the ALEX and sBTC balances of the staker it involved equal the model's (every
//!    staker's at the start and the end);
//! 3. the contract holds ALEX = principal staked + released - paid and sBTC = added -
//!    paid, and finalized-through and the totals equal the model's.
//!
//! Finally every ended cycle is finalised and every position unstaked: each principal
//! comes back exactly, Σ ALEX paid <= Σ released, Σ sBTC paid <= Σ added, and what is
//! left (minus sBTC still booked to cycles without stakers) is within the documented
//! dust bound.

use crate::actors::actors;
use crate::staking_common::*;
use crate::staking_model::{Model, Payout, Refusal};
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::{Receipt, Simnet};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Stake {
        who: usize,
        amount: u128,
        lock: u128,
    },
    AddSbtc {
        amount: u128,
    },
    Mine {
        blocks: u32,
    },
    Advance,
    Claim {
        pos: usize,
        who: usize,
        owner: bool,
    },
    Unstake {
        pos: usize,
        who: usize,
        owner: bool,
    },
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        4 => 1u128..1_000,
        7 => 1u128..1_000_000_000_000,
        1 => Just(0u128),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0usize..4, amount(), prop_oneof![10 => 1u128..6, 1 => 0u128..35])
            .prop_map(|(who, amount, lock)| Op::Stake { who, amount, lock }),
        3 => amount().prop_map(|amount| Op::AddSbtc { amount }),
        6 => prop_oneof![24 => 1u32..25, 1 => 300u32..400].prop_map(|blocks| Op::Mine { blocks }),
        1 => Just(Op::Advance),
        4 => (0usize..16, 0usize..4, prop::bool::weighted(0.85))
            .prop_map(|(pos, who, owner)| Op::Claim { pos, who, owner }),
        3 => (0usize..16, 0usize..4, prop::bool::weighted(0.85))
            .prop_map(|(pos, who, owner)| Op::Unstake { pos, who, owner }),
    ]
}

thread_local! {
    /// The activated chain (default params), built once per thread: each case clones
    /// it and sets its own emission and cap.
    static BASE: (Simnet, u128) = {
        let (sim, _, act) = activated(Params::default());
        (sim, act)
    };
}

struct World {
    sim: Simnet,
    model: Model,
    stakers: Vec<String>,
    operator: String,
    staking: String,
    /// Expected ALEX and sBTC balance of each staker.
    alex: Vec<u128>,
    sbtc: Vec<u128>,
}

impl World {
    fn h(&mut self) -> u128 {
        self.sim.burn_block_height()
    }

    fn refused(&self, r: &Receipt, why: Refusal) {
        r.expect_err(code(&self.sim, why.name()));
    }

    fn received(&mut self, who: usize, p: Payout) {
        self.alex[who] += p.alex;
        self.sbtc[who] += p.sbtc;
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Stake { who, amount, lock } => {
                let h = self.h();
                let r = stake(&mut self.sim, &self.stakers[who].clone(), amount, lock);
                match self.model.stake(h, who, amount, lock) {
                    Ok(id) => {
                        assert_eq!(r.expect_ok().to_uint(), id);
                        self.alex[who] -= amount;
                    }
                    Err(why) => self.refused(&r, why),
                }
            }
            Op::AddSbtc { amount } => {
                let h = self.h();
                let r = add_sbtc(&mut self.sim, &self.operator.clone(), amount);
                match self.model.add_sbtc(h, amount) {
                    Ok(booked) => assert_eq!(r.expect_ok().to_uint(), booked),
                    Err(why) => self.refused(&r, why),
                }
            }
            Op::Mine { blocks } => {
                self.sim.mine(blocks);
            }
            Op::Advance => {
                let h = self.h();
                let r = advance(&mut self.sim, &self.operator.clone());
                match self.model.advance(h) {
                    Ok(f) => assert_eq!(r.expect_ok().to_uint(), f),
                    Err(why) => self.refused(&r, why),
                }
            }
            Op::Claim { pos, who, owner } => {
                let (id, who) = self.pick(pos, who, owner);
                let h = self.h();
                let r = claim(&mut self.sim, &self.stakers[who].clone(), id);
                match self.model.claim(h, id, who) {
                    Ok(p) => {
                        assert_eq!(paid(&r.expect_ok()), (p.alex, p.sbtc));
                        self.received(who, p);
                    }
                    Err(why) => self.refused(&r, why),
                }
            }
            Op::Unstake { pos, who, owner } => {
                let (id, who) = self.pick(pos, who, owner);
                let h = self.h();
                let r = unstake(&mut self.sim, &self.stakers[who].clone(), id);
                match self.model.unstake(h, id, who) {
                    Ok((amount, p)) => {
                        let v = r.expect_ok();
                        assert_eq!(v.field("amount").to_uint(), amount);
                        assert_eq!(paid(&v), (p.alex, p.sbtc));
                        self.alex[who] += amount;
                        self.received(who, p);
                    }
                    Err(why) => self.refused(&r, why),
                }
            }
        }
    }

    /// A position id (a created one, unstaked ones included, or the next, unknown, id)
    /// and a caller: its owner when `owner` and the position is live, else `who`.
    fn pick(&self, pos: usize, who: usize, owner: bool) -> (u128, usize) {
        let created = self.model.next_id - 1;
        let id = if pos == 0 || created == 0 {
            self.model.next_id
        } else {
            pos as u128 % created + 1
        };
        match self.model.positions.get(&id) {
            Some(p) if owner => (id, p.owner),
            _ => (id, who),
        }
    }

    /// The staker an operation moves tokens of, if any.
    fn involved(&self, op: &Op) -> Option<usize> {
        match *op {
            Op::Stake { who, .. } => Some(who),
            Op::Claim { pos, who, owner } | Op::Unstake { pos, who, owner } => {
                Some(self.pick(pos, who, owner).1)
            }
            _ => None,
        }
    }

    /// Checks the balances of `stakers` (indices), the contract's and its counters.
    fn check(&mut self, stakers: &[usize]) {
        let m = &self.model;
        let (principal, released, alex_paid) = (m.principal, m.released, m.alex_paid);
        let (sbtc_added, sbtc_paid, fin) = (m.sbtc_added, m.sbtc_paid, m.finalized);
        for &i in stakers {
            let w = self.stakers[i].clone();
            assert_eq!(
                self.sim.ft_balance("alex-token", &w),
                self.alex[i],
                "ALEX of staker {i}"
            );
            assert_eq!(
                self.sim.ft_balance("sbtc-token", &w),
                self.sbtc[i],
                "sBTC of staker {i}"
            );
        }
        let staking = self.staking.clone();
        assert!(alex_paid <= released && sbtc_paid <= sbtc_added);
        assert_eq!(
            self.sim.ft_balance("alex-token", &staking),
            principal + released - alex_paid
        );
        assert_eq!(
            self.sim.ft_balance("sbtc-token", &staking),
            sbtc_added - sbtc_paid
        );
        assert_eq!(finalized(&mut self.sim), fin);
        let t = self.sim.read_only(S, "get-totals", &[]);
        assert_eq!(t.field("principal").to_uint(), principal);
        assert_eq!(t.field("alex-released").to_uint(), released);
        assert_eq!(t.field("alex-paid").to_uint(), alex_paid);
        assert_eq!(t.field("sbtc-added").to_uint(), sbtc_added);
        assert_eq!(t.field("sbtc-paid").to_uint(), sbtc_paid);
    }

    /// Finalises every ended cycle, waits out every lock and unstakes everything.
    fn settle(&mut self) {
        let last_end = self
            .model
            .positions
            .values()
            .map(|p| p.end)
            .max()
            .unwrap_or(0);
        let start = self.model.activation + last_end * self.model.cycle_len;
        mine_to(&mut self.sim, start);
        loop {
            let h = self.h();
            let now = self.model.cycle_at(h).unwrap();
            if self.model.finalized >= now {
                break;
            }
            self.apply(&Op::Advance);
        }
        let live: Vec<(u128, usize)> = self
            .model
            .positions
            .iter()
            .map(|(id, p)| (*id, p.owner))
            .collect();
        for (id, owner) in live {
            let h = self.h();
            let r = unstake(&mut self.sim, &self.stakers[owner].clone(), id);
            let (amount, p) = self
                .model
                .unstake(h, id, owner)
                .expect("unstake after the lock");
            let v = r.expect_ok();
            assert_eq!(v.field("amount").to_uint(), amount);
            assert_eq!(paid(&v), (p.alex, p.sbtc));
            self.alex[owner] += amount;
            self.received(owner, p);
        }
        self.check(&[0, 1, 2, 3]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, ..ProptestConfig::default() })]

    #[test]
    fn random_staking_matches_the_model_and_conserves_tokens(
        emission in prop_oneof![6 => 1u128..1_000_000_000_000, 1 => Just(0u128), 2 => Just(1_000 * ONE)],
        cap_cycles in 1u128..8,
        cap_extra in 0u128..1_000_000,
        ops in prop::collection::vec(op(), 8..32),
    ) {
        let params = Params {
            emission,
            cap: emission * cap_cycles + cap_extra,
            ..Params::default()
        };
        let (mut sim, act) = BASE.with(|b| b.clone());
        let a = actors(&sim);
        sim.call(S, "set-emission-per-cycle", &[uint(params.emission)], &a.deployer).expect_ok();
        let staking = sim.contract_id(S);
        sim.call("alex-emission", "set-releaser", &[principal(&staking), uint(params.cap)], &a.deployer)
            .expect_ok();
        let stakers = vec![a.alice.clone(), a.bob.clone(), a.carol.clone(), a.stranger.clone()];
        let mut w = World {
            staking: sim.contract_id(S),
            model: Model::new(act, params.cycle_len, params.emission, params.cap),
            operator: a.operator.clone(),
            alex: vec![10_000_000 * ONE; 4],
            sbtc: vec![0; 4],
            stakers,
            sim,
        };
        let initial = w.alex.clone();
        w.check(&[0, 1, 2, 3]);
        for op in &ops {
            // Resolve the caller before the op changes the positions.
            let who = w.involved(op);
            w.apply(op);
            w.check(who.as_slice());
        }
        w.settle();

        let m = &w.model;
        prop_assert_eq!(m.principal, 0);
        prop_assert!(m.positions.is_empty());
        // Every principal came back: each staker holds its start plus its rewards.
        let rewards: u128 = (0..4).map(|i| w.alex[i] - initial[i]).sum();
        prop_assert_eq!(rewards, m.alex_paid);
        let bound = m.dust_bound();
        let alex_dust = m.released - m.alex_paid;
        let sbtc_dust = m.sbtc_added - m.sbtc_paid - m.sbtc_booked();
        prop_assert!(alex_dust <= bound, "ALEX dust {} > bound {}", alex_dust, bound);
        prop_assert!(sbtc_dust <= bound, "sBTC dust {} > bound {}", sbtc_dust, bound);
        prop_assert!(m.released <= params.cap);
    }
}
