//! The Stacks RPC's shapes and refusals, over HTTP against a fresh devnet chain.

use alkahest_clarity::values::{none, principal, uint};
use alkahest_clarity::{Manifest, Value};
use alkahest_signer::key::SignerKey;
use alkahest_signer::stacks::rpc::RpcClient;
use alkahest_signer::stacks::tx::{self, ContractCall, Network};
use alkahest_signer::stacks::StacksClient;
use clarity::codec::StacksMessageCodec;
use serde_json::{json, Value as JsonValue};

use crate::chain::Bitcoin;
use crate::stacks::Stacks;

/// A fresh chain served on a free port.
struct Node {
    url: String,
    stacks: Stacks,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Node {
    async fn start() -> Node {
        let dir = tempfile::tempdir().unwrap();
        let btc = Bitcoin::open(dir.path()).unwrap();
        let stacks = Stacks::open(dir.path(), &btc).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(super::serve(listener, stacks.clone()));
        Node {
            url,
            stacks,
            dir,
            http: reqwest::Client::new(),
        }
    }

    async fn get(&self, path: &str) -> (u16, JsonValue) {
        let r = self.http.get(format!("{}{path}", self.url)).send().await;
        let r = r.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn post(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, JsonValue) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn post_json(&self, path: &str, body: JsonValue) -> (u16, JsonValue) {
        self.post(path, "application/json", body.to_string().into_bytes())
            .await
    }

    async fn broadcast(&self, bytes: Vec<u8>) -> (u16, JsonValue) {
        self.post("/v2/transactions", "application/octet-stream", bytes)
            .await
    }

    fn log_lines(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("stacks/txs.log"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

fn account(name: &str) -> (SignerKey, String) {
    let m = Manifest::workspace().unwrap();
    let a = &m.accounts[name];
    (
        SignerKey::from_hex(&a.secret_key, name).unwrap(),
        a.address.clone(),
    )
}

/// wallet_1 sends 1 µSTX to wallet_2 through `amm-wstx` (a public call that succeeds).
fn transfer_call(node: &Node) -> ContractCall {
    let (_, from) = account("wallet_1");
    let (_, to) = account("wallet_2");
    ContractCall {
        contract_id: node.stacks.contract("amm-wstx"),
        function: "transfer".into(),
        args: vec![uint(1), principal(&from), principal(&to), none()],
    }
}

/// `call` signed by wallet_1 with `nonce` and a fee of 1 µSTX per byte.
fn signed(call: &ContractCall, nonce: u64) -> Vec<u8> {
    let (key, _) = account("wallet_1");
    let unpaid = tx::sign_contract_call(call, nonce, 0, &key, Network::Testnet).unwrap();
    let fee = tx::encode(&unpaid).len() as u64;
    tx::encode(&tx::sign_contract_call(call, nonce, fee, &key, Network::Testnet).unwrap())
}

fn hex_value(v: &Value) -> String {
    format!("0x{}", hex::encode(v.serialize_to_vec()))
}

#[tokio::test]
async fn info_accounts_and_nonces_have_stacks_node_shapes() {
    let node = Node::start().await;
    let (status, info) = node.get("/v2/info").await;
    assert_eq!(status, 200);
    assert_eq!(info["network_id"], json!(0x8000_0000u32));
    assert_eq!(info["burn_block_height"], json!(0));
    assert_eq!(info["stacks_tip_height"], json!(1));
    assert_eq!(info["stacks_tip"].as_str().unwrap().len(), 64);
    for field in [
        "peer_version",
        "parent_network_id",
        "server_version",
        "pox_consensus",
    ] {
        assert!(!info[field].is_null(), "{field} missing: {info}");
    }

    let (_, wallet) = account("wallet_1");
    let (status, a) = node.get(&format!("/v2/accounts/{wallet}")).await;
    assert_eq!(status, 200);
    // Devnet.toml funds every account with 100,000,000 STX.
    assert_eq!(
        a["balance"],
        json!(format!("0x{:032x}", 100_000_000_000_000u128))
    );
    assert_eq!(a["locked"], json!(format!("0x{:032x}", 0)));
    assert_eq!(a["nonce"], json!(0));
    assert_eq!(a["balance_proof"], json!(""));
    let (_, a) = node.get(&format!("/v2/accounts/{wallet}?proof=0")).await;
    assert!(a.get("balance_proof").is_none() && a.get("nonce_proof").is_none());

    let (status, n) = node
        .get(&format!("/extended/v1/address/{wallet}/nonces"))
        .await;
    assert_eq!((status, &n["possible_next_nonce"]), (200, &json!(0)));

    let (status, e) = node.get("/v2/accounts/ST-not-a-principal").await;
    assert_eq!(status, 400);
    assert!(
        e["error"].as_str().unwrap().contains("ST-not-a-principal"),
        "{e}"
    );
}

#[tokio::test]
async fn read_only_calls_abi_and_source() {
    let node = Node::start().await;
    let deployer = node.stacks.deployer().to_string();
    let (_, wallet) = account("wallet_1");
    let path = format!("/v2/contracts/call-read/{deployer}/sbtc-token/get-balance");
    let body = json!({ "sender": wallet, "arguments": [hex_value(&principal(&wallet))] });
    let (status, r) = node.post_json(&path, body).await;
    assert_eq!(status, 200);
    let zero = Value::okay(uint(0)).unwrap();
    assert_eq!(r, json!({ "okay": true, "result": hex_value(&zero) }));

    // A function that returns a bare value (not a response) answers it bare.
    let p = format!("/v2/contracts/call-read/{deployer}/silica/get-silica");
    let body = json!({ "sender": wallet, "arguments": [hex_value(&uint(1))] });
    let (status, r) = node.post_json(&p, body).await;
    assert_eq!(status, 200);
    assert_eq!(r["result"], json!(hex_value(&none())));

    // Bad hex, a value with trailing bytes, a malformed sender: 400 naming the value.
    for (args, sender, named) in [
        (json!(["0xzz"]), wallet.as_str(), "0xzz"),
        (
            json!([format!("{}00", hex_value(&uint(1)))]),
            wallet.as_str(),
            "arguments[0]",
        ),
        (json!([]), "nobody", "nobody"),
    ] {
        let body = json!({ "sender": sender, "arguments": args });
        let (status, e) = node.post_json(&path, body).await;
        assert_eq!(status, 400, "{e}");
        assert!(e["error"].as_str().unwrap().contains(named), "{e}");
    }
    let (status, _) = node
        .post(&path, "application/json", b"{\"sender\"".to_vec())
        .await;
    assert_eq!(status, 400);

    // An unknown contract or function, and a public function: 404 with the cause.
    let body = json!({ "sender": wallet, "arguments": [] });
    for (contract, function, cause) in [
        ("no-such", "get-balance", "NoSuchContract"),
        ("sbtc-token", "no-such-fn", "NoSuchPublicFunction"),
        ("sbtc-token", "transfer", "NotReadOnly"),
    ] {
        let p = format!("/v2/contracts/call-read/{deployer}/{contract}/{function}");
        let (status, e) = node.post_json(&p, body.clone()).await;
        assert_eq!((status, &e["okay"]), (404, &json!(false)), "{e}");
        assert!(e["cause"].as_str().unwrap().contains(cause), "{e}");
    }

    let (status, abi) = node
        .get(&format!("/v2/contracts/interface/{deployer}/amm-wstx"))
        .await;
    assert_eq!(status, 200);
    let transfer = abi["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "transfer")
        .expect("transfer in the ABI");
    assert_eq!(transfer["access"], json!("public"));
    assert_eq!(
        transfer["args"][0],
        json!({ "name": "amount", "type": "uint128" })
    );
    assert!(abi["fungible_tokens"].is_array() && abi["maps"].is_array());

    let (status, src) = node
        .get(&format!("/v2/contracts/source/{deployer}/amm-wstx"))
        .await;
    assert_eq!(status, 200);
    assert!(src["source"]
        .as_str()
        .unwrap()
        .contains("(define-public (transfer"));
    assert_eq!(
        (&src["publish_height"], &src["proof"]),
        (&json!(0), &json!(""))
    );

    for p in ["interface", "source"] {
        let (status, e) = node
            .get(&format!("/v2/contracts/{p}/{deployer}/no-such"))
            .await;
        assert_eq!(status, 404);
        assert!(e["error"].as_str().unwrap().contains("no-such"), "{e}");
        let (status, e) = node.get(&format!("/v2/contracts/{p}/SPnope/x")).await;
        assert_eq!(status, 400);
        assert!(e["error"].as_str().unwrap().contains("SPnope"), "{e}");
    }
}

#[tokio::test]
async fn fee_endpoints_quote_at_least_the_minimum() {
    let node = Node::start().await;
    let (status, rate) = node.get("/v2/fees/transfer").await;
    assert_eq!((status, rate), (200, json!(1)));
    let t = tx::decode(&signed(&transfer_call(&node), 0)).unwrap();
    let payload = hex::encode(t.payload.serialize_to_vec());
    let body = json!({ "transaction_payload": format!("0x{payload}"), "estimated_len": 180 });
    let (status, est) = node.post_json("/v2/fees/transaction", body).await;
    assert_eq!(status, 200, "{est}");
    let fees: Vec<u64> = est["estimations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["fee"].as_u64().unwrap())
        .collect();
    assert_eq!(fees, vec![180, 360, 540]);
    let body = json!({ "transaction_payload": "0x00ff" });
    let (status, e) = node.post_json("/v2/fees/transaction", body).await;
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("0x00ff"), "{e}");
}

#[tokio::test]
async fn an_accepted_transaction_runs_is_logged_and_is_mined_with_the_next_block() {
    let node = Node::start().await;
    let (_, to) = account("wallet_2");
    let before = node.stacks.client().with_sim(|s| s.stx_balance(&to));
    let bytes = signed(&transfer_call(&node), 0);
    let expected = tx::txid_hex(&tx::decode(&bytes).unwrap());
    // The JSON form @stacks/transactions 7 sends.
    let body = json!({ "tx": hex::encode(&bytes) });
    let (status, txid) = node.post_json("/v2/transactions", body).await;
    assert_eq!((status, txid), (200, json!(expected)));
    assert_eq!(
        node.stacks.client().with_sim(|s| s.stx_balance(&to)),
        before + 1
    );
    assert_eq!(node.log_lines(), 1);
    let (_, wallet) = account("wallet_1");
    let (_, a) = node.get(&format!("/v2/accounts/{wallet}")).await;
    assert_eq!(a["nonce"], json!(1));

    let status_path = format!("/extended/v1/tx/0x{expected}");
    let (status, s) = node.get(&status_path).await;
    assert_eq!((status, s["tx_status"].clone()), (200, json!("pending")));
    node.stacks.mine(1, [7; 32]).await;
    let (_, s) = node.get(&status_path).await;
    assert_eq!(s["tx_status"], json!("success"));
    assert_eq!(s["tx_id"], json!(format!("0x{expected}")));
    assert_eq!(s["tx_result"]["hex"], json!(hex_value(&Value::okay_true())));
    assert_eq!(s["block_height"], json!(2));

    // The same bytes again: the nonce is spent.
    let (status, e) = node.broadcast(bytes).await;
    assert_eq!((status, &e["reason"]), (400, &json!("BadNonce")), "{e}");

    // The signers' path: RpcClient signs with the node's nonce and fee rate.
    let rpc = RpcClient::new(&node.url, std::time::Duration::from_secs(30)).unwrap();
    let (key, _) = account("wallet_1");
    let txid = rpc
        .sign_and_submit(&transfer_call(&node), &key, Network::Testnet)
        .await
        .unwrap();
    assert_eq!(rpc.get_nonce(&wallet).await.unwrap(), 2);
    assert!(node.stacks.receipt(&txid).unwrap().is_ok());

    let (status, e) = node
        .get(&format!("/extended/v1/tx/0x{}", "ab".repeat(32)))
        .await;
    assert_eq!(status, 404);
    assert!(
        e["error"].as_str().unwrap().contains(&"ab".repeat(32)),
        "{e}"
    );
    let (status, _) = node.get("/extended/v1/tx/0x1234").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn refused_transactions_get_stacks_node_reasons_and_change_nothing() {
    let node = Node::start().await;
    let (key, wallet) = account("wallet_1");
    let (_, to) = account("wallet_2");
    let call = transfer_call(&node);
    let balance = || node.stacks.client().with_sim(|s| s.stx_balance(&to));
    let before = balance();

    let good = signed(&call, 0);
    let mut bad_signature = good.clone();
    // Flip a byte of the signature, which ends the (single-sig) auth.
    let payload_len = tx::decode(&good).unwrap().payload.serialize_to_vec().len();
    // After the auth: anchor mode, post-condition mode, an empty post-condition list
    // (6 bytes); the signature is recovery id, r, s: byte -10 is in s.
    let at = good.len() - payload_len - 6 - 10;
    bad_signature[at] ^= 0x01;
    let wrong_chain = tx::encode(
        &tx::sign_contract_call_for_chain(&call, 0, 500, &key, Network::Testnet, 1).unwrap(),
    );
    let mainnet =
        tx::encode(&tx::sign_contract_call(&call, 0, 500, &key, Network::Mainnet).unwrap());
    let unpaid = tx::encode(&tx::sign_contract_call(&call, 0, 0, &key, Network::Testnet).unwrap());
    let unknown = ContractCall {
        contract_id: node.stacks.contract("no-such"),
        ..call.clone()
    };
    let no_fn = ContractCall {
        function: "no-such-fn".into(),
        ..call.clone()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("nonce 5", signed(&call, 5), "BadNonce"),
        (
            "flipped signature byte",
            bad_signature,
            "SignatureValidation",
        ),
        ("chain id 1", wrong_chain.clone(), "SignatureValidation"),
        ("mainnet version", mainnet, "BadTransactionVersion"),
        ("no fee", unpaid.clone(), "FeeTooLow"),
        ("unknown contract", signed(&unknown, 0), "NoSuchContract"),
        (
            "unknown function",
            signed(&no_fn, 0),
            "NoSuchPublicFunction",
        ),
        (
            "truncated bytes",
            good[..good.len() - 3].to_vec(),
            "Deserialization",
        ),
        (
            "trailing bytes",
            [good.clone(), vec![0]].concat(),
            "Deserialization",
        ),
    ];
    for (what, bytes, reason) in cases {
        let (status, e) = node.broadcast(bytes).await;
        assert_eq!(status, 400, "{what}: {e}");
        assert_eq!(e["error"], json!("transaction rejected"), "{what}: {e}");
        assert_eq!(e["reason"], json!(reason), "{what}: {e}");
    }
    let (_, e) = node.broadcast(signed(&call, 5)).await;
    assert_eq!(
        e["reason_data"],
        json!({ "expected": 0, "actual": 5, "principal": wallet, "is_origin": true })
    );
    let (_, e) = node.broadcast(unpaid.clone()).await;
    assert_eq!(e["reason_data"]["expected"], json!(unpaid.len()));
    let (_, e) = node.broadcast(wrong_chain).await;
    assert!(
        e["reason_data"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid chain ID 1"),
        "{e}"
    );

    // Malformed requests: JSON 400 naming what is wrong.
    for (content_type, body, named) in [
        ("application/octet-stream", vec![], "empty body"),
        ("text/plain", good.clone(), "text/plain"),
        ("application/json", b"{\"tx\": \"0xzz\"}".to_vec(), "0xzz"),
        ("application/json", b"[1]".to_vec(), "tx"),
    ] {
        let (status, e) = node.post("/v2/transactions", content_type, body).await;
        assert_eq!(status, 400, "{e}");
        assert!(e.to_string().contains(named), "{named}: {e}");
    }

    // Nothing ran: no nonce spent, no STX moved, nothing logged.
    let (_, a) = node.get(&format!("/v2/accounts/{wallet}")).await;
    assert_eq!(a["nonce"], json!(0));
    assert_eq!(balance(), before);
    assert_eq!(node.log_lines(), 0);
    // And the good one still goes through.
    let (status, _) = node.broadcast(good).await;
    assert_eq!(status, 200);
    assert_eq!(balance(), before + 1);
}

#[tokio::test]
async fn unknown_routes_are_json_404s() {
    let node = Node::start().await;
    let (status, e) = node.get("/v2/nope").await;
    assert_eq!(status, 404);
    assert!(e["error"].as_str().unwrap().contains("/v2/nope"), "{e}");
}
