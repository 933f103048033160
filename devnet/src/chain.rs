//! The devnet's Bitcoin: a regtest chain of real consensus blocks (the indexer's
//! generator), mined by simulated pools, persisted to `<data>/bitcoin/blocks.bin` so a
//! restart continues the same chain.
//!
//! Every block's coinbase is built from a [`CoinbaseSpec`]: a pool tag, the payouts of
//! that pool (a TIDES-style pool pays Silica payout scripts directly), and any sBTC
//! deposits the devnet is making that block. The FPPS pool pays once per window in an
//! ordinary transaction ([`fpps_payout`]), as Foundry and most large pools do daily.

use bitcoin::hashes::Hash as _;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::regtest::{block_bytes, payment_tx, ChainBuilder, CoinbaseSpec};
use alkahest_indexer::types::Height;
use anyhow::Context;
use bitcoin::consensus::deserialize;
use bitcoin::{Amount, Block, BlockHash, ScriptBuf, Transaction, TxOut};

/// Simulated pools, mined round-robin; the TIDES pool's tag comes first so it finds the
/// first block.
pub const POOLS: [&str; 3] = ["/OCEAN.XYZ/", "Foundry USA Pool", "/AntPool/"];

/// Display names of [`POOLS`], in the same order.
const POOL_NAMES: [&str; 3] = ["OCEAN", "Foundry USA", "AntPool"];

/// The simulated pools as a mempool.space `pools-v2.json` list (devnet ids 1, 2, 3;
/// each tag matched literally), so the indexers name the devnet's blocks the way they
/// name mainnet's and the API's pool shares are the devnet's real mix.
pub fn pools_json() -> String {
    let literal = |tag: &str| {
        tag.chars().fold(String::new(), |mut out, c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
            out
        })
    };
    let list: Vec<serde_json::Value> = POOLS
        .iter()
        .zip(POOL_NAMES)
        .enumerate()
        .map(|(i, (tag, name))| {
            serde_json::json!({"id": i + 1, "name": name, "link": "", "addresses": [], "tags": [literal(tag)]})
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// The FPPS pool's change script (a P2WPKH of its own).
fn fpps_change_script() -> ScriptBuf {
    let mut bytes = vec![0x00, 0x14];
    bytes.extend_from_slice(&[0xf0; 20]);
    ScriptBuf::from_bytes(bytes)
}

/// The FPPS pool's payout to `script` in window-closing block `height`: an ordinary
/// segwit transaction paying `value` to the script and change back to the pool.
///
/// Its input spends a made-up outpoint (derived from the height) with a placeholder
/// witness ([`payment_tx`]): the devnet has no UTXO set and no wallet, and neither the indexer nor the
/// `btc-proof` contract reads what an input spends, only the transaction's outputs and
/// its inclusion in the block. A full node would reject the block; see
/// [`CoinbaseSpec::txs`].
pub fn fpps_payout(height: u32, script: &ScriptBuf, value: Amount) -> Transaction {
    let mut seed = b"devnet fpps payout ".to_vec();
    seed.extend_from_slice(&height.to_le_bytes());
    let outputs = vec![
        TxOut {
            value,
            script_pubkey: script.clone(),
        },
        TxOut {
            value: Amount::from_sat(1_234_567),
            script_pubkey: fpps_change_script(),
        },
    ];
    payment_tx(&seed, outputs)
}

/// [`pools_json`] parsed.
pub fn pool_set() -> PoolSet {
    PoolSet::from_json(&pools_json()).expect("the devnet's pools list is valid JSON")
}

/// A regtest chain shared with the indexer followers, persisted block by block.
pub struct Bitcoin {
    chain: Arc<Mutex<ChainBuilder>>,
    file: PathBuf,
}

impl Bitcoin {
    /// Opens the chain in `data_dir`, re-importing every persisted block. A torn final
    /// record (the devnet was killed mid-append) is cut off with a warning, so the next
    /// block is appended to a clean file; the torn block was never used by anything.
    ///
    /// # Errors
    /// An unreadable file, or a corrupt block before the tail.
    pub fn open(data_dir: &Path) -> anyhow::Result<Bitcoin> {
        let dir = data_dir.join("bitcoin");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let file = dir.join("blocks.bin");
        let mut builder = ChainBuilder::new();
        if file.is_file() {
            let mut bytes = Vec::new();
            File::open(&file)?.read_to_end(&mut bytes)?;
            let mut at = 0usize;
            while at < bytes.len() {
                let torn = || {
                    tracing::warn!(
                        "{}: torn record at byte {at} of {} (interrupted write); truncating",
                        file.display(),
                        bytes.len()
                    );
                };
                let Some(prefix) = bytes.get(at..at + 4) else {
                    torn();
                    break;
                };
                let len = u32::from_le_bytes(prefix.try_into()?) as usize;
                let Some(raw) = bytes.get(at + 4..at + 4 + len) else {
                    torn();
                    break;
                };
                let block: Block = deserialize(raw).context("corrupt block in blocks.bin")?;
                builder
                    .import(block)
                    .context("blocks.bin does not chain from genesis")?;
                at += 4 + len;
            }
            if at < bytes.len() {
                OpenOptions::new()
                    .write(true)
                    .open(&file)?
                    .set_len(at as u64)
                    .with_context(|| format!("truncating {}", file.display()))?;
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

    /// The best chain's block hashes by height in display byte order (what
    /// `get-burn-block-info? header-hash` returns on Stacks).
    pub fn display_hashes(&self) -> Vec<[u8; 32]> {
        let chain = self.chain.lock().unwrap_or_else(|p| p.into_inner());
        chain
            .best_chain()
            .iter()
            .map(|b| {
                let mut hash = b.block_hash().to_byte_array();
                hash.reverse();
                hash
            })
            .collect()
    }

    /// The best chain's block at `height`, for building proofs of it.
    pub fn block_at(&self, height: u32) -> Option<Block> {
        let chain = self.chain.lock().unwrap_or_else(|p| p.into_inner());
        chain
            .best_chain()
            .get(height as usize)
            .map(|b| (*b).clone())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_tail_is_truncated_and_the_chain_keeps_growing() {
        let dir = tempfile::tempdir().unwrap();
        let btc = Bitcoin::open(dir.path()).unwrap();
        for _ in 0..3 {
            btc.mine(&CoinbaseSpec::default()).unwrap();
        }
        let file = dir.path().join("bitcoin/blocks.bin");
        let whole = std::fs::metadata(&file).unwrap().len();
        // Killed mid-append: half a length prefix, then half a record.
        for torn in [&[0x51, 0x01][..], &[0xff, 0x00, 0x00, 0x00, 0x01, 0x02][..]] {
            let mut f = OpenOptions::new().append(true).open(&file).unwrap();
            f.write_all(torn).unwrap();
            drop(f);
            let btc = Bitcoin::open(dir.path()).unwrap();
            assert_eq!(btc.tip().0, Height(3));
            assert_eq!(std::fs::metadata(&file).unwrap().len(), whole);
        }
        // The next block lands on a clean file, and a restart reads all four.
        let btc = Bitcoin::open(dir.path()).unwrap();
        btc.mine(&CoinbaseSpec::default()).unwrap();
        assert_eq!(Bitcoin::open(dir.path()).unwrap().tip().0, Height(4));
    }

    #[test]
    fn a_corrupt_block_before_the_tail_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let btc = Bitcoin::open(dir.path()).unwrap();
        btc.mine(&CoinbaseSpec::default()).unwrap();
        let file = dir.path().join("bitcoin/blocks.bin");
        let mut bytes = std::fs::read(&file).unwrap();
        bytes[4..40].fill(0xee);
        std::fs::write(&file, bytes).unwrap();
        let e = Bitcoin::open(dir.path())
            .err()
            .expect("corrupt block refused");
        assert!(format!("{e:#}").contains("blocks.bin"), "{e:#}");
    }

    /// Each simulated pool's coinbase tag names it, and only literally (the `.` in
    /// `/OCEAN.XYZ/` is not a wildcard).
    #[test]
    fn the_pools_list_names_each_simulated_pool() {
        let pools = pool_set();
        for (tag, name) in POOLS.iter().zip(POOL_NAMES) {
            let sig = format!("\x03\x01\x02\x03{tag}/devnet");
            let found = pools
                .identify_parts(&[], sig.as_bytes())
                .map(|p| p.name.as_str());
            assert_eq!(found, Some(name), "{tag}");
        }
        assert!(pools.identify_parts(&[], b"/OCEANXXYZ/").is_none());
        assert!(pools.identify_parts(&[], b"solo miner").is_none());
    }
}
