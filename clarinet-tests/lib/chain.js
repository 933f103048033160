// A deployed Alkahest contract set in a clarinet-sdk simnet, with the helpers the
// scenarios need (calls as named accounts, SIP-010 balances, burn-block hashes).
//
// Two deployments are built from the same sources:
// - `declaredChain()`: Clarinet.toml exactly as declared (the Rust harness's VM
//   settings), deployed by initSimnet as the deployer;
// - `newestChain()`: a fresh session moved to the SDK's newest epoch, where wallet_7
//   deploys every contract at the newest Clarity version it compiles under (the
//   versions that do not compile are a finding, see tests/deploy.test.js).
// Both replay deployments/bootstrap.toml as their deployer.
import { initSimnet } from "@stacks/clarinet-sdk";
import { Cl, cvToString } from "@stacks/transactions";
import { MANIFEST_PATH, bootstrapCalls, deployOrder, source } from "./project.js";

/** The newest epoch and Clarity version this SDK runs. */
export const NEWEST_EPOCH = "4.0";
export const NEWEST_CLARITY = 6;
/** Clarity versions tried on the newest epoch, newest first; 2 is the fallback. */
export const CLARITY_VERSIONS = [6, 5, 4, 3];

/** Converts a Clarity value to plain JS (uint/int → bigint, buff → hex string). */
export function plain(cv) {
  switch (cv.type) {
    case "uint":
    case "int":
      return BigInt(cv.value);
    case "true":
      return true;
    case "false":
      return false;
    case "ascii":
    case "utf8":
    case "buffer":
    case "address":
    case "contract":
      return cv.value;
    case "none":
      return null;
    case "some":
      return plain(cv.value);
    case "ok":
      return { ok: plain(cv.value) };
    case "err":
      return { err: plain(cv.value) };
    case "list":
      return cv.value.map(plain);
    case "tuple":
      return Object.fromEntries(Object.entries(cv.value).map(([k, v]) => [k, plain(v)]));
    default:
      throw new Error(`unsupported Clarity value type ${cv.type}`);
  }
}

export const hexToBytes = (hex) => Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));
export const bytesToHex = (bytes) => Buffer.from(bytes).toString("hex");

export class Chain {
  constructor(simnet, deployer, label, clarityVersion) {
    this.simnet = simnet;
    /** Clarity version for test-only contracts (the SDK's own default ignores the epoch). */
    this.clarityVersion = clarityVersion;
    this.accounts = simnet.getAccounts();
    /** The address that deployed this contract set (plays `deployer`). */
    this.deployer = deployer;
    this.label = label;
  }

  /** An account address by Devnet.toml name; `deployer` is this set's deployer. */
  account(name) {
    if (name === "deployer") return this.deployer;
    const a = this.accounts.get(name);
    if (!a) throw new Error(`no account \`${name}\``);
    return a;
  }

  id(contract) {
    return contract.includes(".") ? contract : `${this.deployer}.${contract}`;
  }

  /** Deploys a test-only contract as this set's deployer; throws if it fails. */
  deployTestContract(name, src) {
    return this.simnet.deployContract(name, src, { clarityVersion: this.clarityVersion }, this.deployer);
  }

  /** A contract of this set as a Clarity principal (trait arguments). */
  contract(name) {
    return Cl.principal(this.id(name));
  }

  call(contract, fn, args, sender) {
    return this.simnet.callPublicFn(this.id(contract), fn, args, sender);
  }

  readOnly(contract, fn, args = [], sender = this.deployer) {
    return this.simnet.callReadOnlyFn(this.id(contract), fn, args, sender).result;
  }

  /**
   * A read-only call's value as plain JS, `(ok v)` unwrapped, like the Rust harness's
   * `Simnet::read_only`; throws on `(err ..)`.
   */
  view(contract, fn, args = []) {
    const r = this.readOnly(contract, fn, args);
    if (r.type === "err") throw new Error(`${contract}::${fn} returned ${cvToString(r)}`);
    return plain(r.type === "ok" ? r.value : r);
  }

  /** The `ok` value of a receipt as plain JS; throws with the outcome otherwise. */
  ok(receipt) {
    const r = receipt.result ?? receipt;
    if (r.type !== "ok") throw new Error(`expected (ok ..), got ${cvToString(r)}`);
    return plain(r.value);
  }

  /** The `err` code of a receipt; throws if it is not an `(err uN)`. */
  err(receipt) {
    const r = receipt.result ?? receipt;
    if (r.type !== "err") throw new Error(`expected (err ..), got ${cvToString(r)}`);
    return plain(r.value);
  }

  /** SIP-010 `get-balance`. */
  ftBalance(token, who) {
    return this.ok(this.readOnly(token, "get-balance", [Cl.principal(who)]));
  }

  /**
   * `burn-block-height` as `simnet.execute` (and read-only calls) see it. On epoch 3+
   * this is also what a transaction sees; on epoch 2.x a public call runs in the next
   * block and sees one more (`simnet.burnBlockHeight`): see `txBurnHeight` and the
   * pinned finding in tests/deploy.test.js.
   */
  get burnHeight() {
    return plain(this.simnet.execute("burn-block-height").result);
  }

  /**
   * `burn-block-height` as the next public call sees it, like the Rust harness's
   * `Simnet::burn_block_height`: the SDK's `simnet.burnBlockHeight` on every epoch
   * (pinned in tests/deploy.test.js).
   */
  get txBurnHeight() {
    return BigInt(this.simnet.burnBlockHeight);
  }

  mineBurnBlocks(n) {
    if (n > 0) this.simnet.mineEmptyBurnBlocks(Number(n));
  }

  /** `(get-burn-block-info? header-hash h)` as the VM answers it, or null. */
  burnHash(height) {
    const r = this.simnet.execute(`(get-burn-block-info? header-hash u${height})`).result;
    return r.type === "some" ? r.value.value : null;
  }

  /**
   * The newest burn height strictly below the `burn-block-height` the next transaction
   * sees, and its header hash: what a signer pins a message to (silica_common::burn_tip
   * in the Rust tests). signer-registry refuses a height at or above burn-block-height
   * (ERR_BURN_HEIGHT_NOT_PAST), whatever the VM would answer for it.
   */
  burnTip() {
    while (this.txBurnHeight === 0n) this.mineBurnBlocks(1);
    const height = this.txBurnHeight - 1n;
    const hash = this.burnHash(height);
    if (hash === null) throw new Error(`the VM reports no header hash for burn height ${height}`);
    return { height, hash };
  }

  /** Parses a bootstrap.toml argument: a Clarity literal, `.name` = this set's contract. */
  literal(text, manifestDeployer) {
    let t = text.trim();
    if (t.startsWith(".")) t = `'${this.deployer}${t}`;
    // bootstrap.toml names the manifest deployer by address; a set deployed by
    // another account means that account.
    if (manifestDeployer && t.startsWith(`'${manifestDeployer}`)) {
      t = `'${this.deployer}${t.slice(manifestDeployer.length + 1)}`;
    }
    try {
      return Cl.parse(t);
    } catch (e) {
      throw new Error(`bootstrap.toml: cannot parse Clarity literal ${text}: ${e.message}`);
    }
  }

  /**
   * Replays deployments/bootstrap.toml; returns each call with its receipt. With
   * `handover: false` it stops before the governance handover (the deployer still
   * governs), as the Rust harness's `Simnet::deployer_governed()`.
   */
  replayBootstrap({ handover = true } = {}) {
    const manifestDeployer = this.accounts.get("deployer");
    return bootstrapCalls.filter((c) => handover || !c.handover).map((c) => {
      const args = c.args.map((a) => this.literal(a, manifestDeployer));
      const receipt = this.call(c.contract, c.function, args, this.account(c.sender));
      return { call: c, receipt };
    });
  }
}

/** Print events of a receipt, as plain JS. */
export function prints(receipt) {
  return receipt.events.filter((e) => e.event === "print_event").map((e) => plain(e.data.value));
}

export function topics(receipt) {
  return prints(receipt)
    .map((p) => (p && typeof p === "object" ? p.topic : undefined))
    .filter((t) => t !== undefined);
}

/** Replays bootstrap.toml on `chain`; a failing call fails the deployment (as in Rust). */
function bootstrapOrThrow(chain, options) {
  for (const { call, receipt } of chain.replayBootstrap(options)) {
    if (receipt.result.type !== "ok") {
      throw new Error(`bootstrap ${call.contract}::${call.function} failed: ${cvToString(receipt.result)}`);
    }
  }
}

/** The Devnet.toml account that deploys the newest-VM contract set. */
export const NEWEST_DEPLOYER = "wallet_7";

/**
 * A fresh chain with Clarinet.toml deployed as declared and bootstrap.toml replayed.
 * Every call restarts from the cached genesis (fast after the first).
 */
export async function declaredChain(options = {}) {
  const simnet = await initSimnet(MANIFEST_PATH);
  const chain = new Chain(simnet, simnet.getAccounts().get("deployer"), "declared", 2);
  bootstrapOrThrow(chain, options);
  return chain;
}

/**
 * Deploys every manifest contract in dependency order as `sender`, each at the first
 * of `versions` that deploys (none: the SDK's default for the epoch). Returns, per
 * contract, the version used and the errors of the versions that failed.
 */
export function deployAll(simnet, sender, versions) {
  const outcome = {};
  for (const name of deployOrder()) {
    const failures = {};
    let used = null;
    for (const v of versions) {
      const options = v === null ? null : { clarityVersion: v };
      try {
        // clarinet-sdk throws when a contract does not analyse or initialise.
        simnet.deployContract(name, source(name), options, sender);
        used = v;
        break;
      } catch (e) {
        failures[v] = String(e.message ?? e);
      }
    }
    outcome[name] = { used, failures };
  }
  return outcome;
}

/**
 * A fresh session moved to NEWEST_EPOCH, where NEWEST_DEPLOYER deploys every contract
 * at the newest Clarity version that compiles (falling back to Clarity 2), then
 * replays bootstrap.toml. `chain.deployment` says which version each contract got.
 */
export async function newestChain(options = {}) {
  const simnet = await initSimnet(MANIFEST_PATH);
  simnet.setEpoch(NEWEST_EPOCH);
  const deployer = simnet.getAccounts().get(NEWEST_DEPLOYER);
  const deployment = deployAll(simnet, deployer, [...CLARITY_VERSIONS, 2]);
  for (const [name, d] of Object.entries(deployment)) {
    if (d.used === null) throw new Error(`${name} deploys under no Clarity version: ${JSON.stringify(d.failures)}`);
  }
  const chain = new Chain(simnet, deployer, `newest (epoch ${NEWEST_EPOCH})`, NEWEST_CLARITY);
  chain.deployment = deployment;
  bootstrapOrThrow(chain, options);
  return chain;
}

/** Both deployments, for `describe.each`. */
export const CHAINS = [
  ["declared (Clarinet.toml: epoch 2.4, Clarity 2)", declaredChain],
  [`newest (epoch ${NEWEST_EPOCH}, newest Clarity that compiles)`, newestChain],
];

/** Both deployments before the governance handover (the deployer still governs). */
export const PRE_HANDOVER_CHAINS = CHAINS.map(([label, make]) => [
  `${label}, before the handover`,
  () => make({ handover: false }),
]);
