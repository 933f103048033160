;; dao-core: the one governance principal of every Alkahest contract.
;;
;; Each governed contract keeps a `governance` variable that the bootstrap hands to this
;; contract (deployments/bootstrap.toml, stage "handover"); the deployer keeps nothing.
;; The DAO acts in two ways only, both under its own `as-contract`:
;;   - `execute` runs a proposal contract's `execute` once. Only an enabled extension
;;     may call it: the voting extension (`dao-voting`), after a vote passed, its
;;     timelock ran out and the foundation did not veto it.
;;   - `pause-subsystem` pauses or resumes the AMM. Only an enabled extension may call
;;     it: the foundation's multisig (`dao-foundation`) while its powers last.
;; A governed contract accepts its governance as the contract-caller, or as the
;; tx-sender when governance is a contract: a contract principal is tx-sender only
;; inside its own `as-contract`, so that is exactly "the DAO is executing a passed
;; proposal". Code a proposal calls can do anything the DAO can; that is what the vote
;; and the veto are for.
;;
;; Extensions are enabled and disabled only by the DAO itself (a proposal), except once,
;; at `construct`: the deployer runs the bootstrap proposal that enables the first
;; extensions, and from then on has no power here.

(use-trait proposal-trait .proposal-trait.proposal-trait)

(define-constant DEPLOYER tx-sender)

;; Errors: block 14xx (see clarity/README.md).
;; The caller is not the DAO, an enabled extension or (for `construct`) the deployer.
(define-constant ERR_NOT_AUTHORIZED (err u1400))
;; `construct` already ran.
(define-constant ERR_ALREADY_CONSTRUCTED (err u1401))
;; The proposal was executed before: every proposal runs at most once.
(define-constant ERR_ALREADY_EXECUTED (err u1402))
;; No subsystem has that name.
(define-constant ERR_UNKNOWN_SUBSYSTEM (err u1403))

(define-data-var constructed bool false)
(define-map extensions principal bool)
;; Proposal contract -> burn height at which it was executed.
(define-map executed-proposals principal uint)

;; Read-only

(define-read-only (is-extension (who principal)) (default-to false (map-get? extensions who)))
(define-read-only (executed-at (proposal principal)) (map-get? executed-proposals proposal))
(define-read-only (is-constructed) (var-get constructed))
;; Whether `caller`/`sender` (pass contract-caller and tx-sender) act for the DAO: the
;; DAO itself (inside its own `as-contract`) or an enabled extension.
(define-read-only (is-dao-or-extension (caller principal) (sender principal))
  (or (is-eq sender (as-contract tx-sender)) (is-eq caller (as-contract tx-sender))
      (is-extension caller)))

;; Public

;; One-time bootstrap by the deployer: runs the bootstrap proposal (which enables the
;; voting and foundation extensions and sets their parameters).
(define-public (construct (proposal <proposal-trait>))
  (begin
    (asserts! (is-eq contract-caller DEPLOYER) ERR_NOT_AUTHORIZED)
    (asserts! (not (var-get constructed)) ERR_ALREADY_CONSTRUCTED)
    (var-set constructed true)
    (print {topic: "dao-construct", proposal: (contract-of proposal)})
    (run proposal DEPLOYER)))

;; Runs `proposal` once. Enabled extensions only (the voting extension after a vote).
(define-public (execute (proposal <proposal-trait>) (sender principal))
  (begin
    (asserts! (is-extension contract-caller) ERR_NOT_AUTHORIZED)
    (run proposal sender)))

;; Enables or disables an extension. The DAO itself only (that is, a proposal).
(define-public (set-extension (extension principal) (enabled bool))
  (begin
    (asserts! (is-self) ERR_NOT_AUTHORIZED)
    (map-set extensions extension enabled)
    (print {topic: "dao-set-extension", extension: extension, enabled: enabled})
    (ok true)))

;; Pauses or resumes a named subsystem whose governance is this contract: "amm" (every
;; pool of amm-pool). Enabled extensions only (the foundation multisig while its powers
;; last). Governance itself ("governance": proposing, voting, executing) is paused in
;; dao-voting, which takes the call from an extension directly: dao-voting calls this
;; contract, so this contract cannot call it back.
(define-public (pause-subsystem (subsystem (string-ascii 16)) (paused bool))
  (begin
    (asserts! (is-extension contract-caller) ERR_NOT_AUTHORIZED)
    (asserts! (is-eq subsystem "amm") ERR_UNKNOWN_SUBSYSTEM)
    (print {topic: "dao-pause-subsystem", subsystem: subsystem, paused: paused, by: contract-caller})
    (as-contract (contract-call? .amm-pool set-paused paused))))

;; Private

(define-private (run (proposal <proposal-trait>) (sender principal))
  (let ((id (contract-of proposal)))
    (asserts! (map-insert executed-proposals id burn-block-height) ERR_ALREADY_EXECUTED)
    (print {topic: "dao-execute", proposal: id, sender: sender})
    (as-contract (contract-call? proposal execute sender))))

;; The DAO itself: a proposal it is executing (tx-sender is this contract only inside
;; its own `as-contract`).
(define-private (is-self)
  (is-eq tx-sender (as-contract tx-sender)))
