;; sbtc-deposit: the devnet and test stand-in for sBTC's deposit contract
;; (SM3VDXK3WZZSA84XXFKAFAF15NNZX32CTSG82JFQ4.sbtc-deposit). The sBTC signers call
;; `complete-deposit-wrapper` once they swept a deposit on Bitcoin; it mints the
;; deposit's amount (net of its share of the sweep fee) to the recipient the deposit
;; script named, and records the deposit in `sbtc-registry`, where any contract can
;; read it with `get-completed-deposit`.
;;
;; The checks are the real contract's, in its order, with its error names (the codes
;; are this contract's block, 23xx; the real contract answers u300-u305): the caller is the
;; current signer principal (as contract-caller, stricter than the real tx-sender), the amount is at least the dust limit, both txids are 32
;; bytes, the (txid, vout) was never completed, and the burn hash is the node's own
;; hash at that burn height (a sweep on a fork is refused). As in the real contract,
;; nothing here proves the Bitcoin deposit: that trust is in the sBTC signers' threshold.

;; Errors: block 23xx (see clarity/README.md); the real contract's u30x.
;; A txid is not 32 bytes.
(define-constant ERR_TXID_LEN (err u2300))
;; This (txid, vout) was completed before.
(define-constant ERR_DEPOSIT_REPLAY (err u2301))
;; The amount is below the dust limit.
(define-constant ERR_LOWER_THAN_DUST (err u2302))
;; The caller is not the current signer principal.
(define-constant ERR_INVALID_CALLER (err u2304))
;; The burn hash is not the node's hash at that burn height.
(define-constant ERR_INVALID_BURN_HASH (err u2305))

;; Sats: the smallest deposit minted.
(define-constant DUST_LIMIT u546)
(define-constant DEPOSIT_ROLE 0x01)

(define-read-only (get-burn-header (height uint)) (get-burn-block-info? header-hash height))

(define-public (complete-deposit-wrapper (txid (buff 32)) (vout-index uint) (amount uint)
    (recipient principal) (burn-hash (buff 32)) (burn-height uint) (sweep-txid (buff 32)))
  (begin
    ;; The real contract compares tx-sender; contract-caller is stricter (a contract the
    ;; signers call cannot act for them) and equal for the signers' own direct calls.
    (asserts! (is-eq contract-caller (contract-call? .sbtc-registry get-current-signer-principal))
      ERR_INVALID_CALLER)
    (asserts! (>= amount DUST_LIMIT) ERR_LOWER_THAN_DUST)
    (asserts! (is-eq (len txid) u32) ERR_TXID_LEN)
    (asserts! (is-eq (len sweep-txid) u32) ERR_TXID_LEN)
    (asserts! (is-none (contract-call? .sbtc-registry get-deposit-status txid vout-index))
      ERR_DEPOSIT_REPLAY)
    (asserts! (is-eq (some burn-hash) (get-burn-header burn-height)) ERR_INVALID_BURN_HASH)
    (try! (contract-call? .sbtc-token protocol-mint amount recipient DEPOSIT_ROLE))
    (contract-call? .sbtc-registry complete-deposit txid vout-index amount recipient
      burn-hash burn-height sweep-txid)))
