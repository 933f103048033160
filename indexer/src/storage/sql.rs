//! The SQL shared by [`super::SqliteStore`] and [`super::PgStore`], and every conversion
//! between stored columns and the crate's types.
//!
//! The statements use `$N` placeholders and `ON CONFLICT`, which both SQLite and
//! PostgreSQL accept, so one macro body implements [`super::DbRead`] and
//! [`super::DbWrite`] for each backend.

use bitcoin::hashes::Hash;
use bitcoin::{Amount, BlockHash, Txid};

use super::StorageError;
use crate::types::Height;

/// `2^32`: `difficulty · 2^32` is a block's expected hashes (design.md, `work_W`).
pub(crate) const HASHES_PER_DIFFICULTY: f64 = 4_294_967_296.0;

pub(crate) fn to_u32(v: i64, what: &'static str) -> Result<u32, StorageError> {
    u32::try_from(v).map_err(|_| StorageError::Corrupt(what))
}

pub(crate) fn to_u64(v: i64, what: &'static str) -> Result<u64, StorageError> {
    u64::try_from(v).map_err(|_| StorageError::Corrupt(what))
}

pub(crate) fn to_amount(v: i64, what: &'static str) -> Result<Amount, StorageError> {
    Ok(Amount::from_sat(to_u64(v, what)?))
}

pub(crate) fn to_bytes32(v: &[u8], what: &'static str) -> Result<[u8; 32], StorageError> {
    v.try_into().map_err(|_| StorageError::Corrupt(what))
}

pub(crate) fn to_hash(v: &[u8], what: &'static str) -> Result<BlockHash, StorageError> {
    Ok(BlockHash::from_byte_array(to_bytes32(v, what)?))
}

pub(crate) fn to_txid(v: &[u8], what: &'static str) -> Result<Txid, StorageError> {
    Ok(Txid::from_byte_array(to_bytes32(v, what)?))
}

/// An amount as the `BIGINT` both backends store; amounts never exceed 21e14 sats.
pub(crate) fn sats(a: Amount) -> i64 {
    i64::try_from(a.to_sat()).unwrap_or(i64::MAX)
}

/// Returns Bitcoin Core's median-time-past: the median of up to 11 times, the last being
/// the block's own.
pub(crate) fn median_time(times: &[u32]) -> u32 {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    sorted[sorted.len() / 2]
}

/// Bitcoin Core's `nMedianTimeSpan`.
pub(crate) const MEDIAN_TIME_SPAN: usize = 11;

/// Returns the highest stored height that `rollback_to` leaves, for logs.
pub(crate) fn describe_rollback(rollback_to: Option<Height>) -> String {
    rollback_to.map_or_else(|| "none".to_owned(), |h| h.to_string())
}

macro_rules! block_columns {
    () => {
        "height, hash, prev_hash, time, median_time_past, bits, difficulty, work, tx_count, size, \
         coinbase_txid, script_sig, tag, bip34_height, subsidy, output_total, fees, underclaimed, \
         pool_id, window_id"
    };
}
pub(crate) use block_columns;

/// Implements `DbRead` and `DbWrite` for a store with fields `pool: sqlx::Pool<$db>` and
/// `spec: WindowSpec`, in private modules `store_read` and `store_write`; the caller
/// uses `store_write::check_database` when opening.
macro_rules! impl_store {
    ($store:ident, $db:ty) => {
        $crate::storage::sql_read::impl_store_read!($store, $db);

        mod store_write {
        use std::collections::{HashSet, VecDeque};

        use bitcoin::hashes::Hash as _;
        use bitcoin::{BlockHash, ScriptBuf};
        use sqlx::Row as _;

        use super::$store;
        use $crate::coinbase::PoolSet;
        use $crate::storage::sql::{
            block_columns, describe_rollback, median_time, sats, to_hash, to_u32, HASHES_PER_DIFFICULTY,
            MEDIAN_TIME_SPAN,
        };
        use $crate::storage::{index_value, query_err, DbWrite, IndexedBlock, StorageError};
        use $crate::types::{Height, WindowId, WindowSpec};

        type Tx<'a> = sqlx::Transaction<'a, $db>;

        pub(super) async fn tip_in(tx: &mut Tx<'_>) -> Result<Option<(Height, BlockHash)>, StorageError> {
            let row = sqlx::query("SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await
                .map_err(query_err("select tip"))?;
            row.map(|r| {
                let h: i64 = r.try_get("height").map_err(query_err("decode tip"))?;
                let hash: Vec<u8> = r.try_get("hash").map_err(query_err("decode tip"))?;
                Ok((Height(to_u32(h, "blocks.height")?), to_hash(&hash, "blocks.hash")?))
            })
            .transpose()
        }

        /// Rebuilds window `w` and its deliveries from the stored blocks, summing in
        /// height order exactly as the incremental path does.
        async fn rebuild_window(tx: &mut Tx<'_>, spec: WindowSpec, w: WindowId) -> Result<(), StorageError> {
            sqlx::query("DELETE FROM windows WHERE window_id >= $1")
                .bind(w.to_sql())
                .execute(&mut *tx)
                .await
                .map_err(query_err("delete windows"))?;
            sqlx::query("DELETE FROM deliveries WHERE window_id >= $1")
                .bind(w.to_sql())
                .execute(&mut *tx)
                .await
                .map_err(query_err("delete deliveries"))?;
            let rows = sqlx::query("SELECT subsidy, fees, difficulty FROM blocks WHERE window_id = $1 ORDER BY height")
                .bind(w.to_sql())
                .fetch_all(&mut *tx)
                .await
                .map_err(query_err("select window blocks"))?;
            if rows.is_empty() {
                return Ok(());
            }
            let (mut reward, mut work) = (0i64, 0.0f64);
            for r in &rows {
                let subsidy: i64 = r.try_get("subsidy").map_err(query_err("decode window block"))?;
                let fees: i64 = r.try_get("fees").map_err(query_err("decode window block"))?;
                let difficulty: f64 = r.try_get("difficulty").map_err(query_err("decode window block"))?;
                reward += subsidy + fees;
                work += difficulty * HASHES_PER_DIFFICULTY;
            }
            let first = spec.first_height(w).ok_or(StorageError::Corrupt("window first height"))?;
            write_window(tx, w, first, rows.len() as i64, reward, work, false).await?;
            sqlx::query(
                "INSERT INTO deliveries (script_pubkey, window_id, sats, outputs) \
                 SELECT o.script_pubkey, b.window_id, CAST(SUM(o.value) AS BIGINT), COUNT(*) \
                 FROM coinbase_outputs o JOIN blocks b ON b.height = o.height \
                 JOIN watched_scripts s ON s.script_pubkey = o.script_pubkey \
                 WHERE b.window_id = $1 GROUP BY o.script_pubkey, b.window_id",
            )
            .bind(w.to_sql())
            .execute(&mut *tx)
            .await
            .map_err(query_err("rebuild deliveries"))?;
            Ok(())
        }

        async fn write_window(
            tx: &mut Tx<'_>,
            w: WindowId,
            first: Height,
            count: i64,
            reward: i64,
            work: f64,
            exists: bool,
        ) -> Result<(), StorageError> {
            let sql = if exists {
                "UPDATE windows SET first_height = $2, block_count = $3, reward = $4, work = $5, index_value = $6 \
                 WHERE window_id = $1"
            } else {
                "INSERT INTO windows (window_id, first_height, block_count, reward, work, index_value) \
                 VALUES ($1, $2, $3, $4, $5, $6)"
            };
            sqlx::query(sql)
                .bind(w.to_sql())
                .bind(first.to_sql())
                .bind(count)
                .bind(reward)
                .bind(work)
                .bind(index_value(reward, work))
                .execute(&mut *tx)
                .await
                .map_err(query_err("write window"))?;
            Ok(())
        }

        async fn insert_block(
            tx: &mut Tx<'_>,
            spec: WindowSpec,
            block: &IndexedBlock,
            mtp: Option<u32>,
            watched: &HashSet<Vec<u8>>,
        ) -> Result<(), StorageError> {
            let cb = &block.coinbase;
            let window = spec.window_of(cb.height);
            sqlx::query(concat!(
                "INSERT INTO blocks (",
                block_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
            ))
            .bind(cb.height.to_sql())
            .bind(cb.hash.to_byte_array().to_vec())
            .bind(cb.prev_hash().to_byte_array().to_vec())
            .bind(i64::from(cb.header.time))
            .bind(mtp.map(i64::from))
            .bind(i64::from(cb.header.bits.to_consensus()))
            .bind(cb.difficulty())
            .bind(cb.work().to_be_bytes().to_vec())
            .bind(i64::try_from(cb.tx_count).unwrap_or(i64::MAX))
            .bind(i64::try_from(cb.size).unwrap_or(i64::MAX))
            .bind(cb.txid.to_byte_array().to_vec())
            .bind(cb.script_sig.as_bytes().to_vec())
            .bind(cb.tag.clone())
            .bind(cb.bip34_height.and_then(|h| i64::try_from(h).ok()))
            .bind(sats(cb.subsidy))
            .bind(sats(cb.output_total))
            .bind(sats(cb.fees))
            .bind(cb.underclaimed)
            .bind(block.pool.map(|p| i64::from(p.0)))
            .bind(window.map(WindowId::to_sql))
            .execute(&mut *tx)
            .await
            .map_err(query_err("insert block"))?;
            for out in &cb.outputs {
                sqlx::query(
                    "INSERT INTO coinbase_outputs (height, vout, value, script_pubkey, address) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(cb.height.to_sql())
                .bind(i64::from(out.vout))
                .bind(sats(out.value))
                .bind(out.script_pubkey.as_bytes().to_vec())
                .bind(out.address.clone())
                .execute(&mut *tx)
                .await
                .map_err(query_err("insert output"))?;
                if let Some(w) = window.filter(|_| watched.contains(out.script_pubkey.as_bytes())) {
                    sqlx::query(
                        "INSERT INTO deliveries (script_pubkey, window_id, sats, outputs) VALUES ($1, $2, $3, 1) \
                         ON CONFLICT (script_pubkey, window_id) DO UPDATE \
                         SET sats = deliveries.sats + excluded.sats, outputs = deliveries.outputs + 1",
                    )
                    .bind(out.script_pubkey.as_bytes().to_vec())
                    .bind(w.to_sql())
                    .bind(sats(out.value))
                    .execute(&mut *tx)
                    .await
                    .map_err(query_err("upsert delivery"))?;
                }
            }
            if let Some(w) = window {
                let row = sqlx::query("SELECT block_count, reward, work FROM windows WHERE window_id = $1")
                    .bind(w.to_sql())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(query_err("select window"))?;
                let (count, reward, work) = match &row {
                    Some(r) => (
                        r.try_get::<i64, _>("block_count").map_err(query_err("decode window"))?,
                        r.try_get::<i64, _>("reward").map_err(query_err("decode window"))?,
                        r.try_get::<f64, _>("work").map_err(query_err("decode window"))?,
                    ),
                    None => (0, 0, 0.0),
                };
                let first = spec.first_height(w).ok_or(StorageError::Corrupt("window first height"))?;
                let reward = reward + sats(cb.subsidy) + sats(cb.fees);
                let work = work + cb.difficulty() * HASHES_PER_DIFFICULTY;
                write_window(tx, w, first, count + 1, reward, work, row.is_some()).await?;
            }
            Ok(())
        }

        impl $store {
            async fn apply_blocks(&self, rollback_to: Option<Height>, blocks: &[IndexedBlock]) -> Result<(), StorageError> {
                let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
                if let Some(fork) = rollback_to {
                    tracing::info!(fork = %describe_rollback(rollback_to), "rolling back blocks above the fork point");
                    let above = fork.to_sql();
                    sqlx::query("DELETE FROM coinbase_outputs WHERE height > $1")
                        .bind(above)
                        .execute(&mut *tx)
                        .await
                        .map_err(query_err("rollback outputs"))?;
                    sqlx::query("DELETE FROM blocks WHERE height > $1")
                        .bind(above)
                        .execute(&mut *tx)
                        .await
                        .map_err(query_err("rollback blocks"))?;
                    let first_removed = Height(fork.0.saturating_add(1).max(self.spec.origin.0));
                    if let Some(w) = self.spec.window_of(first_removed) {
                        rebuild_window(&mut tx, self.spec, w).await?;
                    }
                }
                let watched: HashSet<Vec<u8>> = sqlx::query("SELECT script_pubkey FROM watched_scripts")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(query_err("select watched"))?
                    .iter()
                    .map(|r| r.try_get::<Vec<u8>, _>("script_pubkey"))
                    .collect::<Result<_, _>>()
                    .map_err(query_err("decode watched"))?;
                let mut tip = tip_in(&mut tx).await?;
                let mut times: VecDeque<(Height, u32)> = VecDeque::new();
                if let (Some(first), Some((tip_h, _))) = (blocks.first(), tip) {
                    let lo = i64::from(first.coinbase.height.0.saturating_sub(MEDIAN_TIME_SPAN as u32 - 1));
                    let rows = sqlx::query("SELECT height, time FROM blocks WHERE height >= $1 AND height <= $2 ORDER BY height")
                        .bind(lo)
                        .bind(tip_h.to_sql())
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(query_err("select recent times"))?;
                    for r in rows {
                        let h: i64 = r.try_get("height").map_err(query_err("decode time"))?;
                        let t: i64 = r.try_get("time").map_err(query_err("decode time"))?;
                        times.push_back((Height(to_u32(h, "blocks.height")?), to_u32(t, "blocks.time")?));
                    }
                }
                for block in blocks {
                    let cb = &block.coinbase;
                    if let Some((h, hash)) = tip {
                        if Some(cb.height) != h.next() || cb.prev_hash() != hash {
                            return Err(StorageError::NotNext { height: cb.height, hash: cb.hash, tip });
                        }
                    }
                    while times.front().is_some_and(|(h, _)| h.0 + (MEDIAN_TIME_SPAN as u32 - 1) < cb.height.0) {
                        times.pop_front();
                    }
                    let needed = (MEDIAN_TIME_SPAN - 1).min(cb.height.0 as usize);
                    let contiguous = times.len() == needed
                        && times.back().map_or(needed == 0, |(h, _)| h.next() == Some(cb.height));
                    let mtp = contiguous.then(|| {
                        let mut all: Vec<u32> = times.iter().map(|(_, t)| *t).collect();
                        all.push(cb.header.time);
                        median_time(&all)
                    });
                    insert_block(&mut tx, self.spec, block, mtp, &watched).await?;
                    times.push_back((cb.height, cb.header.time));
                    tip = Some((cb.height, cb.hash));
                }
                tx.commit().await.map_err(query_err("commit"))?;
                Ok(())
            }
        }


        impl DbWrite for $store {
            async fn apply(&self, rollback_to: Option<Height>, blocks: &[IndexedBlock]) -> Result<(), StorageError> {
                self.apply_blocks(rollback_to, blocks).await
            }

            async fn watch_script(&self, script: &ScriptBuf, label: &str) -> Result<(), StorageError> {
                let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
                let bytes = script.as_bytes().to_vec();
                sqlx::query("INSERT INTO watched_scripts (script_pubkey, label) VALUES ($1, $2) ON CONFLICT (script_pubkey) DO NOTHING")
                    .bind(bytes.clone())
                    .bind(label.to_owned())
                    .execute(&mut *tx)
                    .await
                    .map_err(query_err("insert watched"))?;
                sqlx::query("DELETE FROM deliveries WHERE script_pubkey = $1")
                    .bind(bytes.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(query_err("reset deliveries"))?;
                sqlx::query(
                    "INSERT INTO deliveries (script_pubkey, window_id, sats, outputs) \
                     SELECT o.script_pubkey, b.window_id, CAST(SUM(o.value) AS BIGINT), COUNT(*) \
                     FROM coinbase_outputs o JOIN blocks b ON b.height = o.height \
                     WHERE o.script_pubkey = $1 AND b.window_id IS NOT NULL GROUP BY o.script_pubkey, b.window_id",
                )
                .bind(bytes)
                .execute(&mut *tx)
                .await
                .map_err(query_err("backfill deliveries"))?;
                tx.commit().await.map_err(query_err("commit"))
            }

            async fn upsert_pools(&self, pools: &PoolSet) -> Result<(), StorageError> {
                let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
                for p in pools.pools() {
                    sqlx::query(
                        "INSERT INTO pools (id, name, link) VALUES ($1, $2, $3) \
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, link = excluded.link",
                    )
                    .bind(i64::from(p.id.0))
                    .bind(p.name.clone())
                    .bind(p.link.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(query_err("upsert pool"))?;
                }
                tx.commit().await.map_err(query_err("commit"))
            }
        }

        /// Checks the schema version and the window settings, storing the settings on
        /// first use.
        pub(super) async fn check_database(
            pool: &sqlx::Pool<$db>,
            migrator: &sqlx::migrate::Migrator,
            spec: WindowSpec,
        ) -> Result<(), StorageError> {
            let expected = migrator.iter().map(|m| m.version).max().unwrap_or(0);
            let found: Option<i64> = sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await
                .ok()
                .and_then(|r| r.try_get::<Option<i64>, _>("v").ok().flatten());
            if found != Some(expected) {
                return Err(StorageError::SchemaVersion { found, expected });
            }
            for (key, value) in [("window_origin", spec.origin.0.to_string()), ("window_length", spec.length.to_string())] {
                let stored: Option<String> = sqlx::query("SELECT value FROM settings WHERE key = $1")
                    .bind(key)
                    .fetch_optional(pool)
                    .await
                    .map_err(query_err("select setting"))?
                    .map(|r| r.try_get("value"))
                    .transpose()
                    .map_err(query_err("decode setting"))?;
                match stored {
                    Some(s) if s != value => {
                        return Err(StorageError::SettingsMismatch { key, stored: s, configured: value })
                    }
                    Some(_) => {}
                    None => {
                        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
                            .bind(key)
                            .bind(value)
                            .execute(pool)
                            .await
                            .map_err(query_err("insert setting"))?;
                    }
                }
            }
            Ok(())
        }
        }
    };
}
pub(crate) use impl_store;
