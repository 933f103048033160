// Deployment on the newest Clarity VM: Clarinet.toml as declared (what the Rust
// harness runs), deployments/bootstrap.toml replayed, and which contracts compile
// under each newer Clarity version on the SDK's newest epoch.
import { describe, expect, it } from "vitest";
import { initSimnet } from "@stacks/clarinet-sdk";
import { Cl, cvToString } from "@stacks/transactions";
import {
  CLARITY_VERSIONS,
  Chain,
  NEWEST_EPOCH,
  declaredChain,
  deployAll,
  newestChain,
  plain,
} from "../lib/chain.js";
import { MANIFEST_PATH, bootstrapCalls, contractNames, manifest, sdkVersion } from "../lib/project.js";

/**
 * Contracts that do NOT compile at each Clarity version on the newest epoch, and a
 * fragment of the VM's reason. A finding, kept exact so a contract change that fixes
 * (or breaks) newer-Clarity compatibility shows up here.
 */
const AS_CONTRACT_REMOVED = {
  // Clarity 4 removed `as-contract` (replaced by `as-contract?` with asset allowances).
  "alex-vesting": "use of unresolved function 'as-contract'",
  "alex-emission": "use of unresolved function 'as-contract'",
  "amm-pool": "use of unresolved function 'as-contract'",
  silica: "use of unresolved function 'as-contract'",
  // Its `*-message` read-onlies now put `registry: (as-contract tx-sender)` in every
  // signed message.
  "signer-registry": "use of unresolved function 'as-contract'",
  // Executes proposals and pauses under its own `as-contract` (Clarity 4 would need
  // `as-contract?` with every asset allowed, which is what a DAO is).
  "dao-core": "use of unresolved function 'as-contract'",
  // Pays rewards and principal out of its own balance.
  "alex-staking": "use of unresolved function 'as-contract'",
  // Lending: the pools pay sBTC, yield tokens and STX out of their own balances.
  ytp: "use of unresolved function 'as-contract'",
  crp: "use of unresolved function 'as-contract'",
};
const DOES_NOT_COMPILE = {
  // Clarity 3 removed `block-height`; alex-vesting now runs on `burn-block-height`, so
  // every contract compiles as Clarity 3.
  3: {},
  4: AS_CONTRACT_REMOVED,
  5: AS_CONTRACT_REMOVED,
  6: AS_CONTRACT_REMOVED,
};

describe("deployment", () => {
  it("deploys every Clarinet.toml contract as declared and replays bootstrap.toml", async () => {
    const simnet = await initSimnet(MANIFEST_PATH);
    console.log(`@stacks/clarinet-sdk ${sdkVersion()}; epoch after deployment ${simnet.currentEpoch}`);
    const deployer = simnet.getAccounts().get("deployer");
    const ifaces = simnet.getContractsInterfaces();
    for (const name of contractNames) {
      const iface = ifaces.get(`${deployer}.${name}`);
      expect(iface, name).toBeDefined();
      const declared = manifest.contracts[name];
      expect(iface.clarity_version, name).toBe(`Clarity${declared.clarity_version}`);
      expect(iface.epoch, name).toBe(`Epoch${String(declared.epoch).replace(".", "")}`);
    }
    const chain = new Chain(simnet, deployer, "declared", 2);
    const replayed = chain.replayBootstrap();
    expect(replayed.length).toBe(bootstrapCalls.length);
    for (const { call, receipt } of replayed) {
      expect(receipt.result.type, `${call.contract}::${call.function} -> ${cvToString(receipt.result)}`).toBe("ok");
    }
    // The two devnet pools exist, as in the Rust harness's Simnet::new().
    expect(plain(chain.readOnly("amm-pool", "get-pool-count", []))).toBe(3n);
  });

  it("every chain starts from genesis (initSimnet resets the session)", async () => {
    const first = await declaredChain();
    const [from, to] = [first.deployer, first.account("wallet_1")];
    first.ok(first.call("alex-token", "transfer", [Cl.uint(1n), Cl.principal(from), Cl.principal(to), Cl.none()], from));
    expect(first.ftBalance("alex-token", to)).toBe(1n);
    const second = await declaredChain();
    expect(second.ftBalance("alex-token", to)).toBe(0n);
  });

  // A finding, pinned: which burn-block header hashes a contract can read, and which
  // `burn-block-height` a transaction sees. On epoch 2.4 this simnet runs a public call
  // in the next block: the call sees `simnet.burnBlockHeight`, one more than
  // `simnet.execute` and read-only calls; on the newest epoch all three agree. Either
  // way `get-burn-block-info?` (evaluated with simnet.execute) answers for the height a
  // transaction sees (the tip), where the Rust harness answers only below it. signer-registry now refuses
  // burn-height >= burn-block-height (ERR_BURN_HEIGHT_NOT_PAST), so the scenarios pin
  // messages to the height below the one a transaction sees (Chain.burnTip), as the
  // Rust tests do.
  it("burn-block header hashes visible to a transaction, epoch 2.4 vs the newest", async () => {
    const chain = await declaredChain();
    chain.deployTestContract("burn-probe", "(define-public (h) (ok burn-block-height))");
    const txHeight = () => chain.ok(chain.call("burn-probe", "h", [], chain.deployer));
    const probe = () => {
      const h = chain.burnHeight;
      return [h, h + 1n, h + 2n].map((x) => chain.burnHash(x) !== null);
    };
    expect(chain.simnet.currentEpoch).toBe("2.4");
    expect(BigInt(chain.simnet.burnBlockHeight)).toBe(chain.burnHeight + 1n);
    expect(probe()).toEqual([true, true, false]);
    let [sdk, seen] = [chain.txBurnHeight, txHeight()];
    expect(seen).toBe(sdk);
    expect(chain.burnHeight).toBe(seen); // the call's block is now the tip
    chain.simnet.setEpoch(NEWEST_EPOCH);
    chain.mineBurnBlocks(2);
    expect(BigInt(chain.simnet.burnBlockHeight)).toBe(chain.burnHeight);
    expect(probe()).toEqual([true, false, false]);
    [sdk, seen] = [chain.txBurnHeight, txHeight()];
    expect(seen).toBe(sdk);
    expect(chain.burnHeight).toBe(seen);
  });

  it(`reports which contracts compile as Clarity ${CLARITY_VERSIONS.join("/")} on epoch ${NEWEST_EPOCH}`, async () => {
    const simnet = await initSimnet(MANIFEST_PATH);
    simnet.setEpoch(NEWEST_EPOCH);
    expect(simnet.currentEpoch).toBe(NEWEST_EPOCH);
    const found = {};
    const senders = ["wallet_1", "wallet_2", "wallet_3", "wallet_4"];
    CLARITY_VERSIONS.forEach((v, i) => {
      // Dependencies that fail at v fall back to Clarity 2, so every contract is tried.
      const outcome = deployAll(simnet, simnet.getAccounts().get(senders[i]), [v, 2]);
      found[v] = {};
      for (const [name, d] of Object.entries(outcome)) {
        expect(d.used, `${name} deploys under neither Clarity ${v} nor 2: ${JSON.stringify(d.failures)}`).not.toBeNull();
        if (d.used !== v) found[v][name] = d.failures[v];
      }
    });
    console.log("does not compile, by Clarity version:", JSON.stringify(found, null, 2));
    for (const v of CLARITY_VERSIONS) {
      expect(Object.keys(found[v]).sort(), `Clarity ${v}`).toEqual(Object.keys(DOES_NOT_COMPILE[v]).sort());
      for (const [name, fragment] of Object.entries(DOES_NOT_COMPILE[v])) {
        expect(found[v][name], `${name} at Clarity ${v}`).toContain(fragment);
      }
    }
  });

  it("newest chain: bootstrap.toml replays on the newest-Clarity deployment", async () => {
    const chain = await newestChain();
    const used = Object.fromEntries(Object.entries(chain.deployment).map(([n, d]) => [n, d.used]));
    console.log(`newest chain (epoch ${chain.simnet.currentEpoch}), Clarity version per contract:`, used);
    expect(Object.keys(used).sort()).toEqual([...contractNames].sort());
  });
});
