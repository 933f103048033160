;; alex-staking: stake ALEX for 1 to 32 reward cycles and earn two reward streams per
;; cycle, ALEX (released from the staking-emission holder, `.alex-emission`, where this
;; contract is a releaser with a cap) and sBTC (whatever was added with
;; `add-sbtc-rewards`, e.g. the AMM reserve's fee share routed by a DAO proposal).
;;
;; Activation (ALEXnomics): once 20 distinct wallets have called `signal`, staking opens
;; `countdown` burn blocks later, at `activation-height`. Cycle of burn height h:
;; (h - activation-height) / cycle-length; cycle 0 starts at activation-height.
;;
;; Positions: `stake` moves ALEX from tx-sender into this contract (not the voting lock
;; ledger) and records a position counting for cycles c+1 .. c+lock-cycles, where c is
;; the current cycle (no staking into a running cycle). It writes O(1) entries whatever
;; the lock length: the position, +amount at its first cycle and -amount at its end
;; cycle (exclusive) in `deltas`. There is no early exit: `unstake` returns the
;; principal only once the position's last cycle has ended and been finalised.
;;
;; Rewards (O(1) claims): cycles are finalised lazily and in order once they have ended
;; (`finalize-cycle`, at most 32 per call, from `advance`, `stake`, `claim` and
;; `unstake`): staked(c) = staked(c-1) + added(c) - removed(c); if staked(c) > 0 the
;; cycle's ALEX, min(emission-per-cycle, remaining cap, emission holdings), is released
;; into this contract and its booked sBTC becomes its reward; if staked(c) = 0 nothing is
;; released and its sBTC carries to cycle c+1. One cumulative accumulator per token:
;;   acc[0] = 0, acc[c+1] = acc[c] + floor(reward(c) * SCALE / staked(c)).
;; A position pays amount * (acc[hi] - acc[lo]) / SCALE (floor), lo = claimed-through
;; (initially its first cycle), hi = max(lo, min(end-cycle, finalized-through)); then
;; claimed-through = hi. Two map reads per token whatever the number of cycles.
;; The emission rate of a cycle is the one in force when the cycle is finalised.
;;
;; Dust: per finalised cycle with stakers, the floor of the accumulator step leaves
;; less than ceil(staked(c) / SCALE) base units of each token undistributed (at most 11
;; for the whole ALEX supply of 10^17 units, SCALE = 10^16), and each payout floors away
;; less than 1 unit. Overflow: amount * (acc[hi] - acc[lo]) <= sum of reward(c) * SCALE
;; over the position's cycles (amount <= staked(c) for each), far below 2^128 for
;; rewards bounded by the token supplies (ALEX 10^17, sBTC 2.1 * 10^15 units).
;;
;; Governance: `governance` starts as the deployer and is handed to the DAO with
;; `set-governance`. It sets the ALEX emission per cycle (any time) and the cycle
;; length and countdown (only before activation).

;; Errors: block 13xx (see clarity/README.md).
;; The caller is not governance.
(define-constant ERR_NOT_AUTHORIZED (err u1300))
;; This tx-sender has already signalled.
(define-constant ERR_ALREADY_SIGNALLED (err u1301))
;; Activation is already scheduled: no more signals, cycle length and countdown fixed.
(define-constant ERR_ALREADY_ACTIVE (err u1302))
;; Staking has not opened yet (fewer than 20 signals, or the countdown is running).
(define-constant ERR_NOT_ACTIVATED (err u1303))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u1304))
;; A lock must last at least one cycle.
(define-constant ERR_LOCK_TOO_SHORT (err u1305))
;; A lock may last at most MAX_LOCK_CYCLES cycles.
(define-constant ERR_LOCK_TOO_LONG (err u1306))
;; More ended cycles than one call finalises are pending: call `advance` first.
(define-constant ERR_BEHIND (err u1307))
;; No position has this id (never created, or already unstaked).
(define-constant ERR_UNKNOWN_POSITION (err u1308))
;; tx-sender is not the position's owner.
(define-constant ERR_NOT_OWNER (err u1309))
;; The position has no rewards due (for now).
(define-constant ERR_NOTHING_TO_CLAIM (err u1310))
;; The position's last cycle has not ended (and been finalised) yet.
(define-constant ERR_STILL_LOCKED (err u1311))
;; A cycle must last at least one burn block.
(define-constant ERR_INVALID_CYCLE_LENGTH (err u1312))

;; Fixed-point scale of the reward accumulators (see Dust above).
(define-constant SCALE u10000000000000000)
(define-constant MAX_LOCK_CYCLES u32)
;; Distinct wallets that must signal before the countdown starts.
(define-constant ACTIVATION_THRESHOLD u20)
;; One element per cycle a single call may finalise.
(define-constant CATCH_UP_STEPS
  (list u1 u2 u3 u4 u5 u6 u7 u8 u9 u10 u11 u12 u13 u14 u15 u16
        u17 u18 u19 u20 u21 u22 u23 u24 u25 u26 u27 u28 u29 u30 u31 u32))

(define-data-var governance principal tx-sender)
;; ALEX base units released per cycle with stakers (413,000 ALEX, ALEX's first tier).
(define-data-var emission-per-cycle uint u41300000000000)
;; Burn blocks per cycle.
(define-data-var cycle-length uint u525)
;; Burn blocks from the 20th signal to activation.
(define-data-var countdown uint u144)
(define-data-var signal-count uint u0)
(define-data-var activation-height (optional uint) none)
;; Cycles below this one are finalised.
(define-data-var finalized-through uint u0)
;; staked(finalized-through - 1), the base of the next finalisation.
(define-data-var last-staked uint u0)
(define-data-var next-position-id uint u1)
(define-data-var totals
  {principal: uint, alex-released: uint, alex-paid: uint, sbtc-added: uint, sbtc-paid: uint}
  {principal: u0, alex-released: u0, alex-paid: u0, sbtc-added: u0, sbtc-paid: u0})

(define-map signals principal bool)
;; Stake entering (add) and leaving (remove) at the start of a cycle.
(define-map deltas uint {add: uint, remove: uint})
;; sBTC booked to a cycle that is not finalised yet (added, or carried from an empty cycle).
(define-map cycle-sbtc uint uint)
;; Finalised cycles.
(define-map cycles uint {staked: uint, alex-reward: uint, sbtc-reward: uint})
;; acc[c] for c <= finalized-through (acc[0] = 0 is implicit).
(define-map accumulators uint {alex: uint, sbtc: uint})
(define-map positions uint
  {owner: principal, amount: uint, first-cycle: uint, end-cycle: uint, claimed-through: uint})

;; Read-only

(define-read-only (get-governance) (var-get governance))

(define-read-only (get-params)
  {emission-per-cycle: (var-get emission-per-cycle), cycle-length: (var-get cycle-length),
   countdown: (var-get countdown), max-lock-cycles: MAX_LOCK_CYCLES,
   activation-threshold: ACTIVATION_THRESHOLD, scale: SCALE})

(define-read-only (get-activation)
  {signals: (var-get signal-count), threshold: ACTIVATION_THRESHOLD,
   activation-height: (var-get activation-height),
   active: (is-some (get-current-cycle))})

(define-read-only (has-signalled (who principal)) (default-to false (map-get? signals who)))

;; The cycle of burn height `h`, none before activation.
(define-read-only (cycle-at (h uint))
  (match (var-get activation-height)
    act (if (>= h act) (some (/ (- h act) (var-get cycle-length))) none)
    none))

(define-read-only (get-current-cycle) (cycle-at burn-block-height))

;; First burn height of cycle `c`, once activation is scheduled.
(define-read-only (get-cycle-start (c uint))
  (match (var-get activation-height)
    act (some (+ act (* c (var-get cycle-length))))
    none))

(define-read-only (get-status)
  {current-cycle: (get-current-cycle), finalized-through: (var-get finalized-through),
   last-staked: (var-get last-staked), next-position-id: (var-get next-position-id)})

(define-read-only (get-totals) (var-get totals))

(define-read-only (get-deltas (c uint)) (default-to {add: u0, remove: u0} (map-get? deltas c)))

(define-read-only (get-acc (c uint))
  (if (is-eq c u0) (some {alex: u0, sbtc: u0}) (map-get? accumulators c)))

;; A cycle: its staked total and rewards once finalised; before that, the staked total
;; it will have if it is the next to be finalised (0 for later ones) and the sBTC booked
;; to it so far. acc-* are the accumulators at its start (0 until known).
(define-read-only (get-cycle (c uint))
  (let ((d (get-deltas c))
        (start (default-to {alex: u0, sbtc: u0} (get-acc c))))
    (match (map-get? cycles c)
      info {cycle: c, finalized: true, staked: (get staked info),
            alex-reward: (get alex-reward info), sbtc-reward: (get sbtc-reward info),
            acc-alex: (get alex start), acc-sbtc: (get sbtc start),
            delta-add: (get add d), delta-remove: (get remove d)}
      {cycle: c, finalized: false,
       staked: (if (is-eq c (var-get finalized-through))
                   (- (+ (var-get last-staked) (get add d)) (get remove d))
                   u0),
       alex-reward: u0, sbtc-reward: (get-cycle-sbtc c),
       acc-alex: (get alex start), acc-sbtc: (get sbtc start),
       delta-add: (get add d), delta-remove: (get remove d)})))

(define-read-only (get-position (id uint)) (map-get? positions id))

;; Rewards a claim would pay now, against the cycles finalised so far (call `advance`
;; first to include every ended cycle).
(define-read-only (get-claimable (id uint))
  (match (map-get? positions id) p (some (pending p)) none))

;; Public: activation

;; Each distinct tx-sender once; the 20th schedules activation `countdown` blocks on.
(define-public (signal)
  (let ((count (+ (var-get signal-count) u1)))
    (asserts! (is-none (var-get activation-height)) ERR_ALREADY_ACTIVE)
    (asserts! (map-insert signals tx-sender true) ERR_ALREADY_SIGNALLED)
    (var-set signal-count count)
    (print {topic: "staking-signal", who: tx-sender, signals: count})
    (if (>= count ACTIVATION_THRESHOLD)
        (let ((at (+ burn-block-height (var-get countdown))))
          (var-set activation-height (some at))
          (print {topic: "staking-activation", activation-height: at, signals: count})
          true)
        true)
    (ok count)))

;; Public: staking

(define-public (stake (amount uint) (lock-cycles uint))
  (let ((now (try! (catch-up)))
        (first (+ now u1))
        (end (+ first lock-cycles))
        (id (var-get next-position-id))
        (t (var-get totals)))
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (>= lock-cycles u1) ERR_LOCK_TOO_SHORT)
    (asserts! (<= lock-cycles MAX_LOCK_CYCLES) ERR_LOCK_TOO_LONG)
    (try! (contract-call? .alex-token transfer amount tx-sender (as-contract tx-sender) none))
    (map-set positions id
      {owner: tx-sender, amount: amount, first-cycle: first, end-cycle: end, claimed-through: first})
    (add-delta first amount u0)
    (add-delta end u0 amount)
    (var-set next-position-id (+ id u1))
    (var-set totals (merge t {principal: (+ (get principal t) amount)}))
    (print {topic: "staking-stake", position-id: id, owner: tx-sender, amount: amount,
            lock-cycles: lock-cycles, first-cycle: first, end-cycle: end})
    (ok id)))

;; Pays a position's rewards up to the last finalised cycle of its lock. Owner only.
(define-public (claim (position-id uint))
  (let ((p (try! (owned-position position-id)))
        (due (pending p)))
    (asserts! (> (+ (get alex due) (get sbtc due)) u0) ERR_NOTHING_TO_CLAIM)
    (try! (pay (get owner p) (get alex due) (get sbtc due)))
    (map-set positions position-id (merge p {claimed-through: (get through due)}))
    (print {topic: "staking-claim", position-id: position-id, owner: (get owner p),
            alex: (get alex due), sbtc: (get sbtc due), claimed-through: (get through due)})
    (ok due)))

;; Once the lock has ended: pays the remaining rewards, returns the principal and
;; deletes the position. Owner only.
(define-public (unstake (position-id uint))
  (let ((p (try! (owned-position position-id)))
        (due (pending p))
        (owner (get owner p))
        (amount (get amount p))
        (t (var-get totals)))
    (asserts! (>= (var-get finalized-through) (get end-cycle p)) ERR_STILL_LOCKED)
    (try! (pay owner (get alex due) (get sbtc due)))
    (try! (as-contract (contract-call? .alex-token transfer amount tx-sender owner none)))
    (map-delete positions position-id)
    (var-set totals (merge (var-get totals) {principal: (- (get principal t) amount)}))
    (print {topic: "staking-unstake", position-id: position-id, owner: owner, amount: amount,
            alex: (get alex due), sbtc: (get sbtc due)})
    (ok {amount: amount, alex: (get alex due), sbtc: (get sbtc due)})))

;; Adds sBTC rewards (from tx-sender) to the current cycle. Anyone.
(define-public (add-sbtc-rewards (amount uint))
  (let ((now (unwrap! (get-current-cycle) ERR_NOT_ACTIVATED))
        (booked (+ (get-cycle-sbtc now) amount))
        (t (var-get totals)))
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (try! (contract-call? .sbtc-token transfer amount tx-sender (as-contract tx-sender) none))
    (map-set cycle-sbtc now booked)
    (var-set totals (merge t {sbtc-added: (+ (get sbtc-added t) amount)}))
    (print {topic: "staking-add-sbtc", cycle: now, amount: amount, booked: booked, sender: tx-sender})
    (ok booked)))

;; Finalises up to 32 ended cycles. Anyone. Returns the new finalized-through.
(define-public (advance)
  (let ((now (unwrap! (get-current-cycle) ERR_NOT_ACTIVATED))
        (from (var-get finalized-through)))
    (fold finalize-step CATCH_UP_STEPS now)
    (print {topic: "staking-advance", from: from, finalized-through: (var-get finalized-through),
            current-cycle: now})
    (ok (var-get finalized-through))))

;; Public: governance

(define-public (set-governance (new-governance principal))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (var-set governance new-governance)
    (print {topic: "staking-set-governance", governance: new-governance})
    (ok true)))

;; ALEX base units per cycle, for cycles finalised from now on (0 stops ALEX rewards).
(define-public (set-emission-per-cycle (amount uint))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (var-set emission-per-cycle amount)
    (print {topic: "staking-set-emission", emission-per-cycle: amount})
    (ok true)))

(define-public (set-cycle-length (blocks uint))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (is-none (var-get activation-height)) ERR_ALREADY_ACTIVE)
    (asserts! (> blocks u0) ERR_INVALID_CYCLE_LENGTH)
    (var-set cycle-length blocks)
    (print {topic: "staking-set-cycle-length", cycle-length: blocks})
    (ok true)))

(define-public (set-countdown (blocks uint))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (is-none (var-get activation-height)) ERR_ALREADY_ACTIVE)
    (var-set countdown blocks)
    (print {topic: "staking-set-countdown", countdown: blocks})
    (ok true)))

;; Private

;; Governance is the contract-caller; or, when governance is a contract (the DAO), the
;; tx-sender: a contract principal is tx-sender only inside its own `as-contract`, which
;; the DAO enters only to execute a passed proposal or a foundation pause.
(define-private (is-governance)
  (let ((gov (var-get governance)))
    (or (is-eq contract-caller gov)
        (and (is-eq tx-sender gov) (is-contract gov)))))
(define-private (is-contract (who principal))
  (match (principal-destruct? who) p (is-some (get name p)) p (is-some (get name p))))

(define-private (min-u (a uint) (b uint)) (if (< a b) a b))
(define-private (max-u (a uint) (b uint)) (if (> a b) a b))

(define-private (get-cycle-sbtc (c uint)) (default-to u0 (map-get? cycle-sbtc c)))

(define-private (add-delta (c uint) (add uint) (remove uint))
  (let ((d (get-deltas c)))
    (map-set deltas c {add: (+ (get add d) add), remove: (+ (get remove d) remove)})))

;; The position `id`, if tx-sender owns it, after catching up.
(define-private (owned-position (id uint))
  (let ((p (unwrap! (map-get? positions id) ERR_UNKNOWN_POSITION)))
    (try! (catch-up))
    (asserts! (is-eq tx-sender (get owner p)) ERR_NOT_OWNER)
    (ok p)))

;; Rewards of `p` from claimed-through up to the last finalised cycle of its lock.
(define-private (pending (p {owner: principal, amount: uint, first-cycle: uint,
                             end-cycle: uint, claimed-through: uint}))
  (let ((lo (get claimed-through p))
        (hi (max-u lo (min-u (get end-cycle p) (var-get finalized-through))))
        (a-lo (default-to {alex: u0, sbtc: u0} (get-acc lo)))
        (a-hi (default-to {alex: u0, sbtc: u0} (get-acc hi))))
    {alex: (/ (* (get amount p) (- (get alex a-hi) (get alex a-lo))) SCALE),
     sbtc: (/ (* (get amount p) (- (get sbtc a-hi) (get sbtc a-lo))) SCALE),
     through: hi}))

(define-private (pay (owner principal) (alex uint) (sbtc uint))
  (let ((t (var-get totals)))
    (if (> alex u0)
        (try! (as-contract (contract-call? .alex-token transfer alex tx-sender owner none)))
        false)
    (if (> sbtc u0)
        (try! (as-contract (contract-call? .sbtc-token transfer sbtc tx-sender owner none)))
        false)
    (var-set totals (merge t {alex-paid: (+ (get alex-paid t) alex),
                              sbtc-paid: (+ (get sbtc-paid t) sbtc)}))
    (ok true)))

;; Finalises every ended cycle, up to 32; the current cycle, or ERR_BEHIND if ended
;; cycles remain (the caller's error rolls this back: `advance` first).
(define-private (catch-up)
  (let ((now (unwrap! (get-current-cycle) ERR_NOT_ACTIVATED)))
    (fold finalize-step CATCH_UP_STEPS now)
    (asserts! (>= (var-get finalized-through) now) ERR_BEHIND)
    (ok now)))

(define-private (finalize-step (step uint) (now uint))
  (begin
    (if (< (var-get finalized-through) now)
        (finalize-cycle (var-get finalized-through))
        false)
    now))

(define-private (finalize-cycle (c uint))
  (let ((d (get-deltas c))
        (staked (- (+ (var-get last-staked) (get add d)) (get remove d)))
        (start (default-to {alex: u0, sbtc: u0} (get-acc c)))
        (sbtc (get-cycle-sbtc c))
        (t (var-get totals))
        (r (if (> staked u0)
               (let ((alex (release-for-cycle)))
                 {alex: alex, sbtc: sbtc, carried: u0,
                  acc-alex: (+ (get alex start) (/ (* alex SCALE) staked)),
                  acc-sbtc: (+ (get sbtc start) (/ (* sbtc SCALE) staked))})
               {alex: u0, sbtc: u0, carried: sbtc,
                acc-alex: (get alex start), acc-sbtc: (get sbtc start)})))
    (map-set cycle-sbtc (+ c u1) (+ (get-cycle-sbtc (+ c u1)) (get carried r)))
    (map-delete cycle-sbtc c)
    (map-set cycles c {staked: staked, alex-reward: (get alex r), sbtc-reward: (get sbtc r)})
    (map-set accumulators (+ c u1) {alex: (get acc-alex r), sbtc: (get acc-sbtc r)})
    (var-set last-staked staked)
    (var-set finalized-through (+ c u1))
    (var-set totals (merge t {alex-released: (+ (get alex-released t) (get alex r))}))
    (print {topic: "staking-finalize", cycle: c, staked: staked, alex-reward: (get alex r),
            sbtc-reward: (get sbtc r), sbtc-carried: (get carried r),
            acc-alex: (get acc-alex r), acc-sbtc: (get acc-sbtc r)})
    true))

;; Releases this cycle's ALEX into the contract: min(emission-per-cycle, remaining cap,
;; emission holdings); nothing when that is 0.
(define-private (release-for-cycle)
  (let ((self (as-contract tx-sender))
        (amount (min-u (var-get emission-per-cycle)
                       (min-u (contract-call? .alex-emission get-remaining self)
                              (contract-call? .alex-emission get-holdings)))))
    (if (> amount u0)
        (begin
          (unwrap-panic (contract-call? .alex-emission release amount self))
          amount)
        u0)))
