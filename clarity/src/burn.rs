//! The harness's burn chain: a distinct Bitcoin header hash per height, `none` at and
//! past the tip.
//!
//! clarity-repl 2.0.0's `BurnDatastore` answers `get-burn-block-info? header-hash h`
//! with the hash of the *tip* whatever `h` is (its `get_burn_header_hash` ignores the
//! height), so a reorg guard comparing hashes could never fail for a wrong height.
//! The interpreter holds that datastore by concrete type, so the harness runs its
//! calls through [`run`], which builds the `ClarityDatabase` itself over a
//! [`BurnView`]: the session's burn datastore for everything else, [`BurnChain`] for
//! header hashes.
//!
//! Visibility follows today's Stacks VM: the hash of height `h` is `some` only for
//! `h < burn-block-height`. The block at `burn-block-height` itself is not visible yet
//! (observed on Stacks testnet, stacks-network/stacks-core#3616), so contracts must pin
//! attestations to heights strictly below the tip.

use std::collections::BTreeMap;

use clarity::consts::CHAIN_ID_TESTNET;
use clarity::types::chainstate::{
    BlockHeaderHash, BurnchainHeaderHash, ConsensusHash, SortitionId, StacksAddress, StacksBlockId,
    VRFSeed,
};
use clarity::types::StacksEpochId;
use clarity::util::hash::Sha256Sum;
use clarity::vm::ast::ASTRules;
use clarity::vm::contexts::{CallStack, ContractContext, Environment, GlobalContext, LocalContext};
use clarity::vm::costs::LimitedCostTracker;
use clarity::vm::database::{BurnStateDB, ClarityDatabase, HeadersDB};
use clarity::vm::diagnostic::{Diagnostic, Level};
use clarity::vm::representations::SymbolicExpression;
use clarity::vm::representations::SymbolicExpressionType::{Atom, List};
use clarity::vm::types::{PrincipalData, TupleData};
use clarity::vm::{eval, StacksEpoch};
use clarity::vm::{CostSynthesis, EvaluationResult, ExecutionResult, SnippetEvaluationResult};
use clarity_repl::repl::datastore::BurnDatastore;
use clarity_repl::repl::interpreter::BLOCK_LIMIT_MAINNET;
use clarity_repl::repl::{ClarityContract, ClarityInterpreter};

/// Prefix of the default header hash preimage: `sha256(DEFAULT_TAG ‖ height as u64 BE)`.
pub const DEFAULT_TAG: &[u8] = b"alkahest burn";

/// Header hashes by burn height: set ones (the devnet's real regtest hashes, a test's
/// fork) and a deterministic distinct default for the rest.
#[derive(Clone, Debug, Default)]
pub struct BurnChain {
    set: BTreeMap<u32, [u8; 32]>,
}

impl BurnChain {
    /// The header hash of `height` (whether or not the chain has reached it).
    pub fn hash(&self, height: u32) -> [u8; 32] {
        self.set
            .get(&height)
            .copied()
            .unwrap_or_else(|| default_hash(height))
    }

    /// Replaces the header hash of `height` (bytes exactly as contracts will see them).
    pub fn set(&mut self, height: u32, hash: [u8; 32]) {
        self.set.insert(height, hash);
    }

    /// Goes back to the default hash for `height`.
    pub fn unset(&mut self, height: u32) {
        self.set.remove(&height);
    }
}

/// `sha256("alkahest burn" ‖ height as 8 bytes big-endian)`.
pub fn default_hash(height: u32) -> [u8; 32] {
    let mut preimage = DEFAULT_TAG.to_vec();
    preimage.extend_from_slice(&u64::from(height).to_be_bytes());
    Sha256Sum::from_data(&preimage).0
}

/// The session's burn datastore with header hashes from a [`BurnChain`].
pub struct BurnView<'a> {
    inner: &'a BurnDatastore,
    chain: &'a BurnChain,
}

impl HeadersDB for BurnView<'_> {
    fn get_stacks_block_header_hash_for_block(
        &self,
        id: &StacksBlockId,
    ) -> Option<BlockHeaderHash> {
        self.inner.get_stacks_block_header_hash_for_block(id)
    }
    /// `get-block-info? burnchain-header-hash`: the chain's hash of the block's burn height.
    fn get_burn_header_hash_for_block(&self, id: &StacksBlockId) -> Option<BurnchainHeaderHash> {
        let height = self.inner.get_burn_block_height_for_block(id)?;
        Some(BurnchainHeaderHash(self.chain.hash(height)))
    }
    fn get_consensus_hash_for_block(&self, id: &StacksBlockId) -> Option<ConsensusHash> {
        self.inner.get_consensus_hash_for_block(id)
    }
    fn get_vrf_seed_for_block(&self, id: &StacksBlockId) -> Option<VRFSeed> {
        self.inner.get_vrf_seed_for_block(id)
    }
    fn get_burn_block_time_for_block(&self, id: &StacksBlockId) -> Option<u64> {
        self.inner.get_burn_block_time_for_block(id)
    }
    fn get_burn_block_height_for_block(&self, id: &StacksBlockId) -> Option<u32> {
        self.inner.get_burn_block_height_for_block(id)
    }
    fn get_miner_address(&self, id: &StacksBlockId) -> Option<StacksAddress> {
        self.inner.get_miner_address(id)
    }
    fn get_burnchain_tokens_spent_for_block(&self, id: &StacksBlockId) -> Option<u128> {
        self.inner.get_burnchain_tokens_spent_for_block(id)
    }
    fn get_burnchain_tokens_spent_for_winning_block(&self, id: &StacksBlockId) -> Option<u128> {
        self.inner.get_burnchain_tokens_spent_for_winning_block(id)
    }
    fn get_tokens_earned_for_block(&self, id: &StacksBlockId) -> Option<u128> {
        self.inner.get_tokens_earned_for_block(id)
    }
}

impl BurnStateDB for BurnView<'_> {
    fn get_v1_unlock_height(&self) -> u32 {
        self.inner.get_v1_unlock_height()
    }
    fn get_v2_unlock_height(&self) -> u32 {
        self.inner.get_v2_unlock_height()
    }
    fn get_pox_3_activation_height(&self) -> u32 {
        self.inner.get_pox_3_activation_height()
    }
    fn get_burn_block_height(&self, sortition: &SortitionId) -> Option<u32> {
        self.inner.get_burn_block_height(sortition)
    }
    fn get_burn_start_height(&self) -> u32 {
        self.inner.get_burn_start_height()
    }
    fn get_pox_prepare_length(&self) -> u32 {
        self.inner.get_pox_prepare_length()
    }
    fn get_pox_reward_cycle_length(&self) -> u32 {
        self.inner.get_pox_reward_cycle_length()
    }
    fn get_pox_rejection_fraction(&self) -> u64 {
        self.inner.get_pox_rejection_fraction()
    }
    /// The chain's hash of `height`, only below the sortition's burn height (which is
    /// `burn-block-height` for the evaluating block).
    fn get_burn_header_hash(
        &self,
        height: u32,
        sortition: &SortitionId,
    ) -> Option<BurnchainHeaderHash> {
        let tip = self.inner.get_burn_block_height(sortition)?;
        (height < tip).then(|| BurnchainHeaderHash(self.chain.hash(height)))
    }
    fn get_sortition_id_from_consensus_hash(&self, hash: &ConsensusHash) -> Option<SortitionId> {
        self.inner.get_sortition_id_from_consensus_hash(hash)
    }
    fn get_stacks_epoch(&self, height: u32) -> Option<StacksEpoch> {
        self.inner.get_stacks_epoch(height)
    }
    fn get_stacks_epoch_by_epoch_id(&self, epoch: &StacksEpochId) -> Option<StacksEpoch> {
        self.inner.get_stacks_epoch_by_epoch_id(epoch)
    }
    fn get_ast_rules(&self, height: u32) -> ASTRules {
        self.inner.get_ast_rules(height)
    }
    fn get_pox_payout_addrs(
        &self,
        height: u32,
        sortition: &SortitionId,
    ) -> Option<(Vec<TupleData>, u128)> {
        self.inner.get_pox_payout_addrs(height, sortition)
    }
}

/// Runs a one-expression snippet (`(contract-call? …)` or a read-only expression) as
/// clarity-repl's `ClarityInterpreter::run` does — parse, analysis, then execution with
/// cost tracking — but over a [`BurnView`] of `chain`. `sender` is tx-sender and
/// contract-caller.
///
/// # Errors
/// The diagnostics of a parse or analysis failure, or one `Runtime Error: …`
/// diagnostic when execution aborts.
// The closure handed to `GlobalContext::execute` must return clarity's own (large)
// error type.
#[allow(clippy::result_large_err)]
pub fn run(
    interpreter: &mut ClarityInterpreter,
    chain: &BurnChain,
    snippet: &ClarityContract,
    sender: PrincipalData,
    cost_track: bool,
) -> Result<ExecutionResult, Vec<Diagnostic>> {
    let (mut ast, mut diagnostics, success) = interpreter.build_ast(snippet);
    match interpreter.run_analysis(snippet, &mut ast, &Vec::new()) {
        Ok((_, mut more)) => diagnostics.append(&mut more),
        Err((_, diagnostic, _)) => {
            diagnostics.extend(diagnostic);
            return Err(diagnostics);
        }
    }
    if !success || ast.expressions.len() != 1 {
        return Err(diagnostics);
    }
    let contract_id = snippet.expect_resolved_contract_identifier(None);
    let view = BurnView {
        inner: &interpreter.burn_datastore,
        chain,
    };
    let mut conn = ClarityDatabase::new(&mut interpreter.datastore, &view, &view);
    conn.begin();
    conn.set_clarity_epoch_version(snippet.epoch);
    conn.commit();
    let tracker = if cost_track {
        LimitedCostTracker::new(
            false,
            CHAIN_ID_TESTNET,
            BLOCK_LIMIT_MAINNET.clone(),
            &mut conn,
            snippet.epoch,
        )
        .expect("the boot cost contracts are loaded")
    } else {
        LimitedCostTracker::new_free()
    };
    let mut global = GlobalContext::new(false, CHAIN_ID_TESTNET, conn, tracker, snippet.epoch);
    let contract_context = ContractContext::new(contract_id.clone(), snippet.clarity_version);
    global.begin();
    let expression = &ast.expressions[0];
    let result = global.execute(|g| {
        let context = LocalContext::new();
        let mut call_stack = CallStack::new();
        let mut env = Environment::new(
            g,
            &contract_context,
            &mut call_stack,
            Some(sender.clone()),
            Some(sender.clone()),
            None,
        );
        match contract_call_parts(expression) {
            Some((target, method, arg_exprs)) => {
                let mut args = Vec::with_capacity(arg_exprs.len());
                for arg in arg_exprs {
                    args.push(SymbolicExpression::atom_value(eval(
                        arg, &mut env, &context,
                    )?));
                }
                env.execute_contract(&target, &method, &args, false)
            }
            None => eval(expression, &mut env, &context),
        }
    });
    let value = match result {
        Ok(value) => value,
        Err(e) => {
            global.roll_back();
            diagnostics.push(Diagnostic {
                level: Level::Error,
                message: format!(
                    "Runtime Error: Runtime error while interpreting {contract_id}: {e:?}"
                ),
                spans: vec![],
                suggestion: None,
            });
            return Err(diagnostics);
        }
    };
    let cost = cost_track.then(|| CostSynthesis::from_cost_tracker(&global.cost_track));
    let events = global
        .event_batches
        .iter()
        .flat_map(|b| b.events.clone())
        .collect();
    global.commit().map_err(|e| {
        vec![Diagnostic {
            level: Level::Error,
            message: format!("Runtime Error: commit failed: {e:?}"),
            spans: vec![],
            suggestion: None,
        }]
    })?;
    Ok(ExecutionResult {
        result: EvaluationResult::Snippet(SnippetEvaluationResult { result: value }),
        events,
        cost,
        diagnostics,
    })
}

/// `(contract-call? 'id method args…)` split into its parts, as the REPL does.
fn contract_call_parts(
    expression: &SymbolicExpression,
) -> Option<(
    clarity::vm::types::QualifiedContractIdentifier,
    String,
    &[SymbolicExpression],
)> {
    let List(items) = &expression.expr else {
        return None;
    };
    match items.first().map(|e| &e.expr) {
        Some(Atom(name)) if name.as_str() == "contract-call?" => {}
        _ => return None,
    }
    let target = match items.get(1)?.match_literal_value()?.clone() {
        clarity::vm::Value::Principal(PrincipalData::Contract(id)) => id,
        _ => return None,
    };
    let method = items.get(2)?.match_atom()?.to_string();
    Some((target, method, &items[3..]))
}
