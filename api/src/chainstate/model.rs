//! The derived entities and how one contract `print` changes them. Pure functions: the
//! store loads an entity, applies the event here and saves it, both when a block
//! extends the chain and when a reorg replays the canonical events from scratch, so
//! the two paths cannot disagree.

use clarity::vm::types::{CharType, SequenceData, TupleData};
use clarity::vm::Value;

/// A printed value that does not have the shape our contracts print: the payload was
/// not produced by the deployed contracts (or names the wrong deployer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {event}: {reason}")]
pub struct ShapeError {
    /// `contract topic` of the event.
    pub event: String,
    /// What was wrong.
    pub reason: String,
}

/// A `print` of one of our contracts, decoded as a tuple with its `topic`.
pub struct Print<'a> {
    contract: &'a str,
    topic: String,
    tuple: &'a TupleData,
}

impl<'a> Print<'a> {
    /// The print's tuple, if it is a tuple with an ASCII `topic` (SIP-013 `type`
    /// prints and bare values have none and are ignored by the derivation).
    pub fn of(contract: &'a str, value: &'a Value) -> Option<Print<'a>> {
        let Value::Tuple(tuple) = value else {
            return None;
        };
        match tuple.get("topic") {
            Ok(Value::Sequence(SequenceData::String(CharType::ASCII(s)))) => Some(Print {
                contract,
                topic: String::from_utf8_lossy(&s.data).into_owned(),
                tuple,
            }),
            _ => None,
        }
    }

    /// The `topic`.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    fn bad(&self, field: &str, want: &str) -> ShapeError {
        ShapeError {
            event: format!("{} {}", self.contract, self.topic),
            reason: format!("field {field} is missing or not {want}"),
        }
    }

    /// A `uint` field.
    pub fn uint(&self, field: &str) -> Result<u128, ShapeError> {
        match self.tuple.get(field) {
            Ok(Value::UInt(v)) => Ok(*v),
            _ => Err(self.bad(field, "a uint")),
        }
    }

    /// A `uint` field that must fit a `u32` (ids, heights, counts).
    pub fn small(&self, field: &str) -> Result<u32, ShapeError> {
        u32::try_from(self.uint(field)?).map_err(|_| self.bad(field, "a uint below 2^32"))
    }

    /// A principal field, as its string form.
    pub fn principal(&self, field: &str) -> Result<String, ShapeError> {
        match self.tuple.get(field) {
            Ok(Value::Principal(p)) => Ok(p.to_string()),
            _ => Err(self.bad(field, "a principal")),
        }
    }

    /// A buffer field.
    pub fn buff(&self, field: &str) -> Result<Vec<u8>, ShapeError> {
        match self.tuple.get(field) {
            Ok(Value::Sequence(SequenceData::Buffer(b))) => Ok(b.data.clone()),
            _ => Err(self.bad(field, "a buffer")),
        }
    }

    /// A `bool` field.
    pub fn bool(&self, field: &str) -> Result<bool, ShapeError> {
        match self.tuple.get(field) {
            Ok(Value::Bool(b)) => Ok(*b),
            _ => Err(self.bad(field, "a bool")),
        }
    }
}

/// Silica status names, by the contract's status code.
pub fn status_name(code: u128) -> &'static str {
    match code {
        0 => "OPEN",
        1 => "RUNNING",
        2 => "FINISHED",
        3 => "DEFAULTED",
        4 => "EXPIRED",
        5 => "CANCELLED",
        _ => "UNKNOWN",
    }
}

/// Every status a Silica can have, for the list filter.
pub const STATUSES: [&str; 6] = [
    "OPEN",
    "RUNNING",
    "FINISHED",
    "DEFAULTED",
    "EXPIRED",
    "CANCELLED",
];

/// A Silica's row: its terms as listed and what later events changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilicaRow {
    /// Id.
    pub id: u32,
    /// Status name.
    pub status: String,
    /// Miner principal.
    pub miner: String,
    /// TH/s listed.
    pub hashrate: u128,
    /// TH/s sold.
    pub sold: u128,
    /// Windows.
    pub windows: u32,
    /// First burn height.
    pub start: u32,
    /// Blocks per window.
    pub window_length: u32,
    /// Sats per TH/s per window.
    pub price: u128,
    /// Collateral (scaled to the amount sold once running).
    pub collateral: u128,
    /// Payout script, hex.
    pub payout_script: String,
}

/// One attested window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRow {
    /// Window number.
    pub window: u32,
    /// Sats delivered.
    pub delivered: u128,
    /// Sats due.
    pub due: u128,
    /// Index used.
    pub index: u128,
}

/// A settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRow {
    /// sBTC left for share holders.
    pub buyers_pool: u128,
    /// Shares outstanding.
    pub shares: u128,
    /// The miner's amount.
    pub miner_amount: u128,
    /// Whether the miner collected.
    pub collected: bool,
}

/// What a `silica` print changes: the Silica row, a window, the settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SilicaChange {
    /// `create`: a new row.
    Create(SilicaRow),
    /// Set the status name of Silica `id`.
    Status(u32, &'static str),
    /// `buy`: the new amount sold.
    Sold(u32, u128),
    /// `start`: running, collateral scaled.
    Start(u32, u128),
    /// `attest`: a window record.
    Window(u32, WindowRow),
    /// `finish`/`default`/`cancel` with shares: the settlement (shares = sold).
    Settle {
        /// Silica.
        id: u32,
        /// Status name after it.
        status: &'static str,
        /// Buyers' pool.
        pool: u128,
        /// Miner's amount.
        miner_amount: u128,
        /// Already collected (a cancel pays the miner nothing).
        collected: bool,
        /// Shares, when the print says (cancel); else the Silica's `sold`.
        shares: Option<u128>,
    },
    /// `redeem`: the pool left and the shares burnt.
    Redeem(u32, u128, u128),
    /// `settlement-complete`: the delivery arrived as sBTC deposits (or was written
    /// off); the settlement's pool and miner's amount net of what it lost on the way.
    SettleNet {
        /// Silica.
        id: u32,
        /// Buyers' pool.
        pool: u128,
        /// Miner's amount.
        miner_amount: u128,
    },
    /// `collect`.
    Collect(u32),
}

/// What a `silica` print means for the derived tables; `None` for topics that change
/// nothing the API serves (governance settings, releases, top-ups, ...).
///
/// # Errors
/// A known topic whose fields are missing or mistyped.
pub fn silica_change(p: &Print<'_>) -> Result<Option<SilicaChange>, ShapeError> {
    use SilicaChange as C;
    Ok(Some(match p.topic() {
        "create" => C::Create(SilicaRow {
            id: p.small("id")?,
            status: "OPEN".into(),
            miner: p.principal("miner")?,
            hashrate: p.uint("hashrate")?,
            sold: 0,
            windows: p.small("windows")?,
            start: p.small("start")?,
            window_length: p.small("window-length")?,
            price: p.uint("price")?,
            collateral: p.uint("collateral")?,
            payout_script: hex::encode(p.buff("payout-script")?),
        }),
        "buy" => C::Sold(p.small("id")?, p.uint("sold")?),
        "start" => C::Start(p.small("id")?, p.uint("collateral")?),
        "expire" => C::Status(p.small("id")?, "EXPIRED"),
        "cancel" => {
            let shares = p.uint("shares")?;
            if shares == 0 {
                C::Status(p.small("id")?, "CANCELLED")
            } else {
                C::Settle {
                    id: p.small("id")?,
                    status: "CANCELLED",
                    pool: p.uint("buyer-refund")?,
                    miner_amount: 0,
                    collected: true,
                    shares: Some(shares),
                }
            }
        }
        "attest" => C::Window(
            p.small("id")?,
            WindowRow {
                window: p.small("window")?,
                delivered: p.uint("delivered")?,
                due: p.uint("due")?,
                index: p.uint("index")?,
            },
        ),
        topic @ ("finish" | "default") => C::Settle {
            id: p.small("id")?,
            status: if topic == "finish" {
                "FINISHED"
            } else {
                "DEFAULTED"
            },
            pool: p.uint("buyer-pool")?,
            miner_amount: p.uint("miner-amount")?,
            collected: false,
            shares: None,
        },
        "redeem" => C::Redeem(p.small("id")?, p.uint("pool-left")?, p.uint("shares")?),
        "settlement-complete" => C::SettleNet {
            id: p.small("id")?,
            pool: p.uint("buyer-pool")?,
            miner_amount: p.uint("miner-amount")?,
        },
        "collect" => C::Collect(p.small("id")?),
        _ => return Ok(None),
    }))
}

/// An AMM pool's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmmPoolRow {
    /// Pool id.
    pub id: u32,
    /// Token x contract.
    pub token_x: String,
    /// Token y contract.
    pub token_y: String,
    /// 1 weighted, 2 stable.
    pub curve: u32,
    /// Weight of x, 8 decimals.
    pub weight_x: u128,
    /// Fee rate, 8 decimals.
    pub fee_rate: u128,
    /// Share of fees rebated to LPs, 8 decimals.
    pub fee_rebate: u128,
    /// Pool balance of x.
    pub balance_x: u128,
    /// Pool balance of y.
    pub balance_y: u128,
    /// LP supply.
    pub lp_supply: u128,
    /// The last swap's pre-trade price of x in y, 8 decimals.
    pub last_price: u128,
    /// EMA (resilient) price, 8 decimals.
    pub ema_price: u128,
    /// Fees in x booked to the reserve by this pool's swaps.
    pub reserve_x: u128,
    /// Fees in y booked to the reserve.
    pub reserve_y: u128,
    /// Paused by governance.
    pub paused: bool,
    /// Swaps so far.
    pub swaps: u64,
}

impl AmmPoolRow {
    /// Spot price of x in y (8 decimals) from the balances, by the contract's
    /// `instant-price` formula; 0 for an empty pool, `None` if it overflows (the
    /// contract would abort too).
    pub fn spot_price(&self) -> Option<u128> {
        const ONE_8: u128 = 100_000_000;
        const ONE_18: u128 = 1_000_000_000_000_000_000;
        let (x, y) = (self.balance_x, self.balance_y);
        if x == 0 || y == 0 {
            return Some(0);
        }
        if self.curve == 2 {
            let s = x.checked_add(y)?;
            let p = x.checked_mul(ONE_18)? / s;
            let q = y.checked_mul(ONE_18)? / s;
            let pp = p.checked_mul(p)? / ONE_18;
            let qq = q.checked_mul(q)? / ONE_18;
            let num = (pp.checked_add(qq.checked_mul(3)?)?)
                .checked_mul(p)?
                .checked_div(ONE_18)?;
            let top = (pp.checked_mul(3)?.checked_add(qq)?)
                .checked_mul(q)?
                .checked_div(ONE_18)?
                .checked_mul(ONE_18)?;
            return Some(top.checked_div(num)? / 10_000_000_000);
        }
        let num = y.checked_mul(self.weight_x)?.checked_mul(ONE_8)?;
        let den = x.checked_mul(ONE_8.checked_sub(self.weight_x)?)?;
        num.checked_div(den)
    }
}

/// What an `amm-pool` print changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmmChange {
    /// `pool-create`.
    Create(AmmPoolRow),
    /// Anything that updates an existing pool.
    Update(u32, AmmUpdate),
}

/// An update of pool state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmmUpdate {
    /// `pool-set-fee`.
    Fee(u128, u128),
    /// `pool-set-paused`.
    Paused(bool),
    /// `pool-add`: dx, dy in, the LP supply after.
    Add(u128, u128, u128),
    /// `pool-remove`: dx, dy out, the LP supply after.
    Remove(u128, u128, u128),
    /// `swap`.
    Swap {
        /// Token sold.
        token_in: String,
        /// Amount sold.
        dx: u128,
        /// Amount bought.
        dy: u128,
        /// Fee booked to the reserve (leaves the pool).
        to_reserve: u128,
        /// Pre-trade price.
        price: u128,
        /// EMA after the swap.
        ema: u128,
    },
}

/// What an `amm-pool` print means for the pools table; `None` for topics the API does
/// not serve (governance, ratios, oracle weight, PLD, reserve withdrawals, queueing).
///
/// # Errors
/// A known topic whose fields are missing or mistyped.
pub fn amm_change(p: &Print<'_>) -> Result<Option<AmmChange>, ShapeError> {
    use AmmUpdate as U;
    let update = |u: AmmUpdate| -> Result<Option<AmmChange>, ShapeError> {
        Ok(Some(AmmChange::Update(p.small("id")?, u)))
    };
    match p.topic() {
        "pool-create" => Ok(Some(AmmChange::Create(AmmPoolRow {
            id: p.small("id")?,
            token_x: p.principal("token-x")?,
            token_y: p.principal("token-y")?,
            curve: p.small("curve")?,
            weight_x: p.uint("weight-x")?,
            fee_rate: p.uint("fee-rate")?,
            fee_rebate: p.uint("fee-rebate")?,
            balance_x: 0,
            balance_y: 0,
            lp_supply: 0,
            last_price: 0,
            ema_price: 0,
            reserve_x: 0,
            reserve_y: 0,
            paused: false,
            swaps: 0,
        }))),
        "pool-set-fee" => update(U::Fee(p.uint("fee-rate")?, p.uint("fee-rebate")?)),
        "pool-set-paused" => update(U::Paused(p.bool("paused")?)),
        "pool-add" => update(U::Add(p.uint("dx")?, p.uint("dy")?, p.uint("supply")?)),
        "pool-remove" => update(U::Remove(p.uint("dx")?, p.uint("dy")?, p.uint("supply")?)),
        "swap" => update(U::Swap {
            token_in: p.principal("token-in")?,
            dx: p.uint("dx")?,
            dy: p.uint("dy")?,
            to_reserve: p.uint("to-reserve")?,
            price: p.uint("price")?,
            ema: p.uint("ema")?,
        }),
        _ => Ok(None),
    }
}

impl AmmPoolRow {
    /// Applies an update as the contract does (`swap`: the pool keeps `dx -
    /// to-reserve` of the input and pays `dy`). Saturating: the contract's own
    /// arithmetic cannot underflow, so a forged sequence only yields odd figures.
    pub fn apply(&mut self, update: &AmmUpdate) {
        match update {
            AmmUpdate::Fee(rate, rebate) => {
                self.fee_rate = *rate;
                self.fee_rebate = *rebate;
            }
            AmmUpdate::Paused(p) => self.paused = *p,
            AmmUpdate::Add(dx, dy, supply) => {
                self.balance_x = self.balance_x.saturating_add(*dx);
                self.balance_y = self.balance_y.saturating_add(*dy);
                self.lp_supply = *supply;
            }
            AmmUpdate::Remove(dx, dy, supply) => {
                self.balance_x = self.balance_x.saturating_sub(*dx);
                self.balance_y = self.balance_y.saturating_sub(*dy);
                self.lp_supply = *supply;
            }
            AmmUpdate::Swap {
                token_in,
                dx,
                dy,
                to_reserve,
                price,
                ema,
            } => {
                let kept = dx.saturating_sub(*to_reserve);
                if *token_in == self.token_x {
                    self.balance_x = self.balance_x.saturating_add(kept);
                    self.balance_y = self.balance_y.saturating_sub(*dy);
                    self.reserve_x = self.reserve_x.saturating_add(*to_reserve);
                } else {
                    self.balance_y = self.balance_y.saturating_add(kept);
                    self.balance_x = self.balance_x.saturating_sub(*dy);
                    self.reserve_y = self.reserve_y.saturating_add(*to_reserve);
                }
                self.last_price = *price;
                self.ema_price = *ema;
                self.swaps = self.swaps.saturating_add(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(curve: u32, weight_x: u128) -> AmmPoolRow {
        AmmPoolRow {
            id: 1,
            token_x: "ST1.x".into(),
            token_y: "ST1.y".into(),
            curve,
            weight_x,
            fee_rate: 300_000,
            fee_rebate: 50_000_000,
            balance_x: 1_000_000,
            balance_y: 500_000,
            lp_supply: 0,
            last_price: 0,
            ema_price: 0,
            reserve_x: 0,
            reserve_y: 0,
            paused: false,
            swaps: 0,
        }
    }

    #[test]
    fn spot_prices_follow_the_contract_formulas() {
        // 50/50: y/x = 0.5.
        assert_eq!(pool(1, 50_000_000).spot_price(), Some(50_000_000));
        // 80/20: y*0.8/(x*0.2) = 2.
        assert_eq!(pool(1, 80_000_000).spot_price(), Some(200_000_000));
        // Stable curve at balance: price 1.
        let mut s = pool(2, 50_000_000);
        s.balance_y = s.balance_x;
        assert_eq!(s.spot_price(), Some(100_000_000));
        s.balance_x = 0;
        assert_eq!(s.spot_price(), Some(0));
    }

    #[test]
    fn a_swap_keeps_the_input_less_the_reserve_fee() {
        let mut p = pool(1, 50_000_000);
        p.apply(&AmmUpdate::Swap {
            token_in: "ST1.y".into(),
            dx: 1_000,
            dy: 1_990,
            to_reserve: 2,
            price: 50_000_000,
            ema: 50_000_000,
        });
        assert_eq!((p.balance_x, p.balance_y), (998_010, 500_998));
        assert_eq!((p.reserve_x, p.reserve_y, p.swaps), (0, 2, 1));
    }
}
