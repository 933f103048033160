;; ytp: the yield-token pool. One pool per expiry E trades sBTC (x, sats) against the
;; yield token of expiry E (y) on the YieldSpace curve
;;     X^(1-t) + Y^(1-t) = k,   X = x,  Y = y + virtual-y,
;; with t = (E - now) / HORIZON, capped at MAX_T, recomputed at every trade.
;;
;; Price and rate: the marginal price of a yield token is p = (X/Y)^t sBTC, so one
;; sBTC buys (Y/X)^t yield tokens, each paid 1 sat at E. `get-yield` is that term yield
;; (Y/X)^t - 1 (8 decimals), the fixed rate a lender locks until E; `get-ln-rate` is
;; ln(Y/X), the same rate per HORIZON, continuously compounded, which does not drift
;; with time and is what the oracle averages.
;;
;; Rate never negative: a buyer gets at least one yield token per sat, a seller at most
;; one sat per yield token (the curve is clamped at par, as in ALEX).
;;
;; Fees are charged on the yield, not the notional: fee = ceil(sats * yield * fee-rate),
;; in sBTC. fee-rebate of it stays in the pool for LPs; the rest is paid to amm-pool's
;; custody and booked to the `amm-reserve` ledger (the same reserve as the AMM's).
;;
;; Liquidity: the first deposit brings sBTC only; it mints dx LP and sets virtual-y =
;; dx (price 1, yield 0), and MIN_LIQUIDITY LP stay locked here. Later deposits and
;; withdrawals are pro rata of x, y and virtual-y. LP shares are a ledger in this
;; contract (`get-lp-balance`), not a token. Balances are tracked here, never read from
;; token balances, so donations change nothing (no first-LP inflation).
;;
;; Rounding is against the trader: the curve terms use amm-math pow-up/pow-down so the
;; new balance is never below the exact one, and outputs round down.
;;
;; Oracle: an EMA of ln(Y/X), updated at most once per burn block, by the block's
;; first trade, from its pre-trade state (`get-oracle-rate`).
;;
;; Governance: `governance` starts as the deployer and is handed to dao-core at the
;; bootstrap handover; privileged calls check contract-caller, tx-sender only when
;; governance is a contract executing under its own as-contract.

;; Errors: block 18xx (see clarity/README.md).
;; The caller is not governance.
(define-constant ERR_NOT_AUTHORIZED (err u1800))
;; No pool for this expiry.
(define-constant ERR_NO_POOL (err u1801))
;; A pool for this expiry exists already.
(define-constant ERR_POOL_EXISTS (err u1802))
;; The expiry has been reached: no more trades or deposits.
(define-constant ERR_EXPIRED (err u1803))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u1804))
;; The output is below the caller's minimum (or a deposit above its maximum).
(define-constant ERR_SLIPPAGE (err u1805))
;; The trade exceeds the pool's max-in or max-out ratio.
(define-constant ERR_MAX_RATIO (err u1806))
;; The trade rounds to nothing, or would take more yield tokens than the pool holds.
(define-constant ERR_ZERO_OUT (err u1807))
;; The pool or the whole YTP is paused.
(define-constant ERR_PAUSED (err u1808))
;; A parameter is outside its bounds.
(define-constant ERR_INVALID_PARAM (err u1809))
;; The caller holds fewer LP shares.
(define-constant ERR_INSUFFICIENT_LP (err u1810))
;; The first deposit must exceed the locked minimum liquidity.
(define-constant ERR_FIRST_DEPOSIT (err u1811))

(define-constant ONE_8 u100000000)
(define-constant ONE_16 u10000000000000000)
(define-constant ONE_18 u1000000000000000000)
(define-constant ONE_36 u1000000000000000000000000000000000000)
(define-constant SCALE_8_18 u10000000000)
;; pow-18 widens its result by raw / 1e13 + 1 (1e-13 relative, far above the kernels'
;; 1e-15).
(define-constant REL_MARGIN_18 u10000000000000)
(define-constant SELF (as-contract tx-sender))
;; t's horizon: four years of burn blocks (ALEX's 210,240 "max-expiry"); a 90-day term
;; has t = 0.062. MAX_T keeps 1 - t >= 0.05.
(define-constant HORIZON u210240)
(define-constant MAX_T u95000000)
(define-constant MIN_LIQUIDITY u1000)
;; Bounds: fee-rate up to 10% of the yield, ratios in (0, 30%].
(define-constant MAX_FEE_RATE u10000000)
(define-constant MAX_RATIO_CAP u30000000)
;; Defaults: 1% of yield (ALEX agp066), half rebated, 10% max in/out, EMA weight 0.95.
(define-constant DEFAULT_FEE_RATE u1000000)
(define-constant DEFAULT_REBATE u50000000)
(define-constant DEFAULT_RATIO u10000000)
(define-constant DEFAULT_ORACLE_AVERAGE u95000000)

(define-data-var governance principal tx-sender)
(define-data-var paused bool false)
(define-map pools uint {
  balance-x: uint, balance-y: uint, virtual-y: uint, supply: uint,
  fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint,
  oracle-average: uint, oracle-rate: int, oracle-height: uint, paused: bool})
(define-map lp-balances {expiry: uint, owner: principal} uint)

;; Read-only

(define-read-only (get-governance) (var-get governance))
(define-read-only (is-paused) (var-get paused))
(define-read-only (get-pool (expiry uint)) (ok (unwrap! (map-get? pools expiry) ERR_NO_POOL)))
(define-read-only (get-lp-balance (expiry uint) (who principal))
  (default-to u0 (map-get? lp-balances {expiry: expiry, owner: who})))

;; t now, 8 decimals; 0 at and after expiry.
(define-read-only (get-t (expiry uint))
  (if (< burn-block-height expiry)
    (let ((t (/ (* (- expiry burn-block-height) ONE_8) HORIZON))) (if (< t MAX_T) t MAX_T))
    u0))

;; Yield tokens per sat at the margin, (Y/X)^t, 8 decimals (>= 1 by the clamp).
(define-read-only (get-price (expiry uint))
  (let ((pool (try! (get-pool expiry))))
    (ok (spot pool (get-t expiry)))))

;; The fixed term yield a buyer locks until expiry: (Y/X)^t - 1, 8 decimals, never < 0.
(define-read-only (get-yield (expiry uint))
  (ok (- (try! (get-price expiry)) ONE_8)))

;; ln(Y/X), 8 decimals (the rate per HORIZON, continuously compounded; may be < 0 when
;; the pool holds more sBTC than yield tokens, where trades are clamped at par).
(define-read-only (get-ln-rate (expiry uint))
  (let ((pool (try! (get-pool expiry))))
    (ok (ln-rate pool))))

(define-read-only (get-oracle-rate (expiry uint))
  (ok (get oracle-rate (try! (get-pool expiry)))))

;; Quote for buying yield tokens with dx sats: {out, fee, rebate}; `swap-x-for-y` pays
;; exactly this.
(define-read-only (quote-x-for-y (expiry uint) (dx uint))
  (let ((pool (try! (get-pool expiry))))
    (quote-buy pool (try! (live-t expiry)) dx)))

;; Quote for selling dy yield tokens for sats: {out, fee, rebate}.
(define-read-only (quote-y-for-x (expiry uint) (dy uint))
  (let ((pool (try! (get-pool expiry))))
    (quote-sell pool (try! (live-t expiry)) dy)))

;; Public: governance

(define-public (set-governance (new-governance principal))
  (begin
    (try! (check-governance))
    (var-set governance new-governance)
    (print {topic: "ytp-set-governance", governance: new-governance})
    (ok true)))

(define-public (set-paused (new-paused bool))
  (begin
    (try! (check-governance))
    (var-set paused new-paused)
    (print {topic: "ytp-set-paused", paused: new-paused})
    (ok true)))

;; Lists the yield token of `expiry` (a future burn height) against sBTC.
(define-public (create-pool (expiry uint))
  (begin
    (try! (check-governance))
    (asserts! (> expiry burn-block-height) ERR_EXPIRED)
    (asserts! (is-none (map-get? pools expiry)) ERR_POOL_EXISTS)
    (map-set pools expiry {
      balance-x: u0, balance-y: u0, virtual-y: u0, supply: u0,
      fee-rate: DEFAULT_FEE_RATE, fee-rebate: DEFAULT_REBATE,
      max-in-ratio: DEFAULT_RATIO, max-out-ratio: DEFAULT_RATIO,
      oracle-average: DEFAULT_ORACLE_AVERAGE, oracle-rate: 0, oracle-height: u0, paused: false})
    (print {topic: "ytp-create-pool", expiry: expiry})
    (ok true)))

(define-public (set-pool-fee (expiry uint) (fee-rate uint) (fee-rebate uint))
  (let ((pool (try! (get-pool expiry))))
    (try! (check-governance))
    (asserts! (and (<= fee-rate MAX_FEE_RATE) (<= fee-rebate ONE_8)) ERR_INVALID_PARAM)
    (map-set pools expiry (merge pool {fee-rate: fee-rate, fee-rebate: fee-rebate}))
    (print {topic: "ytp-set-fee", expiry: expiry, fee-rate: fee-rate, fee-rebate: fee-rebate})
    (ok true)))

(define-public (set-pool-ratios (expiry uint) (max-in uint) (max-out uint))
  (let ((pool (try! (get-pool expiry))))
    (try! (check-governance))
    (asserts! (and (> max-in u0) (<= max-in MAX_RATIO_CAP) (> max-out u0) (<= max-out MAX_RATIO_CAP)) ERR_INVALID_PARAM)
    (map-set pools expiry (merge pool {max-in-ratio: max-in, max-out-ratio: max-out}))
    (print {topic: "ytp-set-ratios", expiry: expiry, max-in: max-in, max-out: max-out})
    (ok true)))

(define-public (set-pool-oracle (expiry uint) (average uint))
  (let ((pool (try! (get-pool expiry))))
    (try! (check-governance))
    (asserts! (< average ONE_8) ERR_INVALID_PARAM)
    (map-set pools expiry (merge pool {oracle-average: average}))
    (print {topic: "ytp-set-oracle", expiry: expiry, average: average})
    (ok true)))

(define-public (set-pool-paused (expiry uint) (new-paused bool))
  (let ((pool (try! (get-pool expiry))))
    (try! (check-governance))
    (map-set pools expiry (merge pool {paused: new-paused}))
    (print {topic: "ytp-set-pool-paused", expiry: expiry, paused: new-paused})
    (ok true)))

;; Public: liquidity

;; Deposits dx sats and the pro-rata yield tokens (at most max-dy), minting at least
;; min-lp. The first deposit takes sBTC only (see the header).
(define-public (add-liquidity (expiry uint) (dx uint) (max-dy uint) (min-lp uint))
  (let (
      (pool (try! (get-pool expiry)))
      (live (try! (live-t expiry)))
      (supply (get supply pool))
      (x (get balance-x pool))
      (first (is-eq supply u0))
      (lp (if first dx (/ (* dx supply) x)))
      (dy (if first u0 (ceil-div (* dx (get balance-y pool)) x)))
      (dv (if first dx (/ (* dx (get virtual-y pool)) x)))
      (owner tx-sender)
      (minted (if first (- lp MIN_LIQUIDITY) lp)))
    (asserts! (not (get paused pool)) ERR_PAUSED)
    (asserts! (> dx u0) ERR_INVALID_AMOUNT)
    (asserts! (or (not first) (> dx MIN_LIQUIDITY)) ERR_FIRST_DEPOSIT)
    (asserts! (<= dy max-dy) ERR_SLIPPAGE)
    (asserts! (and (> lp u0) (>= minted min-lp)) ERR_SLIPPAGE)
    (try! (contract-call? .sbtc-token transfer dx owner SELF none))
    (and (> dy u0) (try! (contract-call? .yield-token transfer expiry dy owner SELF)))
    (and first (map-set lp-balances {expiry: expiry, owner: SELF} MIN_LIQUIDITY))
    (map-set lp-balances {expiry: expiry, owner: owner} (+ (get-lp-balance expiry owner) minted))
    (map-set pools expiry (merge pool {
      balance-x: (+ x dx), balance-y: (+ (get balance-y pool) dy),
      virtual-y: (+ (get virtual-y pool) dv), supply: (+ supply lp)}))
    (print {topic: "ytp-add-liquidity", expiry: expiry, owner: owner, dx: dx, dy: dy, virtual: dv, lp: minted})
    (ok {lp: minted, dy: dy})))

;; Burns lp shares for the pro-rata sats and yield tokens (at least min-dx, min-dy).
;; Open before and after expiry, and under either pause (an exit adds no risk).
(define-public (remove-liquidity (expiry uint) (lp uint) (min-dx uint) (min-dy uint))
  (let (
      (pool (try! (get-pool expiry)))
      (owner tx-sender)
      (held (get-lp-balance expiry owner))
      (supply (get supply pool))
      (dx (/ (* (get balance-x pool) lp) supply))
      (dy (/ (* (get balance-y pool) lp) supply))
      (dv (/ (* (get virtual-y pool) lp) supply)))
    (asserts! (> lp u0) ERR_INVALID_AMOUNT)
    (asserts! (<= lp held) ERR_INSUFFICIENT_LP)
    (asserts! (and (>= dx min-dx) (>= dy min-dy)) ERR_SLIPPAGE)
    (asserts! (> (+ dx dy) u0) ERR_ZERO_OUT)
    (and (> dx u0) (try! (as-contract (contract-call? .sbtc-token transfer dx SELF owner none))))
    (and (> dy u0) (try! (as-contract (contract-call? .yield-token transfer expiry dy SELF owner))))
    (map-set lp-balances {expiry: expiry, owner: owner} (- held lp))
    (map-set pools expiry (merge pool {
      balance-x: (- (get balance-x pool) dx), balance-y: (- (get balance-y pool) dy),
      virtual-y: (- (get virtual-y pool) dv), supply: (- supply lp)}))
    (print {topic: "ytp-remove-liquidity", expiry: expiry, owner: owner, dx: dx, dy: dy, virtual: dv, lp: lp})
    (ok {dx: dx, dy: dy})))

;; Public: trades (before expiry)

;; Lends: pays dx sats, receives at least min-dy yield tokens of `expiry`.
(define-public (swap-x-for-y (expiry uint) (dx uint) (min-dy uint))
  (let (
      (pool (try! (get-pool expiry)))
      (q (try! (quote-buy pool (try! (live-t expiry)) dx)))
      (dy (get out q))
      (to-reserve (- (get fee q) (get rebate q)))
      (trader tx-sender)
      (next (observe pool)))
    (asserts! (>= dy min-dy) ERR_SLIPPAGE)
    (try! (contract-call? .sbtc-token transfer dx trader SELF none))
    (try! (as-contract (contract-call? .yield-token transfer expiry dy SELF trader)))
    (try! (book-reserve to-reserve))
    (map-set pools expiry (merge next {
      balance-x: (- (+ (get balance-x pool) dx) to-reserve),
      balance-y: (- (get balance-y pool) dy)}))
    (print {topic: "ytp-swap", expiry: expiry, trader: trader, x-in: dx, y-out: dy, fee: (get fee q), to-reserve: to-reserve, oracle-rate: (get oracle-rate next)})
    (ok q)))

;; Borrows (sells a zero-coupon claim): pays dy yield tokens of `expiry`, receives at
;; least min-dx sats.
(define-public (swap-y-for-x (expiry uint) (dy uint) (min-dx uint))
  (let (
      (pool (try! (get-pool expiry)))
      (q (try! (quote-sell pool (try! (live-t expiry)) dy)))
      (dx (get out q))
      (to-reserve (- (get fee q) (get rebate q)))
      (trader tx-sender)
      (next (observe pool)))
    (asserts! (>= dx min-dx) ERR_SLIPPAGE)
    (try! (contract-call? .yield-token transfer expiry dy trader SELF))
    (try! (as-contract (contract-call? .sbtc-token transfer dx SELF trader none)))
    (try! (book-reserve to-reserve))
    (map-set pools expiry (merge next {
      balance-x: (- (get balance-x pool) (+ dx to-reserve)),
      balance-y: (+ (get balance-y pool) dy)}))
    (print {topic: "ytp-swap", expiry: expiry, trader: trader, y-in: dy, x-out: dx, fee: (get fee q), to-reserve: to-reserve, oracle-rate: (get oracle-rate next)})
    (ok q)))

;; Private

(define-private (check-governance)
  (let ((gov (var-get governance)))
    (ok (asserts! (or (is-eq contract-caller gov) (and (is-eq tx-sender gov) (is-contract gov))) ERR_NOT_AUTHORIZED))))

(define-private (is-contract (who principal))
  (match (principal-destruct? who) p (is-some (get name p)) p (is-some (get name p))))

;; t for a trade: refused at and after expiry, and while paused.
(define-private (live-t (expiry uint))
  (begin
    (asserts! (< burn-block-height expiry) ERR_EXPIRED)
    (asserts! (not (var-get paused)) ERR_PAUSED)
    (ok (get-t expiry))))

(define-private (big-y (pool {balance-x: uint, balance-y: uint, virtual-y: uint, supply: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-rate: int, oracle-height: uint, paused: bool}))
  (+ (get balance-y pool) (get virtual-y pool)))

;; (Y/X)^t at 8 decimals, at least 1.
(define-private (spot (pool {balance-x: uint, balance-y: uint, virtual-y: uint, supply: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-rate: int, oracle-height: uint, paused: bool}) (t uint))
  (let ((x (get balance-x pool)) (y (big-y pool)))
    (if (or (is-eq x u0) (<= y x) (is-eq t u0))
      ONE_8
      (let ((p (unwrap-panic (contract-call? .amm-math pow-down (/ (* y ONE_8) x) t))))
        (if (> p ONE_8) p ONE_8)))))

(define-private (ln-rate (pool {balance-x: uint, balance-y: uint, virtual-y: uint, supply: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-rate: int, oracle-height: uint, paused: bool}))
  (let ((x (get balance-x pool)) (y (big-y pool)))
    (if (or (is-eq x u0) (is-eq y u0))
      0
      (unwrap-panic (contract-call? .amm-math ln-fixed (/ (* y ONE_8) x))))))

;; The pool with its oracle updated from the pre-trade state, once per burn block.
(define-private (observe (pool {balance-x: uint, balance-y: uint, virtual-y: uint, supply: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-rate: int, oracle-height: uint, paused: bool}))
  (if (is-eq (get oracle-height pool) burn-block-height)
    pool
    (let ((now (ln-rate pool)) (avg (to-int (get oracle-average pool))))
      (merge pool {
        oracle-height: burn-block-height,
        oracle-rate: (if (is-eq (get oracle-height pool) u0)
                       now
                       (/ (+ (* (get oracle-rate pool) avg) (* now (- (to-int ONE_8) avg))) (to-int ONE_8)))}))))

;; Fee on the yield of a trade of `sats`: ceil(sats * (p - 1) * fee-rate).
(define-private (yield-fee (pool {balance-x: uint, balance-y: uint, virtual-y: uint, supply: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-rate: int, oracle-height: uint, paused: bool}) (t uint) (sats uint))
  (ceil-div (* sats (- (spot pool t) ONE_8) (get fee-rate pool)) ONE_16))

;; The new balance of the other side after `a` grows to `a2`, rounded up. The curve is
;; evaluated on ratios to `a` at 18 decimals, so no pow sees a large base (an exponent
;; rounded to 1e-8 on a base of 1e17 would cost 4e-7 of the pool):
;;     b2 = a * (1 + (b/a)^e - (a2/a)^e)^(1/e),  e = 1 - t,
;; with every term rounded toward a larger b2 (against the trader).
(define-private (curve-other (a uint) (b uint) (a2 uint) (t uint))
  (let (
      (e (* (- ONE_8 t) SCALE_8_18))
      (inv (ceil-div ONE_36 e))
      (k (+ ONE_18 (pow-18 (ceil-div (* b ONE_18) a) e true)))
      (rest (pow-18 (/ (* a2 ONE_18) a) e false)))
    (if (<= k rest)
      u0
      (ceil-div (* a (pow-18 (- k rest) inv true)) ONE_18))))

;; x^y at 18 decimals (x > 0), widened by REL_MARGIN_18 up or down so the exact value
;; is bracketed (amm-math's ln-18 errs by 3e-17 absolute, exp-18 by 1e-15 relative).
(define-private (pow-18 (x uint) (y uint) (up bool))
  (let (
      (l (unwrap-panic (contract-call? .amm-math ln-18 x)))
      (raw (unwrap-panic (contract-call? .amm-math exp-18 (/ (* l (to-int y)) (to-int ONE_18)))))
      (m (+ u1 (/ raw REL_MARGIN_18))))
    (if up (+ raw m) (if (> raw m) (- raw m) u0))))

;; Buying yield tokens with dx sats: the fee is taken from dx first.
(define-private (quote-buy (pool {balance-x: uint, balance-y: uint, virtual-y: uint, supply: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-rate: int, oracle-height: uint, paused: bool}) (t uint) (dx uint))
  (let (
      (x (get balance-x pool))
      (y (big-y pool))
      (live (asserts! (and (> dx u0) (> x u0)) ERR_INVALID_AMOUNT))
      (fee (yield-fee pool t dx))
      (dx-net (- dx fee))
      (y2 (curve-other x y (+ x dx-net) t))
      (curve-dy (if (< y2 y) (- y y2) u0))
      (dy (if (< curve-dy dx-net) dx-net curve-dy)))
    (asserts! (not (get paused pool)) ERR_PAUSED)
    (asserts! (<= (* dx ONE_8) (* x (get max-in-ratio pool))) ERR_MAX_RATIO)
    (asserts! (and (> dy u0) (<= dy (get balance-y pool))) ERR_ZERO_OUT)
    (ok {out: dy, fee: fee, rebate: (/ (* fee (get fee-rebate pool)) ONE_8)})))

;; Selling dy yield tokens: the fee is taken from the sats out.
(define-private (quote-sell (pool {balance-x: uint, balance-y: uint, virtual-y: uint, supply: uint, fee-rate: uint, fee-rebate: uint, max-in-ratio: uint, max-out-ratio: uint, oracle-average: uint, oracle-rate: int, oracle-height: uint, paused: bool}) (t uint) (dy uint))
  (let (
      (x (get balance-x pool))
      (y (big-y pool))
      (live (asserts! (and (> dy u0) (> x u0)) ERR_INVALID_AMOUNT))
      (x2 (curve-other y x (+ y dy) t))
      (curve-dx (if (< x2 x) (- x x2) u0))
      (gross (if (< dy curve-dx) dy curve-dx))
      (fee (yield-fee pool t gross))
      (dx (- gross fee)))
    (asserts! (not (get paused pool)) ERR_PAUSED)
    (asserts! (<= (* gross ONE_8) (* x (get max-out-ratio pool))) ERR_MAX_RATIO)
    (asserts! (> dx u0) ERR_ZERO_OUT)
    (ok {out: dx, fee: fee, rebate: (/ (* fee (get fee-rebate pool)) ONE_8)})))

;; Pays the non-rebated fee into amm-pool's custody and books it to amm-reserve.
(define-private (book-reserve (amount uint))
  (if (is-eq amount u0)
    (ok true)
    (begin
      (try! (as-contract (contract-call? .sbtc-token transfer amount SELF .amm-pool none)))
      (try! (contract-call? .amm-reserve add-to-balance .sbtc-token amount))
      (ok true))))

(define-private (ceil-div (a uint) (b uint))
  (if (is-eq a u0) u0 (+ u1 (/ (- a u1) b))))
