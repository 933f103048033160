;; amm-reserve: the protocol reserve's per-token ledger. Swap fees that are not
;; rebated to LPs are booked here by amm-pool. The tokens themselves stay in
;; amm-pool's custody (this is accounting only, as in ALEX); they leave only through
;; `amm-pool withdraw-reserve`, which debits this ledger. Later reserve and lending
;; contracts are added to the approved list by governance.
;;
;; Governance: `governance` starts as the deployer and is handed on (to a DAO, later)
;; with `set-governance`; every privileged call checks contract-caller.

;; Errors: block 11xx (see clarity/README.md).
;; The caller is not governance / not an approved contract.
(define-constant ERR_NOT_AUTHORIZED (err u1100))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u1101))
;; The ledger holds less than the amount to debit.
(define-constant ERR_INSUFFICIENT_RESERVE (err u1102))

(define-data-var governance principal tx-sender)
(define-map approved-contracts principal bool)
(define-map balances principal uint)

;; Read-only

(define-read-only (get-governance) (var-get governance))
(define-read-only (is-approved (who principal)) (default-to false (map-get? approved-contracts who)))
(define-read-only (get-balance (token principal)) (default-to u0 (map-get? balances token)))

;; Public: governance

(define-public (set-governance (new-governance principal))
  (begin
    (asserts! (is-eq contract-caller (var-get governance)) ERR_NOT_AUTHORIZED)
    (var-set governance new-governance)
    (print {topic: "reserve-set-governance", governance: new-governance})
    (ok true)))

;; Approves (or revokes) a contract that may credit and debit the ledger.
(define-public (set-approved-contract (who principal) (approved bool))
  (begin
    (asserts! (is-eq contract-caller (var-get governance)) ERR_NOT_AUTHORIZED)
    (map-set approved-contracts who approved)
    (print {topic: "reserve-set-approved", contract: who, approved: approved})
    (ok true)))

;; Public: ledger (approved contracts)

(define-public (add-to-balance (token principal) (amount uint))
  (let ((balance (+ (get-balance token) amount)))
    (asserts! (is-approved contract-caller) ERR_NOT_AUTHORIZED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (map-set balances token balance)
    (print {topic: "reserve-credit", token: token, amount: amount, balance: balance, by: contract-caller})
    (ok balance)))

(define-public (remove-from-balance (token principal) (amount uint))
  (let ((current (get-balance token)))
    (asserts! (is-approved contract-caller) ERR_NOT_AUTHORIZED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (<= amount current) ERR_INSUFFICIENT_RESERVE)
    (map-set balances token (- current amount))
    (print {topic: "reserve-debit", token: token, amount: amount, balance: (- current amount), by: contract-caller})
    (ok (- current amount))))
