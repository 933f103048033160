//! The chain-state store behind the observer: idempotent ingest, Stacks reorgs (the
//! derived state always equals what the canonical chain's events give), malformed
//! payloads refused with a 400 that changes nothing, and the routes that read it. Every
//! store test runs on SQLite, and on PostgreSQL when one answers at
//! `postgres://postgres@127.0.0.1:5432/test` (a fresh database per run).

use alkahest_testkit::PgTestDb;
use std::sync::Arc;

use alkahest_api::chainstate::{ChainStore, Contracts};
use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::chain::{
    amm_events, block, ingest, memory_store, post, principal, print, silica_events, uint, DEPLOYER,
    MINER,
};
use crate::fixture::{fixture, get};

/// The derived state, as the routes would serve it.
async fn state(store: &ChainStore) -> String {
    format!(
        "{:?}\n{:?}",
        store.silicas(None, 0, 100).await.unwrap(),
        store.amm_pools().await.unwrap()
    )
}

fn listing(id: u128) -> Value {
    print(
        "silica",
        "create",
        vec![
            ("id", uint(id)),
            ("miner", principal(MINER)),
            ("hashrate", uint(10 * id)),
            ("windows", uint(2)),
            ("start", uint(50)),
            ("window-length", uint(4)),
            ("price", uint(7)),
            ("collateral", uint(100)),
            (
                "payout-script",
                clarity::vm::Value::buff_from(vec![0x51]).unwrap(),
            ),
        ],
    )
}

fn buy(id: u128, sold: u128) -> Value {
    print(
        "silica",
        "buy",
        vec![("id", uint(id)), ("sold", uint(sold))],
    )
}

/// Runs `check` against a fresh SQLite store, then a fresh PostgreSQL one if
/// reachable.
async fn on_each_backend<F, Fut>(test: &str, check: F)
where
    F: Fn(Arc<ChainStore>, Arc<ChainStore>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    check(
        Arc::new(memory_store().await),
        Arc::new(memory_store().await),
    )
    .await;
    let (Some(a), Some(b)) = (PgTestDb::create(test).await, PgTestDb::create(test).await) else {
        return;
    };
    let open = |url: String| async move {
        Arc::new(
            ChainStore::open(&url, Contracts::of_deployer(DEPLOYER))
                .await
                .unwrap(),
        )
    };
    check(open(a.url.clone()).await, open(b.url.clone()).await).await;
}

#[tokio::test]
async fn ingesting_a_block_twice_changes_nothing() {
    on_each_backend("ingest_twice", |store, _| async move {
        let b1 = block(1, 1, 0, silica_events(&[0x51]));
        let app = ingest(store.clone(), std::slice::from_ref(&b1)).await;
        let before = store.counts().await.unwrap();
        let derived = state(&store).await;
        let (status, body) = post(&app, "/new_block", b1.to_string()).await;
        assert_eq!(
            (status, body["result"].clone()),
            (StatusCode::OK, json!("duplicate"))
        );
        assert_eq!(store.counts().await.unwrap(), before);
        assert_eq!(state(&store).await, derived);
        // 8 silica prints stored (the stx transfer is not ours), one window per attest.
        assert_eq!(
            before,
            [
                ("stacks_blocks", 1),
                ("contract_events", 8),
                ("silicas", 1),
                ("silica_windows", 2),
                ("silica_settlements", 1),
                ("amm_pools", 0)
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn a_reorg_leaves_exactly_the_canonical_chains_state() {
    on_each_backend("reorg", |store, reference| async move {
        // A lists silicas 1 and 2; B, C buy on one fork; B', C', D' on the other.
        let a = block(1, 1, 0, vec![listing(1), listing(2)]);
        let b = block(2, 2, 1, vec![buy(1, 5)]);
        let c = block(3, 3, 2, vec![buy(1, 8)]);
        let b2 = block(2, 12, 1, vec![buy(2, 3)]);
        let c2 = block(3, 13, 12, amm_events());
        let d2 = block(4, 14, 13, vec![buy(2, 9)]);
        let _ = ingest(store.clone(), &[a.clone(), b.clone(), c.clone()]).await;
        let app = ingest(store.clone(), std::slice::from_ref(&b2)).await;
        // A lower fork block is kept but does not move the tip.
        assert_eq!(store.tip().await.unwrap().unwrap().0, 3);
        for (blk, result) in [(c2.clone(), "reorg"), (d2.clone(), "extended")] {
            let (s, body) = post(&app, "/new_block", blk.to_string()).await;
            assert_eq!((s, body["result"].clone()), (StatusCode::OK, json!(result)));
        }
        let _ = ingest(reference.clone(), &[a.clone(), b2, c2, d2]).await;
        assert_eq!(state(&store).await, state(&reference).await);
        let one = store.silica(1).await.unwrap().unwrap();
        assert_eq!((one.sold, store.amm_pools().await.unwrap().len()), (0, 1));

        // Back again: the first fork grows past the second.
        let d = block(4, 4, 3, vec![]);
        let e = block(5, 5, 4, vec![buy(1, 10)]);
        for (blk, result) in [(d.clone(), "reorg"), (e.clone(), "extended")] {
            let (s, body) = post(&app, "/new_block", blk.to_string()).await;
            assert_eq!((s, body["result"].clone()), (StatusCode::OK, json!(result)));
        }
        let fresh = Arc::new(memory_store().await);
        let _ = ingest(fresh.clone(), &[a, b, c, d, e]).await;
        assert_eq!(state(&store).await, state(&fresh).await);
        assert_eq!(store.silica(1).await.unwrap().unwrap().sold, 10);
        assert_eq!(store.silica(2).await.unwrap().unwrap().sold, 0);
        assert!(store.amm_pools().await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_malformed_payload_is_a_400_naming_it_and_changes_nothing() {
    let store = Arc::new(memory_store().await);
    let app = ingest(store.clone(), &[block(1, 1, 0, vec![listing(1)])]).await;
    let before = store.counts().await.unwrap();
    let good = block(2, 2, 1, vec![buy(1, 4)]);
    let mut bad_hex = good.clone();
    bad_hex["events"][0]["contract_event"]["raw_value"] = json!("0xzz");
    let mut not_clarity = good.clone();
    not_clarity["events"][0]["contract_event"]["raw_value"] = json!("0xff00");
    let mut bad_height = good.clone();
    bad_height["block_height"] = json!("two");
    let mut bad_hash = good.clone();
    bad_hash["index_block_hash"] = json!("0x1234");
    let wrong_field = block(
        2,
        2,
        1,
        vec![print(
            "silica",
            "buy",
            vec![("id", uint(1)), ("sold", principal(MINER))],
        )],
    );
    let cases = [
        ("{not json".to_string(), "new_block payload"),
        (bad_hex.to_string(), "raw_value is not hex"),
        (not_clarity.to_string(), "not a Clarity value"),
        (bad_height.to_string(), "expected u64"),
        (bad_hash.to_string(), "index_block_hash must be 32 bytes"),
        (
            wrong_field.to_string(),
            "field sold is missing or not a uint",
        ),
    ];
    for (body, mentions) in cases {
        let (status, answer) = post(&app, "/new_block", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(mentions),
            "{message:?} should mention {mentions:?}"
        );
        assert_eq!(store.counts().await.unwrap(), before, "{body}");
    }
    // The good block still goes in afterwards.
    let (status, _) = post(&app, "/new_block", good.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(store.silica(1).await.unwrap().unwrap().sold, 4);
}

#[tokio::test]
async fn the_observer_acknowledges_every_other_node_path() {
    let store = Arc::new(memory_store().await);
    let app = ingest(store.clone(), &[]).await;
    for path in alkahest_api::observer::IGNORED_PATHS {
        let (status, _) = post(&app, path, "{\"anything\": [1, 2]}".into()).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    assert!(store.counts().await.unwrap().iter().all(|(_, n)| *n == 0));
    // A large block fits the observer's limit (the public API refuses 1 KiB bodies).
    let many: Vec<Value> = (0..1000).map(|i| buy(1, i)).collect();
    let big = block(1, 1, 0, [vec![listing(1)], many].concat()).to_string();
    assert!(big.len() > 100 * alkahest_api::BODY_LIMIT);
    let (status, _) = post(&app, "/new_block", big).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(store.silica(1).await.unwrap().unwrap().sold, 999);
}

#[tokio::test]
async fn the_routes_serve_silicas_and_amm_pools_from_the_store() {
    let f = fixture().await;
    let (s, one) = get(&f.app, "/v1/silica/1").await;
    assert_eq!(s, StatusCode::OK, "{one}");
    assert_eq!(one["status"], "FINISHED");
    assert_eq!(one["settlement"]["collected"], true);
    assert_eq!(one["settlement"]["miner_amount"], 500);
    // The payout script as the regtest address a miner pastes into a pool.
    let payee = crate::fixture::payee();
    assert_eq!(one["payout_script"], payee.script_pubkey().to_hex_string());
    assert_eq!(one["payout_address"], payee.to_string());
    assert!(payee.to_string().starts_with("bcrt1q"));
    let windows = one["per_window"].as_array().unwrap();
    assert_eq!(windows.len(), 3);
    assert_eq!(windows[0]["attested_delivered_sats"], "2000");
    assert_eq!(windows[1]["index"], "18446744073709551616");
    assert_eq!(windows[2]["due_sats"], Value::Null);
    // Window 0 is heights 0..=3: the payee got 1,000 at 2 and at 3.
    assert_eq!(windows[0]["indexed_delivered_sats"], 2_000);

    let (_, list) = get(&f.app, "/v1/silica?status=finished").await;
    assert_eq!(list["silicas"].as_array().unwrap().len(), 1);
    assert_eq!(list["silicas"][0], one);
    assert_eq!(list["next_from"], Value::Null);
    let (_, page) = get(&f.app, "/v1/silica?limit=1").await;
    assert_eq!(page["next_from"], 2);
    let (_, none) = get(&f.app, "/v1/silica?status=OPEN").await;
    assert_eq!(none["silicas"], json!([]));

    let (s, pool) = get(&f.app, "/v1/amm/pools/1").await;
    assert_eq!(s, StatusCode::OK, "{pool}");
    // 1,000 y sold: the pool keeps 999 (1 to the reserve) and pays 1,988 x.
    assert_eq!(pool["balance_x"], "998012");
    assert_eq!(pool["balance_y"], "500999");
    assert_eq!(pool["reserve_fees_y"], "1");
    assert_eq!(pool["spot_price"], "50199696");
    assert_eq!(pool["ema_price"], "50000000");
    assert_eq!(pool["curve"], "weighted");
    let (_, pools) = get(&f.app, "/v1/amm/pools").await;
    assert_eq!(pools["pools"], json!([pool]));
    let (s, missing) = get(&f.app, "/v1/amm/pools/9").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(missing["message"].as_str().unwrap().contains("pool 9"));
}
