//! Deployment: every manifest contract deploys, in dependency order, with the
//! documented genesis state; a broken contract is reported with its name and line.

use alkahest_clarity::{
    manifest::workspace_root, values::ValueExt, HarnessError, Manifest, Simnet,
};

#[test]
fn every_manifest_contract_deploys_and_allocation_is_exact() {
    let mut sim = Simnet::new();
    let manifest = Manifest::workspace().unwrap();
    let deployed: Vec<&str> = sim.deploy_costs().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(deployed.len(), manifest.contracts.len());
    // Dependencies come first.
    let pos = |n: &str| deployed.iter().position(|d| *d == n).unwrap();
    assert!(pos("sip-010-trait") < pos("alex-token"));
    assert!(pos("alex-token") < pos("alex-vesting"));

    let deployer = sim.deployer();
    let one = 100_000_000u128;
    let emission = sim.contract_id("alex-emission");
    let vesting = sim.contract_id("alex-vesting");
    assert_eq!(sim.ft_balance("alex-token", &emission), 500_000_000 * one);
    // The handover closes vesting registration: with no beneficiary on the devnet, the
    // 30% goes to the foundation reserve (the deployer on devnet) beside its own 20%.
    assert_eq!(sim.ft_balance("alex-token", &deployer), 500_000_000 * one);
    assert_eq!(sim.ft_balance("alex-token", &vesting), 0);
    let mut before = Simnet::deployer_governed();
    assert_eq!(
        before.ft_balance("alex-token", &deployer),
        200_000_000 * one
    );
    assert_eq!(before.ft_balance("alex-token", &vesting), 300_000_000 * one);
    let supply = sim
        .read_only("alex-token", "get-total-supply", &[])
        .to_uint();
    assert_eq!(supply, 1_000_000_000 * one);
}

#[test]
fn devnet_accounts_are_funded_and_keys_match() {
    let mut sim = Simnet::new();
    let manifest = Manifest::workspace().unwrap();
    for name in ["deployer", "wallet_1", "wallet_8"] {
        let a = &manifest.accounts[name];
        assert_eq!(
            alkahest_clarity::accounts::address_of(&a.secret_key).unwrap(),
            a.address
        );
        assert_eq!(sim.stx_balance(&a.address), a.balance as u128);
    }
}

#[test]
fn broken_contract_error_names_contract_line_and_reason() {
    let mut sim = Simnet::new();
    let src = "(define-read-only (ok-fn) u1)\n\n(define-read-only (bad) (+ u1 \"two\"))\n";
    let e = sim
        .deploy_contract("broken", src, &sim.deployer())
        .unwrap_err();
    match &e {
        HarnessError::Deploy {
            contract,
            line,
            reason,
        } => {
            assert_eq!(contract, "broken");
            assert_eq!(*line, 3, "{e}");
            assert!(!reason.is_empty());
        }
        other => panic!("unexpected error {other}"),
    }
    let msg = e.to_string();
    assert!(msg.contains("broken") && msg.contains("line 3"), "{msg}");

    let e = sim.deploy_contract("unparsable", "(define-public (f) (ok u1)", &sim.deployer());
    let msg = e.unwrap_err().to_string();
    assert!(msg.contains("unparsable"), "{msg}");
}

#[test]
fn manifest_with_account_address_not_matching_its_mnemonic_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("settings")).unwrap();
    std::fs::write(
        dir.path().join("Clarinet.toml"),
        "[project]\nname = \"x\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("settings/Devnet.toml"),
        // Clarinet's default deployer mnemonic, with wallet_1's address.
        "[network]\nname = \"devnet\"\n\n[accounts.deployer]\nmnemonic = \"twice kind fence tip hidden tilt action fragile skin nothing glory cousin green tomorrow spring wrist shed math olympic multiply hip blue scout claw\"\naddress = \"ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5\"\nbalance = 1\n",
    )
    .unwrap();
    let e = Manifest::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("does not match its mnemonic"), "{e}");
    assert!(
        e.contains("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM"),
        "{e}"
    );
    assert!(workspace_root().join("Clarinet.toml").is_file());
}
