;; A governance proposal (AGP): a deployed contract whose `execute` the DAO runs once,
;; under its own `as-contract`, after the proposal passed its vote and timelock.
;; `sender` is the principal that triggered execution.
(define-trait proposal-trait
  (
    (execute (principal) (response bool uint))
  )
)
