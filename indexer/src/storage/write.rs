//! The write half of [`SqlStore`]: [`DbWrite`] and the checks run when opening.
//!
//! Every write is one transaction. Windows and deliveries are maintained incrementally
//! as blocks are appended, and rebuilt from the stored blocks after a rollback, summing
//! in height order exactly as the incremental path does so both give the same floats.

use std::collections::{HashSet, VecDeque};

use bitcoin::hashes::Hash as _;
use bitcoin::{BlockHash, ScriptBuf};

use super::backend::{exec, row, rows, Arg, Backend, SqlStore};
use super::sql::{
    block_work, describe_rollback, median_time, sats, to_hash, to_u32, BLOCK_COLUMNS,
    MEDIAN_TIME_SPAN,
};
use super::{index_value, query_err, DbWrite, IndexedBlock, Rescan, StorageError};
use crate::coinbase::PoolSet;
use crate::payouts::TxPayment;
use crate::types::{Height, WindowId, WindowSpec};
use alkahest_protocol::index::WorkModel;

/// Returns the highest stored block as seen by `conn`.
pub(crate) async fn tip_in<B: Backend>(
    conn: &mut B::Connection,
) -> Result<Option<(Height, BlockHash)>, StorageError> {
    let r = row::<B>(
        conn,
        "select tip",
        "SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1",
        vec![],
    )
    .await?;
    r.map(|r| {
        let h = B::i64(&r, "height").map_err(query_err("decode tip"))?;
        let hash = B::bytes(&r, "hash").map_err(query_err("decode tip"))?;
        Ok((
            Height(to_u32(h, "blocks.height")?),
            to_hash(&hash, "blocks.hash")?,
        ))
    })
    .transpose()
}

/// Every stored output paying a script: coinbase outputs and payments in ordinary
/// transactions, as `(height, script_pubkey, value)`.
const ALL_OUTPUTS: &str = "(SELECT height, script_pubkey, value FROM coinbase_outputs \
     UNION ALL SELECT height, script_pubkey, value FROM tx_outputs)";

/// Rebuilds window `w` and its deliveries from the stored blocks, and drops every later
/// window.
async fn rebuild_window<B: Backend>(
    conn: &mut B::Connection,
    spec: WindowSpec,
    model: WorkModel,
    w: WindowId,
) -> Result<(), StorageError> {
    let id = || vec![Arg::from(w.to_sql())];
    exec::<B>(
        conn,
        "delete windows",
        "DELETE FROM windows WHERE window_id >= $1",
        id(),
    )
    .await?;
    exec::<B>(
        conn,
        "delete deliveries",
        "DELETE FROM deliveries WHERE window_id >= $1",
        id(),
    )
    .await?;
    let blocks = rows::<B>(
        conn,
        "select window blocks",
        "SELECT subsidy, fees, bits FROM blocks WHERE window_id = $1 ORDER BY height",
        id(),
    )
    .await?;
    if blocks.is_empty() {
        return Ok(());
    }
    let (mut reward, mut work) = (0i64, 0.0f64);
    for r in &blocks {
        let e = || query_err("decode window block");
        reward += B::i64(r, "subsidy").map_err(e())? + B::i64(r, "fees").map_err(e())?;
        let bits = B::i64(r, "bits").map_err(e())?;
        work += block_work(
            model,
            u32::try_from(bits).map_err(|_| StorageError::Corrupt("blocks.bits"))?,
        );
    }
    let first = spec
        .first_height(w)
        .ok_or(StorageError::Corrupt("window first height"))?;
    let totals = WindowTotals {
        count: blocks.len() as i64,
        reward,
        work,
    };
    write_window::<B>(conn, w, first, totals, false).await?;
    let sql = format!(
        "INSERT INTO deliveries (script_pubkey, window_id, sats, outputs) \
         SELECT o.script_pubkey, b.window_id, CAST(SUM(o.value) AS BIGINT), COUNT(*) \
         FROM {ALL_OUTPUTS} o JOIN blocks b ON b.height = o.height \
         JOIN watched_scripts s ON s.script_pubkey = o.script_pubkey \
         WHERE b.window_id = $1 GROUP BY o.script_pubkey, b.window_id"
    );
    exec::<B>(conn, "rebuild deliveries", &sql, id()).await
}

/// Recomputes every delivery of `script` from the stored outputs.
async fn backfill_deliveries<B: Backend>(
    conn: &mut B::Connection,
    script: &[u8],
) -> Result<(), StorageError> {
    let bytes = || vec![Arg::from(script)];
    exec::<B>(
        conn,
        "reset deliveries",
        "DELETE FROM deliveries WHERE script_pubkey = $1",
        bytes(),
    )
    .await?;
    let sql = format!(
        "INSERT INTO deliveries (script_pubkey, window_id, sats, outputs) \
         SELECT o.script_pubkey, b.window_id, CAST(SUM(o.value) AS BIGINT), COUNT(*) \
         FROM {ALL_OUTPUTS} o JOIN blocks b ON b.height = o.height \
         WHERE o.script_pubkey = $1 AND b.window_id IS NOT NULL \
         GROUP BY o.script_pubkey, b.window_id"
    );
    exec::<B>(conn, "backfill deliveries", &sql, bytes()).await
}

/// Stores one payment and adds it to its window's delivery; a payment already stored
/// (met again by a rescan) changes nothing.
async fn insert_payment<B: Backend>(
    conn: &mut B::Connection,
    height: Height,
    window: Option<WindowId>,
    p: &TxPayment,
) -> Result<(), StorageError> {
    let inserted = row::<B>(
        conn,
        "insert payment",
        "INSERT INTO tx_outputs (height, tx_index, vout, txid, value, script_pubkey) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (height, tx_index, vout) DO NOTHING \
         RETURNING height",
        vec![
            height.to_sql().into(),
            i64::from(p.tx_index).into(),
            i64::from(p.vout).into(),
            p.txid.to_byte_array().to_vec().into(),
            sats(p.value).into(),
            p.script_pubkey.as_bytes().into(),
        ],
    )
    .await?;
    match (inserted, window) {
        (Some(_), Some(w)) => {
            upsert_delivery::<B>(conn, p.script_pubkey.as_bytes(), w, p.value).await
        }
        _ => Ok(()),
    }
}

/// Adds one output of `value` to `script`'s delivery in window `w`.
async fn upsert_delivery<B: Backend>(
    conn: &mut B::Connection,
    script: &[u8],
    w: WindowId,
    value: bitcoin::Amount,
) -> Result<(), StorageError> {
    exec::<B>(
        conn,
        "upsert delivery",
        "INSERT INTO deliveries (script_pubkey, window_id, sats, outputs) \
         VALUES ($1, $2, $3, 1) ON CONFLICT (script_pubkey, window_id) DO UPDATE \
         SET sats = deliveries.sats + excluded.sats, outputs = deliveries.outputs + 1",
        vec![script.into(), w.to_sql().into(), sats(value).into()],
    )
    .await
}

/// A window's running sums.
#[derive(Debug, Clone, Copy)]
struct WindowTotals {
    count: i64,
    reward: i64,
    work: f64,
}

async fn write_window<B: Backend>(
    conn: &mut B::Connection,
    w: WindowId,
    first: Height,
    t: WindowTotals,
    exists: bool,
) -> Result<(), StorageError> {
    let sql = if exists {
        "UPDATE windows SET first_height = $2, block_count = $3, reward = $4, work = $5, \
         index_value = $6 WHERE window_id = $1"
    } else {
        "INSERT INTO windows (window_id, first_height, block_count, reward, work, index_value) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    };
    let args = vec![
        w.to_sql().into(),
        first.to_sql().into(),
        t.count.into(),
        t.reward.into(),
        t.work.into(),
        index_value(t.reward, t.work).into(),
    ];
    exec::<B>(conn, "write window", sql, args).await
}

async fn insert_block<B: Backend>(
    conn: &mut B::Connection,
    spec: WindowSpec,
    model: WorkModel,
    block: &IndexedBlock,
    mtp: Option<u32>,
    watched: &HashSet<Vec<u8>>,
) -> Result<(), StorageError> {
    let cb = &block.coinbase;
    let window = spec.window_of(cb.height);
    let sql = format!(
        "INSERT INTO blocks ({BLOCK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    );
    let args = vec![
        cb.height.to_sql().into(),
        cb.hash.to_byte_array().to_vec().into(),
        cb.prev_hash().to_byte_array().to_vec().into(),
        i64::from(cb.header.time).into(),
        mtp.map(i64::from).into(),
        i64::from(cb.header.bits.to_consensus()).into(),
        cb.difficulty().into(),
        cb.work().to_be_bytes().to_vec().into(),
        i64::try_from(cb.tx_count).unwrap_or(i64::MAX).into(),
        i64::try_from(cb.size).unwrap_or(i64::MAX).into(),
        cb.txid.to_byte_array().to_vec().into(),
        cb.script_sig.as_bytes().into(),
        cb.tag.clone().into(),
        cb.bip34_height.and_then(|h| i64::try_from(h).ok()).into(),
        sats(cb.subsidy).into(),
        sats(cb.output_total).into(),
        sats(cb.fees).into(),
        cb.underclaimed.into(),
        block.pool.map(|p| i64::from(p.0)).into(),
        window.map(WindowId::to_sql).into(),
    ];
    exec::<B>(conn, "insert block", &sql, args).await?;
    for out in &cb.outputs {
        exec::<B>(
            conn,
            "insert output",
            "INSERT INTO coinbase_outputs (height, vout, value, script_pubkey, address) \
             VALUES ($1, $2, $3, $4, $5)",
            vec![
                cb.height.to_sql().into(),
                i64::from(out.vout).into(),
                sats(out.value).into(),
                out.script_pubkey.as_bytes().into(),
                out.address.clone().into(),
            ],
        )
        .await?;
        if let Some(w) = window.filter(|_| watched.contains(out.script_pubkey.as_bytes())) {
            upsert_delivery::<B>(conn, out.script_pubkey.as_bytes(), w, out.value).await?;
        }
    }
    // The follower looked for payments to the scripts watched when its step began; one
    // watched since then is rescanned (its `rescan_from` is set), so counting only the
    // scripts watched now is exact either way.
    for p in block
        .payments
        .iter()
        .filter(|p| watched.contains(p.script_pubkey.as_bytes()))
    {
        insert_payment::<B>(conn, cb.height, window, p).await?;
    }
    let Some(w) = window else { return Ok(()) };
    let stored = row::<B>(
        conn,
        "select window",
        "SELECT block_count, reward, work FROM windows WHERE window_id = $1",
        vec![w.to_sql().into()],
    )
    .await?;
    let before = match &stored {
        Some(r) => {
            let e = || query_err("decode window");
            WindowTotals {
                count: B::i64(r, "block_count").map_err(e())?,
                reward: B::i64(r, "reward").map_err(e())?,
                work: B::f64(r, "work").map_err(e())?,
            }
        }
        None => WindowTotals {
            count: 0,
            reward: 0,
            work: 0.0,
        },
    };
    let first = spec
        .first_height(w)
        .ok_or(StorageError::Corrupt("window first height"))?;
    let after = WindowTotals {
        count: before.count + 1,
        reward: before.reward + sats(cb.subsidy) + sats(cb.fees),
        work: before.work + block_work(model, cb.header.bits.to_consensus()),
    };
    write_window::<B>(conn, w, first, after, stored.is_some()).await
}

/// Deletes every block above `fork` with its outputs, and rebuilds the windows from the
/// first removed one.
async fn roll_back<B: Backend>(
    conn: &mut B::Connection,
    spec: WindowSpec,
    model: WorkModel,
    fork: Height,
) -> Result<(), StorageError> {
    tracing::info!(fork = %describe_rollback(Some(fork)), "rolling back blocks above the fork point");
    let above = || vec![Arg::from(fork.to_sql())];
    exec::<B>(
        conn,
        "rollback outputs",
        "DELETE FROM coinbase_outputs WHERE height > $1",
        above(),
    )
    .await?;
    exec::<B>(
        conn,
        "rollback payments",
        "DELETE FROM tx_outputs WHERE height > $1",
        above(),
    )
    .await?;
    exec::<B>(
        conn,
        "rollback blocks",
        "DELETE FROM blocks WHERE height > $1",
        above(),
    )
    .await?;
    let first_removed = Height(fork.0.saturating_add(1).max(spec.origin.0));
    match spec.window_of(first_removed) {
        Some(w) => rebuild_window::<B>(conn, spec, model, w).await,
        None => Ok(()),
    }
}

/// The times of the stored blocks that the median-time-past of `first` and its
/// successors needs.
async fn recent_times<B: Backend>(
    conn: &mut B::Connection,
    first: Height,
    tip: Height,
) -> Result<VecDeque<(Height, u32)>, StorageError> {
    let lo = i64::from(first.0.saturating_sub(MEDIAN_TIME_SPAN as u32 - 1));
    let found = rows::<B>(
        conn,
        "select recent times",
        "SELECT height, time FROM blocks WHERE height >= $1 AND height <= $2 ORDER BY height",
        vec![lo.into(), tip.to_sql().into()],
    )
    .await?;
    let mut times = VecDeque::new();
    for r in found {
        let h = B::i64(&r, "height").map_err(query_err("decode time"))?;
        let t = B::i64(&r, "time").map_err(query_err("decode time"))?;
        times.push_back((
            Height(to_u32(h, "blocks.height")?),
            to_u32(t, "blocks.time")?,
        ));
    }
    Ok(times)
}

impl<B: Backend> DbWrite for SqlStore<B> {
    async fn apply(
        &self,
        rollback_to: Option<Height>,
        blocks: &[IndexedBlock],
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        if let Some(fork) = rollback_to {
            roll_back::<B>(&mut tx, self.spec, self.work, fork).await?;
        }
        let watched: HashSet<Vec<u8>> = rows::<B>(
            &mut tx,
            "select watched",
            "SELECT script_pubkey FROM watched_scripts",
            vec![],
        )
        .await?
        .iter()
        .map(|r| B::bytes(r, "script_pubkey"))
        .collect::<Result<_, _>>()
        .map_err(query_err("decode watched"))?;
        let mut tip = tip_in::<B>(&mut tx).await?;
        let mut times = match (blocks.first(), tip) {
            (Some(first), Some((tip_h, _))) => {
                recent_times::<B>(&mut tx, first.coinbase.height, tip_h).await?
            }
            _ => VecDeque::new(),
        };
        for block in blocks {
            let cb = &block.coinbase;
            if let Some((h, hash)) = tip {
                if Some(cb.height) != h.next() || cb.prev_hash() != hash {
                    return Err(StorageError::NotNext {
                        height: cb.height,
                        hash: cb.hash,
                        tip,
                    });
                }
            }
            while times
                .front()
                .is_some_and(|(h, _)| h.0 + (MEDIAN_TIME_SPAN as u32 - 1) < cb.height.0)
            {
                times.pop_front();
            }
            let needed = (MEDIAN_TIME_SPAN - 1).min(cb.height.0 as usize);
            let contiguous = times.len() == needed
                && times
                    .back()
                    .map_or(needed == 0, |(h, _)| h.next() == Some(cb.height));
            let mtp = contiguous.then(|| {
                let mut all: Vec<u32> = times.iter().map(|(_, t)| *t).collect();
                all.push(cb.header.time);
                median_time(&all)
            });
            insert_block::<B>(&mut tx, self.spec, self.work, block, mtp, &watched).await?;
            times.push_back((cb.height, cb.header.time));
            tip = Some((cb.height, cb.hash));
        }
        tx.commit().await.map_err(query_err("commit"))
    }

    async fn watch_script(
        &self,
        script: &ScriptBuf,
        label: &str,
        from: Height,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        exec::<B>(
            &mut tx,
            "insert watched",
            "INSERT INTO watched_scripts (script_pubkey, label, scan_from, rescan_from) \
             VALUES ($1, $2, $3, $3) ON CONFLICT (script_pubkey) DO NOTHING",
            vec![script.as_bytes().into(), label.into(), from.to_sql().into()],
        )
        .await?;
        backfill_deliveries::<B>(&mut tx, script.as_bytes()).await?;
        tx.commit().await.map_err(query_err("commit"))
    }

    async fn finish_rescan(&self, rescan: &Rescan) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        let blocks = rescan
            .found
            .iter()
            .map(|(h, hash, _)| (*h, *hash))
            .chain(rescan.scanned_to);
        for (height, hash) in blocks {
            let stored = row::<B>(
                &mut tx,
                "select rescanned block",
                "SELECT hash FROM blocks WHERE height = $1",
                vec![height.to_sql().into()],
            )
            .await?
            .map(|r| B::bytes(&r, "hash"))
            .transpose()
            .map_err(query_err("decode rescanned block"))?;
            if stored.as_deref() != Some(hash.as_byte_array().as_slice()) {
                return Err(StorageError::RescanStale { height, hash });
            }
        }
        for (height, _, payments) in &rescan.found {
            let window = self.spec.window_of(*height);
            for p in payments {
                insert_payment::<B>(&mut tx, *height, window, p).await?;
            }
        }
        for (script, from) in &rescan.scripts {
            exec::<B>(
                &mut tx,
                "finish rescan",
                "UPDATE watched_scripts SET rescan_from = NULL \
                 WHERE script_pubkey = $1 AND rescan_from = $2",
                vec![script.as_bytes().into(), from.to_sql().into()],
            )
            .await?;
            backfill_deliveries::<B>(&mut tx, script.as_bytes()).await?;
        }
        tx.commit().await.map_err(query_err("commit"))
    }

    async fn upsert_pools(&self, pools: &PoolSet) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        for p in pools.pools() {
            exec::<B>(
                &mut tx,
                "upsert pool",
                "INSERT INTO pools (id, name, link) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, link = excluded.link",
                vec![
                    i64::from(p.id.0).into(),
                    p.name.clone().into(),
                    p.link.clone().into(),
                ],
            )
            .await?;
        }
        tx.commit().await.map_err(query_err("commit"))
    }
}

/// Checks the schema version against `migrator` and the window settings, storing the
/// settings on first use.
pub(crate) async fn check_database<B: Backend>(
    pool: &sqlx::Pool<B>,
    migrator: &sqlx::migrate::Migrator,
    spec: WindowSpec,
) -> Result<(), StorageError> {
    let mut conn = pool.acquire().await.map_err(query_err("acquire"))?;
    let expected = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    // A missing migrations table means an empty database: version `None`.
    let found = B::fetch_optional(
        &mut conn,
        "SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success",
        vec![],
    )
    .await
    .ok()
    .flatten()
    .and_then(|r| B::opt_i64(&r, "v").ok().flatten());
    if found != Some(expected) {
        return Err(StorageError::SchemaVersion { found, expected });
    }
    for (key, value) in [
        ("window_origin", spec.origin.0.to_string()),
        ("window_length", spec.length.to_string()),
    ] {
        let stored = row::<B>(
            &mut conn,
            "select setting",
            "SELECT value FROM settings WHERE key = $1",
            vec![key.into()],
        )
        .await?
        .map(|r| B::text(&r, "value"))
        .transpose()
        .map_err(query_err("decode setting"))?;
        match stored {
            Some(s) if s != value => {
                return Err(StorageError::SettingsMismatch {
                    key,
                    stored: s,
                    configured: value,
                })
            }
            Some(_) => {}
            None => {
                exec::<B>(
                    &mut conn,
                    "insert setting",
                    "INSERT INTO settings (key, value) VALUES ($1, $2)",
                    vec![key.into(), value.into()],
                )
                .await?
            }
        }
    }
    Ok(())
}
