//! The API's chain-state store: Stacks blocks and the `print` events of our contracts
//! as a stacks-node event observer receives them ([`crate::observer`]), and the tables
//! derived from them (Silicas, their windows and settlements, AMM pools), in the API's
//! own SQLite or PostgreSQL database. Routes read it with plain queries, so serving
//! `/v1/silica` costs no Clarity execution and scales with the database.
//!
//! Ingest is idempotent per `index_block_hash` and follows Stacks forks: see
//! [`ingest`]'s module doc. The SQL goes through the indexer's generic [`Backend`]
//! layer, so one body of code runs on both databases.

mod ingest;
pub mod model;
mod store;

use std::str::FromStr;

use alkahest_indexer::storage::{Backend, StorageError};
use clarity::vm::Value;
use sqlx::{Pool, Postgres, Sqlite};

use crate::routes::silica::{AttestedWindow, Settlement, SilicaView};
use model::{AmmPoolRow, ShapeError, SilicaRow};

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Every table, for [`ChainStore::counts`].
pub const TABLES: [&str; 6] = [
    "stacks_blocks",
    "contract_events",
    "silicas",
    "silica_windows",
    "silica_settlements",
    "amm_pools",
];

/// Why a chain-state operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The payload is malformed (the observer answers 400 with this message).
    #[error("{0}")]
    Payload(String),
    /// A print of our contracts has an unexpected shape (also the sender's fault).
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ChainError {
    /// Whether the sender of the payload is at fault (a 400, not a 500).
    pub fn is_client_error(&self) -> bool {
        matches!(self, ChainError::Payload(_) | ChainError::Shape(_))
    }
}

/// The contracts whose events are stored: every contract of the deployer; the derived
/// tables come from `silica` and `amm-pool`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contracts {
    /// The deployer address; events of `<deployer>.*` are kept.
    pub deployer: String,
    /// `<deployer>.silica`.
    pub silica: String,
    /// `<deployer>.amm-pool`.
    pub amm_pool: String,
}

impl Contracts {
    /// The contracts deployed by `deployer` (a configuration value).
    pub fn of_deployer(deployer: &str) -> Contracts {
        Contracts {
            deployer: deployer.to_owned(),
            silica: format!("{deployer}.silica"),
            amm_pool: format!("{deployer}.amm-pool"),
        }
    }

    /// Whether events of `contract_id` are stored.
    pub fn follows(&self, contract_id: &str) -> bool {
        contract_id
            .split_once('.')
            .is_some_and(|(addr, _)| addr == self.deployer)
    }
}

/// A Stacks block as the store ingests it: the announced fields, validated, and the
/// print events of followed contracts with their decoded values. Hashes are lowercase
/// hex without `0x`.
#[derive(Debug, Clone, PartialEq)]
pub struct StacksBlock {
    /// `index_block_hash`.
    pub index_block_hash: String,
    /// `parent_index_block_hash`.
    pub parent_index_block_hash: String,
    /// `block_hash`.
    pub block_hash: String,
    /// Stacks height.
    pub block_height: u64,
    /// Burn block hash.
    pub burn_block_hash: String,
    /// Burn height.
    pub burn_block_height: u64,
    /// Burn block time, Unix seconds.
    pub burn_block_time: u64,
    /// Followed print events, in block order.
    pub events: Vec<ChainEvent>,
}

/// One `print` of a followed contract.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainEvent {
    /// Index of the event in the block.
    pub event_index: u64,
    /// Transaction id, hex.
    pub txid: String,
    /// `address.name`.
    pub contract_id: String,
    /// The event topic (`print`).
    pub topic: String,
    /// The consensus-serialised value.
    pub raw_value: Vec<u8>,
    /// The decoded value.
    pub value: Value,
}

/// What ingesting a block did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// It extended the canonical tip.
    Extended,
    /// It was already stored: nothing changed.
    Duplicate,
    /// It replaced part of the canonical chain; the derived state was rebuilt.
    Reorg,
    /// It is on a fork lower than the tip: stored, not canonical.
    Orphan,
}

enum Db {
    /// SQLite: ingest writes through `write` (one connection: a file has one writer,
    /// and two connections upgrading read transactions to writes would deadlock);
    /// routes read through `read`, several connections reading the WAL concurrently
    /// beside the writer. For `sqlite::memory:` both are the same single connection,
    /// since an in-memory database exists per connection.
    Sqlite {
        write: Pool<Sqlite>,
        read: Pool<Sqlite>,
    },
    Postgres(Pool<Postgres>),
}

/// Reading connections of a SQLite file: two per core of this machine class is
/// plenty, since SQLite reads are CPU-bound once the pages are cached.
const SQLITE_READERS: u32 = 4;

/// Runs `$body` with `$conn` a pooled connection of whichever database is open.
macro_rules! with_conn {
    ($self:ident, $conn:ident, $B:ident => $body:expr) => {
        match &$self.db {
            Db::Sqlite { read: pool, .. } => {
                type $B = Sqlite;
                let mut $conn = acquire(pool).await?;
                $body
            }
            Db::Postgres(pool) => {
                type $B = Postgres;
                let mut $conn = acquire(pool).await?;
                $body
            }
        }
    };
}

async fn acquire<B: Backend>(pool: &Pool<B>) -> Result<sqlx::pool::PoolConnection<B>, ChainError> {
    pool.acquire().await.map_err(|source| {
        ChainError::Storage(StorageError::Query {
            op: "acquire",
            source,
        })
    })
}

/// The chain-state store.
pub struct ChainStore {
    db: Db,
    contracts: Contracts,
}

impl ChainStore {
    /// Opens (creating and migrating) the database at `url`: `sqlite://path`,
    /// `sqlite::memory:` or `postgres://...`.
    ///
    /// # Errors
    /// An unreachable database or a failed migration.
    pub async fn open(url: &str, contracts: Contracts) -> Result<ChainStore, StorageError> {
        let connect = |source| StorageError::Connect {
            url: url.split('@').next_back().unwrap_or(url).to_owned(),
            source,
        };
        let db = if url.starts_with("postgres") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .connect(url)
                .await
                .map_err(connect)?;
            PG_MIGRATOR
                .run(&pool)
                .await
                .map_err(StorageError::Migrate)?;
            Db::Postgres(pool)
        } else {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .map_err(connect)?
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(std::time::Duration::from_secs(30));
            let write = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await
                .map_err(connect)?;
            SQLITE_MIGRATOR
                .run(&write)
                .await
                .map_err(StorageError::Migrate)?;
            let read = if url.contains(":memory:") {
                write.clone()
            } else {
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(SQLITE_READERS)
                    .connect_with(options)
                    .await
                    .map_err(connect)?
            };
            Db::Sqlite { write, read }
        };
        Ok(ChainStore { db, contracts })
    }

    /// The followed contracts.
    pub fn contracts(&self) -> &Contracts {
        &self.contracts
    }

    /// Ingests one block in one transaction.
    ///
    /// # Errors
    /// [`ChainError::is_client_error`] for a malformed block (nothing changed), else a
    /// database failure.
    pub async fn ingest(&self, block: &StacksBlock) -> Result<Ingested, ChainError> {
        match &self.db {
            Db::Sqlite { write, .. } => ingest::ingest(write, &self.contracts, block).await,
            Db::Postgres(p) => ingest::ingest(p, &self.contracts, block).await,
        }
    }

    /// Row counts of every table, in [`TABLES`] order.
    ///
    /// # Errors
    /// A database failure.
    pub async fn counts(&self) -> Result<Vec<(&'static str, i64)>, ChainError> {
        with_conn!(self, c, B => store::counts::<B>(&mut c).await)
    }

    /// The canonical tip: height and index block hash.
    ///
    /// # Errors
    /// A database failure.
    pub async fn tip(&self) -> Result<Option<(u64, String)>, ChainError> {
        let sql = "SELECT block_height, index_block_hash FROM stacks_blocks WHERE canonical \
                   ORDER BY block_height DESC LIMIT 1";
        with_conn!(self, c, B => {
            let r = alkahest_indexer::storage::row::<B>(&mut c, "tip", sql, vec![]).await?;
            let read = |r: &<B as sqlx::Database>::Row| -> Result<(u64, String), sqlx::Error> {
                Ok((<B as Backend>::i64(r, "block_height")?.unsigned_abs(),
                    <B as Backend>::text(r, "index_block_hash")?))
            };
            r.map(|r| read(&r))
                .transpose()
                .map_err(|source| StorageError::Query { op: "tip", source }.into())
        })
    }

    /// Silica `id`, with its attested windows and settlement.
    ///
    /// # Errors
    /// A database failure.
    pub async fn silica(&self, id: u32) -> Result<Option<SilicaView>, ChainError> {
        with_conn!(self, c, B => {
            match store::load_silica_row::<B>(&mut c, id).await? {
                Some(row) => Ok(Some(view::<B>(&mut c, row).await?)),
                None => Ok(None),
            }
        })
    }

    /// Up to `limit` Silicas with ids from `from`, of `status` if given, by id.
    ///
    /// # Errors
    /// A database failure.
    pub async fn silicas(
        &self,
        status: Option<&str>,
        from: u32,
        limit: u32,
    ) -> Result<Vec<SilicaView>, ChainError> {
        with_conn!(self, c, B => {
            let found = store::list_silica_rows::<B>(&mut c, status, from, limit).await?;
            let mut out = Vec::with_capacity(found.len());
            for row in found {
                out.push(view::<B>(&mut c, row).await?);
            }
            Ok(out)
        })
    }

    /// Every AMM pool, by id.
    ///
    /// # Errors
    /// A database failure.
    pub async fn amm_pools(&self) -> Result<Vec<AmmPoolRow>, ChainError> {
        with_conn!(self, c, B => store::list_pools::<B>(&mut c).await)
    }

    /// AMM pool `id`.
    ///
    /// # Errors
    /// A database failure.
    pub async fn amm_pool(&self, id: u32) -> Result<Option<AmmPoolRow>, ChainError> {
        with_conn!(self, c, B => store::load_pool::<B>(&mut c, id).await)
    }
}

async fn view<B: Backend>(
    conn: &mut B::Connection,
    row: SilicaRow,
) -> Result<SilicaView, ChainError> {
    let attested = store::load_windows::<B>(conn, row.id)
        .await?
        .into_iter()
        .map(|w| AttestedWindow {
            window: w.window,
            delivered: w.delivered,
            due: w.due,
            index: w.index,
        })
        .collect();
    let settlement = store::load_settlement::<B>(conn, row.id)
        .await?
        .map(|s| Settlement {
            buyers_pool: s.buyers_pool,
            shares: s.shares,
            miner_amount: s.miner_amount,
            collected: s.collected,
        });
    Ok(SilicaView {
        id: u128::from(row.id),
        status: row.status,
        miner: row.miner,
        hashrate: row.hashrate,
        sold: row.sold,
        windows: row.windows,
        start: row.start,
        window_length: row.window_length,
        price: row.price,
        collateral: row.collateral,
        payout_script: row.payout_script,
        attested,
        settlement,
    })
}
