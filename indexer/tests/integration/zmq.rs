//! ZMQ `hashblock` wakes the follower before its next poll.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use alkahest_indexer::chain::{Follower, FollowerConfig};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::regtest::{ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::zmq::{spawn_wake, HashblockListener, HASHBLOCK_TOPIC};
use alkahest_indexer::source::RegtestSource;
use alkahest_indexer::storage::{DbRead, SqliteStore};
use alkahest_indexer::types::WindowSpec;
use bitcoin::{BlockHash, Network};
use tokio::sync::Notify;
use zeromq::{PubSocket, Socket, SocketSend, ZmqMessage};

use crate::common::follower_config;

/// A `hashblock` message as Bitcoin Core sends it: topic, display-order hash, sequence.
fn hashblock(hash: BlockHash, seq: u32) -> ZmqMessage {
    let frame = |bytes: Vec<u8>| ZmqMessage::from(bytes).into_vec().remove(0);
    let mut msg = ZmqMessage::from(HASHBLOCK_TOPIC);
    let mut display = bitcoin::hashes::Hash::to_byte_array(hash).to_vec();
    display.reverse();
    msg.push_back(frame(display));
    msg.push_back(frame(seq.to_le_bytes().to_vec()));
    msg
}

/// Steps: publish on a local PUB socket; a `HashblockListener` decodes the hash; then a
/// follower that polls only hourly indexes 2 new blocks because `hashblock` woke it.
/// Messages are re-sent until received, since PUB drops them before a subscriber joins.
#[tokio::test]
async fn hashblock_wakes_the_follower() {
    let mut publisher = PubSocket::new();
    let endpoint = publisher
        .bind("tcp://127.0.0.1:0")
        .await
        .unwrap()
        .to_string();

    let chain = Arc::new(Mutex::new(ChainBuilder::new()));
    let first = chain
        .lock()
        .unwrap()
        .mine_on_tip(&CoinbaseSpec::default())
        .unwrap();
    let mut listener = HashblockListener::connect(&endpoint).await.unwrap();
    let received = async {
        loop {
            publisher.send(hashblock(first, 1)).await.unwrap();
            if let Ok(hash) = tokio::time::timeout(Duration::from_millis(50), listener.next()).await
            {
                return hash.unwrap();
            }
        }
    };
    assert_eq!(received.await, first);

    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("zmq.sqlite").display());
    let store = SqliteStore::open(&url, WindowSpec::default(), true)
        .await
        .unwrap();
    let watcher = store.clone();
    let wake = Arc::new(Notify::new());
    let task = spawn_wake(endpoint.clone(), wake.clone());
    let config = FollowerConfig {
        poll_interval: Duration::from_secs(3_600),
        ..follower_config(Network::Regtest)
    };
    let mut f = Follower::new(
        RegtestSource::new(chain.clone()),
        store,
        PoolSet::default(),
        config,
    )
    .with_wake(wake);

    let first_tip = chain.lock().unwrap().tip();
    let chain_for_miner = chain.clone();
    let shutdown = async {
        // Wait for the initial sync, then mine two blocks: only a wake-up can get the
        // follower to them within the hour.
        while watcher.tip().await.unwrap() != Some(first_tip) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let target = {
            let mut c = chain_for_miner.lock().unwrap();
            c.mine_on_tip(&CoinbaseSpec::default()).unwrap();
            c.mine_on_tip(&CoinbaseSpec::default()).unwrap();
            c.tip()
        };
        let mut seq = 2;
        while watcher.tip().await.unwrap() != Some(target) {
            publisher.send(hashblock(target.1, seq)).await.unwrap();
            seq += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    // Guards against a hang only; the follower would otherwise wait an hour.
    tokio::time::timeout(Duration::from_secs(120), f.run(shutdown))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        f.store().tip().await.unwrap(),
        Some(chain.lock().unwrap().tip())
    );
    assert_eq!(f.store().tip().await.unwrap().unwrap().0 .0, 3);
    task.abort();
}
