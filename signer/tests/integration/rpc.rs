//! The node RPC client against a local HTTP server that speaks the three Stacks node
//! endpoints the signer uses. The server decodes and verifies each submitted
//! transaction with the production decoder, so a wrong body or encoding fails here.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alkahest_clarity::values::{principal, uint};
use alkahest_signer::key::SignerKey;
use alkahest_signer::stacks::rpc::RpcClient;
use alkahest_signer::stacks::tx::{self, ContractCall, Network};
use alkahest_signer::stacks::{StacksClient, StacksError};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use clarity::codec::StacksMessageCodec;
use clarity::vm::Value;

#[derive(Default)]
struct Node {
    submitted: Mutex<Vec<Vec<u8>>>,
}

async fn account(Path(who): Path<String>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "balance": "0x0", "nonce": who.len() as u64 }))
}

async fn call_read(
    Path((address, name, function)): Path<(String, String, String)>,
    Json(body): Json<serde_json::Value>,
) -> Json<serde_json::Value> {
    if function == "explode" {
        return Json(serde_json::json!({ "okay": false, "cause": "Unchecked(NoSuchFunction)" }));
    }
    // Echo the decoded first argument plus one, to prove both encodings.
    let arg = body["arguments"][0]
        .as_str()
        .unwrap()
        .trim_start_matches("0x")
        .to_string();
    let v = Value::try_deserialize_hex_untyped(&arg).unwrap();
    let Value::UInt(n) = v else {
        panic!("uint expected")
    };
    assert_eq!(
        format!("{address}.{name}"),
        "ST37ZXAWCBKQB09TX4FKGR1SM1B6WF42QGD0WHE7Y.silica"
    );
    let out = Value::okay(Value::UInt(n + 1)).unwrap();
    Json(
        serde_json::json!({ "okay": true, "result": format!("0x{}", hex::encode(out.serialize_to_vec())) }),
    )
}

async fn transactions(
    State(node): State<Arc<Node>>,
    body: Bytes,
) -> (StatusCode, Json<serde_json::Value>) {
    match tx::decode(&body).and_then(|t| tx::verify(&t).map(|_| t)) {
        Ok(t) => {
            node.submitted.lock().unwrap().push(body.to_vec());
            (
                StatusCode::OK,
                Json(serde_json::json!(format!("0x{}", tx::txid_hex(&t)))),
            )
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": "transaction rejected", "reason": e.to_string() })),
        ),
    }
}

async fn serve() -> (SocketAddr, Arc<Node>) {
    let node = Arc::new(Node::default());
    let app = Router::new()
        .route("/v2/accounts/{who}", get(account))
        .route(
            "/v2/contracts/call-read/{address}/{name}/{function}",
            post(call_read),
        )
        .route("/v2/transactions", post(transactions))
        .with_state(node.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, node)
}

#[tokio::test]
async fn nonce_read_only_and_submit_over_http() {
    let (addr, node) = serve().await;
    let client = RpcClient::new(&format!("http://{addr}"), Duration::from_secs(5)).unwrap();
    let who = "ST1BE9S8QS0HZ5DXJTG5FQKMQ952VY2N5EP2E9C1E";
    assert_eq!(client.get_nonce(who).await.unwrap(), who.len() as u64);

    let contract = "ST37ZXAWCBKQB09TX4FKGR1SM1B6WF42QGD0WHE7Y.silica";
    let v = client
        .call_read_only(contract, "get-next", &[uint(41)], who)
        .await
        .unwrap();
    assert_eq!(v, Value::okay(Value::UInt(42)).unwrap());
    let e = client
        .call_read_only(contract, "explode", &[uint(1)], who)
        .await
        .unwrap_err();
    assert!(matches!(e, StacksError::ReadOnly { .. }), "{e}");

    let key = SignerKey::from_hex(&"55".repeat(32), "test").unwrap();
    let call = ContractCall {
        contract_id: contract.into(),
        function: "attest-window".into(),
        args: vec![uint(1), principal(who)],
    };
    let signed = tx::sign_contract_call(&call, 3, 500, &key, Network::Testnet).unwrap();
    let txid = client.submit(&signed).await.unwrap();
    assert_eq!(txid, tx::txid_hex(&signed));
    let submitted = node.submitted.lock().unwrap().clone();
    assert_eq!(submitted, vec![tx::encode(&signed)]);
}

#[tokio::test]
async fn refusals_and_dead_nodes_are_errors_not_panics() {
    let (addr, _node) = serve().await;
    let client = RpcClient::new(&format!("http://{addr}"), Duration::from_secs(5)).unwrap();
    // A node that refuses the transaction: the status and reason come back.
    let key = SignerKey::from_hex(&"66".repeat(32), "test").unwrap();
    let call = ContractCall {
        contract_id: "ST37ZXAWCBKQB09TX4FKGR1SM1B6WF42QGD0WHE7Y.silica".into(),
        function: "f".into(),
        args: vec![],
    };
    let mut signed = tx::sign_contract_call(&call, 0, 1, &key, Network::Testnet).unwrap();
    signed.set_tx_fee(2); // invalidates the signature
    match client.submit(&signed).await.unwrap_err() {
        StacksError::Refused { status, body, .. } => {
            assert_eq!(status, 400);
            assert!(body.contains("transaction rejected"), "{body}");
        }
        other => panic!("unexpected {other}"),
    }
    // Nothing listens on this port.
    let dead = RpcClient::new("http://127.0.0.1:9", Duration::from_millis(500)).unwrap();
    assert!(matches!(
        dead.get_nonce("ST1").await,
        Err(StacksError::Http { .. })
    ));
}
