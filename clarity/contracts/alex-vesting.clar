;; alex-vesting: holds the 30% team/adviser/investor allocation of ALEX and releases it
;; to registered beneficiaries on a cliff plus linear schedule.
;;
;; The deployer registers each beneficiary once (amount, start, cliff, end, as
;; `burn-block-height` values, like every other contract here: Clarity 3 dropped the
;; Stacks height keyword, and burn blocks keep their ~10 minute pace across Nakamoto);
;; a registration can never be changed or repeated, and the sum of
;; registrations can never exceed what the contract holds. Vested amount at height h:
;;   0                                   if h < cliff
;;   total * (h - start) / (end - start) if cliff <= h < end   (rounded down)
;;   total                               if h >= end
;; so nothing vests early, and the cliff releases the linear amount accrued since start.
;; When registration is closed, the unallocated remainder goes to the foundation
;; reserve, so no token stays here without an owner.

(define-constant DEPLOYER tx-sender)

;; Errors: block 3xx (see clarity/README.md).
;; Only the deployer registers beneficiaries or closes registration.
(define-constant ERR_NOT_AUTHORIZED (err u300))
;; The beneficiary is already registered.
(define-constant ERR_ALREADY_REGISTERED (err u301))
;; Registration was closed.
(define-constant ERR_REGISTRATION_CLOSED (err u302))
;; The schedule must satisfy start <= cliff <= end and start < end.
(define-constant ERR_INVALID_SCHEDULE (err u303))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u304))
;; The registration would allocate more than the contract holds.
(define-constant ERR_OVER_ALLOCATED (err u305))
;; The caller is not a registered beneficiary.
(define-constant ERR_NOT_BENEFICIARY (err u306))
;; Nothing has vested beyond what was already claimed.
(define-constant ERR_NOTHING_TO_CLAIM (err u307))

(define-map beneficiaries principal {total: uint, claimed: uint, start: uint, cliff: uint, end: uint})
;; Sum of registered totals.
(define-data-var allocated uint u0)
;; Sum of all claims paid out.
(define-data-var total-claimed uint u0)
(define-data-var registration-open bool true)

;; Read-only

(define-read-only (get-beneficiary (who principal)) (map-get? beneficiaries who))
(define-read-only (get-allocated) (var-get allocated))
(define-read-only (get-total-claimed) (var-get total-claimed))
(define-read-only (is-registration-open) (var-get registration-open))
(define-read-only (get-holdings)
  (unwrap-panic (contract-call? .alex-token get-balance (as-contract tx-sender))))
;; Tokens held but not promised to anyone.
(define-read-only (get-unallocated)
  (- (+ (get-holdings) (var-get total-claimed)) (var-get allocated)))

(define-read-only (vested-at (who principal) (height uint))
  (match (map-get? beneficiaries who)
    b (vested-amount b height)
    u0))

(define-read-only (get-vested (who principal)) (vested-at who burn-block-height))

(define-read-only (get-claimable (who principal))
  (match (map-get? beneficiaries who)
    b (- (vested-amount b burn-block-height) (get claimed b))
    u0))

;; Public

(define-public (add-beneficiary (who principal) (total uint) (start uint) (cliff uint) (end uint))
  (begin
    (asserts! (is-eq contract-caller DEPLOYER) ERR_NOT_AUTHORIZED)
    (asserts! (var-get registration-open) ERR_REGISTRATION_CLOSED)
    (asserts! (> total u0) ERR_INVALID_AMOUNT)
    (asserts! (and (<= start cliff) (<= cliff end) (< start end)) ERR_INVALID_SCHEDULE)
    (asserts! (<= total (get-unallocated)) ERR_OVER_ALLOCATED)
    (asserts! (map-insert beneficiaries who {total: total, claimed: u0, start: start, cliff: cliff, end: end})
              ERR_ALREADY_REGISTERED)
    (var-set allocated (+ (var-get allocated) total))
    (print {topic: "add-beneficiary", beneficiary: who, total: total, start: start, cliff: cliff, end: end})
    (ok true)))

;; Pays the caller everything vested and not yet claimed.
(define-public (claim)
  (let ((who contract-caller)
        (b (unwrap! (map-get? beneficiaries who) ERR_NOT_BENEFICIARY))
        (amount (- (vested-amount b burn-block-height) (get claimed b))))
    (asserts! (> amount u0) ERR_NOTHING_TO_CLAIM)
    (map-set beneficiaries who (merge b {claimed: (+ (get claimed b) amount)}))
    (var-set total-claimed (+ (var-get total-claimed) amount))
    (try! (as-contract (contract-call? .alex-token transfer amount tx-sender who none)))
    (print {topic: "claim", beneficiary: who, amount: amount, claimed: (+ (get claimed b) amount)})
    (ok amount)))

;; Ends registration and sends the unallocated remainder to the foundation reserve.
(define-public (close-registration)
  (let ((rest (get-unallocated))
        (reserve (contract-call? .alex-token get-foundation-reserve)))
    (asserts! (is-eq contract-caller DEPLOYER) ERR_NOT_AUTHORIZED)
    (asserts! (var-get registration-open) ERR_REGISTRATION_CLOSED)
    (var-set registration-open false)
    (and (> rest u0)
         (try! (as-contract (contract-call? .alex-token transfer rest tx-sender reserve none))))
    (print {topic: "close-registration", returned: rest, recipient: reserve})
    (ok rest)))

;; Private

(define-private (vested-amount (b {total: uint, claimed: uint, start: uint, cliff: uint, end: uint}) (height uint))
  (if (< height (get cliff b))
      u0
      (if (>= height (get end b))
          (get total b)
          (/ (* (get total b) (- height (get start b))) (- (get end b) (get start b))))))
