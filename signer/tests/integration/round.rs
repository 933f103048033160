//! The signer service's round: three signers, each with its own index of the quorum
//! test's chain (window 0 of Silica 1 at heights 4..=7, tip 16) and its own HTTP
//! endpoint, reading the Silica's terms through a Stacks node. The node here is a
//! recording one (it answers `get-silica` with the terms and keeps what is submitted);
//! the rest is the production code: coordinator choice, finality, the pin, the quorum
//! over HTTP and the signed `attest-window` transaction.

use std::sync::{Arc, Mutex};

use alkahest_clarity::binding;
use alkahest_clarity::values::{buff, none, some, tuple, uint, ValueExt};
use alkahest_indexer::storage::SqliteStore;
use alkahest_protocol::index::WorkModel;
use alkahest_signer::attest::{Signer, SignerConfig};
use alkahest_signer::coordinator::Peer;
use alkahest_signer::exchange::router;
use alkahest_signer::key::SignerKey;
use alkahest_signer::service::chain::ChainTerms;
use alkahest_signer::service::round::{Outcome, Round, Submission};
use alkahest_signer::stacks::tx::{self, Network};
use alkahest_signer::stacks::{StacksClient, StacksError};
use clarity::vm::Value;
use clarity_repl::codec::{StacksTransaction, TransactionPayload};

use super::quorum::{chain_of, index, payout_script, CONFIRMATIONS};

const DEPLOYER: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";

/// A node holding one Silica, recording submitted transactions.
#[derive(Clone)]
struct RecordingNode {
    silica: Arc<Mutex<(u128, u128)>>, // (status, sold)
    submitted: Arc<Mutex<Vec<StacksTransaction>>>,
}

impl RecordingNode {
    fn new(status: u128, sold: u128) -> RecordingNode {
        RecordingNode {
            silica: Arc::new(Mutex::new((status, sold))),
            submitted: Arc::default(),
        }
    }
    fn submitted(&self) -> Vec<StacksTransaction> {
        self.submitted.lock().unwrap().clone()
    }
}

impl StacksClient for RecordingNode {
    async fn get_nonce(&self, _address: &str) -> Result<u64, StacksError> {
        Ok(self.submitted.lock().unwrap().len() as u64)
    }

    async fn call_read_only(
        &self,
        contract_id: &str,
        function: &str,
        args: &[Value],
        _sender: &str,
    ) -> Result<Value, StacksError> {
        assert_eq!(contract_id, format!("{DEPLOYER}.silica"));
        assert_eq!(function, "get-silica");
        if args[0].to_uint() != 1 {
            return Ok(none());
        }
        let (status, sold) = *self.silica.lock().unwrap();
        Ok(some(tuple([
            ("status", uint(status)),
            ("sold", uint(sold)),
            ("next-window", uint(0)),
            ("start", uint(4)),
            ("window-length", uint(4)),
            ("payout-script", buff(payout_script().as_bytes())),
        ])))
    }

    async fn submit(&self, t: &StacksTransaction) -> Result<String, StacksError> {
        tx::verify(t).expect("the coordinator signs its transaction");
        self.submitted.lock().unwrap().push(t.clone());
        Ok(tx::txid_hex(t))
    }
}

/// Three signers over `node`, each indexing `blocks` blocks of the chain.
async fn set(node: &RecordingNode, blocks: u32) -> Vec<Round<SqliteStore, RecordingNode>> {
    let c = chain_of(blocks, |h| 10_000 * u64::from(h));
    let mut signers = Vec::new();
    let mut peers = Vec::new();
    for i in 0..3u8 {
        let key = SignerKey::from_hex(&format!("{:02x}", 0x21 + i).repeat(32), "test").unwrap();
        let config = SignerConfig {
            confirmations: CONFIRMATIONS,
            binding: binding(),
            work_model: WorkModel::Header,
        };
        let signer = Arc::new(Signer::new(key, index(&c).await, config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = router(signer.clone(), ChainTerms::new(node.clone(), DEPLOYER));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        peers.push(Peer {
            url,
            public_key: signer.key().public_key(),
        });
        signers.push(signer);
    }
    signers
        .into_iter()
        .map(|signer| {
            Round::new(
                signer,
                peers.clone(),
                2,
                ChainTerms::new(node.clone(), DEPLOYER),
                Submission {
                    deployer: DEPLOYER.into(),
                    network: Network::Testnet,
                    fee_ustx: 1_000,
                },
                reqwest::Client::new(),
            )
        })
        .collect()
}

#[tokio::test]
async fn only_the_coordinator_submits_a_final_window_once() {
    let node = RecordingNode::new(1, 10);
    let mut rounds = set(&node, 16).await;
    let mut outcomes = Vec::new();
    for r in &mut rounds {
        outcomes.push(r.run().await.unwrap());
    }
    let coordinators: Vec<usize> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o, Outcome::Submitted(_)))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(coordinators.len(), 1, "{outcomes:?}");
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Outcome::Submitted(_) | Outcome::NotCoordinator)));
    let Outcome::Submitted(done) = &outcomes[coordinators[0]] else {
        unreachable!()
    };
    assert_eq!(done.len(), 1);
    let proposal = &done[0].0;
    assert_eq!((proposal.silica_id, proposal.window), (1, 0));
    assert_eq!(proposal.delivered, 10_000 * (4 + 5 + 6 + 7));
    assert_eq!(proposal.burn_height, 15, "pinned one below the tip");

    // The transaction: attest-window by the coordinator, with 2 signatures that
    // recover to two distinct members of the set over the attestation id.
    let sent = node.submitted();
    assert_eq!(sent.len(), 1);
    let coordinator = rounds[coordinators[0]].signer.key().clone();
    assert_eq!(
        sent[0].origin_address().to_string(),
        tx::address_of(&coordinator, Network::Testnet).to_string()
    );
    let TransactionPayload::ContractCall(call) = &sent[0].payload else {
        panic!("not a contract call")
    };
    assert_eq!(call.function_name.as_str(), "attest-window");
    // silica's signature: (token id window delivered index burn-height burn-hash sigs).
    assert_eq!(
        call.function_args[0],
        Value::Principal(
            clarity::vm::types::PrincipalData::parse(&format!("{DEPLOYER}.sbtc-token")).unwrap()
        ),
        "the settlement token comes first"
    );
    assert_eq!(call.function_args[3].to_uint(), proposal.delivered);
    let id = proposal.id(&binding());
    let mut signers: Vec<[u8; 33]> = call.function_args[7]
        .to_list()
        .iter()
        .map(|s| {
            let sig = <[u8; 65]>::try_from(s.to_buff()).unwrap();
            alkahest_protocol::key::RecoverableSignature(sig)
                .recover(&id)
                .unwrap()
        })
        .collect();
    signers.dedup();
    assert_eq!(signers.len(), 2);
    assert!(signers
        .iter()
        .all(|k| rounds.iter().any(|r| r.signer.key().public_key() == *k)));

    // The next round at the same tip does not resubmit.
    let again = rounds[coordinators[0]].run().await.unwrap();
    assert_eq!(again, Outcome::Submitted(vec![]));
    assert_eq!(node.submitted().len(), 1);
}

#[tokio::test]
async fn nothing_is_submitted_before_finality_or_for_an_unsold_silica() {
    // Window 0 ends at 7 and is final at 7 + 3; pinned one below the tip, it is
    // submitted from tip 11. At tip 10 nobody submits.
    let node = RecordingNode::new(1, 10);
    for r in &mut set(&node, 10).await {
        let o = r.run().await.unwrap();
        assert!(
            matches!(o, Outcome::Submitted(ref d) if d.is_empty()) || o == Outcome::NotCoordinator,
            "{o:?}"
        );
    }
    assert!(node.submitted().is_empty());
    // At tip 11 the coordinator does.
    for r in &mut set(&node, 11).await {
        r.run().await.unwrap();
    }
    assert_eq!(node.submitted().len(), 1);

    // Open with nothing sold: never attested.
    let unsold = RecordingNode::new(0, 0);
    for r in &mut set(&unsold, 16).await {
        r.run().await.unwrap();
    }
    assert!(unsold.submitted().is_empty());
    // Open with shares sold: the first attestation starts it.
    let sold = RecordingNode::new(0, 3);
    for r in &mut set(&sold, 16).await {
        r.run().await.unwrap();
    }
    assert_eq!(sold.submitted().len(), 1);
}
