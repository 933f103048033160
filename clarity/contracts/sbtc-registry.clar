;; sbtc-registry: the devnet and test stand-in for sBTC's registry
;; (SM3VDXK3WZZSA84XXFKAFAF15NNZX32CTSG82JFQ4.sbtc-registry), with its read-only
;; interface and its deposit semantics, so code written against it (silica's
;; record-delivery, issue 16) runs unchanged against the real one on mainnet.
;;
;; Kept from the real contract: the completed-deposits map and `get-completed-deposit`
;; (what a contract reads to learn that a deposit was minted, how much and to whom),
;; `get-deposit-status`, the current signer data (set, aggregate key, principal,
;; threshold), `complete-deposit` callable only by the deposit contract, the aggregate
;; key replay guard on rotation, and the event topics and fields. Left out: withdrawals
;; and the governance role contracts; here the signer principal itself rotates (as the
;; real `rotate-keys-wrapper` requires of its caller). The errors keep the real names;
;; their codes are in this contract's block (22xx), since codes are unique across the
;; workspace: the real registry answers u400 and u402.

;; Errors: block 22xx (see clarity/README.md); the real registry's u400 and u402.
;; The caller may not do this (not the deposit contract, not the signer principal).
(define-constant ERR_UNAUTHORIZED (err u2200))
;; The aggregate key was used by an earlier signer set.
(define-constant ERR_AGG_PUBKEY_REPLAY (err u2202))

;; The protocol roles, as the real registry numbers them.
(define-constant DEPOSIT_ROLE 0x01)

(define-data-var current-signature-threshold uint u0)
(define-data-var current-signer-set (list 128 (buff 33)) (list))
(define-data-var current-aggregate-pubkey (buff 33) 0x00)
(define-data-var current-signer-principal principal tx-sender)

(define-map deposit-status {txid: (buff 32), vout-index: uint} bool)
(define-map completed-deposits {txid: (buff 32), vout-index: uint}
  {amount: uint, recipient: principal, sweep-txid: (buff 32), sweep-burn-hash: (buff 32),
   sweep-burn-height: uint})
(define-map aggregate-pubkeys (buff 33) bool)

;; Read-only

(define-read-only (get-completed-deposit (txid (buff 32)) (vout-index uint))
  (map-get? completed-deposits {txid: txid, vout-index: vout-index}))

(define-read-only (get-deposit-status (txid (buff 32)) (vout-index uint))
  (map-get? deposit-status {txid: txid, vout-index: vout-index}))

(define-read-only (get-current-signer-data)
  {current-signer-set: (var-get current-signer-set),
   current-aggregate-pubkey: (var-get current-aggregate-pubkey),
   current-signer-principal: (var-get current-signer-principal),
   current-signature-threshold: (var-get current-signature-threshold)})

(define-read-only (get-current-aggregate-pubkey) (var-get current-aggregate-pubkey))
(define-read-only (get-current-signer-principal) (var-get current-signer-principal))
(define-read-only (get-current-signer-set) (var-get current-signer-set))

;; `(ok true)` when `contract` holds the protocol role `flag`; here only the deposit
;; role exists, held by `.sbtc-deposit`.
(define-read-only (is-protocol-caller (flag (buff 1)) (contract principal))
  (begin
    (asserts! (and (is-eq flag DEPOSIT_ROLE) (is-eq contract .sbtc-deposit)) ERR_UNAUTHORIZED)
    (ok true)))

;; Public

;; Records a minted deposit. Only `.sbtc-deposit` may call it, after its own checks
;; (the replay guard is there, as in the real contract).
(define-public (complete-deposit (txid (buff 32)) (vout-index uint) (amount uint)
    (recipient principal) (burn-hash (buff 32)) (burn-height uint) (sweep-txid (buff 32)))
  (begin
    (try! (is-protocol-caller DEPOSIT_ROLE contract-caller))
    (map-insert deposit-status {txid: txid, vout-index: vout-index} true)
    (map-insert completed-deposits {txid: txid, vout-index: vout-index}
      {amount: amount, recipient: recipient, sweep-txid: sweep-txid,
       sweep-burn-hash: burn-hash, sweep-burn-height: burn-height})
    (print {topic: "completed-deposit", bitcoin-txid: txid, output-index: vout-index,
            amount: amount, burn-hash: burn-hash, burn-height: burn-height,
            sweep-txid: sweep-txid})
    (ok true)))

;; Installs a new signer set. Only the current signer principal (the deployer until the
;; first rotation) may; an aggregate key used before is refused.
(define-public (rotate-keys (new-keys (list 128 (buff 33))) (new-address principal)
    (new-aggregate-pubkey (buff 33)) (new-signature-threshold uint))
  (begin
    (asserts! (is-eq contract-caller (var-get current-signer-principal)) ERR_UNAUTHORIZED)
    (asserts! (map-insert aggregate-pubkeys new-aggregate-pubkey true) ERR_AGG_PUBKEY_REPLAY)
    (var-set current-signer-set new-keys)
    (var-set current-signer-principal new-address)
    (var-set current-aggregate-pubkey new-aggregate-pubkey)
    (var-set current-signature-threshold new-signature-threshold)
    (print {topic: "key-rotation", new-keys: new-keys, new-address: new-address,
            new-aggregate-pubkey: new-aggregate-pubkey,
            new-signature-threshold: new-signature-threshold})
    (ok true)))
