// The project as Clarinet sees it: Clarinet.toml, settings/Devnet.toml and
// deployments/bootstrap.toml, read from the repository root (one level up).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const MANIFEST_PATH = path.join(ROOT, "Clarinet.toml");

function readToml(relative) {
  const file = path.join(ROOT, relative);
  try {
    return parseToml(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read ${file}: ${e.message}`);
  }
}

export const manifest = readToml("Clarinet.toml");
export const devnetSettings = readToml("settings/Devnet.toml");

/** The `[[call]]` entries of deployments/bootstrap.toml, in file order. */
export const bootstrapCalls = (readToml("deployments/bootstrap.toml").call ?? []).map((c) => ({
  contract: c.contract,
  function: c.function,
  args: c.args ?? [],
  sender: c.sender ?? "deployer",
  // "handover": the calls that hand every contract's governance to dao-core (last).
  handover: c.stage === "handover",
}));

export const contractNames = Object.keys(manifest.contracts);

export function source(name) {
  const spec = manifest.contracts[name];
  if (!spec) throw new Error(`Clarinet.toml lists no contract \`${name}\``);
  return fs.readFileSync(path.join(ROOT, spec.path), "utf8");
}

/** `(define-constant NAME (err uN))` codes of a contract, by name. */
export function errorCodes(name) {
  const codes = {};
  for (const m of source(name).matchAll(/\(define-constant\s+([A-Za-z0-9_-]+)\s+\(err\s+u(\d+)\)\)/g)) {
    codes[m[1]] = BigInt(m[2]);
  }
  return codes;
}

export function errorCode(contract, constant) {
  const code = errorCodes(contract)[constant];
  if (code === undefined) throw new Error(`contract \`${contract}\` has no error constant ${constant}`);
  return code;
}

/**
 * Contracts a source depends on, as the Rust harness derives them
 * (clarity/src/manifest.rs): targets of contract-call?, impl-trait and use-trait.
 */
export function dependencies(name) {
  const deps = new Set();
  // Only `.name` (this deployer's contracts); fully qualified ids are other deployers'.
  const re = /\((?:contract-call\?|impl-trait|use-trait\s+[A-Za-z0-9_-]+)\s+\.([a-zA-Z][a-zA-Z0-9_-]*)/g;
  for (const m of source(name).matchAll(re)) if (m[1] !== name) deps.add(m[1]);
  return deps;
}

/** Manifest contracts with every dependency first. */
export function deployOrder() {
  const pending = new Map(contractNames.map((n) => [n, dependencies(n)]));
  const done = new Set();
  const order = [];
  while (pending.size > 0) {
    const ready = [...pending].filter(([, deps]) => [...deps].every((d) => done.has(d)));
    if (ready.length === 0) throw new Error(`dependency cycle among ${[...pending.keys()]}`);
    for (const [n] of ready) {
      pending.delete(n);
      done.add(n);
      order.push(n);
    }
  }
  return order;
}

/** The installed @stacks/clarinet-sdk version (its package.json is not exported). */
export function sdkVersion() {
  const file = path.join(ROOT, "clarinet-tests", "node_modules", "@stacks", "clarinet-sdk", "package.json");
  return JSON.parse(fs.readFileSync(file, "utf8")).version;
}
