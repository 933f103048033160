;; amm-lp-token: the AMM's liquidity-provider shares, one SIP-013 semi-fungible token
;; whose id is the pool id of `amm-pool`. Only `amm-pool` (checked on contract-caller)
;; mints, burns and sets caps; holders transfer freely within the pool's LP cap.
;;
;; LP cap: amm-pool mirrors each pool's lp-cap here (`set-cap`, share of the supply, 8
;; decimals, 0 = off). A transfer may not leave its recipient above the cap, so the
;; per-LP cap that amm-pool applies to deposits (through `within-cap`) cannot be
;; bypassed by moving LP between holders. amm-pool itself (the withdrawal gate's
;; escrow, and the holder of the locked minimum liquidity) is exempt.

(impl-trait .sip-013-trait.sip-013-trait)
(impl-trait .sip-013-trait.sip-013-transfer-many-trait)

(define-fungible-token lp)

;; Errors: block 12xx, 1200-1219 (see clarity/README.md).
;; The caller is not amm-pool.
(define-constant ERR_NOT_AUTHORIZED (err u1200))
;; `sender` is neither tx-sender nor contract-caller.
(define-constant ERR_NOT_OWNER (err u1201))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u1202))
;; The owner holds less than the amount of this id.
(define-constant ERR_INSUFFICIENT_BALANCE (err u1203))
;; Sender and recipient are the same principal.
(define-constant ERR_SELF_TRANSFER (err u1204))
;; The transfer would leave the recipient above the pool's LP cap.
(define-constant ERR_LP_CAP (err u1205))

(define-constant POOL .amm-pool)
(define-constant ONE_8 u100000000)

(define-map balances {id: uint, owner: principal} uint)
(define-map supplies uint uint)
;; Per pool id: the LP cap as a share of supply (8 decimals); absent = off.
(define-map caps uint uint)

;; Read-only

(define-read-only (get-balance (id uint) (who principal))
  (ok (default-to u0 (map-get? balances {id: id, owner: who}))))
(define-read-only (get-overall-balance (who principal)) (ok (ft-get-balance lp who)))
(define-read-only (get-total-supply (id uint)) (ok (default-to u0 (map-get? supplies id))))
(define-read-only (get-overall-supply) (ok (ft-get-supply lp)))
(define-read-only (get-decimals (id uint)) (ok u8))
(define-read-only (get-token-uri (id uint)) (ok none))
(define-read-only (get-cap (id uint)) (default-to u0 (map-get? caps id)))

;; Whether `who` holds at most the cap's share of pool `id`'s supply (always true for
;; amm-pool and when the cap is off).
(define-read-only (within-cap (id uint) (who principal))
  (let ((cap (get-cap id)))
    (or (is-eq who POOL) (is-eq cap u0)
        (<= (* (unwrap-panic (get-balance id who)) ONE_8)
            (* cap (unwrap-panic (get-total-supply id)))))))

;; Public

(define-public (transfer (id uint) (amount uint) (sender principal) (recipient principal))
  (begin
    (asserts! (or (is-eq tx-sender sender) (is-eq contract-caller sender)) ERR_NOT_OWNER)
    (move id amount sender recipient)))

(define-public (transfer-memo (id uint) (amount uint) (sender principal) (recipient principal) (memo (buff 34)))
  (begin
    (try! (transfer id amount sender recipient))
    (print memo)
    (ok true)))

(define-public (transfer-many (transfers (list 200 {token-id: uint, amount: uint, sender: principal, recipient: principal})))
  (fold check-err (map transfer-one transfers) (ok true)))

(define-public (transfer-many-memo (transfers (list 200 {token-id: uint, amount: uint, sender: principal, recipient: principal, memo: (buff 34)})))
  (fold check-err (map transfer-one-memo transfers) (ok true)))

;; Sets pool `id`'s LP cap (share of supply, 8 decimals; 0 = off). amm-pool only, which
;; bounds it.
(define-public (set-cap (id uint) (cap uint))
  (begin
    (asserts! (is-eq contract-caller POOL) ERR_NOT_AUTHORIZED)
    (map-set caps id cap)
    (print {topic: "lp-set-cap", token-id: id, cap: cap})
    (ok true)))

;; Mints `amount` of pool `id` to `recipient`. amm-pool only.
(define-public (mint (id uint) (amount uint) (recipient principal))
  (begin
    (asserts! (is-eq contract-caller POOL) ERR_NOT_AUTHORIZED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (try! (ft-mint? lp amount recipient))
    (map-set balances {id: id, owner: recipient} (+ (unwrap-panic (get-balance id recipient)) amount))
    (map-set supplies id (+ (unwrap-panic (get-total-supply id)) amount))
    (print {type: "sft_mint", token-id: id, amount: amount, recipient: recipient})
    (ok true)))

;; Burns `amount` of pool `id` from `owner`. amm-pool only.
(define-public (burn (id uint) (amount uint) (owner principal))
  (let ((bal (unwrap-panic (get-balance id owner))))
    (asserts! (is-eq contract-caller POOL) ERR_NOT_AUTHORIZED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (<= amount bal) ERR_INSUFFICIENT_BALANCE)
    (try! (ft-burn? lp amount owner))
    (map-set balances {id: id, owner: owner} (- bal amount))
    (map-set supplies id (- (unwrap-panic (get-total-supply id)) amount))
    (print {type: "sft_burn", token-id: id, amount: amount, sender: owner})
    (ok true)))

;; Private

(define-private (move (id uint) (amount uint) (sender principal) (recipient principal))
  (let ((bal (unwrap-panic (get-balance id sender))))
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (not (is-eq sender recipient)) ERR_SELF_TRANSFER)
    (asserts! (<= amount bal) ERR_INSUFFICIENT_BALANCE)
    (try! (ft-transfer? lp amount sender recipient))
    (map-set balances {id: id, owner: sender} (- bal amount))
    (map-set balances {id: id, owner: recipient} (+ (unwrap-panic (get-balance id recipient)) amount))
    (asserts! (within-cap id recipient) ERR_LP_CAP)
    (print {type: "sft_transfer", token-id: id, amount: amount, sender: sender, recipient: recipient})
    (ok true)))

(define-private (transfer-one (t {token-id: uint, amount: uint, sender: principal, recipient: principal}))
  (transfer (get token-id t) (get amount t) (get sender t) (get recipient t)))

(define-private (transfer-one-memo (t {token-id: uint, amount: uint, sender: principal, recipient: principal, memo: (buff 34)}))
  (transfer-memo (get token-id t) (get amount t) (get sender t) (get recipient t) (get memo t)))

(define-private (check-err (r (response bool uint)) (prior (response bool uint)))
  (match prior ok-value r err-value (err err-value)))
