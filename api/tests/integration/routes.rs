//! Every route queried over the shared fixture and compared with the chain; bad input
//! gets a 4xx JSON error naming the value.

use alkahest_protocol::index::WorkModel;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::Value;
use tower::ServiceExt;

use crate::fixture::{fixture, get, payee};

#[tokio::test]
async fn blocks_coinbase_payouts_index_and_pools_match_the_chain() {
    let f = fixture().await;
    let (s, health) = get(&f.app, "/v1/health").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(health["tip"]["height"], 12);
    assert_eq!(health["tip"]["hash"], f.chain.tip().1.to_string());

    let (_, page) = get(&f.app, "/v1/blocks?from=0&limit=5").await;
    assert_eq!(page["blocks"].as_array().unwrap().len(), 5);
    assert_eq!(page["next_from"], 5);
    let (_, last) = get(&f.app, "/v1/blocks?from=10&limit=5").await;
    let heights: Vec<u64> = last["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["height"].as_u64().unwrap())
        .collect();
    assert_eq!(heights, [10, 11, 12]);
    assert!(last["next_from"].is_null());

    let best = f.chain.best_chain();
    let (_, b3) = get(&f.app, "/v1/blocks/3").await;
    assert_eq!(b3["hash"], best[3].block_hash().to_string());
    assert_eq!(b3["fees_sats"], 1_500);
    assert_eq!(b3["subsidy_sats"], 5_000_000_000u64);
    assert_eq!(b3["pool_id"], 7);

    let (_, cb) = get(&f.app, "/v1/blocks/3/coinbase").await;
    assert_eq!(cb["txid"], best[3].txdata[0].compute_txid().to_string());
    let addr = payee().to_string();
    let paid: Vec<&Value> = cb["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["address"] == addr)
        .collect();
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0]["value_sats"], 1_000);

    let (_, payouts) = get(&f.app, &format!("/v1/addresses/{addr}/payouts")).await;
    assert_eq!(payouts["total_sats"], 3_200);
    assert_eq!(payouts["payouts"].as_array().unwrap().len(), 4);
    let (_, later) = get(
        &f.app,
        &format!("/v1/addresses/{addr}/payouts?from=3&to=12"),
    )
    .await;
    assert_eq!(later["total_sats"], 2_200);

    // The index of window 1 (heights 4..=7) recomputed from the block route's figures.
    let (_, idx) = get(&f.app, "/v1/index?from_window=0&to_window=2").await;
    let rows = idx["windows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let (mut reward, mut work) = (0f64, 0f64);
    for h in 4..=7 {
        let (_, b) = get(&f.app, &format!("/v1/blocks/{h}")).await;
        reward += (b["subsidy_sats"].as_u64().unwrap() + b["fees_sats"].as_u64().unwrap()) as f64;
        // The signers' work formula, 2^256 / (target + 1) from the header's bits (not
        // difficulty · 2^32, which is 1.0000153 times smaller).
        let bits = u32::from_str_radix(b["bits"].as_str().unwrap(), 16).unwrap();
        work += WorkModel::Header.block_work(bits).unwrap() as f64;
    }
    let expected = 86_400.0 * 1e12 * reward / work;
    let got = rows[1]["index"].as_f64().unwrap();
    assert!(
        (got - expected).abs() / expected < 1e-9,
        "index {got} vs {expected}"
    );
    assert_eq!(rows[1]["block_count"], 4);

    let (_, pools) = get(&f.app, "/v1/pools?from=1&to=12").await;
    assert_eq!(pools["blocks"], 12);
    let test_pool = pools["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pool_id"] == 7)
        .unwrap();
    assert_eq!(test_pool["blocks"], 6);
    assert_eq!(test_pool["name"], "TestPool");
}

#[tokio::test]
async fn bad_input_gets_a_4xx_json_error_naming_the_value() {
    let f = fixture().await;
    let cases = [
        ("/v1/blocks?limit=0", StatusCode::BAD_REQUEST, "limit"),
        ("/v1/blocks?limit=501", StatusCode::BAD_REQUEST, "limit"),
        ("/v1/blocks?from=abc", StatusCode::BAD_REQUEST, "abc"),
        ("/v1/blocks?from=-1", StatusCode::BAD_REQUEST, "-1"),
        ("/v1/blocks/abc", StatusCode::BAD_REQUEST, "abc"),
        (
            "/v1/blocks/99999999999",
            StatusCode::BAD_REQUEST,
            "99999999999",
        ),
        ("/v1/blocks/999", StatusCode::NOT_FOUND, "999"),
        ("/v1/blocks/999/coinbase", StatusCode::NOT_FOUND, "999"),
        (
            "/v1/addresses/not-an-address/payouts",
            StatusCode::BAD_REQUEST,
            "not-an-address",
        ),
        (
            "/v1/index?from_window=0",
            StatusCode::BAD_REQUEST,
            "to_window",
        ),
        (
            "/v1/index?from_window=5&to_window=1",
            StatusCode::BAD_REQUEST,
            "from_window",
        ),
        (
            "/v1/index?from_window=0&to_window=20000",
            StatusCode::BAD_REQUEST,
            "10000",
        ),
        ("/v1/pools?from=5&to=1", StatusCode::BAD_REQUEST, "from"),
        ("/v1/pools", StatusCode::BAD_REQUEST, "from"),
        ("/v1/nope", StatusCode::NOT_FOUND, "no such route"),
        ("/v1/silica/2", StatusCode::NOT_FOUND, "silica 2"),
        ("/v1/silica/abc", StatusCode::BAD_REQUEST, "abc"),
        (
            "/v1/governance/proposals/2",
            StatusCode::NOT_FOUND,
            "proposal 2",
        ),
        (
            "/v1/governance/proposals/abc",
            StatusCode::BAD_REQUEST,
            "abc",
        ),
    ];
    for (uri, status, mentions) in cases {
        let (s, body) = get(&f.app, uri).await;
        assert_eq!(s, status, "{uri}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(body["error"].is_string(), "{uri}: {body}");
        assert!(
            message.contains(mentions),
            "{uri}: message {message:?} should mention {mentions:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Whatever bytes a client puts in a path segment or query value, UTF-8 or not, the
    /// answer is never 5xx, and every refusal is the JSON error body.
    #[test]
    fn no_client_input_produces_a_5xx_or_a_non_json_refusal(
        segment in proptest::collection::vec(any::<u8>(), 0..24),
        value in proptest::collection::vec(any::<u8>(), 0..24),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let f = fixture().await;
            let seg: String = segment.iter().map(|b| format!("%{b:02X}")).collect();
            let val: String = value.iter().map(|b| format!("%{b:02X}")).collect();
            for uri in [
                format!("/v1/blocks/{seg}"),
                format!("/v1/blocks/{seg}/coinbase"),
                format!("/v1/addresses/{seg}/payouts?from={val}"),
                format!("/v1/addresses/{}/payouts?after={val}&limit={val}", payee()),
                format!("/v1/blocks?from={val}&limit={val}"),
                format!("/v1/index?from_window={val}&to_window={val}"),
                format!("/v1/pools?from={val}&to={val}"),
                format!("/v1/silica/{seg}"),
                format!("/v1/governance/proposals/{seg}"),
            ] {
                let resp = f.app.clone().oneshot(Request::get(&uri).body(Body::empty()).unwrap()).await.unwrap();
                let status = resp.status();
                assert!(!status.is_server_error(), "{uri}: {status}");
                let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                let body: Value = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| panic!("{uri}: non-JSON {status} body {:?}", String::from_utf8_lossy(&bytes)));
                if status != StatusCode::OK {
                    assert!(body["error"].is_string() && body["message"].is_string(), "{uri}: {body}");
                }
            }
        });
    }
}
