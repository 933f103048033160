//! [`Simnet`]: a clarity-repl `Session` with every manifest contract deployed, and the
//! call, block and balance operations the tests and the devnet need.

use std::sync::{Arc, OnceLock};

use clarity::types::StacksEpochId;
use clarity::vm::diagnostic::Diagnostic;
use clarity::vm::types::PrincipalData;
use clarity::vm::ClarityVersion;
use clarity::vm::{EvaluationResult, ExecutionResult, Value};
use clarity_repl::repl::{
    ClarityCodeSource, ClarityContract, ContractDeployer, Session, SessionSettings,
};

use crate::burn::{self, BurnChain};
use crate::manifest::Manifest;
use crate::receipt::{decode_events, Cost, Outcome, Receipt};
use crate::values::{self, to_source, ValueExt};
use crate::{costs, HarnessError};

/// Boot contracts the VM needs for cost tracking (see dependencies.md).
const BOOT_CONTRACTS: [&str; 10] = [
    "pox",
    "lockup",
    "costs",
    "cost-voting",
    "bns",
    "genesis",
    "costs-2",
    "pox-2",
    "costs-3",
    "pox-3",
];

/// A simulated Stacks chain with the project's contracts deployed.
///
/// Deploying takes a while, so [`Simnet::new`] deploys the workspace manifest once per
/// process and hands every caller a clone.
///
/// ```
/// use alkahest_clarity::{Simnet, values::{uint, principal}};
/// let mut sim = Simnet::new();
/// let wallet = sim.account("wallet_1");
/// let deployer = sim.deployer();
/// let r = sim.call("alex-token", "get-decimals", &[], &deployer);
/// assert_eq!(r.expect_ok(), uint(8));
/// assert!(sim.stx_balance(&wallet) > 0);
/// ```
#[derive(Clone)]
pub struct Simnet {
    session: Session,
    manifest: Arc<Manifest>,
    /// Cost of each contract's deployment, in deploy order.
    deploy_costs: Vec<(String, Cost)>,
    /// Header hashes `get-burn-block-info?` returns (see [`crate::burn`]).
    burn_chain: BurnChain,
    /// The receipt of each bootstrap call, in order, as `(contract.function, receipt)`:
    /// the devnet reports them to event observers as its first block's transactions.
    bootstrap_receipts: Vec<(String, Receipt)>,
}

static WORKSPACE: OnceLock<Result<(Simnet, Simnet, Simnet), String>> = OnceLock::new();

impl Simnet {
    /// A fresh chain with the workspace's `Clarinet.toml` deployed and every
    /// `deployments/bootstrap.toml` call run, the governance handover included: the
    /// chain a deployment produces, where `dao-core` governs every contract.
    ///
    /// # Panics
    /// If the workspace contracts fail to deploy; the message names the contract, the
    /// line and the reason. Use [`Simnet::try_new`] to handle that as an error.
    pub fn new() -> Simnet {
        Simnet::try_new().unwrap_or_else(|e| panic!("{e}"))
    }

    /// A fresh chain with the workspace's contracts, or the deploy error.
    ///
    /// # Errors
    /// The manifest does not load or a contract fails to deploy.
    pub fn try_new() -> Result<Simnet, String> {
        Simnet::templates().map(|(_, _, booted)| booted)
    }

    /// The workspace contracts deployed but *before* `deployments/bootstrap.toml` ran:
    /// for testing the one-time bootstrap functions themselves.
    ///
    /// # Panics
    /// As [`Simnet::new`].
    pub fn bare() -> Simnet {
        Simnet::templates()
            .map(|(bare, _, _)| bare)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The workspace chain bootstrapped *except* the governance handover: the deployer
    /// is still every contract's governance. For contract unit tests of
    /// governance-gated functions, which then need no proposal per call; the DAO path
    /// itself is tested on [`Simnet::new`].
    ///
    /// # Panics
    /// As [`Simnet::new`].
    pub fn deployer_governed() -> Simnet {
        Simnet::templates()
            .map(|t| t.1)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Simnet::deployer_governed`], or the deploy error.
    ///
    /// # Errors
    /// As [`Simnet::try_new`].
    pub fn try_deployer_governed() -> Result<Simnet, String> {
        Simnet::templates().map(|t| t.1)
    }

    fn templates() -> Result<(Simnet, Simnet, Simnet), String> {
        WORKSPACE
            .get_or_init(|| {
                let bare = Manifest::workspace()
                    .and_then(Simnet::deploy_contracts)
                    .map_err(|e| e.to_string())?;
                let mut governed = bare.clone();
                governed
                    .run_bootstrap_calls(false)
                    .map_err(|e| e.to_string())?;
                let mut booted = governed.clone();
                booted.run_bootstrap_handover().map_err(|e| e.to_string())?;
                Ok((bare, governed, booted))
            })
            .clone()
    }

    /// Runs the manifest's bootstrap calls in order, the handover stage included.
    ///
    /// # Errors
    /// [`HarnessError::Deploy`] naming the first call that does not return `ok`.
    pub fn run_bootstrap(&mut self) -> Result<(), HarnessError> {
        self.run_bootstrap_calls(false)?;
        self.run_bootstrap_handover()
    }

    /// Runs only the handover stage (after [`Simnet::deployer_governed`]'s calls).
    ///
    /// # Errors
    /// As [`Simnet::run_bootstrap`].
    pub fn run_bootstrap_handover(&mut self) -> Result<(), HarnessError> {
        self.run_bootstrap_calls(true)
    }

    fn run_bootstrap_calls(&mut self, handover: bool) -> Result<(), HarnessError> {
        let calls = self.manifest.bootstrap.clone();
        for call in calls.into_iter().filter(|c| c.is_handover() == handover) {
            let sender = self.account(&call.sender);
            let contract_id = self.contract_id(&call.contract);
            let receipt = self.call_source(
                &call.contract,
                &contract_id,
                &call.function,
                &call.args,
                &sender,
            )?;
            if !receipt.is_ok() {
                return Err(HarnessError::Deploy {
                    contract: call.contract.clone(),
                    line: 0,
                    reason: format!("bootstrap call {} failed:\n{receipt}", call.function),
                });
            }
            self.bootstrap_receipts
                .push((format!("{contract_id}.{}", call.function), receipt));
        }
        Ok(())
    }

    /// The bootstrap calls' receipts, `(contract.function, receipt)` in call order
    /// (events included), for whoever reports this chain's history: each is handed out
    /// once.
    pub fn take_bootstrap_receipts(&mut self) -> Vec<(String, Receipt)> {
        std::mem::take(&mut self.bootstrap_receipts)
    }

    /// Deploys a manifest and runs its bootstrap calls.
    ///
    /// # Errors
    /// As [`Simnet::deploy_contracts`] and [`Simnet::run_bootstrap`].
    pub fn deploy(manifest: Manifest) -> Result<Simnet, HarnessError> {
        let mut sim = Simnet::deploy_contracts(manifest)?;
        sim.run_bootstrap()?;
        Ok(sim)
    }

    /// Starts a chain, funds the manifest's accounts and deploys its contracts in order
    /// (without running the bootstrap calls).
    ///
    /// # Errors
    /// [`HarnessError::Deploy`] naming the first contract that fails, with its line.
    pub fn deploy_contracts(manifest: Manifest) -> Result<Simnet, HarnessError> {
        let deployer = manifest.deployer().clone();
        let settings = SessionSettings {
            include_boot_contracts: BOOT_CONTRACTS.iter().map(|s| s.to_string()).collect(),
            initial_deployer: Some(to_repl_account(&deployer)),
            initial_accounts: manifest.accounts.values().map(to_repl_account).collect(),
            ..SessionSettings::default()
        };
        let mut session = Session::new(settings);
        session.load_boot_contracts();
        for account in manifest.accounts.values() {
            let recipient =
                PrincipalData::parse(&account.address).map_err(|e| HarnessError::Value {
                    value: account.address.clone(),
                    reason: e.to_string(),
                })?;
            session
                .interpreter
                .mint_stx_balance(recipient, account.balance)
                .map_err(|reason| HarnessError::Manifest {
                    path: manifest.root.join("settings/Devnet.toml"),
                    reason: format!("funding {}: {reason}", account.name),
                })?;
        }
        session.update_epoch(StacksEpochId::Epoch24);
        let mut sim = Simnet {
            session,
            manifest: Arc::new(manifest.clone()),
            deploy_costs: Vec::new(),
            bootstrap_receipts: Vec::new(),
            burn_chain: BurnChain::default(),
        };
        for spec in &manifest.contracts {
            let cost = sim.deploy_source_as(
                &spec.name,
                &spec.source,
                &deployer.address,
                spec.clarity_version,
                spec.epoch,
            )?;
            sim.deploy_costs.push((spec.name.clone(), cost));
        }
        Ok(sim)
    }

    /// Deploys an extra contract (an attacker's, say) as `deployer`.
    ///
    /// # Errors
    /// [`HarnessError::Deploy`] with the line and reason when it does not check.
    pub fn deploy_contract(
        &mut self,
        name: &str,
        source: &str,
        deployer: &str,
    ) -> Result<Cost, HarnessError> {
        self.deploy_source_as(
            name,
            source,
            deployer,
            ClarityVersion::Clarity2,
            StacksEpochId::Epoch24,
        )
    }

    fn deploy_source_as(
        &mut self,
        name: &str,
        source: &str,
        deployer: &str,
        clarity_version: ClarityVersion,
        epoch: StacksEpochId,
    ) -> Result<Cost, HarnessError> {
        let contract = ClarityContract {
            code_source: ClarityCodeSource::ContractInMemory(source.to_string()),
            name: name.to_string(),
            deployer: ContractDeployer::Address(deployer.to_string()),
            clarity_version,
            epoch,
        };
        let sender = values::standard_principal(deployer)?;
        let previous = self.session.interpreter.get_tx_sender();
        self.session.interpreter.set_tx_sender(sender);
        let result = self
            .session
            .deploy_contract(&contract, None, true, None, &mut None);
        self.session.interpreter.set_tx_sender(previous);
        self.session.costs_reports.clear();
        match result {
            Ok(exec) => Ok(cost_of(&exec)),
            Err(diags) => Err(deploy_error(name, &diags)),
        }
    }

    /// The manifest this chain was built from.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Deployment cost of each manifest contract, in deploy order.
    pub fn deploy_costs(&self) -> &[(String, Cost)] {
        &self.deploy_costs
    }

    /// The deployer's address.
    pub fn deployer(&self) -> String {
        self.manifest.deployer().address.clone()
    }

    /// The address of a `Devnet.toml` account.
    ///
    /// # Panics
    /// If there is no such account.
    pub fn account(&self, name: &str) -> String {
        self.manifest
            .accounts
            .get(name)
            .unwrap_or_else(|| panic!("no account `{name}` in settings/Devnet.toml"))
            .address
            .clone()
    }

    /// `deployer.name` for a manifest contract name; a qualified id passes through.
    pub fn contract_id(&self, contract: &str) -> String {
        if contract.contains('.') {
            contract.to_string()
        } else {
            format!("{}.{}", self.deployer(), contract)
        }
    }

    /// Calls a public or read-only function as `sender` (a standard principal).
    ///
    /// # Panics
    /// If the VM refuses the call before running it (unknown function, wrong argument
    /// types, bad sender): that is a bug in the caller, not a contract outcome.
    #[track_caller]
    pub fn call(
        &mut self,
        contract: &str,
        function: &str,
        args: &[Value],
        sender: &str,
    ) -> Receipt {
        self.try_call(contract, function, args, sender)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Simnet::call`], but returns pre-execution rejections as errors.
    ///
    /// # Errors
    /// [`HarnessError::Call`] when the call does not type-check, and
    /// [`HarnessError::Value`] for a malformed sender.
    pub fn try_call(
        &mut self,
        contract: &str,
        function: &str,
        args: &[Value],
        sender: &str,
    ) -> Result<Receipt, HarnessError> {
        let contract_id = self.contract_id(contract);
        values::contract_id(&contract_id)?;
        let rendered: Vec<String> = args.iter().map(to_source).collect();
        self.call_source(contract, &contract_id, function, &rendered, sender)
    }

    fn call_source(
        &mut self,
        contract: &str,
        contract_id: &str,
        function: &str,
        rendered: &[String],
        sender: &str,
    ) -> Result<Receipt, HarnessError> {
        let sender_principal = values::standard_principal(sender)?;
        let snippet = format!(
            "(contract-call? '{} {} {})",
            contract_id,
            function,
            rendered.join(" ")
        );
        let call = ClarityContract {
            code_source: ClarityCodeSource::ContractInMemory(snippet),
            name: "contract-call".to_string(),
            deployer: ContractDeployer::Address(sender.to_string()),
            clarity_version: ClarityVersion::Clarity2,
            epoch: StacksEpochId::Epoch24,
        };
        let result = burn::run(
            &mut self.session.interpreter,
            &self.burn_chain,
            &call,
            sender_principal.into(),
            true,
        );
        let label = format!("{contract}::{function}");
        match result {
            Ok(exec) => {
                let cost = cost_of(&exec);
                costs::record(short_name(contract), function, &cost);
                let value = match &exec.result {
                    EvaluationResult::Snippet(s) => s.result.clone(),
                    EvaluationResult::Contract(c) => c.result.clone().unwrap_or(Value::none()),
                };
                let (outcome, events) = match value {
                    Value::Response(r) if r.committed => {
                        (Outcome::Ok(*r.data), decode_events(&exec.events))
                    }
                    Value::Response(r) => (Outcome::Err(*r.data), Vec::new()),
                    // A read-only function may return a bare value.
                    other => (Outcome::Ok(other), decode_events(&exec.events)),
                };
                Ok(Receipt {
                    call: label,
                    outcome,
                    events,
                    cost,
                })
            }
            Err(diags) if is_runtime(&diags) => Ok(Receipt {
                call: label,
                outcome: Outcome::Aborted(join_messages(&diags)),
                events: Vec::new(),
                cost: Cost::default(),
            }),
            Err(diags) => Err(HarnessError::Call {
                contract: contract_id.to_string(),
                function: function.to_string(),
                reason: join_messages(&diags),
            }),
        }
    }

    /// Calls a read-only function as the deployer and returns its value (the `ok`
    /// value when it returns a response).
    ///
    /// # Panics
    /// If the call is rejected, aborts or returns `err`.
    #[track_caller]
    pub fn read_only(&mut self, contract: &str, function: &str, args: &[Value]) -> Value {
        let deployer = self.deployer();
        self.call(contract, function, args, &deployer).expect_ok()
    }

    /// Mines `n` blocks; returns the new Stacks block height. Burn height moves with it.
    pub fn mine(&mut self, n: u32) -> u32 {
        self.session.advance_chain_tip(n)
    }

    /// The current Stacks `block-height`.
    pub fn block_height(&mut self) -> u32 {
        self.session.interpreter.get_block_height()
    }

    /// The current `burn-block-height` as contracts see it.
    pub fn burn_block_height(&mut self) -> u128 {
        self.eval_internal("burn-block-height").to_uint()
    }

    /// `get-burn-block-info? header-hash` at `height`, as the contracts see it: `some`
    /// only below [`Simnet::burn_block_height`] (the tip's own block is not visible
    /// yet, as on Stacks), distinct per height.
    pub fn burn_header_hash(&mut self, height: u128) -> Option<Vec<u8>> {
        let snippet = format!("(get-burn-block-info? header-hash u{height})");
        self.eval_internal(&snippet)
            .to_optional()
            .map(|v| v.to_buff())
    }

    /// The header hash the burn chain holds for `height`, visible to contracts or not
    /// (a signer signing ahead, a test building a future or forked message).
    pub fn burn_chain_hash(&self, height: u32) -> [u8; 32] {
        self.burn_chain.hash(height)
    }

    /// Sets the header hash of burn height `height`, bytes exactly as contracts will
    /// see them: the devnet injects its regtest block hashes; a test models a reorg by
    /// replacing the hash of a height a message was pinned to. Heights never set keep
    /// the default `sha256("alkahest burn" ‖ height as u64 big-endian)`.
    pub fn set_burn_header_hash(&mut self, height: u32, hash: [u8; 32]) {
        self.burn_chain.set(height, hash);
    }

    /// Returns `height` to its default header hash.
    pub fn clear_burn_header_hash(&mut self, height: u32) {
        self.burn_chain.unset(height);
    }

    /// The interface (ABI) of a deployed contract, as a Stacks node serves it on
    /// `/v2/contracts/interface`: built from the analysis the deployment stored, so it
    /// describes exactly what the VM type-checked. `None` for a malformed id or a
    /// contract that is not deployed.
    pub fn contract_interface(
        &mut self,
        contract_id: &str,
    ) -> Option<clarity::vm::analysis::contract_interface_builder::ContractInterface> {
        use clarity::vm::analysis::contract_interface_builder::build_contract_interface;
        use clarity::vm::analysis::AnalysisDatabase;
        let id = clarity::vm::types::QualifiedContractIdentifier::parse(contract_id).ok()?;
        let mut db = AnalysisDatabase::new(&mut self.session.interpreter.datastore);
        // A read in its own (rolled back) context: the VM reads only inside one.
        db.begin();
        let analysis = db.load_contract(&id, &StacksEpochId::Epoch24);
        db.roll_back();
        analysis.map(|a| build_contract_interface(&a))
    }

    /// STX balance of a principal, in micro-STX.
    pub fn stx_balance(&mut self, who: &str) -> u128 {
        let p = values::principal(who);
        self.eval_internal(&format!("(stx-get-balance {})", to_source(&p)))
            .to_uint()
    }

    /// SIP-010 balance (`get-balance`) of `who` in `token`.
    pub fn ft_balance(&mut self, token: &str, who: &str) -> u128 {
        self.read_only(token, "get-balance", &[values::principal(who)])
            .to_uint()
    }

    /// SIP-013 balance (`get-balance id who`) in `contract`.
    pub fn sft_balance(&mut self, contract: &str, id: u128, who: &str) -> u128 {
        self.read_only(
            contract,
            "get-balance",
            &[values::uint(id), values::principal(who)],
        )
        .to_uint()
    }

    /// The code of the error constant `name` (`(define-constant NAME (err uN))`) as
    /// declared in the deployed source of `contract`.
    ///
    /// # Panics
    /// If the contract or constant does not exist.
    #[track_caller]
    pub fn err_code(&self, contract: &str, name: &str) -> u128 {
        self.try_err_code(contract, name)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Simnet::err_code`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`HarnessError::UnknownConstant`].
    pub fn try_err_code(&self, contract: &str, name: &str) -> Result<u128, HarnessError> {
        self.manifest
            .contract(contract)
            .and_then(|spec| spec.error_codes.get(name).copied())
            .ok_or_else(|| HarnessError::UnknownConstant {
                contract: contract.to_string(),
                name: name.to_string(),
            })
    }

    /// Evaluates a read-only expression the harness itself wrote.
    fn eval_internal(&mut self, snippet: &str) -> Value {
        let deployer = self.deployer();
        let expression = ClarityContract {
            code_source: ClarityCodeSource::ContractInMemory(snippet.to_string()),
            name: "harness-eval".to_string(),
            deployer: ContractDeployer::Address(deployer.clone()),
            clarity_version: ClarityVersion::Clarity2,
            epoch: StacksEpochId::Epoch24,
        };
        let sender = values::standard_principal(&deployer)
            .unwrap_or_else(|e| panic!("the manifest deployer: {e}"));
        let result = burn::run(
            &mut self.session.interpreter,
            &self.burn_chain,
            &expression,
            sender.into(),
            false,
        );
        match result {
            Ok(exec) => match exec.result {
                EvaluationResult::Snippet(s) => s.result,
                EvaluationResult::Contract(c) => c.result.unwrap_or(Value::none()),
            },
            Err(d) => panic!(
                "harness expression `{snippet}` failed: {}",
                join_messages(&d)
            ),
        }
    }

    /// The underlying clarity-repl session, for what the harness does not wrap. Code run
    /// through it directly sees clarity-repl's height-blind burn header hashes, not
    /// this chain's (see [`crate::burn`]); use [`Simnet::call`] for contract calls.
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }
}

impl Default for Simnet {
    fn default() -> Self {
        Simnet::new()
    }
}

impl Drop for Simnet {
    fn drop(&mut self) {
        costs::flush();
    }
}

fn to_repl_account(a: &crate::accounts::Account) -> clarity_repl::repl::settings::Account {
    clarity_repl::repl::settings::Account {
        address: a.address.clone(),
        balance: a.balance,
        name: a.name.clone(),
    }
}

fn short_name(contract: &str) -> &str {
    contract.rsplit('.').next().unwrap_or(contract)
}

fn cost_of(exec: &ExecutionResult) -> Cost {
    exec.cost
        .as_ref()
        .map(|c| Cost {
            runtime: c.total.runtime,
            read_count: c.total.read_count,
            read_length: c.total.read_length,
            write_count: c.total.write_count,
            write_length: c.total.write_length,
        })
        .unwrap_or_default()
}

fn is_runtime(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.message.contains("Runtime"))
}

fn join_messages(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.message.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

fn deploy_error(contract: &str, diags: &[Diagnostic]) -> HarnessError {
    let errors: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| matches!(d.level, clarity::vm::diagnostic::Level::Error))
        .collect();
    let relevant = if errors.is_empty() {
        diags.iter().collect()
    } else {
        errors
    };
    let line = relevant
        .iter()
        .flat_map(|d| d.spans.iter())
        .map(|s| s.start_line)
        .find(|l| *l > 0)
        .unwrap_or(0);
    HarnessError::Deploy {
        contract: contract.to_string(),
        line,
        reason: relevant
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
    }
}
