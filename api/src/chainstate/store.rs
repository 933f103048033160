//! Rows in and out of the derived tables. Clarity uints can exceed `BIGINT`, so they
//! are stored as decimal text and parsed back here.

use alkahest_indexer::storage::{exec, row, rows, Arg, Backend, StorageError};

use super::model::{AmmPoolRow, SettlementRow, SilicaRow, WindowRow};
use super::ChainError;

/// A uint as the decimal text column it is stored in.
pub(crate) trait Text {
    fn text(&self) -> Arg;
}

impl Text for u128 {
    fn text(&self) -> Arg {
        Arg::Text(self.to_string())
    }
}

fn q(op: &'static str) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |source| StorageError::Query { op, source }
}

/// Column readers for one row, naming the table in errors.
struct Cols<'r, B: Backend> {
    row: &'r B::Row,
    op: &'static str,
}

impl<B: Backend> Cols<'_, B> {
    fn uint(&self, col: &'static str) -> Result<u128, StorageError> {
        B::text(self.row, col)
            .map_err(q(self.op))?
            .parse()
            .map_err(|_| StorageError::Corrupt(col))
    }
    fn small(&self, col: &'static str) -> Result<u32, StorageError> {
        u32::try_from(B::i64(self.row, col).map_err(q(self.op))?)
            .map_err(|_| StorageError::Corrupt(col))
    }
    fn text(&self, col: &'static str) -> Result<String, StorageError> {
        B::text(self.row, col).map_err(q(self.op))
    }
    fn bool(&self, col: &'static str) -> Result<bool, StorageError> {
        B::bool(self.row, col).map_err(q(self.op))
    }
}

fn silica_of<B: Backend>(r: &B::Row) -> Result<SilicaRow, StorageError> {
    let c = Cols::<B> {
        row: r,
        op: "read silica",
    };
    Ok(SilicaRow {
        id: c.small("id")?,
        status: c.text("status")?,
        miner: c.text("miner")?,
        hashrate: c.uint("hashrate")?,
        sold: c.uint("sold")?,
        windows: c.small("windows")?,
        start: c.small("start_height")?,
        window_length: c.small("window_length")?,
        price: c.uint("price")?,
        collateral: c.uint("collateral")?,
        payout_script: c.text("payout_script")?,
    })
}

pub(crate) async fn save_silica<B: Backend>(
    conn: &mut B::Connection,
    s: &SilicaRow,
) -> Result<(), ChainError> {
    exec::<B>(
        conn,
        "save silica",
        "INSERT INTO silicas (id, status, miner, hashrate, sold, windows, start_height, \
         window_length, price, collateral, payout_script) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO UPDATE SET \
         status = $2, miner = $3, hashrate = $4, sold = $5, windows = $6, start_height = $7, \
         window_length = $8, price = $9, collateral = $10, payout_script = $11",
        vec![
            i64::from(s.id).into(),
            s.status.clone().into(),
            s.miner.clone().into(),
            s.hashrate.text(),
            s.sold.text(),
            i64::from(s.windows).into(),
            i64::from(s.start).into(),
            i64::from(s.window_length).into(),
            s.price.text(),
            s.collateral.text(),
            s.payout_script.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

const SILICA_COLUMNS: &str = "id, status, miner, hashrate, sold, windows, start_height, \
                              window_length, price, collateral, payout_script";

pub(crate) async fn load_silica_row<B: Backend>(
    conn: &mut B::Connection,
    id: u32,
) -> Result<Option<SilicaRow>, ChainError> {
    let r = row::<B>(
        conn,
        "read silica",
        &format!("SELECT {SILICA_COLUMNS} FROM silicas WHERE id = $1"),
        vec![i64::from(id).into()],
    )
    .await?;
    Ok(r.map(|r| silica_of::<B>(&r)).transpose()?)
}

/// Silicas by id from `from`, optionally of one status.
pub(crate) async fn list_silica_rows<B: Backend>(
    conn: &mut B::Connection,
    status: Option<&str>,
    from: u32,
    limit: u32,
) -> Result<Vec<SilicaRow>, ChainError> {
    let from = i64::from(from);
    let (sql, args): (String, Vec<Arg>) = match status {
        Some(s) => (
            format!(
                "SELECT {SILICA_COLUMNS} FROM silicas WHERE status = $1 AND id >= $2 \
                 ORDER BY id LIMIT $3"
            ),
            vec![s.into(), from.into(), i64::from(limit).into()],
        ),
        None => (
            format!("SELECT {SILICA_COLUMNS} FROM silicas WHERE id >= $1 ORDER BY id LIMIT $2"),
            vec![from.into(), i64::from(limit).into()],
        ),
    };
    let found = rows::<B>(conn, "list silicas", &sql, args).await?;
    Ok(found.iter().map(silica_of::<B>).collect::<Result<_, _>>()?)
}

pub(crate) async fn load_windows<B: Backend>(
    conn: &mut B::Connection,
    id: u32,
) -> Result<Vec<WindowRow>, ChainError> {
    let found = rows::<B>(
        conn,
        "read windows",
        "SELECT window_number, delivered, due, index_value FROM silica_windows \
         WHERE silica_id = $1 ORDER BY window_number",
        vec![i64::from(id).into()],
    )
    .await?;
    let mut out = Vec::new();
    for r in &found {
        let c = Cols::<B> {
            row: r,
            op: "read windows",
        };
        out.push(WindowRow {
            window: c.small("window_number")?,
            delivered: c.uint("delivered")?,
            due: c.uint("due")?,
            index: c.uint("index_value")?,
        });
    }
    Ok(out)
}

pub(crate) async fn load_settlement<B: Backend>(
    conn: &mut B::Connection,
    id: u32,
) -> Result<Option<SettlementRow>, ChainError> {
    let r = row::<B>(
        conn,
        "read settlement",
        "SELECT buyers_pool, shares, miner_amount, collected FROM silica_settlements \
         WHERE silica_id = $1",
        vec![i64::from(id).into()],
    )
    .await?;
    let Some(r) = r else { return Ok(None) };
    let c = Cols::<B> {
        row: &r,
        op: "read settlement",
    };
    Ok(Some(SettlementRow {
        buyers_pool: c.uint("buyers_pool")?,
        shares: c.uint("shares")?,
        miner_amount: c.uint("miner_amount")?,
        collected: c.bool("collected")?,
    }))
}

pub(crate) async fn save_settlement<B: Backend>(
    conn: &mut B::Connection,
    id: u32,
    st: &SettlementRow,
) -> Result<(), ChainError> {
    exec::<B>(
        conn,
        "save settlement",
        "INSERT INTO silica_settlements (silica_id, buyers_pool, shares, miner_amount, collected) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (silica_id) DO UPDATE SET \
         buyers_pool = $2, shares = $3, miner_amount = $4, collected = $5",
        vec![
            i64::from(id).into(),
            st.buyers_pool.text(),
            st.shares.text(),
            st.miner_amount.text(),
            st.collected.into(),
        ],
    )
    .await?;
    Ok(())
}

const POOL_COLUMNS: &str = "id, token_x, token_y, curve, weight_x, fee_rate, fee_rebate, \
                            balance_x, balance_y, lp_supply, last_price, ema_price, reserve_x, \
                            reserve_y, paused, swaps";

fn pool_of<B: Backend>(r: &B::Row) -> Result<AmmPoolRow, StorageError> {
    let c = Cols::<B> {
        row: r,
        op: "read pool",
    };
    Ok(AmmPoolRow {
        id: c.small("id")?,
        token_x: c.text("token_x")?,
        token_y: c.text("token_y")?,
        curve: c.small("curve")?,
        weight_x: c.uint("weight_x")?,
        fee_rate: c.uint("fee_rate")?,
        fee_rebate: c.uint("fee_rebate")?,
        balance_x: c.uint("balance_x")?,
        balance_y: c.uint("balance_y")?,
        lp_supply: c.uint("lp_supply")?,
        last_price: c.uint("last_price")?,
        ema_price: c.uint("ema_price")?,
        reserve_x: c.uint("reserve_x")?,
        reserve_y: c.uint("reserve_y")?,
        paused: c.bool("paused")?,
        swaps: u64::from(c.small("swaps")?),
    })
}

pub(crate) async fn load_pool<B: Backend>(
    conn: &mut B::Connection,
    id: u32,
) -> Result<Option<AmmPoolRow>, ChainError> {
    let r = row::<B>(
        conn,
        "read pool",
        &format!("SELECT {POOL_COLUMNS} FROM amm_pools WHERE id = $1"),
        vec![i64::from(id).into()],
    )
    .await?;
    Ok(r.map(|r| pool_of::<B>(&r)).transpose()?)
}

pub(crate) async fn list_pools<B: Backend>(
    conn: &mut B::Connection,
) -> Result<Vec<AmmPoolRow>, ChainError> {
    let found = rows::<B>(
        conn,
        "list pools",
        &format!("SELECT {POOL_COLUMNS} FROM amm_pools ORDER BY id"),
        vec![],
    )
    .await?;
    Ok(found.iter().map(pool_of::<B>).collect::<Result<_, _>>()?)
}

pub(crate) async fn save_pool<B: Backend>(
    conn: &mut B::Connection,
    p: &AmmPoolRow,
) -> Result<(), ChainError> {
    exec::<B>(
        conn,
        "save pool",
        &format!(
            "INSERT INTO amm_pools ({POOL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (id) DO UPDATE SET token_x = $2, \
             token_y = $3, curve = $4, weight_x = $5, fee_rate = $6, fee_rebate = $7, \
             balance_x = $8, balance_y = $9, lp_supply = $10, last_price = $11, ema_price = $12, \
             reserve_x = $13, reserve_y = $14, paused = $15, swaps = $16"
        ),
        vec![
            i64::from(p.id).into(),
            p.token_x.clone().into(),
            p.token_y.clone().into(),
            i64::from(p.curve).into(),
            p.weight_x.text(),
            p.fee_rate.text(),
            p.fee_rebate.text(),
            p.balance_x.text(),
            p.balance_y.text(),
            p.lp_supply.text(),
            p.last_price.text(),
            p.ema_price.text(),
            p.reserve_x.text(),
            p.reserve_y.text(),
            p.paused.into(),
            i64::try_from(p.swaps).unwrap_or(i64::MAX).into(),
        ],
    )
    .await?;
    Ok(())
}

/// Row counts of every table, in [`super::TABLES`] order (for tests and health).
pub(crate) async fn counts<B: Backend>(
    conn: &mut B::Connection,
) -> Result<Vec<(&'static str, i64)>, ChainError> {
    let mut out = Vec::new();
    for table in super::TABLES {
        let r = row::<B>(
            conn,
            "count",
            &format!("SELECT COUNT(*) AS n FROM {table}"),
            vec![],
        )
        .await?
        .ok_or(StorageError::Corrupt("count"))?;
        out.push((table, B::i64(&r, "n").map_err(q("count"))?));
    }
    Ok(out)
}
