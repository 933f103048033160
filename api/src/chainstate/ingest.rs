//! Writing: one announced block per transaction. A block extending the canonical tip
//! applies its events to the derived tables; a block on another fork that is at least
//! as high as the tip becomes the tip, the blocks it displaces become non-canonical,
//! and the derived tables are rebuilt from the canonical chain's events in the same
//! transaction, so readers see either the old chain's state or the new one's.

use alkahest_indexer::storage::{exec, row, rows, Arg, Backend, StorageError};
use clarity::codec::StacksMessageCodec;
use clarity::vm::Value;

use super::model::{amm_change, silica_change, AmmChange, Print, SilicaChange};
use super::store::{load_pool, load_settlement, save_pool, save_settlement, save_silica, Text};
use super::{ChainError, Contracts, Ingested, StacksBlock};

/// A change to the derived tables, computed from a print before any database work.
pub(crate) enum Change {
    Silica(SilicaChange),
    Amm(AmmChange),
}

/// The derived-table changes of a print by one of our contracts, in order.
///
/// # Errors
/// A known topic with a malformed field.
pub(crate) fn change_of(
    contracts: &Contracts,
    contract_id: &str,
    value: &Value,
) -> Result<Option<Change>, ChainError> {
    let Some(p) = Print::of(contract_id, value) else {
        return Ok(None);
    };
    Ok(if contract_id == contracts.silica {
        silica_change(&p)?.map(Change::Silica)
    } else if contract_id == contracts.amm_pool {
        amm_change(&p)?.map(Change::Amm)
    } else {
        None
    })
}

fn i64_of(v: u64, what: &'static str) -> Result<i64, ChainError> {
    i64::try_from(v).map_err(|_| ChainError::Payload(format!("{what} {v} is out of range")))
}

/// Ingests `block` (already validated, see [`super::StacksBlock`]) in one transaction.
pub(crate) async fn ingest<B: Backend>(
    pool: &sqlx::Pool<B>,
    contracts: &Contracts,
    block: &StacksBlock,
) -> Result<Ingested, ChainError> {
    let begin = |e| StorageError::Query {
        op: "begin",
        source: e,
    };
    // Every print is checked before the transaction opens: a malformed one changes
    // nothing.
    let mut changes = Vec::new();
    for e in &block.events {
        if let Some(c) = change_of(contracts, &e.contract_id, &e.value)? {
            changes.push(c);
        }
    }
    let height = i64_of(block.block_height, "block_height")?;
    let mut tx = pool.begin().await.map_err(begin)?;
    let known = row::<B>(
        &mut tx,
        "find block",
        "SELECT canonical FROM stacks_blocks WHERE index_block_hash = $1",
        vec![block.index_block_hash.clone().into()],
    )
    .await?;
    if known.is_some() {
        return Ok(Ingested::Duplicate);
    }
    let tip = row::<B>(
        &mut tx,
        "tip",
        "SELECT index_block_hash, block_height FROM stacks_blocks WHERE canonical \
         ORDER BY block_height DESC LIMIT 1",
        vec![],
    )
    .await?;
    let (tip_hash, tip_height) = match &tip {
        Some(r) => (
            Some(B::text(r, "index_block_hash").map_err(q("tip"))?),
            B::i64(r, "block_height").map_err(q("tip"))?,
        ),
        None => (None, -1),
    };
    let extends = tip_hash
        .as_deref()
        .is_none_or(|t| t == block.parent_index_block_hash);
    let outcome = if extends {
        Ingested::Extended
    } else if height >= tip_height {
        Ingested::Reorg
    } else {
        Ingested::Orphan
    };
    insert_block::<B>(&mut tx, block, height, outcome != Ingested::Orphan).await?;
    match outcome {
        Ingested::Extended => {
            for c in &changes {
                apply::<B>(&mut tx, c).await?;
            }
        }
        Ingested::Reorg => {
            make_canonical::<B>(&mut tx, block).await?;
            rederive::<B>(&mut tx, contracts).await?;
        }
        _ => {}
    }
    tx.commit().await.map_err(q("commit"))?;
    Ok(outcome)
}

fn q(op: &'static str) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |source| StorageError::Query { op, source }
}

async fn insert_block<B: Backend>(
    conn: &mut B::Connection,
    block: &StacksBlock,
    height: i64,
    canonical: bool,
) -> Result<(), ChainError> {
    exec::<B>(
        conn,
        "insert block",
        "INSERT INTO stacks_blocks (index_block_hash, parent_index_block_hash, block_hash, \
         block_height, burn_block_hash, burn_block_height, burn_block_time, canonical) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            block.index_block_hash.clone().into(),
            block.parent_index_block_hash.clone().into(),
            block.block_hash.clone().into(),
            height.into(),
            block.burn_block_hash.clone().into(),
            i64_of(block.burn_block_height, "burn_block_height")?.into(),
            i64_of(block.burn_block_time, "burn_block_time")?.into(),
            canonical.into(),
        ],
    )
    .await?;
    for e in &block.events {
        exec::<B>(
            conn,
            "insert event",
            "INSERT INTO contract_events (index_block_hash, event_index, txid, contract_id, \
             topic, raw_value) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                block.index_block_hash.clone().into(),
                i64_of(e.event_index, "event_index")?.into(),
                e.txid.clone().into(),
                e.contract_id.clone().into(),
                e.topic.clone().into(),
                e.raw_value.clone().into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Marks `block`'s ancestry canonical down to the fork point and everything above
/// the fork point on the old chain non-canonical.
async fn make_canonical<B: Backend>(
    conn: &mut B::Connection,
    block: &StacksBlock,
) -> Result<(), ChainError> {
    let mut branch = vec![block.index_block_hash.clone()];
    let mut cursor = block.parent_index_block_hash.clone();
    let mut fork_height = -1;
    while let Some(r) = row::<B>(
        conn,
        "walk fork",
        "SELECT parent_index_block_hash, block_height, canonical FROM stacks_blocks \
         WHERE index_block_hash = $1",
        vec![cursor.clone().into()],
    )
    .await?
    {
        if B::bool(&r, "canonical").map_err(q("walk fork"))? {
            fork_height = B::i64(&r, "block_height").map_err(q("walk fork"))?;
            break;
        }
        branch.push(cursor);
        cursor = B::text(&r, "parent_index_block_hash").map_err(q("walk fork"))?;
    }
    exec::<B>(
        conn,
        "displace",
        "UPDATE stacks_blocks SET canonical = $1 WHERE canonical AND block_height > $2",
        vec![false.into(), fork_height.into()],
    )
    .await?;
    for hash in branch {
        exec::<B>(
            conn,
            "adopt",
            "UPDATE stacks_blocks SET canonical = $1 WHERE index_block_hash = $2",
            vec![true.into(), hash.into()],
        )
        .await?;
    }
    Ok(())
}

/// Empties the derived tables and replays every canonical event in chain order.
/// Reorgs are rare and short on Stacks, so replaying everything is the simple way to
/// be exactly right; it stays linear in the number of our contracts' events.
async fn rederive<B: Backend>(
    conn: &mut B::Connection,
    contracts: &Contracts,
) -> Result<(), ChainError> {
    for table in [
        "silicas",
        "silica_windows",
        "silica_settlements",
        "amm_pools",
    ] {
        exec::<B>(
            conn,
            "clear derived",
            &format!("DELETE FROM {table}"),
            vec![],
        )
        .await?;
    }
    let events = rows::<B>(
        conn,
        "canonical events",
        "SELECT e.contract_id, e.raw_value FROM contract_events e \
         JOIN stacks_blocks b ON b.index_block_hash = e.index_block_hash \
         WHERE b.canonical ORDER BY b.block_height, e.event_index",
        vec![],
    )
    .await?;
    for r in events {
        let contract = B::text(&r, "contract_id").map_err(q("canonical events"))?;
        let raw = B::bytes(&r, "raw_value").map_err(q("canonical events"))?;
        let value = Value::consensus_deserialize(&mut raw.as_slice())
            .map_err(|_| StorageError::Corrupt("contract_events.raw_value"))?;
        if let Some(c) = change_of(contracts, &contract, &value)? {
            apply::<B>(conn, &c).await?;
        }
    }
    Ok(())
}

async fn apply<B: Backend>(conn: &mut B::Connection, change: &Change) -> Result<(), ChainError> {
    match change {
        Change::Silica(c) => apply_silica::<B>(conn, c).await,
        Change::Amm(AmmChange::Create(p)) => save_pool::<B>(conn, p).await,
        Change::Amm(AmmChange::Update(id, u)) => {
            // An update of a pool never created is not ours to invent: skipped.
            if let Some(mut p) = load_pool::<B>(conn, *id).await? {
                p.apply(u);
                save_pool::<B>(conn, &p).await?;
            }
            Ok(())
        }
    }
}

async fn set_silica<B: Backend>(
    conn: &mut B::Connection,
    id: u32,
    sets: &str,
    mut args: Vec<Arg>,
) -> Result<(), ChainError> {
    let n = args.len() + 1;
    args.push(i64::from(id).into());
    exec::<B>(
        conn,
        "update silica",
        &format!("UPDATE silicas SET {sets} WHERE id = ${n}"),
        args,
    )
    .await?;
    Ok(())
}

async fn apply_silica<B: Backend>(
    conn: &mut B::Connection,
    change: &SilicaChange,
) -> Result<(), ChainError> {
    use SilicaChange as C;
    match change {
        C::Create(s) => save_silica::<B>(conn, s).await,
        C::Status(id, status) => {
            set_silica::<B>(conn, *id, "status = $1", vec![(*status).into()]).await
        }
        C::Sold(id, sold) => set_silica::<B>(conn, *id, "sold = $1", vec![sold.text()]).await,
        C::Start(id, collateral) => {
            set_silica::<B>(
                conn,
                *id,
                "status = $1, collateral = $2",
                vec!["RUNNING".into(), collateral.text()],
            )
            .await
        }
        C::Window(id, w) => {
            exec::<B>(
                conn,
                "upsert window",
                "INSERT INTO silica_windows (silica_id, window_number, delivered, due, \
                 index_value) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (silica_id, window_number) \
                 DO UPDATE SET delivered = $3, due = $4, index_value = $5",
                vec![
                    i64::from(*id).into(),
                    i64::from(w.window).into(),
                    w.delivered.text(),
                    w.due.text(),
                    w.index.text(),
                ],
            )
            .await?;
            Ok(())
        }
        C::Settle {
            id,
            status,
            pool,
            miner_amount,
            collected,
            shares,
        } => {
            let shares = match shares {
                Some(s) => *s,
                None => super::store::load_silica_row::<B>(conn, *id)
                    .await?
                    .map_or(0, |s| s.sold),
            };
            set_silica::<B>(conn, *id, "status = $1", vec![(*status).into()]).await?;
            let st = super::model::SettlementRow {
                buyers_pool: *pool,
                shares,
                miner_amount: *miner_amount,
                collected: *collected,
            };
            save_settlement::<B>(conn, *id, &st).await
        }
        C::Redeem(id, pool_left, burnt) => {
            if let Some(mut st) = load_settlement::<B>(conn, *id).await? {
                st.buyers_pool = *pool_left;
                st.shares = st.shares.saturating_sub(*burnt);
                save_settlement::<B>(conn, *id, &st).await?;
            }
            Ok(())
        }
        C::SettleNet {
            id,
            pool,
            miner_amount,
        } => {
            if let Some(mut st) = load_settlement::<B>(conn, *id).await? {
                st.buyers_pool = *pool;
                st.miner_amount = *miner_amount;
                save_settlement::<B>(conn, *id, &st).await?;
            }
            Ok(())
        }
        C::Collect(id) => {
            if let Some(mut st) = load_settlement::<B>(conn, *id).await? {
                st.collected = true;
                save_settlement::<B>(conn, *id, &st).await?;
            }
            Ok(())
        }
    }
}
