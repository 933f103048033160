//! Facts from `../shared/data/README.md`, reproduced from real mainnet bytes.

use alkahest_indexer::coinbase::merkle::coinbase_proof;
use alkahest_indexer::coinbase::{
    decode_bip34_height, parse_coinbase, parse_coinbase_prefix, CoinbaseBlock,
    CoinbaseValidationError, PoolSet,
};
use alkahest_indexer::source::blk::BlkSource;
use alkahest_indexer::source::BlockSource;
use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::{Height, WindowSpec};
use bitcoin::block::Header;
use bitcoin::consensus::deserialize;
use bitcoin::{Amount, Block, Network};

use alkahest_indexer::chain::Follower;

use crate::common::{bunzip, data_dir, follower_config, memory_store};

struct Fact {
    hash_suffix: &'static str,
    tx_count: u64,
    outputs: usize,
    value: u64,
    subsidy: u64,
    fees: u64,
    tag: &'static str,
    pool: &'static str,
}

fn check(bytes: &[u8], height: u32, fact: &Fact, pools: &PoolSet) {
    let parsed = parse_coinbase(bytes).unwrap();
    // The header-and-coinbase prefix alone parses the same; one byte less does not.
    let size = bytes.len() as u64;
    let end = parsed.coinbase_end;
    assert_eq!(parse_coinbase_prefix(&bytes[..end], size).unwrap(), parsed);
    assert!(matches!(
        parse_coinbase_prefix(&bytes[..end - 1], size),
        Err(alkahest_indexer::coinbase::CoinbaseParseError::Truncated { .. })
    ));
    let full: Block = deserialize(bytes).unwrap();
    assert_eq!(
        parsed.txid,
        full.txdata[0].compute_txid(),
        "txid from spans matches full decode"
    );
    assert_eq!(parsed.outputs, full.txdata[0].output);
    assert_eq!(parsed.tx_count as usize, full.txdata.len());
    let cb = CoinbaseBlock::validate(parsed, Height(height), Network::Bitcoin).unwrap();
    assert!(
        cb.hash.to_string().ends_with(fact.hash_suffix),
        "{}",
        cb.hash
    );
    assert!(cb.hash.to_string().starts_with("000"));
    assert_eq!(cb.tx_count, fact.tx_count);
    assert_eq!(cb.outputs.len(), fact.outputs);
    assert_eq!(cb.output_total, Amount::from_sat(fact.value));
    assert_eq!(cb.subsidy, Amount::from_sat(fact.subsidy));
    assert_eq!(cb.fees, Amount::from_sat(fact.fees));
    assert!(!cb.underclaimed);
    assert_eq!(
        cb.bip34_height,
        Some(u64::from(height)),
        "BIP-0034 height cross-checks"
    );
    assert!(
        cb.tag.to_lowercase().contains(&fact.tag.to_lowercase()),
        "tag {:?}",
        cb.tag
    );
    assert_eq!(
        pools.identify(&cb).map(|p| p.name.as_str()),
        Some(fact.pool)
    );
    assert!(cb.difficulty() > 1.0);
    assert_eq!(cb.work(), cb.header.work());
    let proof = coinbase_proof(bytes).unwrap();
    assert_eq!(proof.txid, cb.txid);
    assert_eq!(proof.tx_count as u64, fact.tx_count);
    assert!(proof.verify());
    assert_eq!(proof.root, cb.header.merkle_root);
    // A wrong sibling breaks the proof.
    let mut bad = proof.clone();
    bad.branch[0] = bad.branch[1];
    assert!(!bad.verify());
}

fn pools(dir: &std::path::Path) -> PoolSet {
    let set = PoolSet::load(&dir.join("pools/pools-v2.json")).unwrap();
    assert_eq!(set.len(), 168);
    set
}

#[test]
fn mainnet_702861() {
    let Some(dir) = data_dir("mainnet_702861") else {
        return;
    };
    let bytes = std::fs::read(dir.join("bitcoin/mainnet-702861.raw")).unwrap();
    assert_eq!(bytes.len(), 1_381_836);
    let fact = Fact {
        hash_suffix: "c726dafae",
        tx_count: 2_500,
        outputs: 2,
        value: 629_948_405,
        subsidy: 625_000_000,
        fees: 4_948_405,
        tag: "binance",
        pool: "Binance Pool",
    };
    check(&bytes, 702_861, &fact, &pools(&dir));
}

#[test]
fn mainnet_574200() {
    let Some(dir) = data_dir("mainnet_574200") else {
        return;
    };
    let bytes = std::fs::read(dir.join("bitcoin/mainnet-574200.raw")).unwrap();
    assert_eq!(bytes.len(), 1_245_250);
    let fact = Fact {
        hash_suffix: "2f5de59d2",
        tx_count: 3_315,
        outputs: 2,
        value: 1_300_076_961,
        subsidy: 1_250_000_000,
        fees: 50_076_961,
        tag: "/BTC.COM/",
        pool: "BTC.com",
    };
    check(&bytes, 574_200, &fact, &pools(&dir));
}

#[test]
fn mainnet_277647_blk_frame() {
    let Some(dir) = data_dir("mainnet_277647_blk_frame") else {
        return;
    };
    let framed = bunzip(&dir.join("bitcoin/mainnet-277647.blk.bz2"));
    assert_eq!(framed[..4], Network::Bitcoin.magic().to_bytes());
    let len = u32::from_le_bytes(framed[4..8].try_into().unwrap()) as usize;
    let bytes = &framed[8..8 + len];
    let fact = Fact {
        hash_suffix: "eb1e052a8",
        tx_count: 213,
        outputs: 1,
        value: 2_504_737_355,
        subsidy: 2_500_000_000,
        fees: 4_737_355,
        tag: "Mined by BTC Guild",
        pool: "BTC Guild",
    };
    check(bytes, 277_647, &fact, &pools(&dir));
    // The wrong chain position fails the BIP-0034 cross-check.
    let parsed = parse_coinbase(bytes).unwrap();
    assert!(matches!(
        CoinbaseBlock::validate(parsed, Height(277_648), Network::Bitcoin),
        Err(CoinbaseValidationError::Bip34Mismatch { .. })
    ));
}

#[test]
fn pre_bip34_height_comes_from_position() {
    let Some(dir) = data_dir("pre_bip34_height_comes_from_position") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("bitcoin/mainnet-pre-bip34-13b8a.hex")).unwrap();
    let bytes = hex::decode(text.trim()).unwrap();
    let parsed = parse_coinbase(&bytes).unwrap();
    assert!(parsed
        .header
        .block_hash()
        .to_string()
        .starts_with("0000000000013b8a"));
    assert_eq!(parsed.tx_count, 9);
    assert_eq!(
        decode_bip34_height(parsed.script_sig.as_bytes()),
        Some(453_281_356),
        "garbage as documented"
    );
    // Below activation the chain position is accepted as is.
    let cb = CoinbaseBlock::validate(parsed.clone(), Height(100_000), Network::Bitcoin).unwrap();
    assert_eq!(cb.height, Height(100_000));
    assert_eq!(cb.subsidy, Amount::from_sat(5_000_000_000));
    // At a post-activation position the scriptSig would have to start with that height.
    assert!(matches!(
        CoinbaseBlock::validate(parsed, Height(300_000), Network::Bitcoin),
        Err(CoinbaseValidationError::Bip34Mismatch {
            height: Height(300_000),
            ..
        })
    ));
}

#[tokio::test]
async fn heights_1_to_255_form_one_chain() {
    let Some(dir) = data_dir("heights_1_to_255_form_one_chain") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("blk00000.dat"),
        bunzip(&dir.join("bitcoin/mainnet-1-255.blk.bz2")),
    )
    .unwrap();
    let mut source = BlkSource::open(tmp.path(), Network::Bitcoin, None).unwrap();
    let (tip, tip_hash) = source.tip().await.unwrap().unwrap();
    assert_eq!(tip, Height(255));
    assert_eq!(source.tree().orphans(), 0);
    let first = source.hash_at(Height(1)).await.unwrap().unwrap();
    assert!(first.to_string().starts_with("00000000839a8e"), "{first}");

    // The header file's heights 1-11 are the same blocks.
    let headers = std::fs::read_to_string(dir.join("bitcoin/mainnet-headers-1-11.txt")).unwrap();
    for (i, line) in headers.lines().enumerate() {
        let header: Header = deserialize(&hex::decode(line.trim()).unwrap()).unwrap();
        assert_eq!(
            Some(header.block_hash()),
            source.hash_at(Height(i as u32 + 1)).await.unwrap()
        );
    }

    // Genesis is not in the file, so the source starts at height 1, and so does the
    // follower although its configured start is 0.
    assert_eq!(source.first_height(), Height(1));
    let store = memory_store(WindowSpec::default()).await;
    let config = follower_config(Network::Bitcoin);
    assert_eq!(config.start_height, Height(0));
    let mut f = Follower::new(source, store, PoolSet::default(), config);
    assert_eq!(f.sync().await.unwrap(), 255);
    let store = f.into_store();
    let blocks = store.blocks(Height(0), 1_000).await.unwrap();
    assert_eq!(blocks.len(), 255);
    assert_eq!(blocks.last().unwrap().hash, tip_hash);
    for pair in blocks.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert_eq!(pair[1].height.0, pair[0].height.0 + 1);
    }
    let total: u64 = blocks.iter().map(|b| b.output_total.to_sat()).sum();
    assert_eq!(total, 1_275_000_000_000);
    assert!(blocks
        .iter()
        .all(|b| b.output_total == Amount::from_sat(5_000_000_000) && b.fees == Amount::ZERO));
    // The first window holds heights 1-143 (genesis is not in the file).
    let windows = store
        .windows(Default::default(), alkahest_indexer::types::WindowId(9))
        .await
        .unwrap();
    assert_eq!(windows.len(), 2);
    assert_eq!(windows[0].block_count, 143);
    assert_eq!(windows[1].block_count, 112);
    assert_eq!(windows[0].reward, Amount::from_sat(143 * 5_000_000_000));
    // Median time past is set once 10 earlier blocks are stored (height 11 onwards).
    assert!(blocks[9].median_time_past.is_none());
    assert!(blocks[10].median_time_past.is_some());
}
