//! `governance-demo`: one AGP through the whole DAO lifecycle on the devnet, and the
//! API's view of `dao-voting` proposals ([`SimnetGovernance`]).
//!
//! After the deployer's handover (only an AGP changes a parameter from then on), one
//! step per Bitcoin block, each read back from chain state so a restart carries on:
//!
//! 1. the foundation reserve (the deployer) sends ALEX to the liquidity provider and
//!    the three voters;
//! 2. the liquidity provider (wallet_4) seeds pool 2, ALEX/STX, at the bootstrap fee;
//! 3. the voters lock their ALEX in `dao-voting`;
//! 4. wallet_5 proposes `agp001-pool-fee` with the sha256 of its deployed source;
//! 5. at the start height wallet_5 and wallet_6 vote for, wallet_7 against;
//! 6. once the vote has ended, the proposal is concluded (quorum and majority);
//! 7. after the timelock it is executed (pool 2's fee 0.3% → 0.5%) and wallet_4 swaps
//!    ALEX for STX; the fee the swap event reports is checked against 0.5% of the
//!    amount sold, rounded up as amm-pool rounds, and the final figures are logged.

use crate::figures::thousands;
use std::sync::OnceLock;

use alkahest_api::routes::governance::{GovernanceSource, ProposalView, VoteView};
use alkahest_clarity::values::{buff, principal, uint, ValueExt};
use alkahest_clarity::{Manifest, Outcome, Receipt, Value};
use alkahest_signer::key::SignerKey;
use alkahest_signer::stacks::simnet::SimnetClient;
use anyhow::{anyhow, bail};
use bitcoin::hashes::{sha256, Hash};

use crate::stacks::Stacks;
use crate::Devnet;

/// 10^8 base units per ALEX.
pub const ALEX: u128 = 100_000_000;
/// 10^6 micro-STX per STX.
pub const STX: u128 = 1_000_000;
/// amm-pool's fee rates are fractions of 10^8.
pub const ONE_8: u128 = 100_000_000;
/// The pool the proposal changes: ALEX/STX, 50/50 constant product.
pub const POOL: u128 = 2;
/// The proposal contract (deployed with the others).
pub const PROPOSAL: &str = "agp001-pool-fee";
/// Pool 2's fee rate as the bootstrap creates it (0.3%).
pub const OLD_FEE_RATE: u128 = 300_000;
/// Pool 2's fee rate after agp001 (0.5%).
pub const NEW_FEE_RATE: u128 = 500_000;
/// The liquidity provider, who also makes the closing swap.
pub const LP: &str = "wallet_4";
/// ALEX and micro-STX the liquidity provider deposits in pool 2.
pub const LIQUIDITY: (u128, u128) = (1_000_000 * ALEX, 500_000 * STX);
/// ALEX sold in the closing swap: 1,000 ALEX and one base unit, so the fee's
/// rounding up shows.
pub const SWAP_DX: u128 = 1_000 * ALEX + 1;
/// The proposer (also a voter).
pub const PROPOSER: &str = "wallet_5";
/// Voters: account, ALEX locked (the vote's weight), for or against. The proposer
/// needs the 100,000 ALEX threshold; together they pass the 10,000,000 ALEX quorum.
pub const VOTERS: [(&str, u128, bool); 3] = [
    ("wallet_5", 3_000_000 * ALEX, true),
    ("wallet_6", 9_000_000 * ALEX, true),
    ("wallet_7", 2_000_000 * ALEX, false),
];

/// The fee amm-pool charges on `dx` at `rate`: `ceil(dx × rate / 10^8)`.
pub fn swap_fee(dx: u128, rate: u128) -> u128 {
    (dx * rate).div_ceil(ONE_8)
}

/// The part of a fee not rebated to LPs, booked to the reserve.
pub fn to_reserve(fee: u128, rebate: u128) -> u128 {
    fee - fee * rebate / ONE_8
}

/// sha256 of a contract's source: what the proposer records and voters check.
pub fn source_hash(source: &str) -> [u8; 32] {
    sha256::Hash::hash(source.as_bytes()).to_byte_array()
}

/// A pool's fee and balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Fee rate, of 10^8.
    pub fee_rate: u128,
    /// Share of the fee left to LPs, of 10^8.
    pub fee_rebate: u128,
    /// Balance of token x (ALEX).
    pub balance_x: u128,
    /// Balance of token y.
    pub balance_y: u128,
}

/// Pool `id` as amm-pool holds it.
pub fn pool_state(stacks: &Stacks, id: u128) -> PoolState {
    let p = stacks.read("amm-pool", "get-pool", &[uint(id)]);
    PoolState {
        fee_rate: p.field("fee-rate").to_uint(),
        fee_rebate: p.field("fee-rebate").to_uint(),
        balance_x: p.field("balance-x").to_uint(),
        balance_y: p.field("balance-y").to_uint(),
    }
}

/// The reserve ledger's balance of a project token (`alex-token`, ...).
pub fn reserve_balance(stacks: &Stacks, token: &str) -> u128 {
    stacks
        .read(
            "amm-reserve",
            "get-balance",
            &[principal(&stacks.contract(token))],
        )
        .to_uint()
}

/// `account`'s ALEX balance.
pub fn alex_balance(stacks: &Stacks, who: &str) -> u128 {
    stacks
        .read("alex-token", "get-balance", &[principal(who)])
        .to_uint()
}

/// The keys the scenario signs with, from `settings/Devnet.toml`.
struct Keys {
    deployer: SignerKey,
    accounts: Vec<(&'static str, SignerKey, String)>,
}

impl Keys {
    fn load() -> anyhow::Result<Keys> {
        let m = Manifest::workspace()?;
        let key = |name: &str| -> anyhow::Result<(SignerKey, String)> {
            let a = m
                .accounts
                .get(name)
                .ok_or_else(|| anyhow!("no account {name} in settings/Devnet.toml"))?;
            Ok((SignerKey::from_hex(&a.secret_key, name)?, a.address.clone()))
        };
        let mut accounts = Vec::new();
        for name in [LP, VOTERS[0].0, VOTERS[1].0, VOTERS[2].0] {
            let (k, a) = key(name)?;
            accounts.push((name, k, a));
        }
        Ok(Keys {
            deployer: key("deployer")?.0,
            accounts,
        })
    }

    fn get(&self, name: &str) -> (&SignerKey, &str) {
        let (_, k, a) = self
            .accounts
            .iter()
            .find(|(n, _, _)| *n == name)
            .expect("every scenario account is loaded");
        (k, a)
    }
}

/// The address of a scenario account (`wallet_4`, ...).
///
/// # Errors
/// A missing or malformed `settings/Devnet.toml`, or an account the scenario does not use.
pub fn address(name: &str) -> anyhow::Result<String> {
    keys()?
        .accounts
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, a)| a.clone())
        .ok_or_else(|| anyhow!("{name} is not a governance-demo account"))
}

fn keys() -> anyhow::Result<&'static Keys> {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    if let Some(k) = KEYS.get() {
        return Ok(k);
    }
    let k = Keys::load()?;
    Ok(KEYS.get_or_init(|| k))
}

fn expect_ok(r: &Receipt, what: &str) -> anyhow::Result<Value> {
    match &r.outcome {
        Outcome::Ok(v) => Ok(v.clone()),
        _ => bail!("{what} failed:\n{r}"),
    }
}

/// `1,000,000` ALEX (with the decimals when not whole).
pub fn alex(units: u128) -> String {
    crate::figures::decimal(units, 8)
}

/// A fee rate of 10^8 as a percentage, e.g. `0.3%`.
pub fn percent(rate: u128) -> String {
    // 10^8 is 100%, so 10^6 is 1%.
    let whole = rate / 1_000_000;
    let frac = rate % 1_000_000;
    if frac == 0 {
        format!("{whole}%")
    } else {
        let f = format!("{frac:06}");
        format!("{whole}.{}%", f.trim_end_matches('0'))
    }
}

impl Devnet {
    fn gov_proposal(&self) -> Option<(u128, Value)> {
        let agp = self.stacks.contract(PROPOSAL);
        let id = self
            .stacks
            .read("dao-voting", "get-proposal-id", &[principal(&agp)])
            .to_optional()?
            .to_uint();
        let p = self
            .stacks
            .read("dao-voting", "get-proposal", &[uint(id)])
            .to_optional()?;
        Some((id, p))
    }

    fn gov_status(&self, id: u128) -> String {
        self.stacks
            .read("dao-voting", "get-status", &[uint(id)])
            .to_ascii()
    }

    fn locked(&self, who: &str) -> u128 {
        self.stacks
            .read("dao-voting", "get-lock", &[principal(who)])
            .field("amount")
            .to_uint()
    }

    /// One step of `governance-demo` after Bitcoin block `height` (the first whose
    /// precondition holds on chain).
    pub(crate) async fn governance_demo(&mut self, height: u32) -> anyhow::Result<()> {
        let k = keys()?;
        let burn = u128::from(self.stacks.burn_height());
        let pool = pool_state(&self.stacks, POOL);
        let proposal = self.gov_proposal();

        // 1. Funding: whatever a participant still needs for the step ahead of it.
        let mut transfers = Vec::new();
        if pool.balance_x == 0 {
            transfers.push((LP, LIQUIDITY.0 + SWAP_DX));
        }
        if proposal.is_none() {
            for (name, amount, _) in VOTERS {
                if self.locked(k.get(name).1) == 0 {
                    transfers.push((name, amount));
                }
            }
        }
        let mut sent = Vec::new();
        for (name, need) in transfers {
            let who = k.get(name).1.to_string();
            let have = alex_balance(&self.stacks, &who);
            if have >= need {
                continue;
            }
            let args = vec![
                uint(need - have),
                principal(self.stacks.deployer()),
                principal(&who),
                Value::none(),
            ];
            let r = self
                .stacks
                .submit(height, &k.deployer, "alex-token", "transfer", args)
                .await?;
            expect_ok(&r, "alex-token transfer")?;
            sent.push(format!("{name} {}", alex(need - have)));
        }
        if !sent.is_empty() {
            self.log.line(format!(
                "[gov] foundation reserve (deployer) sent ALEX: {}",
                sent.join(", ")
            ));
            return Ok(());
        }

        // 2. Liquidity in pool 2 at the bootstrap fee.
        if pool.balance_x == 0 {
            let (key, _) = k.get(LP);
            let args = vec![
                uint(POOL),
                principal(&self.stacks.contract("alex-token")),
                principal(&self.stacks.contract("amm-wstx")),
                uint(LIQUIDITY.0),
                uint(LIQUIDITY.1),
                uint(0),
                uint(burn + 10),
            ];
            let r = self
                .stacks
                .submit(height, key, "amm-pool", "add-liquidity", args)
                .await?;
            let v = expect_ok(&r, "add-liquidity")?;
            self.log.line(format!(
                "[gov] {LP} added liquidity to pool {POOL} (ALEX/STX 50/50): {} ALEX + {} STX for {} LP; fee {}, LP rebate {}",
                alex(LIQUIDITY.0),
                thousands(LIQUIDITY.1 / STX),
                thousands(v.field("lp").to_uint()),
                percent(pool.fee_rate),
                percent(pool.fee_rebate)
            ));
            return Ok(());
        }

        let Some((id, p)) = proposal else {
            // 3. Locks, then 4. the proposal.
            let mut locked = Vec::new();
            for (name, amount, _) in VOTERS {
                let (key, who) = k.get(name);
                if self.locked(who) > 0 {
                    continue;
                }
                let r = self
                    .stacks
                    .submit(height, key, "dao-voting", "lock", vec![uint(amount)])
                    .await?;
                expect_ok(&r, "dao-voting lock")?;
                locked.push(format!("{name} {}", alex(amount)));
            }
            if !locked.is_empty() {
                self.log.line(format!(
                    "[gov] ALEX locked in dao-voting as voting power: {}",
                    locked.join(", ")
                ));
                return Ok(());
            }
            let source = self.stacks.client().with_sim(|s| {
                s.manifest()
                    .contract(PROPOSAL)
                    .map(|c| c.source.clone())
                    .ok_or_else(|| anyhow!("{PROPOSAL} is not deployed"))
            })?;
            let hash = source_hash(&source);
            let (key, _) = k.get(PROPOSER);
            let args = vec![principal(&self.stacks.contract(PROPOSAL)), buff(&hash)];
            let r = self
                .stacks
                .submit(height, key, "dao-voting", "propose", args)
                .await?;
            let id = expect_ok(&r, "propose")?.to_uint();
            let (_, p) = self
                .gov_proposal()
                .ok_or_else(|| anyhow!("proposal {id} not recorded"))?;
            self.log.line(format!(
                "[gov] AGP #{id} {PROPOSAL} (pool {POOL} fee {} → {}) proposed by {PROPOSER}: source sha256 {}, vote from burn height {} to {}",
                percent(OLD_FEE_RATE),
                percent(NEW_FEE_RATE),
                hex::encode(hash),
                p.field("start").to_uint(),
                p.field("end").to_uint()
            ));
            return Ok(());
        };

        let start = p.field("start").to_uint();
        let end = p.field("end").to_uint();
        // 5. Votes, from the start height.
        if burn >= start && burn < end {
            let mut cast = Vec::new();
            for (name, _, support) in VOTERS {
                let (key, who) = k.get(name);
                let voted = self
                    .stacks
                    .read("dao-voting", "get-vote", &[uint(id), principal(who)])
                    .to_optional()
                    .is_some();
                if voted {
                    continue;
                }
                let r = self
                    .stacks
                    .submit(
                        height,
                        key,
                        "dao-voting",
                        "vote",
                        vec![uint(id), Value::Bool(support)],
                    )
                    .await?;
                let weight = expect_ok(&r, "vote")?.to_uint();
                cast.push(format!(
                    "{name} {} with {} ALEX",
                    if support { "for" } else { "against" },
                    alex(weight)
                ));
            }
            if !cast.is_empty() {
                let (_, p) = self
                    .gov_proposal()
                    .ok_or_else(|| anyhow!("proposal {id} vanished"))?;
                self.log.line(format!(
                    "[gov] AGP #{id} votes at burn height {burn}: {}; tally {} for, {} against",
                    cast.join(", "),
                    alex(p.field("votes-for").to_uint()),
                    alex(p.field("votes-against").to_uint())
                ));
            }
            return Ok(());
        }
        if burn < end {
            return Ok(());
        }

        // 6. Conclusion once the vote has ended.
        if !p.field("concluded").to_bool() {
            let (key, _) = k.get(LP);
            let r = self
                .stacks
                .submit(height, key, "dao-voting", "conclude", vec![uint(id)])
                .await?;
            let passed = expect_ok(&r, "conclude")?.to_bool();
            let ev = r
                .print_with_topic("dao-conclude")
                .ok_or_else(|| anyhow!("conclude printed no event"))?;
            self.log.line(format!(
                "[gov] AGP #{id} concluded at burn height {burn}: {} — {} for, {} against, quorum {} ALEX; timelock until {}",
                if passed { "PASSED" } else { "REJECTED" },
                alex(ev.field("votes-for").to_uint()),
                alex(ev.field("votes-against").to_uint()),
                alex(ev.field("quorum").to_uint()),
                ev.field("timelock-end").to_uint()
            ));
            if !passed {
                bail!("AGP #{id} was rejected: the demo cannot go on");
            }
            return Ok(());
        }

        // 7. Execution after the timelock, then the swap under the new fee.
        let mut fee_before = None;
        if !p.field("executed").to_bool() {
            let status = self.gov_status(id);
            if status != "executable" {
                if status == "timelocked" {
                    return Ok(());
                }
                bail!("AGP #{id} is {status}: the demo cannot go on");
            }
            fee_before = Some(pool.fee_rate);
            let (key, _) = k.get(LP);
            let args = vec![uint(id), principal(&self.stacks.contract(PROPOSAL))];
            let r = self
                .stacks
                .submit(height, key, "dao-voting", "execute", args)
                .await?;
            expect_ok(&r, "execute")?;
            let after = pool_state(&self.stacks, POOL);
            self.log.line(format!(
                "[gov] AGP #{id} executed by dao-core at burn height {burn}: pool {POOL} fee {} → {} (LP rebate {} unchanged)",
                percent(pool.fee_rate),
                percent(after.fee_rate),
                percent(after.fee_rebate)
            ));
            if after.fee_rate != NEW_FEE_RATE || after.fee_rebate != pool.fee_rebate {
                bail!("pool {POOL} after AGP #{id}: {after:?}");
            }
        }
        let swapped = self
            .stacks
            .read("amm-pool", "get-oracle-height", &[uint(POOL)])
            .to_uint()
            > 0;
        let mut paid = None;
        if !swapped {
            let before = pool_state(&self.stacks, POOL);
            let reserve0 = reserve_balance(&self.stacks, "alex-token");
            let (key, _) = k.get(LP);
            let args = vec![
                uint(POOL),
                principal(&self.stacks.contract("alex-token")),
                principal(&self.stacks.contract("amm-wstx")),
                uint(SWAP_DX),
                uint(0),
                uint(burn + 10),
            ];
            let r = self
                .stacks
                .submit(height, key, "amm-pool", "swap", args)
                .await?;
            let v = expect_ok(&r, "swap")?;
            let ev = r
                .print_with_topic("swap")
                .ok_or_else(|| anyhow!("swap printed no event"))?;
            let fee = ev.field("fee").to_uint();
            let expected = swap_fee(SWAP_DX, NEW_FEE_RATE);
            let booked = reserve_balance(&self.stacks, "alex-token") - reserve0;
            let after = pool_state(&self.stacks, POOL);
            let kept = after.balance_x - before.balance_x;
            let ok = fee == expected
                && v.field("fee").to_uint() == fee
                && booked == to_reserve(expected, before.fee_rebate)
                && kept == SWAP_DX - booked;
            self.log.line(format!(
                "[gov] {LP} swapped {} ALEX for {} STX in pool {POOL}: fee {} ALEX = {} of the amount, rounded up ({}); {} ALEX to the reserve, the rest rebated to LPs",
                alex(SWAP_DX),
                stx(v.field("dy").to_uint()),
                alex(fee),
                percent(NEW_FEE_RATE),
                if ok { "checked" } else { "MISMATCH" },
                alex(booked)
            ));
            if !ok {
                bail!(
                    "swap fee {fee} (expected {expected}), reserve +{booked}, pool +{kept}: not {}",
                    percent(NEW_FEE_RATE)
                );
            }
            paid = Some(fee);
        }

        // Done: the final figures, from chain state.
        let (_, p) = self
            .gov_proposal()
            .ok_or_else(|| anyhow!("proposal {id} vanished"))?;
        let quorum = self.stacks.read("dao-voting", "get-quorum", &[]).to_uint();
        let fee_after = pool_state(&self.stacks, POOL).fee_rate;
        self.progress.done = true;
        self.log.line(format!(
            "[done] AGP #{id} {}: {} ALEX for, {} ALEX against (quorum {} ALEX); pool {POOL} fee {} → {}; swap fee paid {}",
            self.gov_status(id),
            alex(p.field("votes-for").to_uint()),
            alex(p.field("votes-against").to_uint()),
            alex(quorum),
            fee_before.map_or_else(|| format!("{} (bootstrap)", percent(OLD_FEE_RATE)), percent),
            percent(fee_after),
            paid.map_or_else(|| "before the restart".to_string(), |f| format!("{} ALEX", alex(f)))
        ));
        Ok(())
    }
}

fn stx(micro: u128) -> String {
    format!("{}.{:06}", thousands(micro / STX), micro % STX)
}

/// The API's view of `dao-voting` proposals, read from the simnet.
pub struct SimnetGovernance {
    client: SimnetClient,
    contract: String,
    voters: Vec<String>,
}

impl SimnetGovernance {
    /// Views of `deployer.dao-voting`; votes are listed for every account of
    /// `settings/Devnet.toml` (the only keys that sign on the devnet).
    pub fn new(client: SimnetClient, deployer: &str) -> SimnetGovernance {
        let voters: Vec<String> = client.with_sim(|s| {
            s.manifest()
                .accounts
                .values()
                .map(|a| a.address.clone())
                .collect()
        });
        SimnetGovernance {
            client,
            contract: format!("{deployer}.dao-voting"),
            voters,
        }
    }

    fn read(&self, function: &str, args: &[Value]) -> Value {
        self.client
            .with_sim(|s| s.read_only(&self.contract, function, args))
    }
}

fn small(v: &Value) -> Result<u64, String> {
    u64::try_from(v.to_uint()).map_err(|e| e.to_string())
}

impl GovernanceSource for SimnetGovernance {
    async fn proposal_count(&self) -> Result<u64, String> {
        small(&self.read("get-proposal-count", &[]))
    }

    async fn proposal(&self, id: u64) -> Result<Option<ProposalView>, String> {
        let Some(p) = self.read("get-proposal", &[uint(id.into())]).to_optional() else {
            return Ok(None);
        };
        let status = self.read("get-status", &[uint(id.into())]).to_ascii();
        let quorum = self.read("get-quorum", &[]).to_uint();
        let concluded = p.field("concluded").to_bool();
        Ok(Some(ProposalView {
            id,
            proposal: p.field("proposal").to_principal(),
            proposer: p.field("proposer").to_principal(),
            status,
            votes_for: p.field("votes-for").to_uint().to_string(),
            votes_against: p.field("votes-against").to_uint().to_string(),
            quorum: quorum.to_string(),
            start_height: small(&p.field("start"))?,
            end_height: small(&p.field("end"))?,
            timelock_end: if concluded {
                Some(small(&p.field("timelock-end"))?)
            } else {
                None
            },
            concluded,
            passed: p.field("passed").to_bool(),
            executed: p.field("executed").to_bool(),
            vetoed: p.field("vetoed").to_bool(),
            source_hash: hex::encode(p.field("source-hash").to_buff()),
        }))
    }

    async fn votes(&self, id: u64) -> Result<Vec<VoteView>, String> {
        let mut out = Vec::new();
        for voter in &self.voters {
            if let Some(v) = self
                .read("get-vote", &[uint(id.into()), principal(voter)])
                .to_optional()
            {
                out.push(VoteView {
                    voter: voter.clone(),
                    support: v.field("for").to_bool(),
                    amount: v.field("amount").to_uint().to_string(),
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_format_and_the_fee_rounds_up() {
        assert_eq!(percent(OLD_FEE_RATE), "0.3%");
        assert_eq!(percent(NEW_FEE_RATE), "0.5%");
        assert_eq!(percent(100_000_000), "100%");
        assert_eq!(percent(50_000_000), "50%");
        assert_eq!(percent(12_345), "0.012345%");
        assert_eq!(alex(1_000_000 * ALEX), "1,000,000");
        assert_eq!(alex(SWAP_DX), "1,000.00000001");
        assert_eq!(swap_fee(SWAP_DX, NEW_FEE_RATE), 500_000_001);
        assert_eq!(swap_fee(1_000 * ALEX, NEW_FEE_RATE), 5 * ALEX);
        assert_eq!(to_reserve(500_000_001, 50_000_000), 250_000_001);
        let cast: u128 = VOTERS.iter().map(|v| v.1).sum();
        assert!(cast >= 10_000_000 * ALEX, "the voters reach the quorum");
        assert!(
            VOTERS[0].1 >= 100_000 * ALEX,
            "the proposer holds the threshold"
        );
    }
}
