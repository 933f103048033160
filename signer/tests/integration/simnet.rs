//! The simnet client executes signed transactions as their origin, checks nonces and
//! signatures, and keeps receipts.

use alkahest_clarity::values::{none, principal, uint, ValueExt};
use alkahest_clarity::{Manifest, Simnet};
use alkahest_signer::key::SignerKey;
use alkahest_signer::stacks::simnet::SimnetClient;
use alkahest_signer::stacks::tx::{self, ContractCall, Network};
use alkahest_signer::stacks::{StacksClient, StacksError};

#[tokio::test]
async fn signed_transfer_executes_as_its_origin() {
    let manifest = Manifest::workspace().unwrap();
    let deployer = manifest.deployer().clone();
    let wallet = manifest.accounts["wallet_1"].address.clone();
    let client = SimnetClient::new(Simnet::new());
    let key = SignerKey::from_hex(&deployer.secret_key, "deployer").unwrap();
    assert_eq!(
        tx::address_of(&key, Network::Testnet).to_string(),
        deployer.address
    );

    let token = format!("{}.alex-token", deployer.address);
    let call = ContractCall {
        contract_id: token.clone(),
        function: "transfer".into(),
        args: vec![
            uint(250),
            principal(&deployer.address),
            principal(&wallet),
            none(),
        ],
    };
    let nonce = client.get_nonce(&deployer.address).await.unwrap();
    assert_eq!(nonce, 0);
    let signed = tx::sign_contract_call(&call, nonce, 1_000, &key, Network::Testnet).unwrap();
    let txid = client.submit(&signed).await.unwrap();
    assert!(client.receipt(&txid).unwrap().is_ok());
    assert_eq!(
        client.with_sim(|s| s.ft_balance("alex-token", &wallet)),
        250
    );
    assert_eq!(client.get_nonce(&deployer.address).await.unwrap(), 1);

    // Replaying the same transaction is refused by nonce.
    let e = client.submit(&signed).await.unwrap_err();
    assert!(matches!(e, StacksError::Refused { .. }), "{e}");
    // A tampered transaction is refused by signature.
    let mut bad = tx::sign_contract_call(&call, 1, 1_000, &key, Network::Testnet).unwrap();
    bad.set_tx_fee(1);
    assert!(client.submit(&bad).await.is_err());
    assert_eq!(
        client.with_sim(|s| s.ft_balance("alex-token", &wallet)),
        250
    );

    let v = client
        .call_read_only(&token, "get-balance", &[principal(&wallet)], &wallet)
        .await
        .unwrap();
    assert_eq!(v.expect_result_ok().to_uint(), 250);
}
