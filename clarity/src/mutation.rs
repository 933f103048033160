//! Guard mutants of a Clarity contract, for the `clarity-mutants` tool.
//!
//! A guard that no test notices when it breaks is a guard that can be deleted by the
//! next refactor without anyone knowing. This module finds the guards of a contract
//! with the Clarity parser (not regexes, so strings and comments never confuse it) and
//! produces one mutant per weakening:
//!
//! - `(asserts! COND ERR)` → `(asserts! true ERR)`: the whole check is gone;
//! - inside a guard condition (`asserts!` or `if`), each bound moved by one:
//!   `<` ↔ `<=`, `>` ↔ `>=`;
//! - `map-insert` → `map-set`: a replay map that no longer refuses a repeat;
//! - `(is-eq contract-caller X)` / `(is-eq tx-sender X)` → `true`: the caller check is
//!   gone, wherever it sits (a private `is-governance` helper included).
//!
//! Each mutant is a single text replacement, so applying it keeps every other byte of
//! the contract, and its [`Mutant::key`] (contract, function, what changed) survives
//! edits elsewhere in the file: the equivalent list checked in beside the contracts
//! matches on it, not on line numbers.
//!
//! ```
//! use alkahest_clarity::mutation::{mutants, Kind};
//!
//! let src = "(define-public (pay (n uint))\n  (begin (asserts! (<= n u10) (err u1)) (ok n)))";
//! let all = mutants("demo", src).unwrap();
//! assert_eq!(all.len(), 2);
//! assert_eq!(all[0].kind, Kind::AssertTrue);
//! assert!(all[0].apply(src).contains("(asserts! true (err u1))"));
//! assert!(all[1].apply(src).contains("(< n u10)"));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use clarity::vm::ast::parser::v2::parse;
use clarity::vm::representations::{PreSymbolicExpression, PreSymbolicExpressionType, Span};
use serde::Deserialize;

/// The weakening a mutant applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// An `asserts!` condition replaced by `true`.
    AssertTrue,
    /// A comparison in a guard moved by one (`<` ↔ `<=`, `>` ↔ `>=`).
    Bound,
    /// `map-insert` replaced by `map-set`.
    MapInsert,
    /// A `contract-caller`/`tx-sender` equality replaced by `true`.
    CallerCheck,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::AssertTrue => "asserts→true",
            Kind::Bound => "bound±1",
            Kind::MapInsert => "map-insert→map-set",
            Kind::CallerCheck => "caller-check→true",
        })
    }
}

/// One mutant: replace `original` at bytes `start..end` of the source by `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    /// Contract name.
    pub contract: String,
    /// The top-level definition it sits in (`define-public` etc. name).
    pub function: String,
    /// 1-based line of the mutated text.
    pub line: u32,
    /// What kind of weakening.
    pub kind: Kind,
    /// The mutated expression before the change, whitespace collapsed.
    pub original: String,
    /// The same expression after the change, whitespace collapsed.
    pub mutated: String,
    /// The text put in place of the replaced bytes.
    pub replacement: String,
    /// Occurrence index among mutants with the same contract, function and change, so
    /// that two identical guards in one function keep distinct keys.
    pub occurrence: u32,
    start: usize,
    end: usize,
}

impl Mutant {
    /// The contract source with this mutant applied.
    pub fn apply(&self, source: &str) -> String {
        let mut out = String::with_capacity(source.len() + self.replacement.len());
        out.push_str(&source[..self.start]);
        out.push_str(&self.replacement);
        out.push_str(&source[self.end..]);
        out
    }

    /// A stable description: `kind: original ⇒ mutated`.
    pub fn change(&self) -> String {
        format!("{}: {} ⇒ {}", self.kind, self.original, self.mutated)
    }

    /// The identity the equivalent list uses: contract, function, change, occurrence.
    pub fn key(&self) -> String {
        let n = if self.occurrence == 0 {
            String::new()
        } else {
            format!(" #{}", self.occurrence + 1)
        };
        format!("{}/{}: {}{n}", self.contract, self.function, self.change())
    }
}

/// The checked-in list of mutants no test can tell apart from the contract, relative
/// to the workspace root.
pub const EQUIVALENT_FILE: &str = "clarity/mutants-equivalent.toml";

#[derive(Deserialize)]
struct EquivalentList {
    #[serde(default)]
    equivalent: Vec<Equivalent>,
}

#[derive(Deserialize)]
struct Equivalent {
    key: String,
    reason: String,
}

/// The equivalent list under `root`: [`Mutant::key`] → reason. No file is an empty list.
///
/// # Errors
/// The file is not valid TOML, or an entry has an empty reason.
pub fn equivalents(root: &Path) -> Result<BTreeMap<String, String>, String> {
    let path = root.join(EQUIVALENT_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(BTreeMap::new());
    };
    let list: EquivalentList =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BTreeMap::new();
    for e in list.equivalent {
        if e.reason.trim().is_empty() {
            return Err(format!("{}: `{}` has no reason", path.display(), e.key));
        }
        out.insert(e.key, e.reason);
    }
    Ok(out)
}

/// Every guard mutant of `source`, in source order.
///
/// # Errors
/// The source does not parse (the message is the parser's).
pub fn mutants(contract: &str, source: &str) -> Result<Vec<Mutant>, String> {
    let exprs = parse(source).map_err(|e| format!("{contract}: parse error: {e}"))?;
    let lines = LineIndex::new(source);
    let mut out = Vec::new();
    for e in &exprs {
        let Some(items) = list(e) else { continue };
        let (Some(head), Some(sig)) = (items.first().and_then(atom), items.get(1)) else {
            continue;
        };
        if !matches!(
            head,
            "define-public" | "define-private" | "define-read-only"
        ) {
            continue;
        }
        let function = list(sig)
            .and_then(|s| s.first())
            .and_then(atom)
            .unwrap_or("?")
            .to_string();
        let mut walk = Walk {
            contract,
            function: &function,
            source,
            lines: &lines,
            out: &mut out,
        };
        for body in &items[2..] {
            walk.expr(body, false);
        }
    }
    // Identical replacements (an `asserts!` whose whole condition is a caller check)
    // are one mutant, not two.
    out.sort_by_key(|m| (m.start, m.end, m.kind));
    out.dedup_by(|b, a| a.start == b.start && a.end == b.end && a.replacement == b.replacement);
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for m in &mut out {
        let n = seen
            .entry(format!("{}/{}", m.function, m.change()))
            .or_default();
        m.occurrence = *n;
        *n += 1;
    }
    Ok(out)
}

struct Walk<'a> {
    contract: &'a str,
    function: &'a str,
    source: &'a str,
    lines: &'a LineIndex,
    out: &'a mut Vec<Mutant>,
}

impl Walk<'_> {
    /// Walks `e`; `guard` says whether it sits inside a guard condition.
    fn expr(&mut self, e: &PreSymbolicExpression, guard: bool) {
        let Some(items) = list(e) else { return };
        let head = items.first().and_then(atom);
        match head {
            Some("asserts!") if items.len() == 3 => {
                if atom(&items[1]) != Some("true") {
                    self.push(Kind::AssertTrue, &items[1].span, "true");
                }
                self.expr(&items[1], true);
                self.expr(&items[2], guard);
                return;
            }
            Some("if") if items.len() == 4 => {
                self.expr(&items[1], true);
                self.expr(&items[2], guard);
                self.expr(&items[3], guard);
                return;
            }
            Some(op @ ("<" | "<=" | ">" | ">=")) if guard => {
                let moved = match op {
                    "<" => "<=",
                    "<=" => "<",
                    ">" => ">=",
                    _ => ">",
                };
                self.push_in(Kind::Bound, &items[0].span, moved, &e.span);
            }
            Some("map-insert") => {
                self.push_in(Kind::MapInsert, &items[0].span, "map-set", &e.span);
            }
            Some("is-eq") if items[1..].iter().any(is_caller) => {
                self.push(Kind::CallerCheck, &e.span, "true");
            }
            _ => {}
        }
        for item in items.iter().skip(1) {
            self.expr(item, guard);
        }
    }

    fn push(&mut self, kind: Kind, span: &Span, replacement: &str) {
        self.push_in(kind, span, replacement, span);
    }

    /// Replaces `span` by `replacement`, describing the change by the text of `shown`
    /// (the enclosing expression) before and after.
    fn push_in(&mut self, kind: Kind, span: &Span, replacement: &str, shown: &Span) {
        let (start, end) = self.lines.range(span);
        let (s, e) = self.lines.range(shown);
        let original = collapse(&self.source[s..e]);
        let mutated = collapse(&format!(
            "{}{replacement}{}",
            &self.source[s..start],
            &self.source[end..e]
        ));
        self.out.push(Mutant {
            contract: self.contract.to_string(),
            function: self.function.to_string(),
            line: span.start_line,
            kind,
            original,
            mutated,
            replacement: replacement.to_string(),
            occurrence: 0,
            start,
            end,
        });
    }
}

fn list(e: &PreSymbolicExpression) -> Option<&[PreSymbolicExpression]> {
    match &e.pre_expr {
        PreSymbolicExpressionType::List(items) => Some(items),
        _ => None,
    }
}

fn atom(e: &PreSymbolicExpression) -> Option<&str> {
    match &e.pre_expr {
        PreSymbolicExpressionType::Atom(a) => Some(a.as_str()),
        _ => None,
    }
}

fn is_caller(e: &PreSymbolicExpression) -> bool {
    matches!(atom(e), Some("contract-caller" | "tx-sender"))
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Byte offsets of line starts, to turn the parser's 1-based (line, column) spans
/// into byte ranges (Clarity sources are ASCII; columns are counted in characters).
struct LineIndex {
    starts: Vec<usize>,
    source: String,
}

impl LineIndex {
    fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            starts,
            source: source.to_string(),
        }
    }

    fn offset(&self, line: u32, column: u32) -> usize {
        let start = self.starts[(line as usize).saturating_sub(1)];
        self.source[start..]
            .char_indices()
            .nth((column as usize).saturating_sub(1))
            .map_or(self.source.len(), |(i, _)| start + i)
    }

    /// `[start, end)` in bytes; the span's end column is inclusive.
    fn range(&self, span: &Span) -> (usize, usize) {
        let start = self.offset(span.start_line, span.start_column);
        let last = self.offset(span.end_line, span.end_column);
        let end = last + self.source[last..].chars().next().map_or(0, char::len_utf8);
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#";; a comment with (< a b) and (asserts! x y) in it: not code
(define-constant ERR (err u1))
(define-map seen uint bool)
(define-private (is-owner) (is-eq contract-caller tx-sender))
(define-public (go (n uint) (who principal))
  ;; a comment line between code lines
  (begin
    (asserts! (is-eq contract-caller who) ERR)
    (asserts! (and (>= n u1) (print "(<= n u9)")) ERR)
    (asserts! (map-insert seen n true) ERR)
    (if (> n u5) (ok (< n u9)) (ok true))))
(define-read-only (view (n uint)) (asserts! (<= n u2) ERR))
"#;

    fn keys() -> Vec<String> {
        mutants("demo", SRC)
            .unwrap()
            .iter()
            .map(Mutant::key)
            .collect()
    }

    #[test]
    fn finds_guards_but_not_comments_strings_or_plain_expressions() {
        let k = keys();
        let expect = [
            "demo/is-owner: caller-check→true: (is-eq contract-caller tx-sender) ⇒ true",
            "demo/go: asserts→true: (is-eq contract-caller who) ⇒ true",
            "demo/go: asserts→true: (and (>= n u1) (print \"(<= n u9)\")) ⇒ true",
            "demo/go: bound±1: (>= n u1) ⇒ (> n u1)",
            "demo/go: asserts→true: (map-insert seen n true) ⇒ true",
            "demo/go: map-insert→map-set: (map-insert seen n true) ⇒ (map-set seen n true)",
            "demo/go: bound±1: (> n u5) ⇒ (>= n u5)",
            "demo/view: asserts→true: (<= n u2) ⇒ true",
            "demo/view: bound±1: (<= n u2) ⇒ (< n u2)",
        ];
        assert_eq!(k, expect, "got {k:#?}");
        // `(< n u9)` is a result, not a guard condition: no mutant.
        assert!(!k.iter().any(|k| k.contains("(< n u9)")));
    }

    #[test]
    fn applying_a_mutant_changes_only_its_bytes() {
        for m in mutants("demo", SRC).unwrap() {
            let out = m.apply(SRC);
            assert_ne!(out, SRC, "{}", m.key());
            let prefix = SRC[..m.start].to_string();
            let suffix = SRC[m.end..].to_string();
            assert!(
                out.starts_with(&prefix) && out.ends_with(&suffix),
                "{}",
                m.key()
            );
            // The mutated contract still parses.
            assert!(parse(&out).is_ok(), "{}", m.key());
        }
    }

    #[test]
    fn identical_guards_in_one_function_get_distinct_keys() {
        let src = "(define-public (f (n uint)) (begin (asserts! (> n u0) (err u1)) (asserts! (> n u0) (err u1)) (ok n)))";
        let k: Vec<String> = mutants("d", src).unwrap().iter().map(Mutant::key).collect();
        assert_eq!(k.len(), 4);
        assert!(k.contains(&"d/f: asserts→true: (> n u0) ⇒ true #2".to_string()));
        let unique: std::collections::BTreeSet<_> = k.iter().collect();
        assert_eq!(unique.len(), 4);
    }

    #[test]
    fn a_source_that_does_not_parse_is_an_error_naming_the_contract() {
        let e = mutants("broken", "(define-public (f) (ok u1)").unwrap_err();
        assert!(e.starts_with("broken: parse error"), "{e}");
    }
}
