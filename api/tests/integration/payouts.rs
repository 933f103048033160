//! `/v1/addresses/{addr}/payouts`: any valid address form, bounded pages and a cursor
//! that walks every payout exactly once, including several outputs of one block.

use axum::http::StatusCode;
use serde_json::Value;

use crate::fixture::{fixture, get, payee};

fn payouts(body: &Value) -> Vec<(u64, u64)> {
    body["payouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["height"].as_u64().unwrap(), o["vout"].as_u64().unwrap()))
        .collect()
}

#[tokio::test]
async fn an_all_upper_case_bech32_address_gets_the_same_payouts() {
    let f = fixture().await;
    let lower = payee().to_string();
    assert!(lower.starts_with("bcrt1q"));
    let (_, by_lower) = get(&f.app, &format!("/v1/addresses/{lower}/payouts")).await;
    let upper = lower.to_uppercase();
    let (status, by_upper) = get(&f.app, &format!("/v1/addresses/{upper}/payouts")).await;
    assert_eq!(status, StatusCode::OK, "{by_upper}");
    assert_eq!(by_upper, by_lower);
    assert_eq!(by_upper["address"], lower);
    assert_eq!(by_upper["total_sats"], 3_200);
}

#[tokio::test]
async fn a_mixed_case_bech32_address_is_a_400_citing_bip173() {
    let f = fixture().await;
    let lower = payee().to_string();
    let mixed = format!("{}{}", &lower[..8].to_uppercase(), &lower[8..]);
    let (status, body) = get(&f.app, &format!("/v1/addresses/{mixed}/payouts")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("addr must be")
            && message.contains("BIP 173")
            && message.contains(&mixed),
        "{message}"
    );
}

#[tokio::test]
async fn limit_is_bounded_and_defaults_to_a_page_of_100() {
    let f = fixture().await;
    let addr = payee();
    for bad in ["0", "1001", "-1", "x"] {
        let (status, body) =
            get(&f.app, &format!("/v1/addresses/{addr}/payouts?limit={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(
            body["message"],
            format!("limit must be an integer from 1 to 1000, got \"{bad}\"")
        );
    }
    let (status, all) = get(&f.app, &format!("/v1/addresses/{addr}/payouts?limit=1000")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(payouts(&all).len(), 4);
    assert!(all["next"].is_null());
    let (_, doc) = get(&f.app, "/v1/openapi.json").await;
    let limit = doc["paths"]["/v1/addresses/{addr}/payouts"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()["schema"]
        .clone();
    assert_eq!(
        (limit["default"].as_u64(), limit["maximum"].as_u64()),
        (Some(100), Some(1000))
    );
}

#[tokio::test]
async fn the_cursor_walks_every_payout_once_for_every_page_size() {
    let f = fixture().await;
    let addr = payee();
    let (_, all) = get(&f.app, &format!("/v1/addresses/{addr}/payouts")).await;
    let all = payouts(&all);
    assert_eq!(all.len(), 4);
    assert_eq!(all[2].0, 5, "two outputs of block 5");
    assert_eq!(all[3].0, 5);
    for limit in 1..=5 {
        let (mut seen, mut after, mut pages) = (Vec::new(), String::new(), 0);
        loop {
            let uri = format!("/v1/addresses/{addr}/payouts?limit={limit}{after}");
            let (status, page) = get(&f.app, &uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {page}");
            let got = payouts(&page);
            assert!(got.len() <= limit);
            let sum: u64 = page["payouts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["value_sats"].as_u64().unwrap())
                .sum();
            assert_eq!(page["total_sats"], sum, "total is of the page");
            seen.extend(got);
            pages += 1;
            match page["next"].as_str() {
                Some(next) => {
                    let last = seen.last().unwrap();
                    assert_eq!(next, format!("{}:{}", last.0, last.1));
                    after = format!("&after={next}");
                }
                None => break,
            }
        }
        assert_eq!(seen, all, "limit {limit}");
        assert_eq!(
            pages,
            all.len().div_ceil(limit),
            "limit {limit}: no empty last page"
        );
    }
}

#[tokio::test]
async fn the_cursor_combines_with_the_height_range() {
    let f = fixture().await;
    let addr = payee();
    let (_, page) = get(
        &f.app,
        &format!("/v1/addresses/{addr}/payouts?after=2:0&to=3"),
    )
    .await;
    assert_eq!(payouts(&page).iter().map(|p| p.0).collect::<Vec<_>>(), [3]);
    let (_, page) = get(
        &f.app,
        &format!("/v1/addresses/{addr}/payouts?from=5&after=2:0"),
    )
    .await;
    assert_eq!(
        payouts(&page).iter().map(|p| p.0).collect::<Vec<_>>(),
        [5, 5]
    );
    let (status, body) = get(&f.app, &format!("/v1/addresses/{addr}/payouts?after=2")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "after must be HEIGHT:VOUT, the `next` of a previous page, got \"2\""
    );
    let (status, body) = get(&f.app, &format!("/v1/addresses/{addr}/payouts?from=5&to=1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "from (5) is above to (1)");
}

#[tokio::test]
async fn non_utf8_path_and_query_values_get_the_json_400_naming_them() {
    let f = fixture().await;
    let cases = [
        (
            "/v1/addresses/%FF/payouts",
            "addr must be UTF-8 text once percent-decoded, got \"%FF\"",
        ),
        (
            "/v1/blocks/%C3%28",
            "height must be UTF-8 text once percent-decoded, got \"%C3%28\"",
        ),
        ("/v1/silica/%80/", "no such route"),
        (
            "/v1/silica/%80",
            "id must be UTF-8 text once percent-decoded, got \"%80\"",
        ),
        (
            "/v1/blocks?from=%FF",
            "from must be UTF-8 text once percent-decoded, got \"%FF\"",
        ),
    ];
    for (uri, message) in cases {
        let (status, body) = get(&f.app, uri).await;
        let expected = if message == "no such route" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(status, expected, "{uri}: {body}");
        assert_eq!(body["message"], message, "{uri}");
    }
}
