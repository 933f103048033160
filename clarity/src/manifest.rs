//! `Clarinet.toml` and `settings/Devnet.toml`: which contracts exist, in what order
//! they deploy, and which accounts the simnet funds.
//!
//! The deploy order is derived from the sources rather than written down, so adding a
//! contract never means maintaining a second list: a contract depends on every
//! contract it names in `contract-call?`, `use-trait` or `impl-trait`. Plain principal
//! literals (such as a contract minting to `.alex-vesting`) are not dependencies, which
//! is what lets two contracts know each other's address without a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clarity::types::StacksEpochId;
use clarity::vm::ast::parser::v2::parse;
use clarity::vm::representations::{PreSymbolicExpression, PreSymbolicExpressionType};
use clarity::vm::ClarityVersion;
use clarity::vm::Value;
use serde::Deserialize;

use crate::accounts::Account;
use crate::HarnessError;

/// One `[contracts.<name>]` entry.
#[derive(Debug, Clone)]
pub struct ContractSpec {
    /// The contract name (the table key).
    pub name: String,
    /// Path of the source file, resolved against the manifest's folder.
    pub path: PathBuf,
    /// The source text.
    pub source: String,
    /// Clarity language version.
    pub clarity_version: ClarityVersion,
    /// Epoch the contract is deployed in.
    pub epoch: StacksEpochId,
    /// Other manifest contracts this one calls or takes traits from.
    pub depends_on: BTreeSet<String>,
    /// Its `(define-constant NAME (err uN))` codes, by name.
    pub error_codes: BTreeMap<String, u128>,
}

/// A parsed project: contracts in deploy order, plus the accounts of `Devnet.toml`.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The folder holding `Clarinet.toml`.
    pub root: PathBuf,
    /// Contracts, in an order where every dependency comes first.
    pub contracts: Vec<ContractSpec>,
    /// Accounts by name (`deployer`, `wallet_1`, …).
    pub accounts: BTreeMap<String, Account>,
    /// Calls made right after deployment, from `deployments/bootstrap.toml`.
    pub bootstrap: Vec<BootstrapCall>,
}

/// One post-deployment call (wiring contracts together: registering the sBTC minter,
/// bootstrapping governance). Runs in file order; a failing call fails the deploy.
#[derive(Debug, Clone, Deserialize)]
pub struct BootstrapCall {
    /// Contract name (deployed by the deployer) or qualified id.
    pub contract: String,
    /// Public function.
    pub function: String,
    /// Arguments as Clarity literals. `.name` means a contract of the deployer.
    #[serde(default)]
    pub args: Vec<String>,
    /// Account name from `Devnet.toml`; defaults to `deployer`.
    #[serde(default = "default_sender")]
    pub sender: String,
    /// `"handover"` for the calls that hand every contract's governance to the DAO
    /// (they run last). Contract unit tests may stop before them
    /// ([`crate::Simnet::deployer_governed`]); a deployment never does.
    #[serde(default)]
    pub stage: Option<String>,
}

impl BootstrapCall {
    /// Whether this call belongs to the governance handover stage.
    pub fn is_handover(&self) -> bool {
        self.stage.as_deref() == Some(HANDOVER_STAGE)
    }
}

/// The bootstrap stage that hands governance to the DAO.
pub const HANDOVER_STAGE: &str = "handover";

fn default_sender() -> String {
    "deployer".to_string()
}

#[derive(Deserialize, Default)]
struct RawBootstrap {
    #[serde(default)]
    call: Vec<BootstrapCall>,
}

#[derive(Deserialize)]
struct RawManifest {
    #[serde(default)]
    contracts: BTreeMap<String, RawContract>,
}

#[derive(Deserialize)]
struct RawContract {
    path: String,
    #[serde(default)]
    clarity_version: Option<toml::Value>,
    #[serde(default)]
    epoch: Option<toml::Value>,
}

#[derive(Deserialize)]
struct RawSettings {
    #[serde(default)]
    accounts: BTreeMap<String, crate::accounts::RawAccount>,
}

impl Manifest {
    /// Loads `Clarinet.toml` from `root` and `settings/Devnet.toml` beside it.
    ///
    /// # Errors
    /// A missing file, bad TOML, an unsupported version or epoch, a contract that does
    /// not parse, a reference to an unlisted contract, a dependency cycle, or an
    /// account with a bad mnemonic or derivation path, or whose `address` does not
    /// match its mnemonic.
    pub fn load(root: impl AsRef<Path>) -> Result<Manifest, HarnessError> {
        let root = root.as_ref().to_path_buf();
        let manifest_path = root.join("Clarinet.toml");
        let raw: RawManifest = read_toml(&manifest_path)?;
        let settings_path = root.join("settings").join("Devnet.toml");
        let settings: RawSettings = read_toml(&settings_path)?;

        // Overrides are for the workspace's own contracts; a test's scratch manifest
        // (a copy with a broken account, say) is loaded as written.
        let mut overrides = if root == workspace_root() {
            source_overrides()?
        } else {
            BTreeMap::new()
        };
        let mut specs = BTreeMap::new();
        for (name, c) in raw.contracts {
            let path = root.join(&c.path);
            let read_from = overrides.remove(&name).unwrap_or_else(|| path.clone());
            let source =
                std::fs::read_to_string(&read_from).map_err(|source| HarnessError::Read {
                    path: read_from.clone(),
                    source,
                })?;
            let clarity_version = parse_version(&manifest_path, &name, c.clarity_version)?;
            let epoch = parse_epoch(&manifest_path, &name, c.epoch)?;
            let (depends_on, error_codes) = analyse(&name, &source)?;
            specs.insert(
                name.clone(),
                ContractSpec {
                    name,
                    path,
                    source,
                    clarity_version,
                    epoch,
                    depends_on,
                    error_codes,
                },
            );
        }
        if let Some(name) = overrides.keys().next() {
            return Err(HarnessError::Manifest {
                path: manifest_path,
                reason: format!("{OVERRIDE_VAR} names `{name}`, which is not a contract here"),
            });
        }
        let contracts = deploy_order(specs)?;

        let mut accounts = BTreeMap::new();
        for (name, raw) in settings.accounts {
            let account = Account::from_raw(&name, raw).map_err(|e| HarnessError::Manifest {
                path: settings_path.clone(),
                reason: format!("account `{name}`: {e}"),
            })?;
            accounts.insert(name, account);
        }
        if !accounts.contains_key("deployer") {
            return Err(HarnessError::Manifest {
                path: settings_path,
                reason: "no [accounts.deployer]".into(),
            });
        }
        let bootstrap_path = root.join("deployments").join("bootstrap.toml");
        let bootstrap = if bootstrap_path.is_file() {
            read_toml::<RawBootstrap>(&bootstrap_path)?.call
        } else {
            Vec::new()
        };
        for call in &bootstrap {
            if !accounts.contains_key(&call.sender) {
                return Err(HarnessError::Manifest {
                    path: bootstrap_path,
                    reason: format!(
                        "call {}::{}: unknown sender `{}`",
                        call.contract, call.function, call.sender
                    ),
                });
            }
        }
        Ok(Manifest {
            root,
            contracts,
            accounts,
            bootstrap,
        })
    }

    /// The project manifest of this repository (`Clarinet.toml` at the workspace root).
    ///
    /// # Errors
    /// As [`Manifest::load`].
    pub fn workspace() -> Result<Manifest, HarnessError> {
        Manifest::load(workspace_root())
    }

    /// The deployer account.
    ///
    /// # Panics
    /// Never: [`Manifest::load`] refuses a settings file without a deployer.
    pub fn deployer(&self) -> &Account {
        self.accounts.get("deployer").expect("checked at load")
    }

    /// The contract spec called `name`.
    pub fn contract(&self, name: &str) -> Option<&ContractSpec> {
        self.contracts.iter().find(|c| c.name == name)
    }
}

/// The workspace root: the parent of this crate's folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the harness crate sits inside the workspace")
        .to_path_buf()
}

/// Environment variable that swaps a contract's source for another file:
/// `name=path[,name=path…]`. The mutation tool (`clarity-mutants`) uses it to run the
/// already-built test binary against a mutated contract without touching the tree.
pub const OVERRIDE_VAR: &str = "ALKAHEST_CONTRACT_OVERRIDE";

fn source_overrides() -> Result<BTreeMap<String, PathBuf>, HarnessError> {
    let Ok(spec) = std::env::var(OVERRIDE_VAR) else {
        return Ok(BTreeMap::new());
    };
    let mut out = BTreeMap::new();
    for item in spec.split(',').filter(|s| !s.trim().is_empty()) {
        let Some((name, path)) = item.split_once('=') else {
            return Err(HarnessError::Manifest {
                path: PathBuf::from(OVERRIDE_VAR),
                reason: format!("`{item}` is not name=path"),
            });
        };
        out.insert(name.trim().to_string(), PathBuf::from(path.trim()));
    }
    Ok(out)
}

fn read_toml<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, HarnessError> {
    let text = std::fs::read_to_string(path).map_err(|source| HarnessError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| HarnessError::Manifest {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn parse_version(
    path: &Path,
    name: &str,
    v: Option<toml::Value>,
) -> Result<ClarityVersion, HarnessError> {
    match v
        .as_ref()
        .map(|v| v.to_string().trim_matches('"').to_string())
    {
        None => Ok(ClarityVersion::Clarity2),
        Some(s) if s == "2" => Ok(ClarityVersion::Clarity2),
        Some(s) if s == "1" => Ok(ClarityVersion::Clarity1),
        Some(s) => Err(HarnessError::Manifest {
            path: path.to_path_buf(),
            reason: format!("contract `{name}`: unsupported clarity_version {s}"),
        }),
    }
}

fn parse_epoch(
    path: &Path,
    name: &str,
    v: Option<toml::Value>,
) -> Result<StacksEpochId, HarnessError> {
    let s = v
        .as_ref()
        .map(|v| v.to_string().trim_matches('"').to_string());
    match s.as_deref() {
        None | Some("2.4") => Ok(StacksEpochId::Epoch24),
        Some("2.1") => Ok(StacksEpochId::Epoch21),
        Some("2.2") => Ok(StacksEpochId::Epoch22),
        Some("2.3") => Ok(StacksEpochId::Epoch23),
        Some(other) => Err(HarnessError::Manifest {
            path: path.to_path_buf(),
            reason: format!(
                "contract `{name}`: unsupported epoch {other} (this VM runs up to 2.4)"
            ),
        }),
    }
}

/// One parse of `source`: the contracts it calls or takes traits from, and its error
/// constants.
fn analyse(
    name: &str,
    source: &str,
) -> Result<(BTreeSet<String>, BTreeMap<String, u128>), HarnessError> {
    let exprs = parse(source).map_err(|e| HarnessError::Deploy {
        contract: name.to_string(),
        line: 0,
        reason: format!("parse error: {e}"),
    })?;
    let mut refs = BTreeSet::new();
    let mut codes = BTreeMap::new();
    for e in &exprs {
        collect_refs(e, &mut refs);
        if let Some((constant, code)) = error_constant(e) {
            codes.insert(constant, code);
        }
    }
    refs.remove(name);
    Ok((refs, codes))
}

/// `(define-constant NAME (err uN))` → `(NAME, N)`.
fn error_constant(e: &PreSymbolicExpression) -> Option<(String, u128)> {
    let atom = |e: &PreSymbolicExpression| match &e.pre_expr {
        PreSymbolicExpressionType::Atom(a) => Some(a.as_str().to_string()),
        _ => None,
    };
    let PreSymbolicExpressionType::List(items) = &e.pre_expr else {
        return None;
    };
    let [head, id, value] = &items[..] else {
        return None;
    };
    if atom(head)?.as_str() != "define-constant" {
        return None;
    }
    let PreSymbolicExpressionType::List(inner) = &value.pre_expr else {
        return None;
    };
    let [err, code] = &inner[..] else {
        return None;
    };
    match (atom(err)?.as_str(), &code.pre_expr) {
        ("err", PreSymbolicExpressionType::AtomValue(Value::UInt(n))) => Some((atom(id)?, *n)),
        _ => None,
    }
}

fn collect_refs(e: &PreSymbolicExpression, out: &mut BTreeSet<String>) {
    let PreSymbolicExpressionType::List(items) = &e.pre_expr else {
        return;
    };
    let head = match items.first().map(|h| &h.pre_expr) {
        Some(PreSymbolicExpressionType::Atom(a)) => a.as_str(),
        _ => "",
    };
    let target_index = match head {
        "contract-call?" => Some(1),
        "impl-trait" => Some(1),
        "use-trait" => Some(2),
        _ => None,
    };
    if let Some(i) = target_index {
        if let Some(target) = items.get(i) {
            match &target.pre_expr {
                PreSymbolicExpressionType::SugaredContractIdentifier(c)
                | PreSymbolicExpressionType::SugaredFieldIdentifier(c, _) => {
                    out.insert(c.to_string());
                }
                PreSymbolicExpressionType::FieldIdentifier(t) => {
                    out.insert(t.contract_identifier.name.to_string());
                }
                PreSymbolicExpressionType::AtomValue(Value::Principal(
                    clarity::vm::types::PrincipalData::Contract(c),
                )) => {
                    out.insert(c.name.to_string());
                }
                _ => {}
            }
        }
    }
    for item in items.iter() {
        collect_refs(item, out);
    }
}

fn deploy_order(
    mut specs: BTreeMap<String, ContractSpec>,
) -> Result<Vec<ContractSpec>, HarnessError> {
    for spec in specs.values() {
        if let Some(missing) = spec.depends_on.iter().find(|d| !specs.contains_key(*d)) {
            return Err(HarnessError::Dependency {
                contract: spec.name.clone(),
                reason: format!("references `{missing}`, which Clarinet.toml does not list"),
            });
        }
    }
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut order = Vec::with_capacity(specs.len());
    while !specs.is_empty() {
        let ready: Vec<String> = specs
            .values()
            .filter(|s| s.depends_on.iter().all(|d| done.contains(d)))
            .map(|s| s.name.clone())
            .collect();
        if ready.is_empty() {
            let stuck = specs.keys().cloned().collect::<Vec<_>>().join(", ");
            return Err(HarnessError::Dependency {
                contract: specs.keys().next().cloned().unwrap_or_default(),
                reason: format!("dependency cycle among: {stuck}"),
            });
        }
        for name in ready {
            let spec = specs.remove(&name).expect("name came from the map");
            done.insert(name);
            order.push(spec);
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_traits_are_dependencies_but_principals_are_not() {
        let src = r#"
            (use-trait ft .sip-010-trait.sip-010-trait)
            (impl-trait .sip-013-trait.sip-013-trait)
            (define-constant HOLDER .alex-vesting)
            (define-public (f) (contract-call? .alex-token get-decimals))
        "#;
        let (refs, codes) = analyse("x", src).unwrap();
        assert!(codes.is_empty());
        let want: BTreeSet<String> = ["sip-010-trait", "sip-013-trait", "alex-token"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(refs, want);
    }

    fn spec(name: &str, deps: &[&str]) -> ContractSpec {
        ContractSpec {
            name: name.into(),
            path: PathBuf::new(),
            source: String::new(),
            clarity_version: ClarityVersion::Clarity2,
            epoch: StacksEpochId::Epoch24,
            depends_on: deps.iter().map(|s| s.to_string()).collect(),
            error_codes: BTreeMap::new(),
        }
    }

    #[test]
    fn order_puts_dependencies_first_and_rejects_cycles() {
        let mut m = BTreeMap::new();
        for s in [spec("a", &["b"]), spec("b", &["c"]), spec("c", &[])] {
            m.insert(s.name.clone(), s);
        }
        let names: Vec<_> = deploy_order(m)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["c", "b", "a"]);

        let mut m = BTreeMap::new();
        for s in [spec("a", &["b"]), spec("b", &["a"])] {
            m.insert(s.name.clone(), s);
        }
        let e = deploy_order(m).unwrap_err().to_string();
        assert!(e.contains("cycle"), "{e}");

        let mut m = BTreeMap::new();
        let s = spec("a", &["ghost"]);
        m.insert(s.name.clone(), s);
        let e = deploy_order(m).unwrap_err().to_string();
        assert!(e.contains("ghost"), "{e}");
    }
}
