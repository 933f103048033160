//! # alkahest-indexer
//!
//! Follows Bitcoin and indexes what Alkahest needs from every block: the header and the
//! coinbase, the pool that mined it, the per-window hashprice index
//! `86400·10^12·reward_W / work_W` (sats per TH/s·day), and the sats each watched payout
//! script received per window, in the coinbase or in an ordinary transaction (found
//! through BIP158 filters: other transactions are decoded only when a block's filter
//! matches a watched script). It survives reorgs (one transaction
//! per reorg) and crashes (one transaction per batch, resumed from the stored tip).
//!
//! Modules: [`coinbase`] parses and validates, [`payouts`] finds payouts outside the
//! coinbase, [`source`] provides blocks and filters (Core RPC, Core REST, `blk*.dat`,
//! and a regtest generator), [`chain`] follows a source,
//! [`storage`] persists to SQLite or PostgreSQL, [`config`] loads settings.
//! See `indexer/README.md` for configuration and `indexer/docs/schema.md` for tables.
//!
//! ```
//! use alkahest_indexer::chain::{Follower, FollowerConfig};
//! use alkahest_indexer::coinbase::PoolSet;
//! use alkahest_indexer::source::regtest::{ChainBuilder, CoinbaseSpec};
//! use alkahest_indexer::source::RegtestSource;
//! use alkahest_indexer::storage::{DbRead, DbWrite, SqliteStore};
//! use alkahest_indexer::types::{Height, WindowId, WindowSpec};
//! use bitcoin::{Amount, Network, ScriptBuf};
//! use std::sync::{Arc, Mutex};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! // A Silica payout script receives 1,000 sats in each of 12 generated blocks.
//! let payout = ScriptBuf::from_hex("0014751e76e8199196d454941c45d1b3a323f1433bd6").unwrap();
//! let mut chain = ChainBuilder::new();
//! let spec = CoinbaseSpec::default().pay(payout.clone(), Amount::from_sat(1_000));
//! for _ in 0..12 {
//!     chain.mine_on_tip(&spec).unwrap();
//! }
//! let source = RegtestSource::new(Arc::new(Mutex::new(chain)));
//! let windows = WindowSpec { origin: Height(1), length: 6 };
//! let store = SqliteStore::open("sqlite::memory:", windows, true).await.unwrap();
//! store.watch_script(&payout, "silica-1", Height(1)).await.unwrap();
//! let config = FollowerConfig { network: Network::Regtest, ..Default::default() };
//! let mut follower = Follower::new(source, store, PoolSet::default(), config);
//! follower.sync().await.unwrap();
//! let store = follower.store();
//! assert_eq!(store.tip().await.unwrap().unwrap().0, Height(12));
//! let delivered = store.deliveries(&payout, WindowId(0), WindowId(9)).await.unwrap();
//! assert_eq!(delivered.len(), 2);
//! assert_eq!(delivered[0].sats, Amount::from_sat(6_000));
//! # });
//! ```

#![deny(missing_docs)]

pub mod chain;
pub mod coinbase;
pub mod config;
pub mod payouts;
pub mod service;
pub mod source;
pub mod storage;
pub mod types;
