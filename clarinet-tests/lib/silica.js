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
    const c = this.chain;
    if (c.burnHeight === 0n) c.mineBurnBlocks(1);
    const tip = c.burnTip();
    const txid = sha256(new TextEncoder().encode(`deposit ${this.depositNonce++}`));
    const fields = [Cl.buffer(txid), Cl.uint(0n), Cl.uint(amount), Cl.principal(recipient), Cl.uint(tip.height), Cl.bufferFromHex(tip.hash)];
    const id = messageId(plain(c.readOnly(REG, "deposit-message", fields)));
    c.ok(c.call(REG, "complete-deposit", [...fields, this.signers.sign(id)], c.account("wallet_8")));
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

  /** Lists a Silica as the miner, with the payout script silica-payout derives. */
  create(t = DEFAULT_TERMS) {
    const c = this.chain;
    const next = plain(c.readOnly(SILICA, "get-params"))["next-id"];
    const { script } = c.ok(c.readOnly("silica-payout", "derive", [Cl.uint(next)]));
    const start = c.burnHeight + t.startIn;
    return c.call(
      SILICA,
      "create",
      [Cl.uint(t.hashrate), Cl.uint(t.windows), Cl.uint(start), Cl.uint(t.price), Cl.uint(t.collateralBps), Cl.bufferFromHex(script)],
      this.miner,
    );
  }

  buy(id, who, amount) {
    return this.chain.call(SILICA, "buy", [Cl.uint(id), Cl.uint(amount)], who);
  }

  /** Mines to the next window's attestable height and attests it with a quorum. */
  attest(id, delivered, index) {
    const c = this.chain;
    const h = c.ok(c.readOnly(SILICA, "get-attestable-height", [Cl.uint(id)]));
    if (c.burnHeight < h) c.mineBurnBlocks(h - c.burnHeight);
    const window = this.silica(id)["next-window"];
    const tip = c.burnTip();
    const fields = [Cl.uint(id), Cl.uint(window), Cl.uint(delivered), Cl.uint(index), Cl.uint(tip.height), Cl.bufferFromHex(tip.hash)];
    const msg = plain(c.readOnly(REG, "delivery-message", fields));
    const sigs = this.signers.sign(messageId(msg));
    return c.call(SILICA, "attest-window", [...fields, sigs], this.stranger);
  }

  redeem(id, who) {
    return this.chain.call(SILICA, "redeem", [Cl.uint(id)], who);
  }

  collect(id) {
    return this.chain.call(SILICA, "collect", [Cl.uint(id)], this.miner);
  }
}
