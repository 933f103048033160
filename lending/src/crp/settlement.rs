//! Settlement at expiry: yield holders are paid first, from the pool's sBTC, then the
//! reserve pool, then ALEX cover (governance-approved minting); key holders get the rest.

use super::mul_div;

/// How an expired pool's sBTC is split between yield and key holders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settlement {
    /// Sats the pool lacks to pay one sat per yield token.
    pub shortfall: u128,
    /// Part of the shortfall drawn from the reserve pool.
    pub from_reserve: u128,
    /// Part of the shortfall covered by ALEX minting, after the reserve.
    pub from_alex: u128,
    /// Sats for yield holders: at most one per yield token.
    pub yield_pool: u128,
    /// Sats left for key holders.
    pub key_pool: u128,
}

/// Settles an expired pool whose collateral has all been sold, leaving `sbtc` sats.
///
/// `shortfall = yield_supply - sbtc` (0 when covered); the reserve pays
/// `min(shortfall, reserve_available)` first, ALEX cover
/// `min(shortfall - from_reserve, alex_cover_available)` next; of the total,
/// `yield_pool = min(total, yield_supply)` and the key holders get the rest.
/// `key_supply` is the contract's argument too, but the split does not depend on it:
/// key holders share whatever the yield holders leave.
pub fn settle(
    sbtc: u128,
    yield_supply: u128,
    key_supply: u128,
    reserve_available: u128,
    alex_cover_available: u128,
) -> Settlement {
    let _ = key_supply;
    let shortfall = yield_supply.saturating_sub(sbtc);
    let from_reserve = shortfall.min(reserve_available);
    let from_alex = (shortfall - from_reserve).min(alex_cover_available);
    let total = sbtc + from_reserve + from_alex;
    let yield_pool = total.min(yield_supply);
    Settlement {
        shortfall,
        from_reserve,
        from_alex,
        yield_pool,
        key_pool: total - yield_pool,
    }
}

/// Returns the sats paid for burning `n` of the `yield_supply` yield tokens outstanding
/// at settlement: `n * yield_pool / yield_supply`, 0 when the supply is 0. Redemptions
/// whose `n` add up to at most the supply never pay out more than the yield pool.
pub fn redeem_yield(settlement: &Settlement, yield_supply: u128, n: u128) -> u128 {
    share(n, settlement.yield_pool, yield_supply)
}

/// Returns the sats paid for burning `n` of the `key_supply` key tokens outstanding at
/// settlement: `n * key_pool / key_supply`, 0 when the supply is 0.
pub fn redeem_key(settlement: &Settlement, key_supply: u128, n: u128) -> u128 {
    share(n, settlement.key_pool, key_supply)
}

fn share(n: u128, pool: u128, supply: u128) -> u128 {
    if supply == 0 {
        0
    } else {
        mul_div(n, pool, supply)
    }
}
