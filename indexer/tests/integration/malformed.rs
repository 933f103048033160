//! Malformed input: a clear error, no panic, nothing committed.

use std::sync::{Arc, Mutex};

use alkahest_indexer::chain::{FollowError, Follower};
use alkahest_indexer::coinbase::{parse_coinbase, CoinbaseParseError, PoolSet};
use alkahest_indexer::source::blk::{write_blk_dir, BlkSource, BlkWriteOptions};
use alkahest_indexer::source::regtest::{block_bytes, ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::{BlockEvent, BlockSource, RegtestSource, SourceError};
use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::{Height, WindowSpec};
use bitcoin::{BlockHash, Network};

use crate::common::{data_dir, follower_config, memory_store};

/// A source that truncates the block at one height.
struct Corrupting {
    inner: RegtestSource,
    bad: Height,
}

impl BlockSource for Corrupting {
    async fn tip(&mut self) -> Result<Option<(Height, BlockHash)>, SourceError> {
        self.inner.tip().await
    }
    async fn hash_at(&mut self, height: Height) -> Result<Option<BlockHash>, SourceError> {
        self.inner.hash_at(height).await
    }
    async fn fetch(&mut self, from: Height, count: u32) -> Result<Vec<BlockEvent>, SourceError> {
        let mut events = self.inner.fetch(from, count).await?;
        for e in &mut events {
            if e.height == self.bad {
                e.bytes.truncate(120);
            }
        }
        Ok(events)
    }
}

/// Steps: 20 regtest blocks, the one at height 12 truncated by the source; batches of
/// 7 commit heights 0-6, then the batch 7-13 fails with a parse error and the stored tip
/// stays at 6.
#[tokio::test]
async fn truncated_block_commits_nothing() {
    let mut chain = ChainBuilder::new();
    for _ in 0..20 {
        chain.mine_on_tip(&CoinbaseSpec::default()).unwrap();
    }
    let source = Corrupting {
        inner: RegtestSource::new(Arc::new(Mutex::new(chain))),
        bad: Height(12),
    };
    let store = memory_store(WindowSpec::default()).await;
    let mut f = Follower::new(
        source,
        store,
        PoolSet::default(),
        follower_config(Network::Regtest),
    );
    let err = f.sync().await.unwrap_err();
    assert!(
        matches!(
            err,
            FollowError::Parse {
                height: Height(12),
                source: CoinbaseParseError::Truncated { .. }
                    | CoinbaseParseError::OversizeVarint { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_transient());
    assert_eq!(f.store().tip().await.unwrap().unwrap().0, Height(6));
}

#[test]
fn random_and_oversize_inputs_are_errors() {
    assert!(matches!(
        parse_coinbase(&[]),
        Err(CoinbaseParseError::Truncated { .. })
    ));
    assert!(parse_coinbase(&[0xab; 200]).is_err());
    let mut chain = ChainBuilder::new();
    let hash = chain.mine_on_tip(&CoinbaseSpec::default()).unwrap();
    let mut bytes = block_bytes(chain.block(&hash).unwrap());
    bytes[80] = 0xff; // tx count becomes an 8-byte CompactSize
    assert!(matches!(
        parse_coinbase(&bytes),
        Err(CoinbaseParseError::OversizeVarint { offset: 80, .. })
    ));
}

#[test]
fn bad_magic_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut chain = ChainBuilder::new();
    chain.mine_on_tip(&CoinbaseSpec::default()).unwrap();
    let blocks: Vec<Vec<u8>> = chain.best_chain().iter().map(|b| block_bytes(b)).collect();
    write_blk_dir(
        tmp.path(),
        blocks.iter().map(Vec::as_slice),
        &BlkWriteOptions::default(),
    )
    .unwrap();
    // Regtest frames read as mainnet: wrong magic.
    let err = BlkSource::open(tmp.path(), Network::Bitcoin, None).unwrap_err();
    assert!(
        matches!(err, SourceError::BadMagic { offset: 0, .. }),
        "{err}"
    );
    assert!(BlkSource::open(tmp.path(), Network::Regtest, None).is_ok());
}

/// Steps: write the chain shuffled, with an orphan, XOR-obfuscated, split across files
/// and ending in a zero tail plus a frame cut short; the reader still resolves the
/// same best chain.
#[tokio::test]
async fn blk_reader_handles_xor_order_orphans_and_tails() {
    let mut chain = ChainBuilder::new();
    for _ in 0..40 {
        chain.mine_on_tip(&CoinbaseSpec::default()).unwrap();
    }
    // An orphan: its parent is never written.
    let side = chain
        .mine(
            chain.best_chain()[10].block_hash(),
            &CoinbaseSpec::default(),
        )
        .unwrap();
    let side_child = chain.mine(side, &CoinbaseSpec::default()).unwrap();
    let best: Vec<Vec<u8>> = chain.best_chain().iter().map(|b| block_bytes(b)).collect();
    let mut frames: Vec<Vec<u8>> = best.clone();
    frames.reverse();
    frames.insert(5, block_bytes(chain.block(&side_child).unwrap()));
    let tmp = tempfile::tempdir().unwrap();
    let options = BlkWriteOptions {
        network: Network::Regtest,
        max_file_size: 4_000,
        xor_key: Some([0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]),
        zero_tail: 4096,
    };
    let files = write_blk_dir(tmp.path(), frames.iter().map(Vec::as_slice), &options).unwrap();
    assert!(files.len() > 1);
    // A frame cut short by a crash, after the zero tail in a new file.
    let mut cut = Network::Regtest.magic().to_bytes().to_vec();
    cut.extend_from_slice(&1_000u32.to_le_bytes());
    cut.extend_from_slice(&[1, 2, 3]);
    let key = options.xor_key.unwrap();
    let cut: Vec<u8> = cut
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ key[i % 8])
        .collect();
    std::fs::write(tmp.path().join("blk99999.dat"), cut).unwrap();

    let mut source = BlkSource::open(tmp.path(), Network::Regtest, None).unwrap();
    assert_eq!(source.tip().await.unwrap(), Some(chain.tip()));
    assert_eq!(source.tree().orphans(), 1);
    let events = source.fetch(Height(0), 100).await.unwrap();
    assert_eq!(events.len(), 41);
    for (e, bytes) in events.iter().zip(&best) {
        assert_eq!(&e.bytes, bytes);
    }
}

#[tokio::test]
async fn real_frames_with_garbage_magic() {
    let Some(dir) = data_dir("real_frames_with_garbage_magic") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = crate::common::bunzip(&dir.join("bitcoin/mainnet-1-255.blk.bz2"));
    let len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    bytes[8 + len] ^= 0xff; // the second frame's magic
    std::fs::write(tmp.path().join("blk00000.dat"), bytes).unwrap();
    let err = BlkSource::open(tmp.path(), Network::Bitcoin, None).unwrap_err();
    assert!(
        matches!(err, SourceError::BadMagic { offset, .. } if offset == 8 + len as u64),
        "{err}"
    );
}
