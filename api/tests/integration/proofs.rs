//! `/v1/blocks/{height}/proof`: built from a block source for the indexed block only,
//! and exactly what `btc-proof` checks (the header's hash, both branches to the root,
//! the coinbase's depth); bad input is a 4xx naming it.

use std::sync::{Arc, Mutex};

use alkahest_api::routes::proof::{BlockBytes, BlockFuture, FromSource};
use alkahest_api::{router, with_proof_source};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::regtest::{ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::RegtestSource;
use alkahest_protocol::spv::{sha256d, verify_branch};
use axum::http::StatusCode;
use axum::Router;
use bitcoin::hashes::Hash;

use crate::fixture::{get, index};

/// Five blocks; block 3 holds 6 transactions besides its coinbase.
async fn indexed() -> (Router, ChainBuilder) {
    let mut chain = ChainBuilder::new();
    for h in 1..=5u32 {
        let spec = CoinbaseSpec {
            filler_txs: if h == 3 { 6 } else { 0 },
            filler_script_len: 10,
            ..CoinbaseSpec::default()
        };
        chain.mine_on_tip(&spec).unwrap();
    }
    let store = index(&chain, PoolSet::from_json("[]").unwrap()).await;
    (router(Arc::new(store)), chain)
}

fn hex32(s: &serde_json::Value) -> [u8; 32] {
    hex::decode(s.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn branch(v: &serde_json::Value) -> Vec<[u8; 32]> {
    v.as_array().unwrap().iter().map(hex32).collect()
}

#[tokio::test]
async fn a_proof_is_what_the_contract_checks() {
    let (app, chain) = indexed().await;
    let source = FromSource::new(RegtestSource::new(Arc::new(Mutex::new(chain.clone()))));
    let app = with_proof_source(app, Arc::new(source));
    let block = chain.best_chain()[3].clone();
    let tx = &block.txdata[4];
    let (status, p) = get(
        &app,
        &format!("/v1/blocks/3/proof?txid={}", tx.compute_txid()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    // The header hashes to the block the index holds at 3.
    let header = hex::decode(p["header"].as_str().unwrap()).unwrap();
    let mut display = sha256d(&header);
    display.reverse();
    assert_eq!(hex::encode(display), p["hash"].as_str().unwrap());
    assert_eq!(p["hash"], block.block_hash().to_string());
    let root = block.header.merkle_root.to_byte_array();
    // Both branches lead to the root, at the coinbase's depth (7 transactions: 3).
    assert_eq!(p["depth"], 3);
    let cb = &p["coinbase"];
    let cb_txid = block.txdata[0].compute_txid().to_byte_array();
    assert!(verify_branch(cb_txid, 0, &branch(&cb["branch"]), root));
    assert_eq!(
        sha256d(&hex::decode(cb["tx"].as_str().unwrap()).unwrap()),
        cb_txid
    );
    let t = &p["tx"];
    assert_eq!(t["index"], 4);
    assert_eq!(t["txid"], tx.compute_txid().to_string());
    let txid = tx.compute_txid().to_byte_array();
    assert_eq!(
        sha256d(&hex::decode(t["tx"].as_str().unwrap()).unwrap()),
        txid
    );
    assert!(verify_branch(txid, 4, &branch(&t["branch"]), root));
    assert_eq!(t["branch"].as_array().unwrap().len(), 3);
    assert_eq!(p["fits_contract"], true);
    // Without a txid: the coinbase, twice.
    let (status, p) = get(&app, "/v1/blocks/3/proof").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["tx"], p["coinbase"]);
    // The openapi document lists the route.
    let (_, doc) = get(&app, "/v1/openapi.json").await;
    assert!(doc["paths"]["/v1/blocks/{height}/proof"]["get"].is_object());
}

#[tokio::test]
async fn bad_requests_are_named_and_other_chains_are_refused() {
    let (app, chain) = indexed().await;
    // No block source: a 404 that says why.
    let (status, e) = get(&app, "/v1/blocks/3/proof").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        e["message"].as_str().unwrap().contains("proof_node_url"),
        "{e}"
    );
    let app_with = |c: &ChainBuilder| {
        with_proof_source(
            app.clone(),
            Arc::new(FromSource::new(RegtestSource::new(Arc::new(Mutex::new(
                c.clone(),
            ))))),
        )
    };
    let served = app_with(&chain);
    let (status, e) = get(&served, "/v1/blocks/3/proof?txid=xyz").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e["message"].as_str().unwrap().contains("xyz"), "{e}");
    let other = bitcoin::Txid::from_byte_array([9; 32]);
    let (status, e) = get(&served, &format!("/v1/blocks/3/proof?txid={other}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        e["message"].as_str().unwrap().contains(&other.to_string()),
        "{e}"
    );
    let (status, _) = get(&served, "/v1/blocks/99/proof").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A source on another chain (a reorg the index has not followed): never a proof.
    let mut fork = ChainBuilder::new();
    for _ in 1..=5 {
        fork.mine_on_tip(&CoinbaseSpec::default().with_tag(b"/fork/"))
            .unwrap();
    }
    let (status, _) = get(&app_with(&fork), "/v1/blocks/3/proof").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    // The trait is object safe: a source that fails is a 500, not a panic.
    struct Down;
    impl BlockBytes for Down {
        fn block(&self, _: u32) -> BlockFuture<'_> {
            Box::pin(async { Err("node down".to_string()) })
        }
    }
    let (status, _) = get(
        &with_proof_source(app.clone(), Arc::new(Down)),
        "/v1/blocks/3/proof",
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}
