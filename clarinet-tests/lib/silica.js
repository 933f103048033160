// The Rust tests' Silica world (clarity/tests/silica_common/mod.rs) on a clarinet-sdk
// chain: a bootstrapped 3-of-5 signer set, a miner and buyers funded by signed sBTC
// peg-ins, and the Silica calls. Every signed message's bytes come from the
// contract's own `signer-registry.*-message` read-only functions, sha256'd here.
import { Cl } from "@stacks/transactions";
import { sha256 } from "@noble/hashes/sha2.js";
import { plain } from "./chain.js";
import { Signers, messageId } from "./signers.js";

export const REG = "signer-registry";
export const SILICA = "silica";
export const SBTC = "sbtc-token";
export const PAYOUT = "silica-payout";
/**
 * Index units per sat per TH/s·day (INDEX_SCALE in silica.clar, silica_common::SAT):
 * attested indices are in 1e-8 sat, so `50n * SAT` is 50 sats per TH/s·day.
 */
export const SAT = 100_000_000n;
/**
 * The silica functions that move the settlement token take it as their first argument
 * (`<sip-010-trait>`), silica_common::TOKEN_FUNCTIONS.
 */
export const TOKEN_FUNCTIONS = [
  "create",
  "buy",
  "cancel",
  "expire",
  "start",
  "top-up",
  "attest-window",
  "settle-stalled",
  "redeem",
  "collect",
];
/** Sats each actor starts with (silica_common::FUNDING). */
export const FUNDING = 10_000_000n;
/** Silica status codes (STATUS_* in silica.clar). */
export const STATUS = { OPEN: 0n, RUNNING: 1n, FINISHED: 2n, DEFAULTED: 3n, EXPIRED: 4n, CANCELLED: 5n };
/** silica_common::Terms::default(). */
export const DEFAULT_TERMS = { hashrate: 100n, windows: 4n, startIn: 150n, price: 60n, collateralBps: 1_000n };

export class World {
  constructor(chain, signers = new Signers("main", 5, 3)) {
    this.chain = chain;
    this.signers = signers;
    this.miner = chain.account("wallet_1");
    this.alice = chain.account("wallet_2");
    this.bob = chain.account("wallet_3");
    this.carol = chain.account("wallet_4");
    this.stranger = chain.account("wallet_6");
    this.depositNonce = 0;
    const d = chain.deployer;
    chain.ok(chain.call(REG, "bootstrap-signers", [signers.keysValue(), Cl.uint(signers.threshold)], d));
    for (const who of [this.miner, this.alice, this.bob, this.carol]) this.pegIn(who, FUNDING);
  }

  /** Pegs in `amount` sats for `recipient` with a quorum (submitted by wallet_8). */
  pegIn(recipient, amount) {
    this.chain.ok(this.pegInReceipt(recipient, amount));
  }

  /** A signed peg-in pinned to `tip` ({height, hash}, default: Chain.burnTip()). */
  pegInReceipt(recipient, amount, tip = this.chain.burnTip()) {
    const c = this.chain;
    const txid = sha256(new TextEncoder().encode(`deposit ${this.depositNonce++}`));
    const fields = [Cl.buffer(txid), Cl.uint(0n), Cl.uint(amount), Cl.principal(recipient), Cl.uint(tip.height), Cl.bufferFromHex(tip.hash)];
    const id = messageId(plain(c.readOnly(REG, "deposit-message", fields)));
    return c.call(REG, "complete-deposit", [...fields, this.signers.sign(id)], c.account("wallet_8"));
  }

  /** The settlement token bootstrap.toml sets (silica_common::settlement_token). */
  settlementToken() {
    return this.chain.contract(SBTC);
  }

  /** Calls a silica function, passing the settlement token where it takes one. */
  call(fn, args, who) {
    const all = TOKEN_FUNCTIONS.includes(fn) ? [this.settlementToken(), ...args] : args;
    return this.chain.call(SILICA, fn, all, who);
  }

  sbtc(who) {
    return this.chain.ftBalance(SBTC, who);
  }

  escrow() {
    return this.sbtc(this.chain.id(SILICA));
  }

  silica(id) {
    const s = plain(this.chain.readOnly(SILICA, "get-silica", [Cl.uint(id)]));
    if (s === null) throw new Error(`no silica ${id}`);
    return s;
  }

  status(id) {
    return this.silica(id).status;
  }

  shares(id, who) {
    return this.chain.ok(this.chain.readOnly(SILICA, "get-balance", [Cl.uint(id), Cl.principal(who)]));
  }

  /**
   * The payout script of the next id, as a client computes it: silica-payout's
   * `script-for` with the silica contract's principal and this world's keys
   * (`derive` binds contract-caller, so silica.create checks it for itself).
   */
  nextPayoutScript() {
    const c = this.chain;
    const next = plain(c.readOnly(SILICA, "get-params"))["next-id"];
    return plain(
      c.readOnly(PAYOUT, "script-for", [
        c.contract(SILICA),
        Cl.uint(next),
        this.signers.keysValue(),
        Cl.uint(this.signers.threshold),
      ]),
    );
  }

  /** Lists a Silica as the miner, with the payout script silica-payout derives. */
  create(t = DEFAULT_TERMS) {
    const script = this.nextPayoutScript();
    const start = this.chain.txBurnHeight + t.startIn;
    return this.call(
      "create",
      [Cl.uint(t.hashrate), Cl.uint(t.windows), Cl.uint(start), Cl.uint(t.price), Cl.uint(t.collateralBps), Cl.bufferFromHex(script)],
      this.miner,
    );
  }

  buy(id, who, amount) {
    return this.call("buy", [Cl.uint(id), Cl.uint(amount)], who);
  }

  /**
   * Mines until the next window may be attested (its attestable height is the newest
   * burn block below the tip, silica_common::World::mine_to_attestable) and attests it
   * with a quorum. `index` is in index units (e.g. `50n * SAT`).
   */
  attest(id, delivered, index) {
    const c = this.chain;
    const h = c.ok(c.readOnly(SILICA, "get-attestable-height", [Cl.uint(id)])) + 1n;
    if (c.txBurnHeight < h) c.mineBurnBlocks(h - c.txBurnHeight);
    const window = this.silica(id)["next-window"];
    const tip = c.burnTip();
    const fields = [Cl.uint(id), Cl.uint(window), Cl.uint(delivered), Cl.uint(index), Cl.uint(tip.height), Cl.bufferFromHex(tip.hash)];
    const msg = plain(c.readOnly(REG, "delivery-message", fields));
    const sigs = this.signers.sign(messageId(msg));
    return this.call("attest-window", [...fields, sigs], this.stranger);
  }

  redeem(id, who) {
    return this.call("redeem", [Cl.uint(id)], who);
  }

  collect(id) {
    return this.call("collect", [Cl.uint(id)], this.miner);
  }
}
