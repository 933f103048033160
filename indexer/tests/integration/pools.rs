//! Pool identification against mempool.space's real `pools-v2.json` (from the shared
//! data; skipped when absent): a block whose coinbase tag names one pool and whose
//! payout address belongs to another gets the pool mempool.space would pick.

use alkahest_indexer::coinbase::{parse_coinbase, CoinbaseBlock, Pool, PoolSet};
use alkahest_indexer::source::regtest::{block_bytes, ChainBuilder, CoinbaseSpec};
use bitcoin::{Address, Amount, Network};

use crate::common::data_dir;

fn pool<'a>(set: &'a PoolSet, name: &str) -> &'a Pool {
    set.pools().iter().find(|p| p.name == name).unwrap()
}

/// Mines a block tagged `tag` paying `address`, read as a mainnet block (the pools
/// file lists mainnet addresses; heights this low have no BIP-0034 rule on mainnet).
fn block(tag: &[u8], address: &str) -> CoinbaseBlock {
    let script = address
        .parse::<Address<_>>()
        .unwrap()
        .require_network(Network::Bitcoin)
        .unwrap()
        .script_pubkey();
    let mut chain = ChainBuilder::new();
    let spec = CoinbaseSpec::default()
        .with_tag(tag)
        .pay(script, Amount::from_sat(1_000));
    let hash = chain.mine_on_tip(&spec).unwrap();
    let parsed = parse_coinbase(&block_bytes(chain.block(&hash).unwrap())).unwrap();
    CoinbaseBlock::validate(parsed, chain.height_of(&hash).unwrap(), Network::Bitcoin).unwrap()
}

/// Steps: load the real pools file; BTC.com (6th in the file) is tagged `/BTC.COM/`,
/// BTC.TOP (11th) pays from 1Hz96kJKF2HLPGY15JWLB5m9qGNxvt8tHJ. mempool.space's
/// `matchBlockMiner` walks pools in file order checking each pool's addresses, then
/// its tags, so:
/// - tag of BTC.com + address of BTC.TOP -> BTC.com (earlier pool, by tag);
/// - tag of BTC.TOP + address of BTC.com -> BTC.com (earlier pool, by address).
///
/// An "all addresses first" matcher gets the first case wrong (BTC.TOP).
#[test]
fn tag_and_address_of_different_pools_pick_as_mempool_space() {
    let Some(dir) = data_dir("tag_and_address_of_different_pools_pick_as_mempool_space") else {
        return;
    };
    let set = PoolSet::load(&dir.join("pools/pools-v2.json")).unwrap();
    let btccom = pool(&set, "BTC.com");
    let btctop = pool(&set, "BTC.TOP");
    let index = |p: &Pool| set.pools().iter().position(|q| q.id == p.id).unwrap();
    assert!(index(btccom) < index(btctop), "file order as assumed");

    let b = block(b"/BTC.COM/", &btctop.addresses[0]);
    assert_eq!(set.identify(&b).map(|p| p.id), Some(btccom.id));

    let b = block(b"/BTC.TOP/", &btccom.addresses[0]);
    assert_eq!(set.identify(&b).map(|p| p.id), Some(btccom.id));

    let b = block(b"/BTC.TOP/", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2");
    assert_eq!(set.identify(&b).map(|p| p.id), Some(btctop.id));
}
