// A real Stacks client against the devnet: the devnet binary runs `--scenario
// silica-open` (peg-ins done, Silica #1 listed and open for buys, the wSTX/sBTC AMM pool
// 3 seeded), and @stacks/transactions alone (makeContractCall, broadcastTransaction,
// fetchCallReadOnlyFunction, with a StacksNetwork pointed at the devnet's Stacks RPC)
// signs and broadcasts a swap on pool 3 and a Silica `buy` as Devnet.toml accounts,
// waits for them to be mined, and reads the results back through `call-read` and the
// API. The devnet is built with cargo first (or taken from ALKAHEST_DEVNET_BIN) and
// killed at the end, also when a test fails.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Cl,
  PostConditionMode,
  broadcastTransaction,
  fetchCallReadOnlyFunction,
  makeContractCall,
} from "@stacks/transactions";
import { devnetAccount } from "../lib/accounts.js";
import { plain } from "../lib/chain.js";
import { ROOT, devnetSettings } from "../lib/project.js";

const DEPLOYER = devnetSettings.accounts.deployer.address;
const POOL = 3n;
const SWAP_IN = 100_000_000n; // 100 STX, in micro-STX
const BUY = 25n; // TH/s of Silica #1

/** Builds the devnet binary (unless ALKAHEST_DEVNET_BIN names one) and returns its path. */
function devnetBinary() {
  if (process.env.ALKAHEST_DEVNET_BIN) return process.env.ALKAHEST_DEVNET_BIN;
  const build = spawnSync("cargo", ["build", "-p", "alkahest-devnet", "--bin", "devnet"], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (build.status !== 0) {
    throw new Error(`cargo build -p alkahest-devnet failed:\n${(build.stderr ?? String(build.error)).slice(-4000)}`);
  }
  const target = process.env.CARGO_TARGET_DIR ?? path.join(ROOT, "target");
  return path.resolve(ROOT, target, "debug", "devnet");
}

/** The running devnet: its log lines, and a wait for a line matching a pattern. */
class Devnet {
  constructor(bin, dataDir) {
    this.lines = [];
    this.waiters = [];
    this.child = spawn(
      bin,
      [
        "--data-dir", dataDir,
        "--api-addr", "127.0.0.1:0",
        "--stacks-rpc-addr", "127.0.0.1:0",
        "--block-time", "250ms",
        "--scenario", "silica-open",
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
    );
    let pending = "";
    const onData = (chunk) => {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop();
      for (const line of parts) {
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => !w(line));
      }
    };
    this.child.stdout.setEncoding("utf8").on("data", onData);
    this.child.stderr.setEncoding("utf8").on("data", onData);
    this.exited = new Promise((resolve) => this.child.on("exit", resolve));
  }

  /** The first match of `re` in the log, waiting for it (the test timeout is the guard). */
  match(re) {
    const found = this.lines.map((l) => l.match(re)).find(Boolean);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      this.exited.then((code) => reject(new Error(`the devnet exited (${code}) before ${re}:\n${this.tail()}`)));
      this.waiters.push((line) => {
        const m = line.match(re);
        if (m) resolve(m);
        return Boolean(m);
      });
    });
  }

  tail() {
    return this.lines.slice(-40).join("\n");
  }

  async stop() {
    if (this.child.exitCode !== null) return;
    this.child.kill("SIGINT");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

let devnet;
let dataDir;
let rpc;
let api;
let network;

beforeAll(async () => {
  const bin = devnetBinary();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "alkahest-devnet-rpc-"));
  devnet = new Devnet(bin, path.join(dataDir, "data"));
  // Ctrl-C or a crash of the test runner must not leave the devnet running.
  process.once("exit", () => devnet.child.kill("SIGKILL"));
  api = (await devnet.match(/API listening on (http:\/\/\S+)/))[1];
  rpc = (await devnet.match(/Stacks RPC listening on (http:\/\/\S+)/))[1];
  // The testnet's StacksNetwork (chain id 0x80000000, version 0x80), on the devnet.
  network = {
    chainId: 0x80000000,
    transactionVersion: 0x80,
    peerNetworkId: 0xff000000,
    magicBytes: "id",
    bootAddress: "ST000000000000000000002AMW42H",
    addressVersion: { singleSig: 26, multiSig: 21 },
    client: { baseUrl: rpc },
  };
  await devnet.match(/\[ready\] silica #1 OPEN/);
}, 30 * 60_000);

afterAll(async () => {
  await devnet?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A read-only call through the node's call-read, as a plain JS value (lib/chain.js). */
async function read(contract, fn, args) {
  const cv = await fetchCallReadOnlyFunction({
    contractAddress: DEPLOYER,
    contractName: contract,
    functionName: fn,
    functionArgs: args,
    senderAddress: DEPLOYER,
    network,
  });
  return plain(cv);
}

/** Polls the Stacks API status until the transaction is mined (the test timeout guards). */
async function mined(txid) {
  for (;;) {
    const r = await fetch(`${rpc}/extended/v1/tx/0x${txid}`);
    const body = await r.json();
    if (r.status !== 200) throw new Error(`tx ${txid}: ${r.status} ${JSON.stringify(body)}`);
    if (body.tx_status !== "pending") return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Signs `fn(args)` on a deployer contract as `account`; nonce and fee come from the node. */
async function call(account, contract, fn, args) {
  const tx = await makeContractCall({
    contractAddress: DEPLOYER,
    contractName: contract,
    functionName: fn,
    functionArgs: args,
    senderKey: account.privateKey,
    network,
    // The devnet does not enforce post-conditions; a real node would, and these calls
    // move the sender's tokens.
    postConditionMode: PostConditionMode.Allow,
  });
  const sent = await broadcastTransaction({ transaction: tx, network });
  expect(sent.error, JSON.stringify(sent)).toBeUndefined();
  return { tx, txid: sent.txid };
}

describe("the devnet's Stacks RPC, with @stacks/transactions", () => {
  it("reports a testnet chain", async () => {
    const info = await (await fetch(`${rpc}/v2/info`)).json();
    expect(info.network_id).toBe(0x80000000);
    expect(info.burn_block_height).toBeGreaterThan(0);
  });

  it("swaps STX for sBTC on the 50/50 pool", async () => {
    const trader = devnetAccount("wallet_4");
    const sbtc = Cl.contractPrincipal(DEPLOYER, "sbtc-token");
    const wstx = Cl.contractPrincipal(DEPLOYER, "amm-wstx");
    const sbtcOf = async (who) => (await read("sbtc-token", "get-balance", [Cl.principal(who)])).ok;
    const { ok: before } = await read("amm-pool", "get-pool", [Cl.uint(POOL)]);
    const { ok: quote } = await read("amm-pool", "get-amount-out", [
      Cl.uint(POOL), Cl.principal(`${DEPLOYER}.amm-wstx`), Cl.uint(SWAP_IN),
    ]);
    const dy = quote.dy;
    expect(dy).toBeGreaterThan(0n);
    expect(await sbtcOf(trader.address)).toBe(0n);

    const info = await (await fetch(`${rpc}/v2/info`)).json();
    const deadline = BigInt(info.burn_block_height + 100);
    const { txid } = await call(trader, "amm-pool", "swap", [
      Cl.uint(POOL), wstx, sbtc, Cl.uint(SWAP_IN), Cl.uint(dy), Cl.uint(deadline),
    ]);
    const status = await mined(txid);
    expect(status.tx_status, JSON.stringify(status)).toBe("success");

    expect(await sbtcOf(trader.address)).toBe(dy);
    const { ok: after } = await read("amm-pool", "get-pool", [Cl.uint(POOL)]);
    expect(after["balance-y"]).toBe(before["balance-y"] - dy);
    expect(after["balance-x"]).toBeGreaterThan(before["balance-x"]);
  });

  it("buys into the open Silica, seen by call-read and by the API", async () => {
    const buyer = devnetAccount("wallet_1");
    const { tx, txid } = await call(buyer, "silica", "buy", [
      Cl.contractPrincipal(DEPLOYER, "sbtc-token"), Cl.uint(1n), Cl.uint(BUY),
    ]);
    const status = await mined(txid);
    expect(status.tx_status, JSON.stringify(status)).toBe("success");
    expect(status.block_height).toBeGreaterThan(0);

    const held = await read("silica", "get-balance", [Cl.uint(1n), Cl.principal(buyer.address)]);
    expect(held).toEqual({ ok: BUY });
    const silica = await read("silica", "get-silica", [Cl.uint(1n)]);
    expect(silica.sold).toBe(BUY);
    expect(silica.status).toBe(0n); // still OPEN
    const view = await (await fetch(`${api}/v1/silica/1`)).json();
    expect(view.sold).toBe(Number(BUY));

    // The same signed bytes again: the node refuses them as stacks-node does.
    const again = await broadcastTransaction({ transaction: tx, network });
    expect(again.error).toBe("transaction rejected");
    expect(again.reason).toBe("BadNonce");
  });
});
