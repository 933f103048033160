;; amm-pool: every AMM pool, keyed by id, in one contract that also holds their
;; tokens. Curves: weighted constant product (50/50 uses the exact dy = y dx/(x+dx))
;; and the Solidly stable curve x^3 y + x y^3 (see amm-math). LP shares are the
;; SIP-013 `amm-lp-token` with id = pool id. Progressive liquidity decentralisation
;; (per-LP cap, withdrawal gate) lives in the liquidity functions here.
;;
;; LP cap: with lp-cap set, no holder other than this contract (the gate's escrow) may
;; end a deposit or an LP transfer above lp-cap of the pool's LP supply. The cap is
;; mirrored into amm-lp-token (`set-cap`) and checked there by `within-cap`, the one
;; check that both add-liquidity and SIP-013 transfers reach. The first deposit of a
;; pool is exempt (it holds the whole supply by definition).
;;
;; Withdrawal gate (gate-pct, gate-window): net LP outflow per window is bounded by
;; gate-pct of the supply at the window's first touch, and it is shared fairly:
;;  - A window opens at the first liquidity call after the previous one closed and
;;    closes at the next multiple of gate-window (a burn height, stored, so a later
;;    change of gate-window only shapes later windows).
;;  - Withdrawals above what is left of the allowance are escrowed into one FIFO queue
;;    per pool. Each claim stores its place in the queue and the burn height at which
;;    it becomes payable (the close of the window it was queued in).
;;  - Every allowance serves the queue first, in order: the queue is released up to the
;;    allowance before any instant withdrawal is paid, so a newcomer never overtakes a
;;    queued claim. A holder may add to its claim only while it is the last in line.
;;  - Deposits count against the window: LP minted in a window refills what left in
;;    it (never above the allowance), and the refill again serves the queue first. So
;;    removing the allowance and adding it back blocks nobody, and keeping it out is a
;;    real withdrawal that delays queued claims by one window at most.
;; With gate-pct 0 the gate is off and every queued claim is payable at once.
;;
;; Oracle: the resilient price is an EMA updated at most once per burn block, from the
;; pre-trade price of the block's first swap, so trades within one block cannot walk
;; it; `get-oracle-height` tells a reader (lending) how fresh it is.
;;
;; Custody: the tokens of all pools sit with this contract. In Clarity 2 a token
;; contract that this contract calls under `as-contract` runs with this contract as
;; tx-sender and could move any asset it holds (the June 2025 ALEX self-listing drain).
;; So only governance-approved SIP-010 contracts are ever called: pools can only be
;; created by governance from approved tokens, every entry point checks that the
;; trait arguments are exactly the pool's tokens and that both are still approved,
;; and there is no self-listing path. Revoking a token stops every call into it.
;;
;; Governance: `governance` starts as the deployer and is handed to dao-core by the
;; bootstrap. Privileged calls check contract-caller; tx-sender counts only when it is
;; the governance contract itself (dao-core executing a proposal, see check-governance).
;;
;; Accounting: pool balances are tracked here, not read from token balances, so
;; direct donations change nothing. Non-rebated fees are booked to `amm-reserve`
;; and stay in this contract: for every token, its balance here equals the sum of the
;; pools' balances plus the reserve ledger.

(use-trait ft .sip-010-trait.sip-010-trait)

;; Errors: block 9xx (see clarity/README.md).
;; The caller is not governance.
(define-constant ERR_NOT_AUTHORIZED (err u900))
;; A token is not (or no longer) approved by governance.
(define-constant ERR_TOKEN_NOT_APPROVED (err u901))
;; A pool with these tokens, curve and weight exists already.
(define-constant ERR_POOL_EXISTS (err u902))
;; No pool with this id.
(define-constant ERR_NO_POOL (err u903))
;; A token argument is not the pool's token.
(define-constant ERR_TOKEN_MISMATCH (err u904))
;; The pool or the whole AMM is paused.
(define-constant ERR_PAUSED (err u905))
;; The deadline (a burn-block-height) has passed.
(define-constant ERR_DEADLINE (err u906))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u907))
;; The output is below the caller's minimum.
(define-constant ERR_SLIPPAGE (err u908))
;; The input exceeds the pool's max-in ratio.
(define-constant ERR_MAX_IN_RATIO (err u909))
;; The output exceeds the pool's max-out ratio.
(define-constant ERR_MAX_OUT_RATIO (err u910))
;; The trade would pay a better price than the pre-trade spot price.
(define-constant ERR_BETTER_THAN_SPOT (err u911))
;; A parameter is outside its bounds.
(define-constant ERR_INVALID_PARAM (err u912))
;; The first deposit mints less than the locked minimum liquidity.
(define-constant ERR_FIRST_MINT_TOO_SMALL (err u913))
;; The pro-rata deposit of token y exceeds the caller's max-dy.
(define-constant ERR_MAX_DY (err u914))
;; The deposit would leave the caller above the pool's LP cap.
(define-constant ERR_LP_CAP (err u915))
;; Nothing is queued for this caller in this pool.
(define-constant ERR_NOTHING_QUEUED (err u916))
;; Queued withdrawals are paid from the next window on, within its allowance.
(define-constant ERR_GATE_WAIT (err u917))
;; Both tokens of a pool must differ.
(define-constant ERR_SAME_TOKEN (err u918))
;; The trade or withdrawal rounds to zero output.
(define-constant ERR_ZERO_OUT (err u919))
;; The caller's queued claim is no longer last in line: claim it before queueing more.
(define-constant ERR_QUEUE_PENDING (err u920))

(define-constant ONE_8 u100000000)
(define-constant SELF (as-contract tx-sender))
(define-constant CURVE_WEIGHTED u1)
(define-constant CURVE_STABLE u2)
;; Weights are whole percents, so the spot-price cross products stay small.
(define-constant WEIGHT_STEP u1000000)
;; Governance may set max-fee-rate up to 10%; pools start at most at that bound.
(define-constant FEE_RATE_HARD_CAP u10000000)
;; Max in/out ratios lie in (0, 30%].
(define-constant MAX_RATIO_CAP u30000000)
;; Defaults for new pools: 5% max in/out (as ALEX's simple pool), EMA weight 0.95
;; (ALEX launch), gate window 144 burn blocks (a day).
(define-constant DEFAULT_RATIO u5000000)
(define-constant DEFAULT_ORACLE_AVERAGE u95000000)
(define-constant DEFAULT_GATE_WINDOW u144)
;; Gate windows up to 30 days of burn blocks.
(define-constant MAX_GATE_WINDOW u4320)
;; LP units locked to this contract at the first mint, so a pool never empties.
(define-constant MIN_LIQUIDITY u1000)

(define-data-var governance principal tx-sender)
(define-data-var paused bool false)
(define-data-var max-fee-rate uint u1000000)
(define-data-var pool-count uint u0)
(define-map approved-tokens principal bool)
(define-map pool-ids {token-x: principal, token-y: principal, curve: uint, weight-x: uint} uint)
(define-map pools uint {
  token-x: principal, token-y: principal, curve: uint, weight-x: uint,
  balance-x: uint, balance-y: uint,
  fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint,
  oracle-average: uint, oracle-resilient: uint, paused: bool,
  lp-cap: uint, gate-pct: uint, gate-window: uint})
;; Withdrawal gate per pool: the burn height at which the current window closes, the
;; supply at its first touch (base), the net LP that left or was released in it (used),
;; and the FIFO queue as running totals of LP released to claims and LP ever queued.
(define-map gates uint {closes: uint, base: uint, used: uint, released: uint, tail: uint})
;; LP escrowed by the gate, per (pool, owner): the claim covers queue positions
;; [position - amount, position) and is payable from burn height payable-at.
(define-map queued {id: uint, owner: principal} {amount: uint, position: uint, payable-at: uint})
;; Burn height of each pool's last EMA update.
(define-map oracle-heights uint uint)
(define-constant NO_GATE {closes: u0, base: u0, used: u0, released: u0, tail: u0})

;; Read-only

(define-read-only (get-governance) (var-get governance))
(define-read-only (is-paused) (var-get paused))
(define-read-only (get-max-fee-rate) (var-get max-fee-rate))
(define-read-only (get-pool-count) (var-get pool-count))
(define-read-only (is-token-approved (token principal)) (default-to false (map-get? approved-tokens token)))
(define-read-only (get-pool (id uint)) (ok (unwrap! (map-get? pools id) ERR_NO_POOL)))
(define-read-only (get-pool-id (token-x principal) (token-y principal) (curve uint) (weight-x uint))
  (map-get? pool-ids {token-x: token-x, token-y: token-y, curve: curve, weight-x: weight-x}))
(define-read-only (get-queued (id uint) (owner principal))
  (default-to {amount: u0, position: u0, payable-at: u0} (map-get? queued {id: id, owner: owner})))

;; The gate as the next liquidity call will see it (a closed window rolled over, the
;; queue served).
(define-read-only (get-gate (id uint))
  (let ((pool (try! (get-pool id))))
    (ok (window-state id pool (unwrap-panic (contract-call? .amm-lp-token get-total-supply id))))))

;; LP of `owner`'s queued claim that claim-withdrawal would pay now.
(define-read-only (get-claimable (id uint) (owner principal))
  (let ((pool (try! (get-pool id)))
        (q (get-queued id owner)))
    (ok (if (or (is-eq (get gate-pct pool) u0) (>= burn-block-height (get payable-at q)))
          (released-part q (window-state id pool (unwrap-panic (contract-call? .amm-lp-token get-total-supply id))))
          u0))))

;; The current gate window of a pool (burn-block-height / window length).
(define-read-only (get-window (id uint))
  (ok (/ burn-block-height (get gate-window (try! (get-pool id))))))

;; LP units that remove-liquidity would pay at once in pool `id` now (the supply when
;; the gate is off; 0 while queued claims wait).
(define-read-only (get-gate-allowance (id uint))
  (let ((pool (try! (get-pool id)))
        (supply (unwrap-panic (contract-call? .amm-lp-token get-total-supply id))))
    (ok (instant-allowance pool (window-state id pool supply) supply))))

;; Instant price of x in y (units of y per unit of x, 8 decimals).
(define-read-only (get-oracle-instant (id uint))
  (ok (instant-price (try! (get-pool id)))))

;; EMA price, updated at most once per burn block, by the block's first swap, from its
;; pre-trade instant price.
(define-read-only (get-oracle-resilient (id uint))
  (ok (get oracle-resilient (try! (get-pool id)))))

;; Burn height of the last EMA update (0 before the first swap).
(define-read-only (get-oracle-height (id uint))
  (begin
    (try! (get-pool id))
    (ok (default-to u0 (map-get? oracle-heights id)))))

;; Quote for selling `dx` of `token-in` into pool `id`: {dy, fee, rebate}. The same
;; code prices the swap, so a quote is exactly what `swap` pays.
(define-read-only (get-amount-out (id uint) (token-in principal) (dx uint))
  (let ((pool (try! (get-pool id))))
    (quote pool (try! (direction pool token-in)) dx)))

;; Public: governance

(define-public (set-governance (new-governance principal))
  (begin
    (try! (check-governance))
    (var-set governance new-governance)
    (print {topic: "amm-set-governance", governance: new-governance})
    (ok true)))

;; Approves or revokes a SIP-010 token contract for pooling.
(define-public (set-token-approved (token principal) (approved bool))
  (begin
    (try! (check-governance))
    (map-set approved-tokens token approved)
    (print {topic: "amm-set-token-approved", token: token, approved: approved})
    (ok true)))

(define-public (set-paused (new-paused bool))
  (begin
    (try! (check-governance))
    (var-set paused new-paused)
    (print {topic: "amm-set-paused", paused: new-paused})
    (ok true)))

;; The bound on every pool's fee rate, at most FEE_RATE_HARD_CAP.
(define-public (set-max-fee-rate (rate uint))
  (begin
    (try! (check-governance))
    (asserts! (<= rate FEE_RATE_HARD_CAP) ERR_INVALID_PARAM)
    (var-set max-fee-rate rate)
    (print {topic: "amm-set-max-fee-rate", rate: rate})
    (ok true)))

;; Creates an empty pool; the first add-liquidity sets its price. weight-x is the
;; weight of x (whole percents, 1..99) for CURVE_WEIGHTED and must be 50% for
;; CURVE_STABLE. Returns the new id.
(define-public (create-pool (token-x principal) (token-y principal) (curve uint) (weight-x uint) (fee-rate uint) (fee-rebate uint))
  (let ((id (+ (var-get pool-count) u1))
        (key {token-x: token-x, token-y: token-y, curve: curve, weight-x: weight-x}))
    (try! (check-governance))
    (asserts! (and (is-token-approved token-x) (is-token-approved token-y)) ERR_TOKEN_NOT_APPROVED)
    (asserts! (not (is-eq token-x token-y)) ERR_SAME_TOKEN)
    (asserts! (or (is-eq curve CURVE_WEIGHTED) (is-eq curve CURVE_STABLE)) ERR_INVALID_PARAM)
    (asserts! (and (> weight-x u0) (< weight-x ONE_8) (is-eq (mod weight-x WEIGHT_STEP) u0)) ERR_INVALID_PARAM)
    (asserts! (or (is-eq curve CURVE_WEIGHTED) (is-eq weight-x (/ ONE_8 u2))) ERR_INVALID_PARAM)
    (try! (check-fee fee-rate fee-rebate))
    (asserts! (is-none (map-get? pool-ids key)) ERR_POOL_EXISTS)
    (asserts! (is-none (map-get? pool-ids {token-x: token-y, token-y: token-x, curve: curve, weight-x: (- ONE_8 weight-x)})) ERR_POOL_EXISTS)
    (map-set pool-ids key id)
    (map-set pools id {
      token-x: token-x, token-y: token-y, curve: curve, weight-x: weight-x,
      balance-x: u0, balance-y: u0, fee-rate: fee-rate, fee-rebate: fee-rebate,
      max-in-ratio: DEFAULT_RATIO, max-out-ratio: DEFAULT_RATIO,
      oracle-average: DEFAULT_ORACLE_AVERAGE, oracle-resilient: u0, paused: false,
      lp-cap: u0, gate-pct: u0, gate-window: DEFAULT_GATE_WINDOW})
    (var-set pool-count id)
    (print {topic: "pool-create", id: id, token-x: token-x, token-y: token-y, curve: curve, weight-x: weight-x, fee-rate: fee-rate, fee-rebate: fee-rebate})
    (ok id)))

;; Fee rate (at most max-fee-rate) and the share of fees rebated to LPs (<= 100%).
(define-public (set-pool-fee (id uint) (fee-rate uint) (fee-rebate uint))
  (let ((pool (try! (get-pool id))))
    (try! (check-governance))
    (try! (check-fee fee-rate fee-rebate))
    (map-set pools id (merge pool {fee-rate: fee-rate, fee-rebate: fee-rebate}))
    (print {topic: "pool-set-fee", id: id, fee-rate: fee-rate, fee-rebate: fee-rebate})
    (ok true)))

;; Max in/out ratios of a trade to the pool balances, each in (0, 30%].
(define-public (set-pool-ratios (id uint) (max-in uint) (max-out uint))
  (let ((pool (try! (get-pool id))))
    (try! (check-governance))
    (asserts! (and (> max-in u0) (<= max-in MAX_RATIO_CAP) (> max-out u0) (<= max-out MAX_RATIO_CAP)) ERR_INVALID_PARAM)
    (map-set pools id (merge pool {max-in-ratio: max-in, max-out-ratio: max-out}))
    (print {topic: "pool-set-ratios", id: id, max-in: max-in, max-out: max-out})
    (ok true)))

;; EMA weight of the previous resilient price, in [0, 1).
(define-public (set-pool-oracle (id uint) (average uint))
  (let ((pool (try! (get-pool id))))
    (try! (check-governance))
    (asserts! (< average ONE_8) ERR_INVALID_PARAM)
    (map-set pools id (merge pool {oracle-average: average}))
    (print {topic: "pool-set-oracle", id: id, average: average})
    (ok true)))

;; PLD: lp-cap = max share of LP supply one holder may reach by depositing or by
;; receiving LP (0 = off, else 1%..100%); gate-pct = share of supply that may leave per
;; window (0 = off); gate-window in burn blocks (1..4320), applied from the next window
;; on (the open window keeps its stored close, queued claims their payable height).
(define-public (set-pool-pld (id uint) (lp-cap uint) (gate-pct uint) (gate-window uint))
  (let ((pool (try! (get-pool id))))
    (try! (check-governance))
    (asserts! (or (is-eq lp-cap u0) (and (>= lp-cap WEIGHT_STEP) (<= lp-cap ONE_8))) ERR_INVALID_PARAM)
    (asserts! (<= gate-pct ONE_8) ERR_INVALID_PARAM)
    (asserts! (and (> gate-window u0) (<= gate-window MAX_GATE_WINDOW)) ERR_INVALID_PARAM)
    (map-set pools id (merge pool {lp-cap: lp-cap, gate-pct: gate-pct, gate-window: gate-window}))
    (try! (contract-call? .amm-lp-token set-cap id lp-cap))
    (print {topic: "pool-set-pld", id: id, lp-cap: lp-cap, gate-pct: gate-pct, gate-window: gate-window})
    (ok true)))

(define-public (set-pool-paused (id uint) (new-paused bool))
  (let ((pool (try! (get-pool id))))
    (try! (check-governance))
    (map-set pools id (merge pool {paused: new-paused}))
    (print {topic: "pool-set-paused", id: id, paused: new-paused})
    (ok true)))

;; Pays `amount` of the reserve's `token` ledger to `recipient`.
(define-public (withdraw-reserve (token <ft>) (amount uint) (recipient principal))
  (begin
    (try! (check-governance))
    (asserts! (is-token-approved (contract-of token)) ERR_TOKEN_NOT_APPROVED)
    (try! (contract-call? .amm-reserve remove-from-balance (contract-of token) amount))
    (try! (as-contract (contract-call? token transfer amount SELF recipient none)))
    (print {topic: "reserve-withdraw", token: (contract-of token), amount: amount, recipient: recipient})
    (ok true)))

;; Pays `amount` of the reserve's `token` ledger to `recipient` on behalf of a backstop
;; contract approved in amm-reserve (lending's crp covering a shortfall), which must be
;; the contract-caller.
(define-public (draw-reserve (token <ft>) (amount uint) (recipient principal))
  (begin
    (asserts! (contract-call? .amm-reserve is-backstop contract-caller) ERR_NOT_AUTHORIZED)
    (asserts! (is-token-approved (contract-of token)) ERR_TOKEN_NOT_APPROVED)
    (try! (contract-call? .amm-reserve remove-from-balance (contract-of token) amount))
    (try! (as-contract (contract-call? token transfer amount SELF recipient none)))
    (print {topic: "reserve-draw", token: (contract-of token), amount: amount, recipient: recipient, by: contract-caller})
    (ok true)))

;; Public: liquidity

;; Deposits dx of x and the matching y (at most max-dy), minting at least min-lp.
;; The first deposit takes exactly dx and max-dy, sets the price, mints
;; sqrt(dx * max-dy) and locks MIN_LIQUIDITY of it to this contract.
(define-public (add-liquidity (id uint) (token-x <ft>) (token-y <ft>) (dx uint) (max-dy uint) (min-lp uint) (deadline uint))
  (let (
      (pool (try! (check-pool id token-x token-y deadline)))
      (provider tx-sender)
      (supply (unwrap-panic (contract-call? .amm-lp-token get-total-supply id)))
      (first (is-eq supply u0))
      (dy (if first max-dy (ceil-div (* dx (get balance-y pool)) (get balance-x pool))))
      (lp (if first (sqrti (* dx dy)) (/ (* dx supply) (get balance-x pool)))))
    (asserts! (and (> dx u0) (> dy u0)) ERR_INVALID_AMOUNT)
    (asserts! (<= dy max-dy) ERR_MAX_DY)
    (asserts! (or (not first) (> lp MIN_LIQUIDITY)) ERR_FIRST_MINT_TOO_SMALL)
    (asserts! (and (> lp u0) (>= lp min-lp)) ERR_SLIPPAGE)
    (try! (contract-call? token-x transfer dx provider SELF none))
    (try! (contract-call? token-y transfer dy provider SELF none))
    (if first
      (begin
        (try! (contract-call? .amm-lp-token mint id MIN_LIQUIDITY SELF))
        (try! (contract-call? .amm-lp-token mint id (- lp MIN_LIQUIDITY) provider)))
      (try! (contract-call? .amm-lp-token mint id lp provider)))
    ;; PLD cap: no holder above lp-cap of the supply after a deposit (first mint exempt).
    (asserts! (or first (contract-call? .amm-lp-token within-cap id provider)) ERR_LP_CAP)
    (refill-gate id pool lp)
    (map-set pools id (merge pool {balance-x: (+ (get balance-x pool) dx), balance-y: (+ (get balance-y pool) dy)}))
    (print {topic: "pool-add", id: id, provider: provider, dx: dx, dy: dy, lp: lp, supply: (+ supply lp)})
    (ok {dx: dx, dy: dy, lp: lp})))

;; Burns lp and pays the pro-rata balances. Under the withdrawal gate, the part above
;; what the window still allows (nothing while claims wait) is escrowed and queued at
;; the end of the line (claim-withdrawal pays it later); min-dx and min-dy then apply
;; pro rata to the part paid now.
(define-public (remove-liquidity (id uint) (token-x <ft>) (token-y <ft>) (lp uint) (min-dx uint) (min-dy uint) (deadline uint))
  (let (
      (pool (try! (check-pool id token-x token-y deadline)))
      (owner tx-sender)
      (supply (unwrap-panic (contract-call? .amm-lp-token get-total-supply id)))
      (g (window-state id pool supply))
      (now (min-of lp (instant-allowance pool g supply)))
      (later (- lp now)))
    (asserts! (> lp u0) ERR_INVALID_AMOUNT)
    (if (> later u0)
      (let ((q (get-queued id owner))
            (position (+ (get tail g) later)))
        ;; Extending a claim keeps it contiguous only while it is last in line.
        (asserts! (or (is-eq (get amount q) u0) (is-eq (get position q) (get tail g))) ERR_QUEUE_PENDING)
        (try! (contract-call? .amm-lp-token transfer id later owner SELF))
        (map-set queued {id: id, owner: owner} {amount: (+ (get amount q) later), position: position, payable-at: (get closes g)})
        (print {topic: "pool-queue-withdrawal", id: id, owner: owner, lp: later, queued: (+ (get amount q) later),
                position: position, payable-at: (get closes g)})
        true)
      true)
    (map-set gates id (merge g {used: (+ (get used g) now), tail: (+ (get tail g) later)}))
    (if (> now u0)
      (pay-out id pool token-x token-y owner now supply (/ (* min-dx now) lp) (/ (* min-dy now) lp) false)
      (ok {dx: u0, dy: u0, lp: u0}))))

;; Pays the caller's queued withdrawal of pool `id` from its payable height on, as far
;; as the queue has been released up to its place. min-dx/min-dy apply pro rata.
(define-public (claim-withdrawal (id uint) (token-x <ft>) (token-y <ft>) (min-dx uint) (min-dy uint) (deadline uint))
  (let (
      (pool (try! (check-pool id token-x token-y deadline)))
      (owner tx-sender)
      (q (get-queued id owner))
      (supply (unwrap-panic (contract-call? .amm-lp-token get-total-supply id)))
      (g (window-state id pool supply))
      (amount (released-part q g)))
    (asserts! (> (get amount q) u0) ERR_NOTHING_QUEUED)
    (asserts! (or (is-eq (get gate-pct pool) u0) (>= burn-block-height (get payable-at q))) ERR_GATE_WAIT)
    (asserts! (> amount u0) ERR_GATE_WAIT)
    (map-set gates id g)
    (if (is-eq amount (get amount q))
      (map-delete queued {id: id, owner: owner})
      (map-set queued {id: id, owner: owner} (merge q {amount: (- (get amount q) amount)})))
    (pay-out id pool token-x token-y owner amount supply
      (/ (* min-dx amount) (get amount q)) (/ (* min-dy amount) (get amount q)) true)))

;; Public: swaps

;; Sells dx of token-in for at least min-dy of token-out in pool `id`, before
;; burn-block-height passes `deadline`. Pays the caller (tx-sender).
(define-public (swap (id uint) (token-in <ft>) (token-out <ft>) (dx uint) (min-dy uint) (deadline uint))
  (let (
      (pool (unwrap! (map-get? pools id) ERR_NO_POOL))
      (live (try! (check-live pool deadline)))
      (x-to-y (try! (direction pool (contract-of token-in))))
      (q (try! (quote pool x-to-y dx)))
      (dy (get dy q))
      (to-reserve (- (get fee q) (get rebate q)))
      (kept (- dx to-reserve))
      (trader tx-sender)
      (price (instant-price pool))
      (ema (get oracle-resilient pool))
      ;; Only the block's first swap moves the EMA, from its pre-trade price.
      (fresh (not (is-eq (map-get? oracle-heights id) (some burn-block-height))))
      (new-ema (if fresh
                 (if (is-eq ema u0) price
                   (/ (+ (* ema (get oracle-average pool)) (* price (- ONE_8 (get oracle-average pool)))) ONE_8))
                 ema)))
    (asserts! (is-eq (contract-of token-out) (if x-to-y (get token-y pool) (get token-x pool))) ERR_TOKEN_MISMATCH)
    (asserts! (>= dy min-dy) ERR_SLIPPAGE)
    (try! (contract-call? token-in transfer dx trader SELF none))
    (try! (as-contract (contract-call? token-out transfer dy SELF trader none)))
    (if (> to-reserve u0)
      (try! (contract-call? .amm-reserve add-to-balance (contract-of token-in) to-reserve))
      u0)
    (map-set pools id (merge pool {
      balance-x: (if x-to-y (+ (get balance-x pool) kept) (- (get balance-x pool) dy)),
      balance-y: (if x-to-y (- (get balance-y pool) dy) (+ (get balance-y pool) kept)),
      oracle-resilient: new-ema}))
    (and fresh (map-set oracle-heights id burn-block-height))
    (print {topic: "swap", id: id, trader: trader, token-in: (contract-of token-in), dx: dx, dy: dy, fee: (get fee q), to-reserve: to-reserve, price: price, ema: new-ema})
    (ok {dy: dy, fee: (get fee q)})))

;; Private

;; Governance is the contract-caller; or, when governance is a contract (dao-core), the
;; tx-sender: a contract principal is tx-sender only inside its own `as-contract`, which
;; dao-core enters only to execute a passed proposal or a foundation pause.
(define-private (check-governance)
  (let ((gov (var-get governance)))
    (ok (asserts! (or (is-eq contract-caller gov) (and (is-eq tx-sender gov) (is-contract gov)))
                  ERR_NOT_AUTHORIZED))))

(define-private (is-contract (who principal))
  (match (principal-destruct? who) p (is-some (get name p)) p (is-some (get name p))))

(define-private (check-fee (fee-rate uint) (fee-rebate uint))
  (ok (asserts! (and (<= fee-rate (var-get max-fee-rate)) (<= fee-rebate ONE_8)) ERR_INVALID_PARAM)))

;; The pool, when it is live, the tokens are its own and approved, and the deadline holds.
(define-private (check-pool (id uint) (token-x <ft>) (token-y <ft>) (deadline uint))
  (let ((pool (try! (get-pool id))))
    (asserts! (and (is-eq (contract-of token-x) (get token-x pool)) (is-eq (contract-of token-y) (get token-y pool))) ERR_TOKEN_MISMATCH)
    (try! (check-live pool deadline))
    (ok pool)))

(define-private (check-live (pool {token-x: principal, token-y: principal, curve: uint, weight-x: uint, balance-x: uint, balance-y: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-resilient: uint, paused: bool, lp-cap: uint, gate-pct: uint, gate-window: uint}) (deadline uint))
  (begin
    (asserts! (not (or (var-get paused) (get paused pool))) ERR_PAUSED)
    (asserts! (and (is-token-approved (get token-x pool)) (is-token-approved (get token-y pool))) ERR_TOKEN_NOT_APPROVED)
    (ok (asserts! (<= burn-block-height deadline) ERR_DEADLINE))))

;; true when token-in is the pool's x, false when it is its y.
(define-private (direction (pool {token-x: principal, token-y: principal, curve: uint, weight-x: uint, balance-x: uint, balance-y: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-resilient: uint, paused: bool, lp-cap: uint, gate-pct: uint, gate-window: uint}) (token-in principal))
  (if (is-eq token-in (get token-x pool))
    (ok true)
    (begin (asserts! (is-eq token-in (get token-y pool)) ERR_TOKEN_MISMATCH) (ok false))))

;; Prices a trade of dx in the given direction: fee = ceil(dx * rate), the rebate
;; share of it stays in the pool, the curve runs on dx - fee, and every guard that
;; does not depend on the caller is applied (ratios, zero output, spot price).
(define-private (quote (pool {token-x: principal, token-y: principal, curve: uint, weight-x: uint, balance-x: uint, balance-y: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-resilient: uint, paused: bool, lp-cap: uint, gate-pct: uint, gate-window: uint}) (x-to-y bool) (dx uint))
  (let (
      (bal-in (if x-to-y (get balance-x pool) (get balance-y pool)))
      (bal-out (if x-to-y (get balance-y pool) (get balance-x pool)))
      (w-in (/ (if x-to-y (get weight-x pool) (- ONE_8 (get weight-x pool))) WEIGHT_STEP))
      (w-out (- u100 w-in))
      (nonempty (asserts! (and (> bal-in u0) (> bal-out u0)) ERR_ZERO_OUT))
      (fee (ceil-div (* dx (get fee-rate pool)) ONE_8))
      (dx-net (- dx fee))
      (dy (if (is-eq (get curve pool) CURVE_STABLE)
            (try! (contract-call? .amm-math get-y-given-x-stable bal-in bal-out dx-net))
            (if (is-eq w-in w-out)
              (/ (* bal-out dx-net) (+ bal-in dx-net))
              (try! (contract-call? .amm-math get-y-given-x-weighted bal-in bal-out w-in w-out dx-net))))))
    (asserts! (> dx u0) ERR_INVALID_AMOUNT)
    (asserts! (<= (* dx ONE_8) (* bal-in (get max-in-ratio pool))) ERR_MAX_IN_RATIO)
    (asserts! (> dy u0) ERR_ZERO_OUT)
    (asserts! (<= (* dy ONE_8) (* bal-out (get max-out-ratio pool))) ERR_MAX_OUT_RATIO)
    ;; Not better than spot: dy / dx-net <= pre-trade marginal price.
    (asserts! (if (is-eq (get curve pool) CURVE_STABLE)
                (<= dy (contract-call? .amm-math mul-spot-stable bal-in bal-out dx-net))
                (<= (* dy bal-in w-out) (* dx-net bal-out w-in)))
              ERR_BETTER_THAN_SPOT)
    (ok {dy: dy, fee: fee, rebate: (/ (* fee (get fee-rebate pool)) ONE_8)})))

;; Price of x in y before any trade: y wx / (x wy) (weighted) or the stable curve's
;; marginal price; 0 for an empty pool.
(define-private (instant-price (pool {token-x: principal, token-y: principal, curve: uint, weight-x: uint, balance-x: uint, balance-y: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-resilient: uint, paused: bool, lp-cap: uint, gate-pct: uint, gate-window: uint}))
  (let ((x (get balance-x pool)) (y (get balance-y pool)))
    (if (or (is-eq x u0) (is-eq y u0))
      u0
      (if (is-eq (get curve pool) CURVE_STABLE)
        (contract-call? .amm-math spot-stable x y)
        (/ (* y (get weight-x pool) ONE_8) (* x (- ONE_8 (get weight-x pool))))))))

;; The gate as of now: a closed window rolls over (base = supply, nothing used, closing
;; at the next multiple of gate-window) and the allowance left serves the queue first.
;; With the gate off every queued claim counts as released.
(define-private (window-state (id uint) (pool {token-x: principal, token-y: principal, curve: uint, weight-x: uint, balance-x: uint, balance-y: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-resilient: uint, paused: bool, lp-cap: uint, gate-pct: uint, gate-window: uint}) (supply uint))
  (let ((g (default-to NO_GATE (map-get? gates id)))
        (w (get gate-window pool)))
    (if (is-eq (get gate-pct pool) u0)
      (merge g {released: (get tail g)})
      (serve-queue pool
        (if (< burn-block-height (get closes g))
          g
          (merge g {closes: (* (+ (/ burn-block-height w) u1) w), base: supply, used: u0}))))))

;; Releases queued LP, in order, into what is left of the window's allowance.
(define-private (serve-queue (pool {token-x: principal, token-y: principal, curve: uint, weight-x: uint, balance-x: uint, balance-y: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-resilient: uint, paused: bool, lp-cap: uint, gate-pct: uint, gate-window: uint}) (g {closes: uint, base: uint, used: uint, released: uint, tail: uint}))
  (let ((n (min-of (room pool g) (- (get tail g) (get released g)))))
    (merge g {used: (+ (get used g) n), released: (+ (get released g) n)})))

;; What is left of the window's allowance: gate-pct of base, less what was used.
(define-private (room (pool {token-x: principal, token-y: principal, curve: uint, weight-x: uint, balance-x: uint, balance-y: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-resilient: uint, paused: bool, lp-cap: uint, gate-pct: uint, gate-window: uint}) (g {closes: uint, base: uint, used: uint, released: uint, tail: uint}))
  (let ((cap (/ (* (get base g) (get gate-pct pool)) ONE_8)))
    (if (> cap (get used g)) (- cap (get used g)) u0)))

;; LP a withdrawal may take at once: everything with the gate off, else what the queue
;; left of the allowance (serve-queue ran first, so nothing while claims wait).
(define-private (instant-allowance (pool {token-x: principal, token-y: principal, curve: uint, weight-x: uint, balance-x: uint, balance-y: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-resilient: uint, paused: bool, lp-cap: uint, gate-pct: uint, gate-window: uint}) (g {closes: uint, base: uint, used: uint, released: uint, tail: uint}) (supply uint))
  (if (is-eq (get gate-pct pool) u0) supply (room pool g)))

;; The part of a claim at queue positions the gate has released.
(define-private (released-part (q {amount: uint, position: uint, payable-at: uint}) (g {closes: uint, base: uint, used: uint, released: uint, tail: uint}))
  (let ((start (- (get position q) (get amount q))))
    (if (> (get released g) start) (min-of (get amount q) (- (get released g) start)) u0)))

;; A deposit of lp during an open window refills what left in it (used never below 0)
;; and the refill serves the queue first. No-op without a gate or an open window.
(define-private (refill-gate (id uint) (pool {token-x: principal, token-y: principal, curve: uint, weight-x: uint, balance-x: uint, balance-y: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-resilient: uint, paused: bool, lp-cap: uint, gate-pct: uint, gate-window: uint}) (lp uint))
  (match (map-get? gates id)
    g (and (> (get gate-pct pool) u0) (< burn-block-height (get closes g))
           (map-set gates id (serve-queue pool (merge g {used: (- (get used g) (min-of (get used g) lp))}))))
    false))

;; Burns lp (from the owner, or from escrow for a claim) and pays its pro-rata share.
(define-private (pay-out (id uint) (pool {token-x: principal, token-y: principal, curve: uint, weight-x: uint, balance-x: uint, balance-y: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-resilient: uint, paused: bool, lp-cap: uint, gate-pct: uint, gate-window: uint}) (token-x <ft>) (token-y <ft>) (owner principal) (lp uint) (supply uint) (min-dx uint) (min-dy uint) (escrowed bool))
  (let (
      (dx (/ (* lp (get balance-x pool)) supply))
      (dy (/ (* lp (get balance-y pool)) supply)))
    (asserts! (and (> dx u0) (> dy u0)) ERR_ZERO_OUT)
    (asserts! (and (>= dx min-dx) (>= dy min-dy)) ERR_SLIPPAGE)
    (try! (contract-call? .amm-lp-token burn id lp (if escrowed SELF owner)))
    (try! (as-contract (contract-call? token-x transfer dx SELF owner none)))
    (try! (as-contract (contract-call? token-y transfer dy SELF owner none)))
    (map-set pools id (merge pool {balance-x: (- (get balance-x pool) dx), balance-y: (- (get balance-y pool) dy)}))
    (print {topic: "pool-remove", id: id, owner: owner, dx: dx, dy: dy, lp: lp, supply: (- supply lp), queued-claim: escrowed})
    (ok {dx: dx, dy: dy, lp: lp})))

(define-private (ceil-div (a uint) (b uint))
  (if (is-eq a u0) u0 (+ u1 (/ (- a u1) b))))

(define-private (min-of (a uint) (b uint)) (if (< a b) a b))
