;; amm-reserve: the protocol reserve's per-token ledger. Swap fees that are not
;; rebated to LPs are booked here by amm-pool. The tokens themselves stay in
;; amm-pool's custody (this is accounting only, as in ALEX); they leave only through
;; `amm-pool withdraw-reserve`, which debits this ledger. Later reserve and lending
;; contracts are added to the approved list by governance.
;;
;; Governance: `governance` starts as the deployer and is handed to dao-core by the
;; bootstrap; see `is-governance`.

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
;; Contracts that may draw the reserve to cover a shortfall (lending's crp), through
;; `amm-pool draw-reserve`, which holds the tokens.
(define-map backstops principal bool)

;; Read-only

(define-read-only (get-governance) (var-get governance))
(define-read-only (is-approved (who principal)) (default-to false (map-get? approved-contracts who)))
(define-read-only (get-balance (token principal)) (default-to u0 (map-get? balances token)))
(define-read-only (is-backstop (who principal)) (default-to false (map-get? backstops who)))

;; Public: governance

(define-public (set-governance (new-governance principal))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (var-set governance new-governance)
    (print {topic: "reserve-set-governance", governance: new-governance})
    (ok true)))

;; Approves (or revokes) a contract that may credit and debit the ledger.
(define-public (set-approved-contract (who principal) (approved bool))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (map-set approved-contracts who approved)
    (print {topic: "reserve-set-approved", contract: who, approved: approved})
    (ok true)))

;; Approves (or revokes) a contract that may draw the reserve (see `backstops`).
(define-public (set-backstop (who principal) (approved bool))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (map-set backstops who approved)
    (print {topic: "reserve-set-backstop", contract: who, approved: approved})
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

;; Private

;; Governance is the contract-caller; or, when governance is a contract (dao-core), the
;; tx-sender: a contract principal is tx-sender only inside its own `as-contract`, which
;; dao-core enters only to execute a passed proposal or a foundation pause.
(define-private (is-governance)
  (let ((gov (var-get governance)))
    (or (is-eq contract-caller gov) (and (is-eq tx-sender gov) (is-contract gov)))))

(define-private (is-contract (who principal))
  (match (principal-destruct? who) p (is-some (get name p)) p (is-some (get name p))))
