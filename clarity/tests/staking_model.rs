//! A Rust model of `alex-staking`: the same cycles, lazy finalisation (32 per call),
//! accumulators and integer math, so tests can check every payout exactly.
//!
//! Each operation works on a copy and commits it only on success, as a Clarity call
//! that returns `err` rolls back its state.

use std::collections::BTreeMap;

/// Fixed-point scale of the accumulators (the contract's `SCALE`).
pub const SCALE: u128 = 10_000_000_000_000_000;
/// Longest lock, in cycles.
pub const MAX_LOCK: u128 = 32;
/// Cycles one call finalises at most.
pub const STEPS: u128 = 32;

/// Why the contract refuses an operation (the `ERR_*` name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotActivated,
    InvalidAmount,
    LockTooShort,
    LockTooLong,
    Behind,
    UnknownPosition,
    NotOwner,
    NothingToClaim,
    StillLocked,
}

impl Refusal {
    /// The contract's constant name.
    pub fn name(self) -> &'static str {
        match self {
            Refusal::NotActivated => "ERR_NOT_ACTIVATED",
            Refusal::InvalidAmount => "ERR_INVALID_AMOUNT",
            Refusal::LockTooShort => "ERR_LOCK_TOO_SHORT",
            Refusal::LockTooLong => "ERR_LOCK_TOO_LONG",
            Refusal::Behind => "ERR_BEHIND",
            Refusal::UnknownPosition => "ERR_UNKNOWN_POSITION",
            Refusal::NotOwner => "ERR_NOT_OWNER",
            Refusal::NothingToClaim => "ERR_NOTHING_TO_CLAIM",
            Refusal::StillLocked => "ERR_STILL_LOCKED",
        }
    }
}

/// A staking position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Index of the owner in the caller's list of stakers.
    pub owner: usize,
    pub amount: u128,
    pub first: u128,
    pub end: u128,
    pub claimed: u128,
}

/// What a claim or unstake pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Payout {
    pub alex: u128,
    pub sbtc: u128,
}

/// The contract's state.
#[derive(Debug, Clone)]
pub struct Model {
    pub activation: u128,
    pub cycle_len: u128,
    pub emission: u128,
    /// What is left of the releaser cap in alex-emission.
    pub cap_remaining: u128,
    pub finalized: u128,
    pub last_staked: u128,
    pub deltas: BTreeMap<u128, (u128, u128)>,
    pub cycle_sbtc: BTreeMap<u128, u128>,
    /// acc[c] (ALEX, sBTC) for c <= finalized.
    pub acc: Vec<(u128, u128)>,
    /// Staked total of each finalised cycle.
    pub staked: Vec<u128>,
    pub positions: BTreeMap<u128, Position>,
    pub next_id: u128,
    pub released: u128,
    pub alex_paid: u128,
    pub sbtc_added: u128,
    pub sbtc_paid: u128,
    pub principal: u128,
    /// Finalised cycles that had stakers (each may leave < ceil(staked / SCALE) dust).
    pub rewarded_cycles: u128,
    /// Successful claims and unstakes (each floors away < 1 unit of each token).
    pub payouts: u128,
}

impl Model {
    /// The state right after activation at `activation`.
    pub fn new(activation: u128, cycle_len: u128, emission: u128, cap: u128) -> Model {
        Model {
            activation,
            cycle_len,
            emission,
            cap_remaining: cap,
            finalized: 0,
            last_staked: 0,
            deltas: BTreeMap::new(),
            cycle_sbtc: BTreeMap::new(),
            acc: vec![(0, 0)],
            staked: Vec::new(),
            positions: BTreeMap::new(),
            next_id: 1,
            released: 0,
            alex_paid: 0,
            sbtc_added: 0,
            sbtc_paid: 0,
            principal: 0,
            rewarded_cycles: 0,
            payouts: 0,
        }
    }

    /// The cycle of burn height `h`.
    pub fn cycle_at(&self, h: u128) -> Option<u128> {
        (h >= self.activation).then(|| (h - self.activation) / self.cycle_len)
    }

    fn finalize_one(&mut self) {
        let c = self.finalized;
        let (add, remove) = self.deltas.get(&c).copied().unwrap_or_default();
        let staked = self.last_staked + add - remove;
        let sbtc = self.cycle_sbtc.remove(&c).unwrap_or(0);
        let (a_alex, a_sbtc) = self.acc[c as usize];
        let alex = self.emission.min(self.cap_remaining);
        // staked = 0: nothing is released and the sBTC carries to the next cycle.
        let next = match (
            (alex * SCALE).checked_div(staked),
            (sbtc * SCALE).checked_div(staked),
        ) {
            (Some(da), Some(ds)) => {
                self.cap_remaining -= alex;
                self.released += alex;
                self.rewarded_cycles += 1;
                (a_alex + da, a_sbtc + ds)
            }
            _ => {
                *self.cycle_sbtc.entry(c + 1).or_default() += sbtc;
                (a_alex, a_sbtc)
            }
        };
        self.acc.push(next);
        self.staked.push(staked);
        self.last_staked = staked;
        self.finalized = c + 1;
    }

    fn finalize_upto(&mut self, now: u128) {
        for _ in 0..STEPS {
            if self.finalized < now {
                self.finalize_one();
            }
        }
    }

    /// `advance` at burn height `h`: the new finalized-through.
    pub fn advance(&mut self, h: u128) -> Result<u128, Refusal> {
        let now = self.cycle_at(h).ok_or(Refusal::NotActivated)?;
        self.finalize_upto(now);
        Ok(self.finalized)
    }

    fn catch_up(&mut self, h: u128) -> Result<u128, Refusal> {
        let now = self.cycle_at(h).ok_or(Refusal::NotActivated)?;
        self.finalize_upto(now);
        if self.finalized < now {
            return Err(Refusal::Behind);
        }
        Ok(now)
    }

    fn commit<T>(
        &mut self,
        f: impl FnOnce(&mut Model) -> Result<T, Refusal>,
    ) -> Result<T, Refusal> {
        let mut m = self.clone();
        let r = f(&mut m)?;
        *self = m;
        Ok(r)
    }

    /// `stake` by staker `owner`: the position id.
    pub fn stake(
        &mut self,
        h: u128,
        owner: usize,
        amount: u128,
        lock: u128,
    ) -> Result<u128, Refusal> {
        self.commit(|m| {
            let now = m.catch_up(h)?;
            if amount == 0 {
                return Err(Refusal::InvalidAmount);
            }
            if lock < 1 {
                return Err(Refusal::LockTooShort);
            }
            if lock > MAX_LOCK {
                return Err(Refusal::LockTooLong);
            }
            let first = now + 1;
            let end = first + lock;
            let id = m.next_id;
            m.positions.insert(
                id,
                Position {
                    owner,
                    amount,
                    first,
                    end,
                    claimed: first,
                },
            );
            m.deltas.entry(first).or_default().0 += amount;
            m.deltas.entry(end).or_default().1 += amount;
            m.next_id += 1;
            m.principal += amount;
            Ok(id)
        })
    }

    /// Rewards `p` has due against the finalised cycles, and the new claimed-through.
    pub fn pending(&self, p: &Position) -> (Payout, u128) {
        let lo = p.claimed;
        let hi = lo.max(p.end.min(self.finalized));
        if hi == lo {
            // Nothing finalised since (lo may be past finalized: acc[lo] is not known yet).
            return (Payout::default(), lo);
        }
        let (lo_a, lo_s) = self.acc[lo as usize];
        let (hi_a, hi_s) = self.acc[hi as usize];
        (
            Payout {
                alex: p.amount * (hi_a - lo_a) / SCALE,
                sbtc: p.amount * (hi_s - lo_s) / SCALE,
            },
            hi,
        )
    }

    fn owned(&mut self, h: u128, id: u128, who: usize) -> Result<Position, Refusal> {
        let p = self
            .positions
            .get(&id)
            .cloned()
            .ok_or(Refusal::UnknownPosition)?;
        self.catch_up(h)?;
        if p.owner != who {
            return Err(Refusal::NotOwner);
        }
        Ok(p)
    }

    fn pay(&mut self, due: Payout) {
        self.alex_paid += due.alex;
        self.sbtc_paid += due.sbtc;
        self.payouts += 1;
    }

    /// `claim` of position `id` by staker `who`.
    pub fn claim(&mut self, h: u128, id: u128, who: usize) -> Result<Payout, Refusal> {
        self.commit(|m| {
            let p = m.owned(h, id, who)?;
            let (due, through) = m.pending(&p);
            if due.alex + due.sbtc == 0 {
                return Err(Refusal::NothingToClaim);
            }
            m.pay(due);
            m.positions.get_mut(&id).unwrap().claimed = through;
            Ok(due)
        })
    }

    /// `unstake` of position `id` by staker `who`: (principal, rewards).
    pub fn unstake(&mut self, h: u128, id: u128, who: usize) -> Result<(u128, Payout), Refusal> {
        self.commit(|m| {
            let p = m.owned(h, id, who)?;
            if m.finalized < p.end {
                return Err(Refusal::StillLocked);
            }
            let (due, _) = m.pending(&p);
            m.pay(due);
            m.positions.remove(&id);
            m.principal -= p.amount;
            Ok((p.amount, due))
        })
    }

    /// `add-sbtc-rewards`: the sBTC now booked to the current cycle.
    pub fn add_sbtc(&mut self, h: u128, amount: u128) -> Result<u128, Refusal> {
        let now = self.cycle_at(h).ok_or(Refusal::NotActivated)?;
        if amount == 0 {
            return Err(Refusal::InvalidAmount);
        }
        let booked = self.cycle_sbtc.entry(now).or_default();
        *booked += amount;
        self.sbtc_added += amount;
        Ok(*booked)
    }

    /// sBTC booked to cycles not finalised yet.
    pub fn sbtc_booked(&self) -> u128 {
        self.cycle_sbtc.values().sum()
    }

    /// The documented dust bound for one token: < ceil(staked(c) / SCALE) per cycle
    /// with stakers, < 1 per payout.
    pub fn dust_bound(&self) -> u128 {
        let per_cycle: u128 = self
            .staked
            .iter()
            .filter(|s| **s > 0)
            .map(|s| s.div_ceil(SCALE))
            .sum();
        per_cycle + self.payouts
    }
}
