//! The devnet's Bitcoin: a regtest chain of real consensus blocks (the indexer's
//! generator), mined by simulated pools, persisted to `<data>/bitcoin/blocks.bin` so a
//! restart continues the same chain.
//!
//! Every block's coinbase is built from a [`CoinbaseSpec`]: a pool tag, the payouts of
//! that pool (a TIDES-style pool pays Silica payout scripts directly), and any sBTC
//! deposits the devnet is making that block.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use alkahest_indexer::source::regtest::{block_bytes, ChainBuilder, CoinbaseSpec};
use alkahest_indexer::types::Height;
use anyhow::Context;
use bitcoin::consensus::deserialize;
use bitcoin::{Block, BlockHash};

/// Simulated pools, mined round-robin; the TIDES pool's tag comes first so it finds the
/// first block.
pub const POOLS: [&str; 3] = ["/OCEAN.XYZ/", "Foundry USA Pool", "/AntPool/"];

/// A regtest chain shared with the indexer followers, persisted block by block.
pub struct Bitcoin {
    chain: Arc<Mutex<ChainBuilder>>,
    file: PathBuf,
}

impl Bitcoin {
    /// Opens the chain in `data_dir`, re-importing every persisted block.
    ///
    /// # Errors
    /// An unreadable or corrupt block file.
    pub fn open(data_dir: &Path) -> anyhow::Result<Bitcoin> {
        let dir = data_dir.join("bitcoin");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let file = dir.join("blocks.bin");
        let mut builder = ChainBuilder::new();
        if file.is_file() {
            let mut bytes = Vec::new();
            File::open(&file)?.read_to_end(&mut bytes)?;
            let mut at = 0usize;
            while at + 4 <= bytes.len() {
                let len = u32::from_le_bytes(bytes[at..at + 4].try_into()?) as usize;
                let Some(raw) = bytes.get(at + 4..at + 4 + len) else {
                    // A torn final write (killed mid-append): the block was never used.
                    break;
                };
                let block: Block = deserialize(raw).context("corrupt block in blocks.bin")?;
                builder
                    .import(block)
                    .context("blocks.bin does not chain from genesis")?;
                at += 4 + len;
            }
        }
        Ok(Bitcoin {
            chain: Arc::new(Mutex::new(builder)),
            file,
        })
    }

    /// The shared chain, for [`alkahest_indexer::source::RegtestSource`].
    pub fn shared(&self) -> Arc<Mutex<ChainBuilder>> {
        self.chain.clone()
    }

    /// The tip height and hash.
    pub fn tip(&self) -> (Height, BlockHash) {
        self.chain.lock().unwrap_or_else(|p| p.into_inner()).tip()
    }

    /// Mines the next block and appends it to the block file.
    ///
    /// # Errors
    /// Payouts above subsidy plus fees, or a failed write.
    pub fn mine(&self, spec: &CoinbaseSpec) -> anyhow::Result<(Height, Block)> {
        let mut chain = self.chain.lock().unwrap_or_else(|p| p.into_inner());
        let hash = chain.mine_on_tip(spec)?;
        let block = chain.block(&hash).expect("just mined").clone();
        let height = chain.height_of(&hash).expect("just mined");
        drop(chain);
        let raw = block_bytes(&block);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)?;
        let mut framed = (raw.len() as u32).to_le_bytes().to_vec();
        framed.extend_from_slice(&raw);
        f.write_all(&framed)?;
        f.sync_data()?;
        Ok((height, block))
    }
}
