;; dao-voting: the AGP lifecycle, an extension of dao-core.
;;
;;   lock ALEX -> propose (threshold) -> delay -> vote (weight = ALEX locked here)
;;   -> conclude (quorum, majority) -> timelock (foundation may veto) -> execute once
;;
;; Votes are weighted by the ALEX the voter has locked through this contract (alex-token's
;; lock ledger: locked ALEX can be neither transferred nor burnt). A vote or a proposal
;; keeps the voter's whole lock until the vote's end, so the same ALEX can never vote
;; twice (not from another wallet either: it cannot move) and a flash lock (lock, vote,
;; unlock in one block) fails at the unlock. There is no `at-block` and no snapshot.
;;
;; A proposal is a deployed contract implementing proposal-trait, referenced by
;; principal. Its source hash (sha256 of the deployed source, as the node serves it) is
;; recorded for voters to check off chain: Clarity 2 cannot hash a contract's code.
;;
;; Quorum: votes for + against >= quorum-bps of ALEX's total supply. Majority: votes for
;; > majority-bps of the votes cast (5000 = a strict majority). All timing is in burn
;; blocks. Every parameter is the DAO's (set by a proposal); `set-paused` also takes the
;; foundation multisig, an extension, while its powers last.

(use-trait proposal-trait .proposal-trait.proposal-trait)

;; Errors: block 15xx (see clarity/README.md).
;; The caller is not the DAO or an enabled extension.
(define-constant ERR_NOT_AUTHORIZED (err u1500))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u1501))
;; The locked ALEX is held by a proposal or a vote until `locked-until`.
(define-constant ERR_LOCKED (err u1502))
;; Less ALEX is locked here than the amount to unlock.
(define-constant ERR_INSUFFICIENT_LOCKED (err u1503))
;; The proposer has less ALEX locked than the proposal threshold.
(define-constant ERR_BELOW_THRESHOLD (err u1504))
;; This proposal contract was proposed before.
(define-constant ERR_ALREADY_PROPOSED (err u1505))
;; No proposal has that id.
(define-constant ERR_UNKNOWN_PROPOSAL (err u1506))
;; Voting has not started yet.
(define-constant ERR_VOTING_NOT_STARTED (err u1507))
;; Voting has ended.
(define-constant ERR_VOTING_ENDED (err u1508))
;; The voter already voted on this proposal.
(define-constant ERR_ALREADY_VOTED (err u1509))
;; The voter has no ALEX locked here.
(define-constant ERR_NO_VOTING_POWER (err u1510))
;; Voting is still open: the proposal cannot be concluded yet.
(define-constant ERR_VOTING_NOT_ENDED (err u1511))
;; The proposal was already concluded.
(define-constant ERR_ALREADY_CONCLUDED (err u1512))
;; The proposal has not passed (not concluded, rejected or vetoed).
(define-constant ERR_NOT_PASSED (err u1513))
;; The timelock has not run out.
(define-constant ERR_TIMELOCKED (err u1514))
;; The proposal was already executed.
(define-constant ERR_ALREADY_EXECUTED (err u1515))
;; The proposal contract passed is not the one voted on.
(define-constant ERR_WRONG_PROPOSAL (err u1516))
;; The veto comes after the timelock ended.
(define-constant ERR_VETO_TOO_LATE (err u1517))
;; Governance is paused.
(define-constant ERR_PAUSED (err u1518))
;; A parameter is out of its bounds.
(define-constant ERR_INVALID_PARAMETER (err u1519))

(define-constant BPS u10000)

;; Parameters (the DAO's). Defaults are mainnet-scale; the bootstrap proposal sets them.
(define-data-var proposal-threshold uint u100000000000000) ;; 1,000,000 ALEX
(define-data-var voting-delay uint u144)
(define-data-var voting-period uint u1008)
(define-data-var quorum-bps uint u400)
(define-data-var majority-bps uint u5000)
(define-data-var timelock uint u432)
(define-data-var paused bool false)

(define-data-var proposal-count uint u0)
(define-map proposals uint
  {proposal: principal, proposer: principal, source-hash: (buff 32),
   start: uint, end: uint, votes-for: uint, votes-against: uint,
   concluded: bool, passed: bool, timelock-end: uint, vetoed: bool, executed: bool})
(define-map proposal-ids principal uint)
(define-map votes {id: uint, voter: principal} {for: bool, amount: uint})
(define-map locks principal {amount: uint, until: uint})

;; Read-only

(define-read-only (get-params)
  {proposal-threshold: (var-get proposal-threshold), voting-delay: (var-get voting-delay),
   voting-period: (var-get voting-period), quorum-bps: (var-get quorum-bps),
   majority-bps: (var-get majority-bps), timelock: (var-get timelock), paused: (var-get paused)})
(define-read-only (get-proposal-count) (var-get proposal-count))
(define-read-only (get-proposal (id uint)) (map-get? proposals id))
(define-read-only (get-proposal-id (proposal principal)) (map-get? proposal-ids proposal))
(define-read-only (get-vote (id uint) (voter principal)) (map-get? votes {id: id, voter: voter}))
(define-read-only (get-lock (who principal)) (default-to {amount: u0, until: u0} (map-get? locks who)))
;; The votes (for + against) a proposal needs, from the current ALEX supply.
(define-read-only (get-quorum)
  (/ (* (unwrap-panic (contract-call? .alex-token get-total-supply)) (var-get quorum-bps)) BPS))
;; "pending" (before start), "active", "awaiting-conclusion", "rejected", "vetoed",
;; "timelocked", "executable" or "executed".
(define-read-only (get-status (id uint))
  (match (map-get? proposals id)
    p (if (< burn-block-height (get start p)) "pending"
        (if (< burn-block-height (get end p)) "active"
          (if (not (get concluded p)) "awaiting-conclusion"
            (if (get executed p) "executed"
              (if (get vetoed p) "vetoed"
                (if (not (get passed p)) "rejected"
                  (if (< burn-block-height (get timelock-end p)) "timelocked" "executable")))))))
    "unknown"))

;; Public: holders

;; Locks `amount` of the caller's ALEX here as voting power.
(define-public (lock (amount uint))
  (let ((l (get-lock tx-sender)))
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (try! (contract-call? .alex-token lock amount tx-sender))
    (map-set locks tx-sender (merge l {amount: (+ (get amount l) amount)}))
    (print {topic: "dao-lock", voter: tx-sender, amount: amount, locked: (+ (get amount l) amount)})
    (ok (+ (get amount l) amount))))

;; Unlocks `amount` once no open vote or proposal of the caller holds the lock.
(define-public (unlock (amount uint))
  (let ((l (get-lock tx-sender)))
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (>= burn-block-height (get until l)) ERR_LOCKED)
    (asserts! (<= amount (get amount l)) ERR_INSUFFICIENT_LOCKED)
    (try! (contract-call? .alex-token unlock amount tx-sender))
    (map-set locks tx-sender (merge l {amount: (- (get amount l) amount)}))
    (print {topic: "dao-unlock", voter: tx-sender, amount: amount, locked: (- (get amount l) amount)})
    (ok (- (get amount l) amount))))

;; Submits a deployed proposal contract. The proposer needs `proposal-threshold` ALEX
;; locked here; the lock is then held until the vote ends.
(define-public (propose (proposal <proposal-trait>) (source-hash (buff 32)))
  (let ((id (+ (var-get proposal-count) u1))
        (who tx-sender)
        (l (get-lock who))
        (start (+ burn-block-height (var-get voting-delay)))
        (end (+ start (var-get voting-period))))
    (asserts! (not (var-get paused)) ERR_PAUSED)
    (asserts! (>= (get amount l) (var-get proposal-threshold)) ERR_BELOW_THRESHOLD)
    (asserts! (map-insert proposal-ids (contract-of proposal) id) ERR_ALREADY_PROPOSED)
    (map-set proposals id
      {proposal: (contract-of proposal), proposer: who, source-hash: source-hash,
       start: start, end: end, votes-for: u0, votes-against: u0, concluded: false,
       passed: false, timelock-end: u0, vetoed: false, executed: false})
    (var-set proposal-count id)
    (hold who l end)
    (print {topic: "dao-propose", id: id, proposal: (contract-of proposal), proposer: who,
            source-hash: source-hash, start: start, end: end})
    (ok id)))

;; Votes with all ALEX the caller has locked here; holds the lock until the vote ends.
(define-public (vote (id uint) (for bool))
  (let ((p (unwrap! (map-get? proposals id) ERR_UNKNOWN_PROPOSAL))
        (who tx-sender)
        (l (get-lock who))
        (weight (get amount l)))
    (asserts! (not (var-get paused)) ERR_PAUSED)
    (asserts! (>= burn-block-height (get start p)) ERR_VOTING_NOT_STARTED)
    (asserts! (< burn-block-height (get end p)) ERR_VOTING_ENDED)
    (asserts! (> weight u0) ERR_NO_VOTING_POWER)
    (asserts! (map-insert votes {id: id, voter: who} {for: for, amount: weight}) ERR_ALREADY_VOTED)
    (map-set proposals id
      (if for
        (merge p {votes-for: (+ (get votes-for p) weight)})
        (merge p {votes-against: (+ (get votes-against p) weight)})))
    (hold who l (get end p))
    (print {topic: "dao-vote", id: id, voter: who, for: for, amount: weight})
    (ok weight)))

;; Counts the vote once it has ended (anyone). A passed proposal enters the timelock.
(define-public (conclude (id uint))
  (let ((p (unwrap! (map-get? proposals id) ERR_UNKNOWN_PROPOSAL))
        (cast (+ (get votes-for p) (get votes-against p)))
        (quorum (get-quorum))
        ;; With no votes cast the majority test is 0 > 0: nothing passes unvoted.
        (passed (and (>= cast quorum)
                     (> (* (get votes-for p) BPS) (* cast (var-get majority-bps)))))
        (timelock-end (+ burn-block-height (var-get timelock))))
    (asserts! (>= burn-block-height (get end p)) ERR_VOTING_NOT_ENDED)
    (asserts! (not (get concluded p)) ERR_ALREADY_CONCLUDED)
    (map-set proposals id (merge p {concluded: true, passed: passed, timelock-end: timelock-end}))
    (print {topic: "dao-conclude", id: id, passed: passed, votes-for: (get votes-for p),
            votes-against: (get votes-against p), quorum: quorum, timelock-end: timelock-end})
    (ok passed)))

;; Executes a passed proposal after its timelock, once (anyone).
(define-public (execute (id uint) (proposal <proposal-trait>))
  (let ((p (unwrap! (map-get? proposals id) ERR_UNKNOWN_PROPOSAL)))
    (asserts! (not (var-get paused)) ERR_PAUSED)
    (asserts! (is-eq (contract-of proposal) (get proposal p)) ERR_WRONG_PROPOSAL)
    (asserts! (and (get passed p) (not (get vetoed p))) ERR_NOT_PASSED)
    (asserts! (>= burn-block-height (get timelock-end p)) ERR_TIMELOCKED)
    (asserts! (not (get executed p)) ERR_ALREADY_EXECUTED)
    (map-set proposals id (merge p {executed: true}))
    (print {topic: "dao-executed", id: id, proposal: (get proposal p), by: tx-sender})
    (contract-call? .dao-core execute proposal tx-sender)))

;; Public: the DAO and its extensions

;; Vetoes a passed proposal during its timelock. Extensions only: the foundation
;; multisig, whose own contract enforces its threshold and the expiry of its powers.
(define-public (veto (id uint))
  (begin
    (try! (check-dao))
    (let ((p (unwrap! (map-get? proposals id) ERR_UNKNOWN_PROPOSAL)))
      (asserts! (and (get passed p) (not (get vetoed p))) ERR_NOT_PASSED)
      (asserts! (< burn-block-height (get timelock-end p)) ERR_VETO_TOO_LATE)
      (map-set proposals id (merge p {vetoed: true}))
      (print {topic: "dao-veto", id: id, by: contract-caller})
      (ok true))))

(define-public (set-paused (new-paused bool))
  (begin
    (try! (check-dao))
    (var-set paused new-paused)
    (print {topic: "dao-set-paused", paused: new-paused, by: contract-caller})
    (ok true)))

;; Sets every voting parameter at once (the DAO only). Bounds: a period and a quorum
;; above zero, a majority of at least half.
(define-public (set-params (threshold uint) (delay uint) (period uint) (quorum uint)
                           (majority uint) (lock-blocks uint))
  (begin
    (try! (check-dao))
    (asserts! (and (> period u0) (> quorum u0) (<= quorum BPS)
                   (>= majority u5000) (< majority BPS)) ERR_INVALID_PARAMETER)
    (var-set proposal-threshold threshold)
    (var-set voting-delay delay)
    (var-set voting-period period)
    (var-set quorum-bps quorum)
    (var-set majority-bps majority)
    (var-set timelock lock-blocks)
    (print {topic: "dao-set-params", proposal-threshold: threshold, voting-delay: delay,
            voting-period: period, quorum-bps: quorum, majority-bps: majority, timelock: lock-blocks})
    (ok true)))

;; Private

;; Keeps `who`'s lock until at least `until`.
(define-private (hold (who principal) (l {amount: uint, until: uint}) (until uint))
  (map-set locks who (merge l {until: (if (> until (get until l)) until (get until l))})))

(define-private (check-dao)
  (ok (asserts! (contract-call? .dao-core is-dao-or-extension contract-caller tx-sender) ERR_NOT_AUTHORIZED)))
