//! The read half of the SQL shared by both backends: row decoding and
//! [`super::DbRead`]. See [`super::sql`] for the conventions.

/// Implements `DbRead` for a store with fields `pool: sqlx::Pool<$db>` and
/// `spec: WindowSpec`, inside a private module `store_read`.
macro_rules! impl_store_read {
    ($store:ident, $db:ty) => {
        mod store_read {
        use bitcoin::{BlockHash, ScriptBuf};
        use sqlx::Row as _;

        use super::$store;
        use $crate::storage::sql::{
            block_columns, to_amount, to_bytes32, to_hash, to_txid, to_u32, to_u64,
        };
        use $crate::storage::{
            query_err, BlockRecord, DbRead, Delivery, OutputRecord, PoolShare, StorageError, WindowRecord,
        };
        use $crate::types::{Height, PoolId, WindowId, WindowSpec};

        type Row = <$db as sqlx::Database>::Row;

        fn block_row(row: &Row) -> Result<BlockRecord, StorageError> {
            let e = || query_err("decode block");
            let bip34: Option<i64> = row.try_get("bip34_height").map_err(e())?;
            let mtp: Option<i64> = row.try_get("median_time_past").map_err(e())?;
            let pool: Option<i64> = row.try_get("pool_id").map_err(e())?;
            let window: Option<i64> = row.try_get("window_id").map_err(e())?;
            Ok(BlockRecord {
                height: Height(to_u32(row.try_get("height").map_err(e())?, "blocks.height")?),
                hash: to_hash(row.try_get("hash").map_err(e())?, "blocks.hash")?,
                prev_hash: to_hash(row.try_get("prev_hash").map_err(e())?, "blocks.prev_hash")?,
                time: to_u32(row.try_get("time").map_err(e())?, "blocks.time")?,
                median_time_past: mtp.map(|v| to_u32(v, "blocks.median_time_past")).transpose()?,
                bits: to_u32(row.try_get("bits").map_err(e())?, "blocks.bits")?,
                difficulty: row.try_get("difficulty").map_err(e())?,
                work: bitcoin::pow::Work::from_be_bytes(to_bytes32(row.try_get("work").map_err(e())?, "blocks.work")?),
                tx_count: to_u64(row.try_get("tx_count").map_err(e())?, "blocks.tx_count")?,
                size: to_u64(row.try_get("size").map_err(e())?, "blocks.size")?,
                coinbase_txid: to_txid(row.try_get("coinbase_txid").map_err(e())?, "blocks.coinbase_txid")?,
                script_sig: ScriptBuf::from_bytes(row.try_get("script_sig").map_err(e())?),
                tag: row.try_get("tag").map_err(e())?,
                bip34_height: bip34,
                subsidy: to_amount(row.try_get("subsidy").map_err(e())?, "blocks.subsidy")?,
                output_total: to_amount(row.try_get("output_total").map_err(e())?, "blocks.output_total")?,
                fees: to_amount(row.try_get("fees").map_err(e())?, "blocks.fees")?,
                underclaimed: row.try_get("underclaimed").map_err(e())?,
                pool: pool.map(|v| to_u32(v, "blocks.pool_id").map(PoolId)).transpose()?,
                window: window.map(|v| to_u32(v, "blocks.window_id").map(WindowId)).transpose()?,
            })
        }

        fn output_row(row: &Row) -> Result<OutputRecord, StorageError> {
            let e = || query_err("decode output");
            Ok(OutputRecord {
                height: Height(to_u32(row.try_get("height").map_err(e())?, "coinbase_outputs.height")?),
                vout: to_u32(row.try_get("vout").map_err(e())?, "coinbase_outputs.vout")?,
                value: to_amount(row.try_get("value").map_err(e())?, "coinbase_outputs.value")?,
                script_pubkey: ScriptBuf::from_bytes(row.try_get("script_pubkey").map_err(e())?),
                address: row.try_get("address").map_err(e())?,
            })
        }

        fn delivery_row(row: &Row) -> Result<Delivery, StorageError> {
            let e = || query_err("decode delivery");
            Ok(Delivery {
                window: WindowId(to_u32(row.try_get("window_id").map_err(e())?, "deliveries.window_id")?),
                sats: to_amount(row.try_get("sats").map_err(e())?, "deliveries.sats")?,
                outputs: to_u64(row.try_get("outputs").map_err(e())?, "deliveries.outputs")?,
            })
        }

        fn window_row(row: &Row) -> Result<WindowRecord, StorageError> {
            let e = || query_err("decode window");
            Ok(WindowRecord {
                window: WindowId(to_u32(row.try_get("window_id").map_err(e())?, "windows.window_id")?),
                first_height: Height(to_u32(row.try_get("first_height").map_err(e())?, "windows.first_height")?),
                block_count: to_u32(row.try_get("block_count").map_err(e())?, "windows.block_count")?,
                reward: to_amount(row.try_get("reward").map_err(e())?, "windows.reward")?,
                work: row.try_get("work").map_err(e())?,
                index: row.try_get("index_value").map_err(e())?,
            })
        }


        impl DbRead for $store {
            async fn tip(&self) -> Result<Option<(Height, BlockHash)>, StorageError> {
                let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
                let tip = super::store_write::tip_in(&mut tx).await?;
                tx.commit().await.map_err(query_err("commit"))?;
                Ok(tip)
            }

            async fn block_hash(&self, height: Height) -> Result<Option<BlockHash>, StorageError> {
                let row = sqlx::query("SELECT hash FROM blocks WHERE height = $1")
                    .bind(height.to_sql())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query_err("select block hash"))?;
                row.map(|r| {
                    let b: Vec<u8> = r.try_get("hash").map_err(query_err("decode hash"))?;
                    to_hash(&b, "blocks.hash")
                })
                .transpose()
            }

            async fn block(&self, height: Height) -> Result<Option<BlockRecord>, StorageError> {
                let row = sqlx::query(concat!("SELECT ", block_columns!(), " FROM blocks WHERE height = $1"))
                    .bind(height.to_sql())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query_err("select block"))?;
                row.as_ref().map(block_row).transpose()
            }

            async fn blocks(&self, from: Height, limit: u32) -> Result<Vec<BlockRecord>, StorageError> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    block_columns!(),
                    " FROM blocks WHERE height >= $1 ORDER BY height LIMIT $2"
                ))
                .bind(from.to_sql())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(query_err("select blocks"))?;
                rows.iter().map(block_row).collect()
            }

            async fn coinbase_outputs(&self, height: Height) -> Result<Vec<OutputRecord>, StorageError> {
                let rows = sqlx::query("SELECT * FROM coinbase_outputs WHERE height = $1 ORDER BY vout")
                    .bind(height.to_sql())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query_err("select outputs"))?;
                rows.iter().map(output_row).collect()
            }

            async fn outputs_by_script(
                &self,
                script: &ScriptBuf,
                from: Height,
                to: Height,
            ) -> Result<Vec<OutputRecord>, StorageError> {
                let rows = sqlx::query(
                    "SELECT * FROM coinbase_outputs WHERE script_pubkey = $1 AND height >= $2 AND height <= $3 \
                     ORDER BY height, vout",
                )
                .bind(script.as_bytes().to_vec())
                .bind(from.to_sql())
                .bind(to.to_sql())
                .fetch_all(&self.pool)
                .await
                .map_err(query_err("select outputs by script"))?;
                rows.iter().map(output_row).collect()
            }

            async fn outputs_by_address(
                &self,
                address: &str,
                from: Height,
                to: Height,
            ) -> Result<Vec<OutputRecord>, StorageError> {
                let rows = sqlx::query(
                    "SELECT * FROM coinbase_outputs WHERE address = $1 AND height >= $2 AND height <= $3 \
                     ORDER BY height, vout",
                )
                .bind(address.to_owned())
                .bind(from.to_sql())
                .bind(to.to_sql())
                .fetch_all(&self.pool)
                .await
                .map_err(query_err("select outputs by address"))?;
                rows.iter().map(output_row).collect()
            }

            async fn deliveries(
                &self,
                script: &ScriptBuf,
                from: WindowId,
                to: WindowId,
            ) -> Result<Vec<Delivery>, StorageError> {
                let rows = sqlx::query(
                    "SELECT window_id, sats, outputs FROM deliveries \
                     WHERE script_pubkey = $1 AND window_id >= $2 AND window_id <= $3 ORDER BY window_id",
                )
                .bind(script.as_bytes().to_vec())
                .bind(from.to_sql())
                .bind(to.to_sql())
                .fetch_all(&self.pool)
                .await
                .map_err(query_err("select deliveries"))?;
                rows.iter().map(delivery_row).collect()
            }

            async fn delivered_by_window(
                &self,
                script: &ScriptBuf,
                from: Height,
                to: Height,
            ) -> Result<Vec<Delivery>, StorageError> {
                let rows = sqlx::query(
                    "SELECT b.window_id AS window_id, CAST(SUM(o.value) AS BIGINT) AS sats, COUNT(*) AS outputs \
                     FROM coinbase_outputs o JOIN blocks b ON b.height = o.height \
                     WHERE o.script_pubkey = $1 AND o.height >= $2 AND o.height <= $3 AND b.window_id IS NOT NULL \
                     GROUP BY b.window_id ORDER BY b.window_id",
                )
                .bind(script.as_bytes().to_vec())
                .bind(from.to_sql())
                .bind(to.to_sql())
                .fetch_all(&self.pool)
                .await
                .map_err(query_err("compute deliveries"))?;
                rows.iter().map(delivery_row).collect()
            }

            async fn windows(&self, from: WindowId, to: WindowId) -> Result<Vec<WindowRecord>, StorageError> {
                let rows = sqlx::query("SELECT * FROM windows WHERE window_id >= $1 AND window_id <= $2 ORDER BY window_id")
                    .bind(from.to_sql())
                    .bind(to.to_sql())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query_err("select windows"))?;
                rows.iter().map(window_row).collect()
            }

            async fn pool_shares(&self, from: Height, to: Height) -> Result<Vec<PoolShare>, StorageError> {
                let rows = sqlx::query(
                    "SELECT b.pool_id AS pool_id, COALESCE(p.name, 'unknown') AS name, COUNT(*) AS blocks \
                     FROM blocks b LEFT JOIN pools p ON p.id = b.pool_id \
                     WHERE b.height >= $1 AND b.height <= $2 \
                     GROUP BY b.pool_id, p.name ORDER BY COUNT(*) DESC, b.pool_id",
                )
                .bind(from.to_sql())
                .bind(to.to_sql())
                .fetch_all(&self.pool)
                .await
                .map_err(query_err("select pool shares"))?;
                rows.iter()
                    .map(|r| {
                        let e = || query_err("decode pool share");
                        let pool: Option<i64> = r.try_get("pool_id").map_err(e())?;
                        Ok(PoolShare {
                            pool: pool.map(|p| to_u32(p, "blocks.pool_id").map(PoolId)).transpose()?,
                            name: r.try_get("name").map_err(e())?,
                            blocks: to_u64(r.try_get("blocks").map_err(e())?, "pool share count")?,
                        })
                    })
                    .collect()
            }

            async fn watched_scripts(&self) -> Result<Vec<ScriptBuf>, StorageError> {
                let rows = sqlx::query("SELECT script_pubkey FROM watched_scripts ORDER BY script_pubkey")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query_err("select watched"))?;
                rows.iter()
                    .map(|r| r.try_get::<Vec<u8>, _>("script_pubkey").map(ScriptBuf::from_bytes))
                    .collect::<Result<_, _>>()
                    .map_err(query_err("decode watched"))
            }

            fn window_spec(&self) -> WindowSpec {
                self.spec
            }
        }

        }
    };
}
pub(crate) use impl_store_read;
