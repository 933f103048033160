//! agp001-pool-fee, the devnet's demo AGP, on the deployed chain: nobody can run it
//! directly; passed through dao-voting it moves pool 2 (ALEX/STX) from 0.3% to 0.5%
//! with the LP rebate unchanged, and the next swap pays exactly the new fee (derived
//! here from the amounts, checked against the swap's event, the pool's balances, the
//! reserve ledger and the trader's balance).

use crate::dao_common::{source_hash, Dao, ONE};
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::Receipt;

const POOL: u128 = 2;
const ONE_8: u128 = 100_000_000;
const FAR: u128 = 1_000_000;
/// 10^6 micro-STX per STX.
const STX: u128 = 1_000_000;
/// Sold in each swap: 1,000 ALEX and one base unit, so the fee's rounding shows.
const DX: u128 = 1_000 * ONE + 1;

struct Pool {
    fee_rate: u128,
    fee_rebate: u128,
    balance_x: u128,
}

fn pool(d: &mut Dao) -> Pool {
    let p = d.sim.read_only("amm-pool", "get-pool", &[uint(POOL)]);
    Pool {
        fee_rate: p.field("fee-rate").to_uint(),
        fee_rebate: p.field("fee-rebate").to_uint(),
        balance_x: p.field("balance-x").to_uint(),
    }
}

fn token(d: &Dao, name: &str) -> alkahest_clarity::Value {
    principal(&d.sim.contract_id(name))
}

fn alex_reserve(d: &mut Dao) -> u128 {
    let alex = token(d, "alex-token");
    d.sim
        .read_only("amm-reserve", "get-balance", &[alex])
        .to_uint()
}

/// Sells `DX` ALEX for STX in pool 2 as `who`.
fn swap(d: &mut Dao, who: &str) -> Receipt {
    let args = [
        uint(POOL),
        token(d, "alex-token"),
        token(d, "amm-wstx"),
        uint(DX),
        uint(0),
        uint(FAR),
    ];
    d.sim.call("amm-pool", "swap", &args, who)
}

/// The fee at `rate` (of 10^8) on `dx`, rounded up, and the part of it not rebated.
fn expected_fee(dx: u128, rate: u128, rebate: u128) -> (u128, u128) {
    let fee = (dx * rate).div_ceil(ONE_8);
    (fee, fee - fee * rebate / ONE_8)
}

/// Checks one swap against the fee `rate`: its event, the pool's ALEX, the reserve
/// ledger and the trader's ALEX all move by what the rate gives.
fn swap_pays(d: &mut Dao, who: &str, rate: u128) -> u128 {
    let before = pool(d);
    let reserve0 = alex_reserve(d);
    let alex0 = d.sim.ft_balance("alex-token", who);
    let r = swap(d, who);
    r.expect_ok();
    let (fee, to_reserve) = expected_fee(DX, rate, before.fee_rebate);
    let ev = r.print_with_topic("swap").expect("swap printed").clone();
    assert_eq!(ev.field("fee").to_uint(), fee);
    assert_eq!(ev.field("to-reserve").to_uint(), to_reserve);
    assert_eq!(ev.field("dx").to_uint(), DX);
    let after = pool(d);
    assert_eq!(after.balance_x - before.balance_x, DX - to_reserve);
    assert_eq!(alex_reserve(d) - reserve0, to_reserve);
    assert_eq!(alex0 - d.sim.ft_balance("alex-token", who), DX);
    fee
}

#[test]
fn agp001_raises_pool_2_fee_to_half_a_percent_through_the_dao() {
    let mut d = Dao::new();
    let agp = d.sim.contract_id("agp001-pool-fee");
    let src = d
        .sim
        .manifest()
        .contract("agp001-pool-fee")
        .expect("agp001 is in the manifest")
        .source
        .clone();
    d.hashes.insert(agp.clone(), source_hash(&src));
    assert_eq!(pool(&mut d).fee_rate, 300_000, "bootstrap: 0.3%");
    assert_eq!(pool(&mut d).fee_rebate, 50_000_000, "bootstrap: 50% rebate");

    // Liquidity: 1,000,000 ALEX against 500,000 STX; a trader holds ALEX to sell.
    let lp = d.sim.account("wallet_1");
    let trader = d.sim.account("wallet_2");
    d.fund(&lp, 1_000_000 * ONE);
    d.fund(&trader, 10 * DX);
    let args = [
        uint(POOL),
        token(&d, "alex-token"),
        token(&d, "amm-wstx"),
        uint(1_000_000 * ONE),
        uint(500_000 * STX),
        uint(0),
        uint(FAR),
    ];
    d.sim
        .call("amm-pool", "add-liquidity", &args, &lp)
        .expect_ok();

    // Before: the bootstrap fee, 0.3% rounded up.
    assert_eq!(swap_pays(&mut d, &trader, 300_000), 300_000_001);

    // Nobody runs the proposal directly: outside dao-core's as-contract, amm-pool
    // sees neither its governance as caller nor as sender.
    let stranger = d.a.stranger.clone();
    d.sim
        .call(
            "agp001-pool-fee",
            "execute",
            &[principal(&stranger)],
            &stranger,
        )
        .expect_err(d.sim.err_code("amm-pool", "ERR_NOT_AUTHORIZED"));
    assert_eq!(pool(&mut d).fee_rate, 300_000);

    // Through the DAO: threshold, quorum, majority, timelock, execute.
    let id = d.pass(&agp);
    assert_eq!(
        d.field(id, "source-hash").to_buff(),
        source_hash(&src).to_vec()
    );
    let r = d.execute(id, &agp);
    r.expect_ok();
    let ev = r
        .print_with_topic("agp001-pool-fee")
        .expect("agp001 printed")
        .clone();
    assert_eq!(ev.field("old-fee-rate").to_uint(), 300_000);
    assert_eq!(ev.field("fee-rate").to_uint(), 500_000);
    assert_eq!(d.status(id), "executed");
    let after = pool(&mut d);
    assert_eq!(after.fee_rate, 500_000, "0.5%");
    assert_eq!(after.fee_rebate, 50_000_000, "rebate unchanged");
    // Pool 1 is untouched.
    let p1 = d.sim.read_only("amm-pool", "get-pool", &[uint(1)]);
    assert_eq!(p1.field("fee-rate").to_uint(), 300_000);

    // The next swap pays exactly 0.5%, rounded up: ceil(100,000,000,001 × 0.005).
    assert_eq!(swap_pays(&mut d, &trader, 500_000), 500_000_001);

    // Executed once only.
    d.execute(id, &agp)
        .expect_err(d.sim.err_code("dao-voting", "ERR_ALREADY_EXECUTED"));
}
