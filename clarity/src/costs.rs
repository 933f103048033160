//! The contract cost table: for every contract function, the maximum and mean of each
//! cost dimension over every call the tests made, as a percentage of the block limit.
//!
//! Each test process aggregates in memory and, whenever a [`crate::Simnet`] is dropped
//! (the end of each test), writes its aggregate to
//! `target/clarity-costs/samples/<test-binary>.json` and regenerates
//! `target/clarity-costs/report.md` (and `report.json`) from every sample file. Test
//! binaries run one after another under `cargo test`, so the report after a full run
//! covers all of them; a re-run of one binary replaces only its own samples.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::receipt::{Cost, BLOCK_LIMIT};

/// Aggregated costs of one contract function.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FunctionCost {
    /// Number of calls measured.
    pub calls: u64,
    /// Sums per dimension (runtime, read_count, read_length, write_count, write_length).
    pub sum: [u64; 5],
    /// Maxima per dimension.
    pub max: [u64; 5],
}

impl FunctionCost {
    fn add(&mut self, c: &Cost) {
        self.calls += 1;
        for (i, d) in dims(c).into_iter().enumerate() {
            self.sum[i] = self.sum[i].saturating_add(d);
            self.max[i] = self.max[i].max(d);
        }
    }

    fn merge(&mut self, other: &FunctionCost) {
        self.calls += other.calls;
        for i in 0..5 {
            self.sum[i] = self.sum[i].saturating_add(other.sum[i]);
            self.max[i] = self.max[i].max(other.max[i]);
        }
    }

    /// Mean per dimension.
    pub fn mean(&self) -> [f64; 5] {
        let n = self.calls.max(1) as f64;
        self.sum.map(|s| s as f64 / n)
    }
}

fn dims(c: &Cost) -> [u64; 5] {
    [
        c.runtime,
        c.read_count,
        c.read_length,
        c.write_count,
        c.write_length,
    ]
}

const LIMITS: [u64; 5] = [
    BLOCK_LIMIT.runtime,
    BLOCK_LIMIT.read_count,
    BLOCK_LIMIT.read_length,
    BLOCK_LIMIT.write_count,
    BLOCK_LIMIT.write_length,
];

/// Costs keyed by `contract::function`.
pub type CostTable = BTreeMap<String, FunctionCost>;

static COLLECTED: Mutex<CostTable> = Mutex::new(BTreeMap::new());
/// Bumped on every record; `flush` skips the disk when nothing changed since the last.
static GENERATION: AtomicU64 = AtomicU64::new(0);
static FLUSHED: AtomicU64 = AtomicU64::new(0);

/// Records one call's cost.
pub(crate) fn record(contract: &str, function: &str, cost: &Cost) {
    let mut table = COLLECTED.lock().unwrap_or_else(|p| p.into_inner());
    table
        .entry(format!("{contract}::{function}"))
        .or_default()
        .add(cost);
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// A copy of what this process has measured so far.
pub fn collected() -> CostTable {
    COLLECTED.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The folder the report is written to, when this process runs from a cargo target
/// directory (doctests and foreign binaries write nothing).
pub fn report_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(dir).join("clarity-costs"));
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .find(|d| d.join("CACHEDIR.TAG").is_file())
        .map(|t| t.join("clarity-costs"))
}

/// Writes this process's samples and regenerates the merged report. Errors are
/// ignored on purpose: a read-only target dir must not fail a test.
pub(crate) fn flush() {
    static WRITING: Mutex<()> = Mutex::new(());
    let _guard = WRITING.lock().unwrap_or_else(|p| p.into_inner());
    let generation = GENERATION.load(Ordering::SeqCst);
    if generation == FLUSHED.load(Ordering::SeqCst) {
        return;
    }
    FLUSHED.store(generation, Ordering::SeqCst);
    let Some(dir) = report_dir() else { return };
    let table = collected();
    if table.is_empty() {
        return;
    }
    let samples = dir.join("samples");
    if std::fs::create_dir_all(&samples).is_err() {
        return;
    }
    let name = binary_name();
    if let Ok(json) = serde_json::to_vec_pretty(&table) {
        let _ = write_atomic(&samples.join(format!("{name}.json")), &json);
    }
    let merged = merge_samples(&samples);
    if let Ok(json) = serde_json::to_vec_pretty(&merged) {
        let _ = write_atomic(&dir.join("report.json"), &json);
    }
    let _ = write_atomic(&dir.join("report.md"), render_markdown(&merged).as_bytes());
}

fn binary_name() -> String {
    let stem = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "unknown".into());
    // Cargo names test binaries `<name>-<16 hex digits>`; the hash changes per build.
    match stem.rsplit_once('-') {
        Some((base, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            base.to_string()
        }
        _ => stem,
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}

/// Merges every sample file in `dir`.
pub fn merge_samples(dir: &Path) -> CostTable {
    let mut merged = CostTable::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return merged;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(table) = serde_json::from_slice::<CostTable>(&bytes) else {
            continue;
        };
        for (k, v) in table {
            merged.entry(k).or_default().merge(&v);
        }
    }
    merged
}

/// Renders a cost table as Markdown: one row per function, max and mean per dimension
/// as % of the block limit.
pub fn render_markdown(table: &CostTable) -> String {
    let mut s = String::from(
        "# Clarity cost table\n\n\
         Max and mean per call, as % of the Stacks block limit \
         (runtime 5e9, read_count 15,000, read_length 1e8, write_count 15,000, write_length 1.5e7).\n\n\
         | contract::function | calls | runtime max | runtime mean | read_count max | read_count mean | read_length max | read_length mean | write_count max | write_count mean | write_length max | write_length mean | runtime max (units) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (name, c) in table {
        let mean = c.mean();
        s.push_str(&format!("| {name} | {}", c.calls));
        for i in 0..5 {
            let pmax = c.max[i] as f64 * 100.0 / LIMITS[i] as f64;
            let pmean = mean[i] * 100.0 / LIMITS[i] as f64;
            s.push_str(&format!(" | {pmax:.4}% | {pmean:.4}%"));
        }
        s.push_str(&format!(" | {} |\n", c.max[0]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_max_and_mean() {
        let mut f = FunctionCost::default();
        f.add(&Cost {
            runtime: 100,
            read_count: 2,
            ..Cost::default()
        });
        f.add(&Cost {
            runtime: 300,
            read_count: 4,
            ..Cost::default()
        });
        assert_eq!(f.calls, 2);
        assert_eq!(f.max[0], 300);
        assert_eq!(f.mean()[1], 3.0);
        let mut t = CostTable::new();
        t.insert("c::f".into(), f);
        let md = render_markdown(&t);
        assert!(md.contains("| c::f | 2 | 0.0000% |"), "{md}");
    }
}
