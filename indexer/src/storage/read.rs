//! The read half of [`SqlStore`]: row decoding and [`DbRead`].

use bitcoin::{BlockHash, ScriptBuf};

use super::backend::{rows, Arg, Backend, SqlStore};
use super::sql::{to_amount, to_bytes32, to_hash, to_txid, to_u32, to_u64, BLOCK_COLUMNS};
use super::write::tip_in;
use super::{
    query_err, BlockRecord, DbRead, Delivery, OutputCursor, OutputRecord, PoolShare, StorageError,
    WatchState, WindowRecord,
};
use crate::payouts::{PaymentRecord, TxPayment};
use crate::types::{Height, PoolId, WindowId, WindowSpec};

/// The arguments of a `key = $1 AND column >= $2 AND column <= $3` query.
fn range(key: Arg, from: i64, to: i64) -> Vec<Arg> {
    vec![key, from.into(), to.into()]
}

fn block_row<B: Backend>(row: &B::Row) -> Result<BlockRecord, StorageError> {
    let e = || query_err("decode block");
    let int = |col| B::i64(row, col).map_err(e());
    let opt = |col| B::opt_i64(row, col).map_err(e());
    let bytes = |col| B::bytes(row, col).map_err(e());
    Ok(BlockRecord {
        height: Height(to_u32(int("height")?, "blocks.height")?),
        hash: to_hash(&bytes("hash")?, "blocks.hash")?,
        prev_hash: to_hash(&bytes("prev_hash")?, "blocks.prev_hash")?,
        time: to_u32(int("time")?, "blocks.time")?,
        median_time_past: opt("median_time_past")?
            .map(|v| to_u32(v, "blocks.median_time_past"))
            .transpose()?,
        bits: to_u32(int("bits")?, "blocks.bits")?,
        difficulty: B::f64(row, "difficulty").map_err(e())?,
        work: bitcoin::pow::Work::from_be_bytes(to_bytes32(&bytes("work")?, "blocks.work")?),
        tx_count: to_u64(int("tx_count")?, "blocks.tx_count")?,
        size: to_u64(int("size")?, "blocks.size")?,
        coinbase_txid: to_txid(&bytes("coinbase_txid")?, "blocks.coinbase_txid")?,
        script_sig: ScriptBuf::from_bytes(bytes("script_sig")?),
        tag: B::text(row, "tag").map_err(e())?,
        bip34_height: opt("bip34_height")?,
        subsidy: to_amount(int("subsidy")?, "blocks.subsidy")?,
        output_total: to_amount(int("output_total")?, "blocks.output_total")?,
        fees: to_amount(int("fees")?, "blocks.fees")?,
        underclaimed: B::bool(row, "underclaimed").map_err(e())?,
        pool: opt("pool_id")?
            .map(|v| to_u32(v, "blocks.pool_id").map(PoolId))
            .transpose()?,
        window: opt("window_id")?
            .map(|v| to_u32(v, "blocks.window_id").map(WindowId))
            .transpose()?,
    })
}

fn output_row<B: Backend>(row: &B::Row) -> Result<OutputRecord, StorageError> {
    let e = || query_err("decode output");
    let int = |col| B::i64(row, col).map_err(e());
    Ok(OutputRecord {
        height: Height(to_u32(int("height")?, "coinbase_outputs.height")?),
        vout: to_u32(int("vout")?, "coinbase_outputs.vout")?,
        value: to_amount(int("value")?, "coinbase_outputs.value")?,
        script_pubkey: ScriptBuf::from_bytes(B::bytes(row, "script_pubkey").map_err(e())?),
        address: B::opt_text(row, "address").map_err(e())?,
    })
}

/// A watched script with the height in column `col`.
fn script_height<B: Backend>(
    row: &B::Row,
    col: &'static str,
) -> Result<(ScriptBuf, Height), StorageError> {
    let e = || query_err("decode watched script");
    let h = B::i64(row, col).map_err(e())?;
    Ok((
        ScriptBuf::from_bytes(B::bytes(row, "script_pubkey").map_err(e())?),
        Height(to_u32(h, "watched_scripts height")?),
    ))
}

fn payment_row<B: Backend>(row: &B::Row) -> Result<PaymentRecord, StorageError> {
    let e = || query_err("decode payment");
    let int = |col| B::i64(row, col).map_err(e());
    Ok(PaymentRecord {
        height: Height(to_u32(int("height")?, "tx_outputs.height")?),
        payment: TxPayment {
            txid: to_txid(&B::bytes(row, "txid").map_err(e())?, "tx_outputs.txid")?,
            tx_index: to_u32(int("tx_index")?, "tx_outputs.tx_index")?,
            vout: to_u32(int("vout")?, "tx_outputs.vout")?,
            value: to_amount(int("value")?, "tx_outputs.value")?,
            script_pubkey: ScriptBuf::from_bytes(B::bytes(row, "script_pubkey").map_err(e())?),
        },
    })
}

fn delivery_row<B: Backend>(row: &B::Row) -> Result<Delivery, StorageError> {
    let int = |col| B::i64(row, col).map_err(query_err("decode delivery"));
    Ok(Delivery {
        window: WindowId(to_u32(int("window_id")?, "deliveries.window_id")?),
        sats: to_amount(int("sats")?, "deliveries.sats")?,
        outputs: to_u64(int("outputs")?, "deliveries.outputs")?,
    })
}

fn window_row<B: Backend>(row: &B::Row) -> Result<WindowRecord, StorageError> {
    let e = || query_err("decode window");
    let int = |col| B::i64(row, col).map_err(e());
    Ok(WindowRecord {
        window: WindowId(to_u32(int("window_id")?, "windows.window_id")?),
        first_height: Height(to_u32(int("first_height")?, "windows.first_height")?),
        block_count: to_u32(int("block_count")?, "windows.block_count")?,
        reward: to_amount(int("reward")?, "windows.reward")?,
        work: B::f64(row, "work").map_err(e())?,
        index: B::f64(row, "index_value").map_err(e())?,
    })
}

fn pool_share_row<B: Backend>(row: &B::Row) -> Result<PoolShare, StorageError> {
    let e = || query_err("decode pool share");
    Ok(PoolShare {
        pool: B::opt_i64(row, "pool_id")
            .map_err(e())?
            .map(|p| to_u32(p, "blocks.pool_id").map(PoolId))
            .transpose()?,
        name: B::text(row, "name").map_err(e())?,
        blocks: to_u64(B::i64(row, "blocks").map_err(e())?, "pool share count")?,
    })
}

impl<B: Backend> SqlStore<B> {
    /// Runs a read-only query on a pooled connection and decodes every row.
    async fn select<T>(
        &self,
        op: &'static str,
        sql: &str,
        args: Vec<Arg>,
        decode: fn(&B::Row) -> Result<T, StorageError>,
    ) -> Result<Vec<T>, StorageError> {
        let mut conn = self.pool.acquire().await.map_err(query_err("acquire"))?;
        rows::<B>(&mut conn, op, sql, args)
            .await?
            .iter()
            .map(decode)
            .collect()
    }
}

impl<B: Backend> DbRead for SqlStore<B> {
    async fn tip(&self) -> Result<Option<(Height, BlockHash)>, StorageError> {
        let mut conn = self.pool.acquire().await.map_err(query_err("acquire"))?;
        tip_in::<B>(&mut conn).await
    }

    async fn block_hash(&self, height: Height) -> Result<Option<BlockHash>, StorageError> {
        let hashes = self
            .select(
                "select block hash",
                "SELECT hash FROM blocks WHERE height = $1",
                vec![height.to_sql().into()],
                |r| {
                    let b = B::bytes(r, "hash").map_err(query_err("decode hash"))?;
                    to_hash(&b, "blocks.hash")
                },
            )
            .await?;
        Ok(hashes.into_iter().next())
    }

    async fn block(&self, height: Height) -> Result<Option<BlockRecord>, StorageError> {
        let sql = format!("SELECT {BLOCK_COLUMNS} FROM blocks WHERE height = $1");
        let found = self
            .select(
                "select block",
                &sql,
                vec![height.to_sql().into()],
                block_row::<B>,
            )
            .await?;
        Ok(found.into_iter().next())
    }

    async fn blocks(&self, from: Height, limit: u32) -> Result<Vec<BlockRecord>, StorageError> {
        let sql = format!(
            "SELECT {BLOCK_COLUMNS} FROM blocks WHERE height >= $1 ORDER BY height LIMIT $2"
        );
        let args = vec![from.to_sql().into(), i64::from(limit).into()];
        self.select("select blocks", &sql, args, block_row::<B>)
            .await
    }

    async fn coinbase_outputs(&self, height: Height) -> Result<Vec<OutputRecord>, StorageError> {
        self.select(
            "select outputs",
            "SELECT * FROM coinbase_outputs WHERE height = $1 ORDER BY vout",
            vec![height.to_sql().into()],
            output_row::<B>,
        )
        .await
    }

    async fn outputs_by_script(
        &self,
        script: &ScriptBuf,
        from: Height,
        to: Height,
    ) -> Result<Vec<OutputRecord>, StorageError> {
        self.select(
            "select outputs by script",
            "SELECT * FROM coinbase_outputs WHERE script_pubkey = $1 AND height >= $2 \
             AND height <= $3 ORDER BY height, vout",
            range(script.as_bytes().into(), from.to_sql(), to.to_sql()),
            output_row::<B>,
        )
        .await
    }

    async fn outputs_by_script_page(
        &self,
        script: &ScriptBuf,
        from: Height,
        to: Height,
        after: Option<OutputCursor>,
        limit: u32,
    ) -> Result<Vec<OutputRecord>, StorageError> {
        // (-1, -1) sorts before every stored (height, vout).
        let (h, v) = after.map_or((-1, -1), |c| (c.height.to_sql(), i64::from(c.vout)));
        self.select(
            "select outputs by script page",
            "SELECT * FROM coinbase_outputs WHERE script_pubkey = $1 AND height >= $2 \
             AND height <= $3 AND (height > $4 OR (height = $4 AND vout > $5)) \
             ORDER BY height, vout LIMIT $6",
            vec![
                script.as_bytes().into(),
                from.to_sql().into(),
                to.to_sql().into(),
                h.into(),
                v.into(),
                i64::from(limit).into(),
            ],
            output_row::<B>,
        )
        .await
    }

    async fn payments(
        &self,
        script: &ScriptBuf,
        from: Height,
        to: Height,
    ) -> Result<Vec<PaymentRecord>, StorageError> {
        self.select(
            "select payments",
            "SELECT * FROM tx_outputs WHERE script_pubkey = $1 AND height >= $2 \
             AND height <= $3 ORDER BY height, tx_index, vout",
            range(script.as_bytes().into(), from.to_sql(), to.to_sql()),
            payment_row::<B>,
        )
        .await
    }

    async fn watch_state(&self, script: &ScriptBuf) -> Result<WatchState, StorageError> {
        let found = self
            .select(
                "select watch state",
                "SELECT rescan_from FROM watched_scripts WHERE script_pubkey = $1",
                vec![script.as_bytes().into()],
                |r| B::opt_i64(r, "rescan_from").map_err(query_err("decode watch state")),
            )
            .await?;
        Ok(match found.first() {
            None => WatchState::Unwatched,
            Some(None) => WatchState::Scanned,
            Some(Some(h)) => {
                WatchState::Rescanning(Height(to_u32(*h, "watched_scripts.rescan_from")?))
            }
        })
    }

    async fn scan_starts(&self) -> Result<Vec<(ScriptBuf, Height)>, StorageError> {
        self.select(
            "select scan starts",
            "SELECT script_pubkey, scan_from FROM watched_scripts ORDER BY script_pubkey",
            vec![],
            |r| script_height::<B>(r, "scan_from"),
        )
        .await
    }

    async fn rescans(&self) -> Result<Vec<(ScriptBuf, Height)>, StorageError> {
        self.select(
            "select rescans",
            "SELECT script_pubkey, rescan_from FROM watched_scripts \
             WHERE rescan_from IS NOT NULL ORDER BY script_pubkey",
            vec![],
            |r| script_height::<B>(r, "rescan_from"),
        )
        .await
    }

    async fn outputs_by_address(
        &self,
        address: &str,
        from: Height,
        to: Height,
    ) -> Result<Vec<OutputRecord>, StorageError> {
        self.select(
            "select outputs by address",
            "SELECT * FROM coinbase_outputs WHERE address = $1 AND height >= $2 \
             AND height <= $3 ORDER BY height, vout",
            range(address.into(), from.to_sql(), to.to_sql()),
            output_row::<B>,
        )
        .await
    }

    async fn deliveries(
        &self,
        script: &ScriptBuf,
        from: WindowId,
        to: WindowId,
    ) -> Result<Vec<Delivery>, StorageError> {
        self.select(
            "select deliveries",
            "SELECT window_id, sats, outputs FROM deliveries WHERE script_pubkey = $1 \
             AND window_id >= $2 AND window_id <= $3 ORDER BY window_id",
            range(script.as_bytes().into(), from.to_sql(), to.to_sql()),
            delivery_row::<B>,
        )
        .await
    }

    async fn delivered_by_window(
        &self,
        script: &ScriptBuf,
        from: Height,
        to: Height,
    ) -> Result<Vec<Delivery>, StorageError> {
        self.select(
            "compute deliveries",
            "SELECT b.window_id AS window_id, CAST(SUM(o.value) AS BIGINT) AS sats, \
             COUNT(*) AS outputs FROM (SELECT height, script_pubkey, value FROM coinbase_outputs \
             UNION ALL SELECT height, script_pubkey, value FROM tx_outputs) o \
             JOIN blocks b ON b.height = o.height \
             WHERE o.script_pubkey = $1 AND o.height >= $2 AND o.height <= $3 \
             AND b.window_id IS NOT NULL GROUP BY b.window_id ORDER BY b.window_id",
            range(script.as_bytes().into(), from.to_sql(), to.to_sql()),
            delivery_row::<B>,
        )
        .await
    }

    async fn windows(
        &self,
        from: WindowId,
        to: WindowId,
    ) -> Result<Vec<WindowRecord>, StorageError> {
        self.select(
            "select windows",
            "SELECT * FROM windows WHERE window_id >= $1 AND window_id <= $2 ORDER BY window_id",
            vec![from.to_sql().into(), to.to_sql().into()],
            window_row::<B>,
        )
        .await
    }

    async fn pool_shares(&self, from: Height, to: Height) -> Result<Vec<PoolShare>, StorageError> {
        self.select(
            "select pool shares",
            "SELECT b.pool_id AS pool_id, COALESCE(p.name, 'unknown') AS name, \
             COUNT(*) AS blocks FROM blocks b LEFT JOIN pools p ON p.id = b.pool_id \
             WHERE b.height >= $1 AND b.height <= $2 \
             GROUP BY b.pool_id, p.name ORDER BY COUNT(*) DESC, b.pool_id",
            vec![from.to_sql().into(), to.to_sql().into()],
            pool_share_row::<B>,
        )
        .await
    }

    async fn watched_scripts(&self) -> Result<Vec<ScriptBuf>, StorageError> {
        self.select(
            "select watched",
            "SELECT script_pubkey FROM watched_scripts ORDER BY script_pubkey",
            vec![],
            |r| {
                B::bytes(r, "script_pubkey")
                    .map(ScriptBuf::from_bytes)
                    .map_err(query_err("decode watched"))
            },
        )
        .await
    }

    fn window_spec(&self) -> WindowSpec {
        self.spec
    }
}
