;; yield-token: zero-coupon claims on sBTC, one id per expiry. A yield token of expiry E
;; is a claim on 1 sat of sBTC at burn height E, paid by `crp` (redeem-yield) first,
;; before key holders, with `amm-reserve` and then governance-capped ALEX as backstops.
;;
;; One SIP-013 semi-fungible token whose id is the expiry burn height. Only `crp` (the
;; collateral-rebalancing pool, checked on contract-caller) mints and burns; holders
;; transfer freely. Amounts are in sats-equivalent units (8 decimals).
;; A Clarity contract cannot share code with another, so this token and its sibling
;; (`key-token`) are the same SIP-013 ledger
;; over a different fungible asset.

(impl-trait .sip-013-trait.sip-013-trait)
(impl-trait .sip-013-trait.sip-013-transfer-many-trait)

(define-fungible-token yield)

;; Errors: block 17xx, 1700-1719 (see clarity/README.md).
;; The caller is not crp.
(define-constant ERR_NOT_AUTHORIZED (err u1700))
;; `sender` is neither tx-sender nor contract-caller.
(define-constant ERR_NOT_OWNER (err u1701))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u1702))
;; The owner holds less than the amount of this id.
(define-constant ERR_INSUFFICIENT_BALANCE (err u1703))
;; Sender and recipient are the same principal.
(define-constant ERR_SELF_TRANSFER (err u1704))

(define-constant MINTER .crp)

(define-map balances {id: uint, owner: principal} uint)
(define-map supplies uint uint)

;; Read-only

(define-read-only (get-balance (id uint) (who principal))
  (ok (default-to u0 (map-get? balances {id: id, owner: who}))))
(define-read-only (get-overall-balance (who principal)) (ok (ft-get-balance yield who)))
(define-read-only (get-total-supply (id uint)) (ok (default-to u0 (map-get? supplies id))))
(define-read-only (get-overall-supply) (ok (ft-get-supply yield)))
(define-read-only (get-decimals (id uint)) (ok u8))
(define-read-only (get-token-uri (id uint)) (ok none))

;; Public

(define-public (transfer (id uint) (amount uint) (sender principal) (recipient principal))
  (let ((bal (unwrap-panic (get-balance id sender))))
    (asserts! (or (is-eq tx-sender sender) (is-eq contract-caller sender)) ERR_NOT_OWNER)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (not (is-eq sender recipient)) ERR_SELF_TRANSFER)
    (asserts! (<= amount bal) ERR_INSUFFICIENT_BALANCE)
    (try! (ft-transfer? yield amount sender recipient))
    (map-set balances {id: id, owner: sender} (- bal amount))
    (map-set balances {id: id, owner: recipient} (+ (unwrap-panic (get-balance id recipient)) amount))
    (print {type: "sft_transfer", token-id: id, amount: amount, sender: sender, recipient: recipient})
    (ok true)))

(define-public (transfer-memo (id uint) (amount uint) (sender principal) (recipient principal) (memo (buff 34)))
  (begin
    (try! (transfer id amount sender recipient))
    (print memo)
    (ok true)))

(define-public (transfer-many (transfers (list 200 {token-id: uint, amount: uint, sender: principal, recipient: principal})))
  (fold check-err (map transfer-one transfers) (ok true)))

(define-public (transfer-many-memo (transfers (list 200 {token-id: uint, amount: uint, sender: principal, recipient: principal, memo: (buff 34)})))
  (fold check-err (map transfer-one-memo transfers) (ok true)))

;; Mints `amount` of expiry `id` to `recipient`. crp only.
(define-public (mint (id uint) (amount uint) (recipient principal))
  (begin
    (asserts! (is-eq contract-caller MINTER) ERR_NOT_AUTHORIZED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (try! (ft-mint? yield amount recipient))
    (map-set balances {id: id, owner: recipient} (+ (unwrap-panic (get-balance id recipient)) amount))
    (map-set supplies id (+ (unwrap-panic (get-total-supply id)) amount))
    (print {type: "sft_mint", token-id: id, amount: amount, recipient: recipient})
    (ok true)))

;; Burns `amount` of expiry `id` from `owner`. crp only; crp burns only the tokens of
;; the tx-sender that called it.
(define-public (burn (id uint) (amount uint) (owner principal))
  (let ((bal (unwrap-panic (get-balance id owner))))
    (asserts! (is-eq contract-caller MINTER) ERR_NOT_AUTHORIZED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (<= amount bal) ERR_INSUFFICIENT_BALANCE)
    (try! (ft-burn? yield amount owner))
    (map-set balances {id: id, owner: owner} (- bal amount))
    (map-set supplies id (- (unwrap-panic (get-total-supply id)) amount))
    (print {type: "sft_burn", token-id: id, amount: amount, sender: owner})
    (ok true)))

;; Private

(define-private (transfer-one (t {token-id: uint, amount: uint, sender: principal, recipient: principal}))
  (transfer (get token-id t) (get amount t) (get sender t) (get recipient t)))

(define-private (transfer-one-memo (t {token-id: uint, amount: uint, sender: principal, recipient: principal, memo: (buff 34)}))
  (transfer-memo (get token-id t) (get amount t) (get sender t) (get recipient t) (get memo t)))

(define-private (check-err (r (response bool uint)) (prior (response bool uint)))
  (match prior ok-value r err-value (err err-value)))
