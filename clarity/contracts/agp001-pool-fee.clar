;; agp001-pool-fee: the devnet's demo governance proposal. Once passed by dao-voting
;; and run by dao-core (as-contract), it raises the swap fee of pool 2 (ALEX/STX, 50/50
;; constant product) from 0.3% to 0.5%. The LP rebate share is read and written back
;; unchanged. Deployed with the other contracts; proposed by principal (the devnet's
;; `governance-demo` scenario walks it through the whole AGP lifecycle).

(impl-trait .proposal-trait.proposal-trait)

;; The ALEX/STX pool the bootstrap creates second.
(define-constant POOL u2)
;; 0.5% of ONE_8 (amm-pool fee rates are fractions of 10^8).
(define-constant NEW_FEE_RATE u500000)

(define-public (execute (sender principal))
  (let ((pool (try! (contract-call? .amm-pool get-pool POOL)))
        (rebate (get fee-rebate pool)))
    (try! (contract-call? .amm-pool set-pool-fee POOL NEW_FEE_RATE rebate))
    (print {topic: "agp001-pool-fee", pool: POOL, old-fee-rate: (get fee-rate pool),
            fee-rate: NEW_FEE_RATE, fee-rebate: rebate, sender: sender})
    (ok true)))
