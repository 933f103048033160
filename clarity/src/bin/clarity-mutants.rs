//! `clarity-mutants`: weakens every contract guard one at a time and runs the contract
//! tests against each mutant (see `alkahest_clarity::mutation` for the mutants and
//! `docs/mutation.md` for how to read the report).
//!
//! The test binary is built once; each mutant is run by pointing the harness at a
//! mutated copy of one contract through `ALKAHEST_CONTRACT_OVERRIDE`, so the tree is
//! never edited and nothing is recompiled per mutant.

#![allow(clippy::print_stderr, clippy::print_stdout)] // a command-line tool: it reports on the terminal

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use alkahest_clarity::manifest::{workspace_root, OVERRIDE_VAR};
use alkahest_clarity::mutation::{self, Mutant};
use alkahest_clarity::Manifest;
use clap::Parser;
use serde::{Deserialize, Serialize};

/// Mutation testing of the Clarity contracts' guards.
#[derive(Parser)]
#[command(name = "clarity-mutants")]
struct Args {
    /// Only this contract (repeatable). Default: every contract that has guards.
    #[arg(long = "contract", value_name = "NAME")]
    contracts: Vec<String>,
    /// Print the mutants and exit without running anything.
    #[arg(long)]
    list: bool,
    /// Re-run only the mutants the last report lists as survived.
    #[arg(long)]
    survivors: bool,
    /// Only the mutants of these functions (`contract/function`, or `function` in any
    /// listed contract; repeatable): to test the guards a change added without a full
    /// run. The report still merges with the previous one.
    #[arg(long = "function", value_name = "NAME")]
    functions: Vec<String>,
    /// Seconds before one mutant's test run is stopped (counted as killed: a hang).
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Skip the run of the unmutated contracts that checks the tests pass first.
    #[arg(long)]
    no_baseline: bool,
    /// Test threads per run.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Also run the mutants listed as equivalent, to catch an entry a test now kills
    /// (each costs a full pass of the suite, so by default they are reported unrun).
    #[arg(long)]
    check_equivalents: bool,
}

/// Test modules that check the test suite itself rather than the contracts (error
/// coverage re-runs the suite; the equivalent-list check reads the mutated source and
/// would report its own key as stale): never run against a mutant.
const SELF_CHECKS: [&str; 2] = ["error_coverage::", "mutation_list::"];

#[derive(Serialize, Deserialize, Clone)]
struct Outcome {
    key: String,
    contract: String,
    function: String,
    line: u32,
    kind: String,
    change: String,
    /// `killed`, `survived` or `equivalent`.
    status: String,
    /// The first failing test, or `timeout`.
    killed_by: Option<String>,
    seconds: f64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("clarity-mutants: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<bool, String> {
    let root = workspace_root();
    let manifest = Manifest::load(&root).map_err(|e| e.to_string())?;
    let known: BTreeSet<&str> = manifest.contracts.iter().map(|c| c.name.as_str()).collect();
    if let Some(bad) = args.contracts.iter().find(|c| !known.contains(c.as_str())) {
        return Err(format!(
            "--contract {bad}: no such contract in Clarinet.toml"
        ));
    }
    let mut all = Vec::new();
    for c in &manifest.contracts {
        if args.contracts.is_empty() || args.contracts.contains(&c.name) {
            all.extend(mutation::mutants(&c.name, &c.source)?);
        }
    }
    let equivalents = mutation::equivalents(&root)?;
    if args.list {
        for m in &all {
            let eq = if equivalents.contains_key(&m.key()) {
                "  [equivalent]"
            } else {
                ""
            };
            println!("{}:{}  {}{eq}", m.contract, m.line, m.key());
        }
        println!("{} mutants", all.len());
        return Ok(true);
    }

    let exe = build_test_binary(&root)?;
    let out_dir = exe
        .ancestors()
        .nth(3)
        .ok_or("test binary outside a target dir")?
        .join("mutation");
    std::fs::create_dir_all(out_dir.join("work")).map_err(|e| e.to_string())?;
    // Run a private copy, so rebuilding the tests while a long run goes on is harmless.
    let copy = out_dir
        .join("work")
        .join(format!("contracts-under-test-{}", std::process::id()));
    std::fs::copy(&exe, &copy).map_err(|e| format!("copying {}: {e}", exe.display()))?;
    let exe = copy;
    let previous = load_report(&out_dir);
    if !args.functions.is_empty() {
        all.retain(|m| {
            let key = m.key();
            args.functions.iter().any(|f| {
                let qualified = if f.contains('/') {
                    f.clone()
                } else {
                    format!("{}/{f}", m.contract)
                };
                key.starts_with(&format!("{qualified}:"))
            })
        });
    }
    if args.survivors {
        let survived: BTreeSet<&str> = previous
            .iter()
            .filter(|o| o.status == "survived")
            .map(|o| o.key.as_str())
            .collect();
        all.retain(|m| survived.contains(m.key().as_str()));
    }
    let modules = test_modules(&exe)?;
    // The test that killed a mutant last time is the likeliest to kill it again.
    let killers: BTreeMap<String, String> = previous
        .iter()
        .filter_map(|o| Some((o.key.clone(), o.killed_by.clone()?)))
        .filter(|(_, t)| t.contains("::"))
        .collect();
    if !args.no_baseline {
        eprintln!("baseline: running every contract test on the unmutated contracts");
        let (ok, failed) = run_tests(&exe, &[], &SELF_CHECKS.map(String::from), None, args)?;
        if !ok {
            return Err(format!(
                "the tests fail without any mutant ({failed:?}): fix that first"
            ));
        }
    }

    let sources: BTreeMap<&str, &str> = manifest
        .contracts
        .iter()
        .map(|c| (c.name.as_str(), c.source.as_str()))
        .collect();
    let mut results = Vec::new();
    let mut by_function: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (i, m) in all.iter().enumerate() {
        let started = Instant::now();
        if equivalents.contains_key(&m.key()) && !args.check_equivalents {
            eprintln!(
                "[{}/{}] equivalent (listed, not run) {}",
                i + 1,
                all.len(),
                m.key()
            );
            results.push(Outcome::of(m, "equivalent", None, 0.0));
            continue;
        }
        let path = out_dir.join("work").join(format!("{}.clar", m.contract));
        std::fs::write(&path, m.apply(sources[m.contract.as_str()])).map_err(|e| e.to_string())?;
        // Tests that killed this mutant last time or a sibling in the same function
        // this time are the likeliest killers: they run first, alone.
        let mut hints: Vec<String> = killers.get(&m.key()).cloned().into_iter().collect();
        for t in by_function
            .get(&(m.contract.clone(), m.function.clone()))
            .into_iter()
            .flatten()
        {
            if !hints.contains(t) && hints.len() < 8 {
                hints.push(t.clone());
            }
        }
        let killed_by = kill(&exe, m, &path, &modules, &hints, args)?;
        if let Some(t) = killed_by.as_ref().filter(|t| t.contains("::")) {
            by_function
                .entry((m.contract.clone(), m.function.clone()))
                .or_default()
                .push(t.clone());
        }
        let status = match (&killed_by, equivalents.contains_key(&m.key())) {
            (Some(_), _) => "killed",
            (None, true) => "equivalent",
            (None, false) => "survived",
        };
        eprintln!(
            "[{}/{}] {status:<10} {}:{} {}{}",
            i + 1,
            all.len(),
            m.contract,
            m.line,
            m.key(),
            killed_by
                .as_deref()
                .map(|t| format!("  ← {t}"))
                .unwrap_or_default()
        );
        results.push(Outcome::of(
            m,
            status,
            killed_by,
            started.elapsed().as_secs_f64(),
        ));
        // The report is rewritten after every mutant, so a stopped run keeps its results.
        settle(&out_dir, &previous, &results, &manifest, &equivalents, args)?;
    }
    let (total, survivors, listed_but_killed, stale) =
        settle(&out_dir, &previous, &results, &manifest, &equivalents, args)?;
    eprintln!(
        "report: {}  ({total} mutants, {survivors} survived, {listed_but_killed} listed as equivalent but killed, {stale} stale equivalent entries)",
        out_dir.join("report.md").display(),
    );
    Ok(survivors == 0 && listed_but_killed == 0 && stale == 0)
}

impl Outcome {
    fn of(m: &Mutant, status: &str, killed_by: Option<String>, seconds: f64) -> Outcome {
        Outcome {
            key: m.key(),
            contract: m.contract.clone(),
            function: m.function.clone(),
            line: m.line,
            kind: m.kind.to_string(),
            change: m.change(),
            status: status.into(),
            killed_by,
            seconds,
        }
    }
}

/// Merges this run into the last report, writes it, and returns (mutants, survived,
/// listed but killed, stale entries).
fn settle(
    out_dir: &Path,
    previous: &[Outcome],
    results: &[Outcome],
    manifest: &Manifest,
    equivalents: &BTreeMap<String, String>,
    args: &Args,
) -> Result<(usize, usize, usize, usize), String> {
    let merged = merge(previous.to_vec(), results.to_vec(), manifest, args);
    // An entry is stale when its contract was mutated and no mutant has its key.
    let stale: Vec<&String> = equivalents
        .keys()
        .filter(|k| {
            let contract = k.split('/').next().unwrap_or_default();
            merged.iter().any(|o| o.contract == contract) && !merged.iter().any(|o| &o.key == *k)
        })
        .collect();
    write_report(out_dir, &merged, equivalents, &stale)?;
    let survivors = merged.iter().filter(|o| o.status == "survived").count();
    let listed_but_killed = merged
        .iter()
        .filter(|o| o.status == "killed" && equivalents.contains_key(&o.key))
        .count();
    Ok((merged.len(), survivors, listed_but_killed, stale.len()))
}

/// The contracts whose tests are the `lending*` modules.
const LENDING: [&str; 4] = ["yield-token", "key-token", "ytp", "crp"];

/// Runs the tests most likely to notice first and stops at the first failure: the
/// contract's own modules, then its property tests and the authorization matrix, then
/// everything else (after the likeliest killers, `hints`). A survivor has therefore passed
/// every contract test.
fn kill(
    exe: &Path,
    m: &Mutant,
    path: &Path,
    modules: &[String],
    hints: &[String],
    args: &Args,
) -> Result<Option<String>, String> {
    let override_spec = format!("{}={}", m.contract, path.display());
    if !hints.is_empty() {
        let mut filters = hints.to_vec();
        filters.push("--exact".into());
        let (ok, failed) = run_tests(exe, &filters, &[], Some(&override_spec), args)?;
        if !ok {
            return Ok(Some(failed.unwrap_or_else(|| "timeout".into())));
        }
    }
    // A module is the contract's own when it starts with any word of the contract's
    // name: `alex-staking` owns `staking*` (and `alex_*`), `dao-voting` owns `dao_*`;
    // the lending contracts own the `lending*` modules.
    let mut families: Vec<&str> = m.contract.split('-').filter(|w| w.len() > 2).collect();
    if LENDING.contains(&m.contract.as_str()) {
        families.push("lending");
    }
    let token = m.contract.ends_with("-token");
    let own = |md: &str| {
        families.iter().any(|f| md.starts_with(f)) || (token && md.starts_with("token_"))
    };
    let first: Vec<String> = modules
        .iter()
        .filter(|md| own(md) && !md.ends_with("_props"))
        .map(|md| format!("{md}::"))
        .collect();
    let second: Vec<String> = modules
        .iter()
        .filter(|md| (own(md) && md.ends_with("_props")) || *md == "authorization")
        .map(|md| format!("{md}::"))
        .collect();
    let mut skip: Vec<String> = first.iter().chain(&second).cloned().collect();
    skip.extend(SELF_CHECKS.map(String::from));
    for (filters, skips) in [(&first, &vec![]), (&second, &vec![]), (&vec![], &skip)] {
        if skips.is_empty() && filters.is_empty() {
            continue;
        }
        let (ok, failed) = run_tests(exe, filters, skips, Some(&override_spec), args)?;
        if !ok {
            return Ok(Some(failed.unwrap_or_else(|| "timeout".into())));
        }
    }
    Ok(None)
}

/// Runs the test binary; `(passed, first failing test)`.
fn run_tests(
    exe: &Path,
    filters: &[String],
    skips: &[String],
    override_spec: Option<&str>,
    args: &Args,
) -> Result<(bool, Option<String>), String> {
    let mut cmd = Command::new(exe);
    cmd.args(filters)
        .arg("--test-threads")
        .arg(args.threads.to_string())
        .env_remove(OVERRIDE_VAR)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for s in skips {
        cmd.arg("--skip").arg(s);
    }
    if let Some(spec) = override_spec {
        // A property test failing under a mutant must not leave a regression seed in
        // the tree, and shrinking its counterexample only delays the verdict.
        cmd.env(OVERRIDE_VAR, spec)
            .env("PROPTEST_DISABLE_FAILURE_PERSISTENCE", "1")
            .env("PROPTEST_MAX_SHRINK_ITERS", "0");
    }
    let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", exe.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    // libtest reports each test as it finishes (`test a::b ... FAILED`); the first
    // failure settles the mutant, so the run is stopped there instead of finishing.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let mut failed = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(Duration::from_millis(200))) {
            Ok(line) => {
                if let Some(name) = line
                    .strip_prefix("test ")
                    .and_then(|r| r.strip_suffix(" ... FAILED"))
                {
                    failed = Some(name.to_string());
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) if left.is_zero() => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok((false, None));
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    if failed.is_some() {
        let _ = child.kill();
        let _ = child.wait();
        return Ok((false, failed));
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    // A run that exits non-zero without a failed test line died otherwise (a panic
    // while deploying the mutated contract, say): still a detected mutant.
    Ok((
        status.success(),
        Some("the test process (no test line)".into()),
    ))
}

/// Builds the contract test binary once and returns its path.
fn build_test_binary(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root)
        .args([
            "test",
            "-p",
            "alkahest-clarity",
            "--test",
            "contracts",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo: {e}"))?;
    if !out.status.success() {
        return Err("building the contract tests failed".into());
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == "contracts")
        .find_map(|v| v["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built no `contracts` test binary".into())
}

/// Module names of the test binary (`module::test` → `module`).
fn test_modules(exe: &Path) -> Result<Vec<String>, String> {
    let out = Command::new(exe)
        .args(["--list", "--format", "terse"])
        .env_remove(OVERRIDE_VAR)
        .output()
        .map_err(|e| e.to_string())?;
    let mut modules: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once("::").map(|(m, _)| m.to_string()))
        .collect();
    modules.sort();
    modules.dedup();
    Ok(modules)
}

fn load_report(dir: &Path) -> Vec<Outcome> {
    std::fs::read_to_string(dir.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Keeps earlier results for contracts this run did not touch; a full run of a
/// contract replaces all of its earlier results, a `--survivors` run only those keys.
fn merge(
    previous: Vec<Outcome>,
    fresh: Vec<Outcome>,
    manifest: &Manifest,
    args: &Args,
) -> Vec<Outcome> {
    let ran: BTreeSet<String> = fresh.iter().map(|o| o.key.clone()).collect();
    let replaced_contract = |c: &str| {
        !args.survivors && (args.contracts.is_empty() || args.contracts.iter().any(|x| x == c))
    };
    let current: BTreeSet<String> = manifest
        .contracts
        .iter()
        .filter_map(|c| mutation::mutants(&c.name, &c.source).ok())
        .flatten()
        .map(|m| m.key())
        .collect();
    let mut out: Vec<Outcome> = previous
        .into_iter()
        .filter(|o| !ran.contains(&o.key) && !replaced_contract(&o.contract))
        .filter(|o| current.contains(&o.key))
        .collect();
    out.extend(fresh);
    out.sort_by(|a, b| (&a.contract, a.line, &a.key).cmp(&(&b.contract, b.line, &b.key)));
    out
}

fn write_report(
    dir: &Path,
    all: &[Outcome],
    equivalents: &BTreeMap<String, String>,
    stale: &[&String],
) -> Result<(), String> {
    let json = serde_json::to_string_pretty(all).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("report.json"), json).map_err(|e| e.to_string())?;
    let mut per: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for o in all {
        let slot = match o.status.as_str() {
            "killed" => 0,
            "equivalent" => 1,
            _ => 2,
        };
        per.entry(&o.contract).or_default()[slot] += 1;
    }
    let mut md = String::from("# Contract mutation report\n\n");
    md.push_str(
        "| contract | mutants | killed | equivalent | survived |\n|---|---:|---:|---:|---:|\n",
    );
    let mut total = [0; 3];
    for (c, n) in &per {
        md.push_str(&format!(
            "| {c} | {} | {} | {} | {} |\n",
            n.iter().sum::<usize>(),
            n[0],
            n[1],
            n[2]
        ));
        for i in 0..3 {
            total[i] += n[i];
        }
    }
    md.push_str(&format!(
        "| **all** | {} | {} | {} | {} |\n\n",
        total.iter().sum::<usize>(),
        total[0],
        total[1],
        total[2]
    ));
    for (title, status) in [("Survived", "survived"), ("Equivalent", "equivalent")] {
        md.push_str(&format!("## {title}\n\n"));
        for o in all.iter().filter(|o| o.status == status) {
            let why = equivalents
                .get(&o.key)
                .map(|r| format!(" — {r}"))
                .unwrap_or_default();
            md.push_str(&format!("- {}:{} `{}`{why}\n", o.contract, o.line, o.key));
        }
        md.push('\n');
    }
    if !stale.is_empty() {
        md.push_str("## Stale equivalent entries (match no mutant)\n\n");
        for k in stale {
            md.push_str(&format!("- `{k}`\n"));
        }
        md.push('\n');
    }
    md.push_str("## Killed\n\n| mutant | killed by | s |\n|---|---|---:|\n");
    for o in all.iter().filter(|o| o.status == "killed") {
        md.push_str(&format!(
            "| {}:{} `{}` | {} | {:.1} |\n",
            o.contract,
            o.line,
            o.key.replace('|', "\\|"),
            o.killed_by.as_deref().unwrap_or("-"),
            o.seconds
        ));
    }
    std::fs::write(dir.join("report.md"), md).map_err(|e| e.to_string())
}
