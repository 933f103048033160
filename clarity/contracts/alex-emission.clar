;; alex-emission: holds the 50% staking-emission allocation of ALEX. Governance
;; (alex-token's governance principal) approves releaser contracts, typically staking
;; pools, each with its own emission cap; a releaser pulls ALEX to a recipient up to
;; its cap. Nothing else can move these tokens.

;; Errors: block 4xx (see clarity/README.md).
;; The caller is not governance (for setup) or not an approved releaser (for release).
(define-constant ERR_NOT_AUTHORIZED (err u400))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u401))
;; The release would exceed the releaser's cap.
(define-constant ERR_CAP_EXCEEDED (err u402))
;; A new cap may not be below what the releaser already released.
(define-constant ERR_CAP_BELOW_RELEASED (err u403))
;; The principal is not an approved releaser.
(define-constant ERR_NOT_LISTED (err u404))

(define-map releasers principal {cap: uint, released: uint})
(define-data-var total-released uint u0)

;; Read-only

(define-read-only (get-releaser (who principal)) (map-get? releasers who))
(define-read-only (get-total-released) (var-get total-released))
(define-read-only (get-remaining (who principal))
  (match (map-get? releasers who)
    r (- (get cap r) (get released r))
    u0))
(define-read-only (get-holdings)
  (unwrap-panic (contract-call? .alex-token get-balance (as-contract tx-sender))))

;; Public

;; Approves `who` to release up to `cap` in total (or changes its cap). Governance only.
(define-public (set-releaser (who principal) (cap uint))
  (let ((released (default-to u0 (get released (map-get? releasers who)))))
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (>= cap released) ERR_CAP_BELOW_RELEASED)
    (map-set releasers who {cap: cap, released: released})
    (print {topic: "set-releaser", releaser: who, cap: cap, released: released})
    (ok true)))

(define-public (remove-releaser (who principal))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (map-delete releasers who) ERR_NOT_LISTED)
    (print {topic: "remove-releaser", releaser: who})
    (ok true)))

;; Sends `amount` ALEX to `recipient`, counted against the calling releaser's cap.
(define-public (release (amount uint) (recipient principal))
  (let ((who contract-caller)
        (r (unwrap! (map-get? releasers who) ERR_NOT_AUTHORIZED))
        (released (+ (get released r) amount)))
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (<= released (get cap r)) ERR_CAP_EXCEEDED)
    (map-set releasers who (merge r {released: released}))
    (var-set total-released (+ (var-get total-released) amount))
    (try! (as-contract (contract-call? .alex-token transfer amount tx-sender recipient none)))
    (print {topic: "release", releaser: who, recipient: recipient, amount: amount, released: released})
    (ok released)))

;; Private

;; Governance is the contract-caller; or, when governance is a contract (dao-core), the
;; tx-sender: a contract principal is tx-sender only inside its own `as-contract`, which
;; dao-core enters only to execute a passed proposal or a foundation pause.
(define-private (is-governance)
  (match (contract-call? .alex-token get-governance)
    gov (or (is-eq contract-caller gov) (and (is-eq tx-sender gov) (is-contract gov)))
    false))

(define-private (is-contract (who principal))
  (match (principal-destruct? who) p (is-some (get name p)) p (is-some (get name p))))
