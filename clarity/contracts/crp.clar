;; crp: the collateral-rebalancing pool. A borrower deposits STX (through amm-wstx) and
;; borrows sBTC until an expiry E at the fixed rate `ytp` quotes: the pool mints
;; yield tokens (claims on 1 sat each at E) and key tokens (the residual claim) of id E,
;; and sells the yield tokens into the YTP for the borrower, who keeps the keys.
;; Lenders are whoever buys those yield tokens. There is no liquidation.
;;
;; The rule (mirrored, integer for integer, by the Rust crate alkahest-lending, crp.rs):
;; - Price p: amm-pool's resilient EMA of the wSTX/sBTC pool (sats per uSTX, 8
;;   decimals), never its instant price, and no older than max-oracle-age burn blocks.
;; - value V = collateral * p + sbtc; LTV = yield-supply / V (ltv-0 while empty).
;; - Target collateral weight, CPPI with the floor at the yield debt:
;;     w = min(1, multiplier * (1 - LTV)),  and w = 0 once LTV >= conversion-ltv.
;;   The cushion V - debt = V (1 - LTV) is exposed `multiplier` times, so a crash of J
;;   between two rebalances costs the yield holders nothing while J < 1/multiplier
;;   (default 2: 50% collateral at LTV 75%, and a -50% block is survived). The pool
;;   moves into sBTC as the LTV rises; reaching conversion-ltv converts it fully to
;;   sBTC for good ("flight to quality"). The VaR model (`var` binary) sizes this.
;; - Borrowing mints y = dx * p * LTV yield and as many key tokens, at the pool's
;;   current LTV, so earlier borrowers are not diluted, and sells the collateral above
;;   the target weight at once (as `rebalance` would), so a new pool is never left
;;   unhedged until the next keeper. Capacity: a borrow may not take the pool's value
;;   above `capacity` of the AMM pool's sBTC, so the AMM can absorb a conversion.
;; - `rebalance` (anyone, once per burn block) trades the gap between the collateral's
;;   value and w * V through amm-pool when it exceeds `band` of V, at most the AMM's
;;   max-in ratio per call, with min-out = fair value at the EMA less max-slippage.
;; - `repay` burns equal yield and key tokens for their pro-rata share of the pool.
;; - At E, `settle` (anyone, once per block) sells the collateral the same way; when
;;   none is left it settles: yield holders first, 1 sat per token; a shortfall is
;;   drawn from amm-reserve's sBTC, then (if governance set alex-cover-cap) covered by
;;   minting at most that much ALEX and selling it for sBTC, any excess of which goes
;;   to the reserve. Key holders share the rest. Every figure is printed and kept in
;;   `get-settlement`. The last redeemer of each class takes the rounding dust.
;;
;; Governance: `governance` starts as the deployer and is handed to dao-core; see
;; check-governance.

;; Errors: block 19xx (see clarity/README.md).
;; The caller is not governance.
(define-constant ERR_NOT_AUTHORIZED (err u1900))
;; No pool for this expiry.
(define-constant ERR_NO_POOL (err u1901))
;; A pool for this expiry exists already.
(define-constant ERR_POOL_EXISTS (err u1902))
;; The expiry has been reached (borrow, repay, rebalance), or not yet (settle, redeem).
(define-constant ERR_EXPIRED (err u1903))
(define-constant ERR_NOT_EXPIRED (err u1904))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u1905))
;; The pool has converted to sBTC, or its LTV is at conversion-ltv: no new borrowing.
(define-constant ERR_CONVERTED (err u1906))
;; The EMA price is missing or older than max-oracle-age.
(define-constant ERR_STALE_PRICE (err u1907))
;; Rebalanced or sold already in this burn block.
(define-constant ERR_ONCE_PER_BLOCK (err u1908))
;; The pool is settled already / not yet settled.
(define-constant ERR_SETTLED (err u1909))
(define-constant ERR_NOT_SETTLED (err u1910))
;; A parameter is outside its bounds, or the AMM pool is not wSTX/sBTC.
(define-constant ERR_INVALID_PARAM (err u1911))
;; Lending is paused.
(define-constant ERR_PAUSED (err u1912))
;; The caller holds fewer yield or key tokens.
(define-constant ERR_INSUFFICIENT_BALANCE (err u1913))
;; Nothing to trade (inside the band).
(define-constant ERR_NOTHING_TO_DO (err u1914))
;; The borrow would take the pool's value above its capacity (a share of the AMM's sBTC).
(define-constant ERR_CAPACITY (err u1915))

(define-constant ONE_8 u100000000)
(define-constant SELF (as-contract tx-sender))
(define-constant MAX_BAND u10000000)
(define-constant MAX_SLIPPAGE u10000000)
(define-constant MAX_MULTIPLIER u2000000000)

(define-data-var governance principal tx-sender)
(define-data-var paused bool false)
;; Defaults: an empty pool lends at 75% LTV, CPPI multiplier 2, convert at 95% (ALEX
;; agp066), 1% band, 2% slippage, price at most a day old, capacity 1% of the AMM's sBTC.
(define-data-var params {ltv-0: uint, multiplier: uint, conversion-ltv: uint, band: uint, max-slippage: uint, max-oracle-age: uint, capacity: uint}
  {ltv-0: u75000000, multiplier: u200000000, conversion-ltv: u95000000, band: u1000000, max-slippage: u2000000, max-oracle-age: u144, capacity: u1000000})
;; amm-pool ids: the wSTX/sBTC pool priced and traded against, and the ALEX/sBTC pool
;; for the ALEX backstop; alex-cover-cap is the ALEX a settlement may mint (0 = none).
(define-data-var amm-id uint u0)
(define-data-var alex-id uint u0)
(define-data-var alex-cover-cap uint u0)

;; Every expiry opened, oldest first (for readers: the API lists them).
(define-data-var expiries (list 50 uint) (list))
(define-map pools uint {collateral: uint, sbtc: uint, yield-supply: uint, key-supply: uint, converted: bool, traded-at: uint})
(define-map settlements uint {
  shortfall: uint, from-reserve: uint, alex-minted: uint, from-alex: uint, alex-excess: uint,
  yield-pool: uint, key-pool: uint, yield-at-settle: uint, key-at-settle: uint,
  yield-paid: uint, key-paid: uint})

;; Read-only

(define-read-only (get-governance) (var-get governance))
(define-read-only (is-paused) (var-get paused))
(define-read-only (get-params) (var-get params))
(define-read-only (get-amm-pools) {amm-id: (var-get amm-id), alex-id: (var-get alex-id), alex-cover-cap: (var-get alex-cover-cap)})
(define-read-only (get-expiries) (var-get expiries))
(define-read-only (get-pool (expiry uint)) (ok (unwrap! (map-get? pools expiry) ERR_NO_POOL)))
(define-read-only (get-settlement (expiry uint)) (ok (unwrap! (map-get? settlements expiry) ERR_NOT_SETTLED)))

;; The EMA price the pool uses now (sats per uSTX, 8 decimals).
(define-read-only (get-price) (price (var-get amm-id)))

;; {price, value, ltv, weight, collateral-value} of pool `expiry` at the EMA price.
(define-read-only (get-state (expiry uint))
  (let ((pool (try! (get-pool expiry))) (p (try! (get-price))) (ltv (pool-ltv pool p)))
    (ok {price: p, value: (value pool p), ltv: ltv, weight: (weight pool ltv),
         collateral-value: (/ (* (get collateral pool) p) ONE_8)})))

;; Public: governance

(define-public (set-governance (new-governance principal))
  (begin
    (try! (check-governance))
    (var-set governance new-governance)
    (print {topic: "crp-set-governance", governance: new-governance})
    (ok true)))

(define-public (set-paused (new-paused bool))
  (begin
    (try! (check-governance))
    (var-set paused new-paused)
    (print {topic: "crp-set-paused", paused: new-paused})
    (ok true)))

(define-public (set-params (ltv-0 uint) (multiplier uint) (conversion-ltv uint) (band uint) (max-slippage uint) (max-oracle-age uint) (capacity uint))
  (let ((new {ltv-0: ltv-0, multiplier: multiplier, conversion-ltv: conversion-ltv, band: band, max-slippage: max-slippage, max-oracle-age: max-oracle-age, capacity: capacity}))
    (try! (check-governance))
    (asserts! (and (> ltv-0 u0) (< ltv-0 conversion-ltv) (< conversion-ltv ONE_8)
                   (> multiplier u0) (<= multiplier MAX_MULTIPLIER) (> capacity u0) (<= capacity ONE_8)
                   (<= band MAX_BAND) (<= max-slippage MAX_SLIPPAGE) (> max-oracle-age u0)) ERR_INVALID_PARAM)
    (var-set params new)
    (print (merge new {topic: "crp-set-params"}))
    (ok true)))

;; Sets the amm-pool pools: `id` must be wSTX (x) / sBTC (y), `alex` ALEX (x) / sBTC (y).
(define-public (set-amm-pools (id uint) (alex uint) (cover-cap uint))
  (let ((p (try! (contract-call? .amm-pool get-pool id))) (a (try! (contract-call? .amm-pool get-pool alex))))
    (try! (check-governance))
    (asserts! (and (is-eq (get token-x p) .amm-wstx) (is-eq (get token-y p) .sbtc-token)
                   (is-eq (get token-x a) .alex-token) (is-eq (get token-y a) .sbtc-token)) ERR_INVALID_PARAM)
    (var-set amm-id id)
    (var-set alex-id alex)
    (var-set alex-cover-cap cover-cap)
    (print {topic: "crp-set-amm-pools", amm-id: id, alex-id: alex, alex-cover-cap: cover-cap})
    (ok true)))

;; Opens a pool for `expiry` (a future burn height; the YTP lists the same expiry).
(define-public (create-pool (expiry uint))
  (begin
    (try! (check-governance))
    (asserts! (> expiry burn-block-height) ERR_EXPIRED)
    (asserts! (is-none (map-get? pools expiry)) ERR_POOL_EXISTS)
    (var-set expiries (unwrap! (as-max-len? (append (var-get expiries) expiry) u50) ERR_INVALID_PARAM))
    (map-set pools expiry {collateral: u0, sbtc: u0, yield-supply: u0, key-supply: u0, converted: false, traded-at: u0})
    (print {topic: "crp-create-pool", expiry: expiry})
    (ok true)))

;; Public: borrowers

;; Deposits dx uSTX, mints yield and key tokens at the pool's LTV, sells the collateral
;; above the target weight, sells the yield tokens in the YTP and pays the borrower at
;; least min-sbtc sats. Returns {minted, sbtc}.
(define-public (borrow (expiry uint) (dx uint) (min-sbtc uint))
  (let (
      (pool (try! (live-pool expiry)))
      (p (try! (get-price)))
      (ltv (pool-ltv pool p))
      (y (/ (* (/ (* dx p) ONE_8) ltv) ONE_8))
      (after (merge pool {collateral: (+ (get collateral pool) dx),
        yield-supply: (+ (get yield-supply pool) y), key-supply: (+ (get key-supply pool) y)}))
      (borrower tx-sender))
    (asserts! (not (var-get paused)) ERR_PAUSED)
    (asserts! (and (not (get converted pool)) (< ltv (get conversion-ltv (var-get params)))) ERR_CONVERTED)
    ;; y > 0 also refuses dx = 0.
    (asserts! (> y u0) ERR_INVALID_AMOUNT)
    (asserts! (<= (* (value after p) ONE_8) (* (get y (amm-balances)) (get capacity (var-get params)))) ERR_CAPACITY)
    (try! (contract-call? .amm-wstx transfer dx borrower SELF none))
    (try! (contract-call? .yield-token mint expiry y borrower))
    (try! (contract-call? .key-token mint expiry y borrower))
    (map-set pools expiry after)
    (let ((plan (plan-of after p)))
      (and (> (get cv plan) (get tv plan)) (get outside plan)
           (is-some (try! (sell-collateral expiry after p (/ (* (- (get cv plan) (get tv plan)) ONE_8) p))))))
    (let ((sold (try! (contract-call? .ytp swap-y-for-x expiry y min-sbtc))))
      (print {topic: "crp-borrow", expiry: expiry, borrower: borrower, collateral: dx, price: p, ltv: ltv, minted: y, sbtc: (get out sold)})
      (ok {minted: y, sbtc: (get out sold)}))))

;; Burns n yield and n key tokens of the caller (before expiry) for their pro-rata
;; share of the pool's collateral and sBTC. Returns {collateral, sbtc}.
(define-public (repay (expiry uint) (n uint))
  (let (
      (pool (try! (live-pool expiry)))
      (supply (get yield-supply pool))
      (cx (if (is-eq supply u0) u0 (/ (* (get collateral pool) n) supply)))
      (sx (if (is-eq supply u0) u0 (/ (* (get sbtc pool) n) supply)))
      (owner tx-sender))
    (asserts! (> n u0) ERR_INVALID_AMOUNT)
    (asserts! (and (<= n supply) (<= n (get key-supply pool))) ERR_INSUFFICIENT_BALANCE)
    (try! (contract-call? .yield-token burn expiry n owner))
    (try! (contract-call? .key-token burn expiry n owner))
    (and (> cx u0) (try! (as-contract (stx-transfer? cx SELF owner))))
    (and (> sx u0) (try! (as-contract (contract-call? .sbtc-token transfer sx SELF owner none))))
    (map-set pools expiry (merge pool {collateral: (- (get collateral pool) cx), sbtc: (- (get sbtc pool) sx),
      yield-supply: (- supply n), key-supply: (- (get key-supply pool) n)}))
    (print {topic: "crp-repay", expiry: expiry, owner: owner, burned: n, collateral: cx, sbtc: sx})
    (ok {collateral: cx, sbtc: sx})))

;; Public: keepers (anyone)

;; Moves the pool toward its target weight (see the header). Returns the trade.
(define-public (rebalance (expiry uint))
  (let (
      (pool (try! (live-pool expiry)))
      (p (try! (get-price)))
      (plan (plan-of pool p))
      (target (merge pool {converted: (get converted plan)})))
    (asserts! (not (var-get paused)) ERR_PAUSED)
    (asserts! (not (is-eq (get traded-at pool) burn-block-height)) ERR_ONCE_PER_BLOCK)
    (asserts! (or (get converted plan) (get outside plan)) ERR_NOTHING_TO_DO)
    (if (> (get cv plan) (get tv plan))
      (sell-collateral expiry target p
        (if (get converted plan) (get collateral pool) (/ (* (- (get cv plan) (get tv plan)) ONE_8) p)))
      (buy-collateral expiry target p (- (get tv plan) (get cv plan))))))

;; At or after expiry: sells collateral (one capped trade per burn block); once none is
;; left, settles the pool (see the header). Returns the settlement when it happened.
(define-public (settle (expiry uint))
  (let ((pool (try! (get-pool expiry))))
    (asserts! (>= burn-block-height expiry) ERR_NOT_EXPIRED)
    (asserts! (is-none (map-get? settlements expiry)) ERR_SETTLED)
    (if (is-eq (get collateral pool) u0)
      (finalise expiry pool)
      (begin
        (asserts! (not (is-eq (get traded-at pool) burn-block-height)) ERR_ONCE_PER_BLOCK)
        (try! (sell-collateral expiry (merge pool {converted: true}) (try! (get-price)) (get collateral pool)))
        (let ((after (unwrap-panic (map-get? pools expiry))))
          (if (is-eq (get collateral after) u0) (finalise expiry after) (ok none)))))))

;; Public: holders, after settlement

;; Burns n yield tokens of the caller for n * yield-pool / yield-at-settle sats.
(define-public (redeem-yield (expiry uint) (n uint))
  (let (
      (s (try! (get-settlement expiry)))
      (left (unwrap-panic (contract-call? .yield-token get-total-supply expiry)))
      (pay (if (is-eq n left)
             (- (get yield-pool s) (get yield-paid s))
             (/ (* n (get yield-pool s)) (get yield-at-settle s)))))
    (asserts! (> n u0) ERR_INVALID_AMOUNT)
    (try! (contract-call? .yield-token burn expiry n tx-sender))
    (try! (pay-out expiry pay tx-sender))
    (map-set settlements expiry (merge s {yield-paid: (+ (get yield-paid s) pay)}))
    (print {topic: "crp-redeem-yield", expiry: expiry, owner: tx-sender, burned: n, sbtc: pay})
    (ok pay)))

;; Burns n key tokens of the caller for n * key-pool / key-at-settle sats.
(define-public (redeem-key (expiry uint) (n uint))
  (let (
      (s (try! (get-settlement expiry)))
      (left (unwrap-panic (contract-call? .key-token get-total-supply expiry)))
      (pay (if (is-eq n left)
             (- (get key-pool s) (get key-paid s))
             (/ (* n (get key-pool s)) (get key-at-settle s)))))
    (asserts! (> n u0) ERR_INVALID_AMOUNT)
    (try! (contract-call? .key-token burn expiry n tx-sender))
    (try! (pay-out expiry pay tx-sender))
    (map-set settlements expiry (merge s {key-paid: (+ (get key-paid s) pay)}))
    (print {topic: "crp-redeem-key", expiry: expiry, owner: tx-sender, burned: n, sbtc: pay})
    (ok pay)))

;; Private

(define-private (check-governance)
  (let ((gov (var-get governance)))
    (ok (asserts! (or (is-eq contract-caller gov) (and (is-eq tx-sender gov) (is-contract gov))) ERR_NOT_AUTHORIZED))))

(define-private (is-contract (who principal))
  (match (principal-destruct? who) p (is-some (get name p)) p (is-some (get name p))))

;; A pool before its expiry. The pause stops new risk (borrow, rebalance) only; repay
;; stays open.
(define-private (live-pool (expiry uint))
  (let ((pool (try! (get-pool expiry))))
    (asserts! (< burn-block-height expiry) ERR_EXPIRED)
    (ok pool)))

;; The EMA price of AMM pool `id`, refused when missing or stale.
(define-private (price (id uint))
  (let ((p (try! (contract-call? .amm-pool get-oracle-resilient id)))
        (h (try! (contract-call? .amm-pool get-oracle-height id))))
    (asserts! (and (> p u0) (> h u0) (<= (- burn-block-height h) (get max-oracle-age (var-get params)))) ERR_STALE_PRICE)
    (ok p)))

(define-private (value (pool {collateral: uint, sbtc: uint, yield-supply: uint, key-supply: uint, converted: bool, traded-at: uint}) (p uint))
  (+ (/ (* (get collateral pool) p) ONE_8) (get sbtc pool)))

;; yield-supply / value; ltv-0 while nothing is borrowed; 100% when the value is 0.
(define-private (pool-ltv (pool {collateral: uint, sbtc: uint, yield-supply: uint, key-supply: uint, converted: bool, traded-at: uint}) (p uint))
  (let ((v (value pool p)))
    (if (is-eq (get yield-supply pool) u0)
      (get ltv-0 (var-get params))
      (if (is-eq v u0) ONE_8 (/ (* (get yield-supply pool) ONE_8) v)))))

(define-private (weight (pool {collateral: uint, sbtc: uint, yield-supply: uint, key-supply: uint, converted: bool, traded-at: uint}) (ltv uint))
  (let ((prm (var-get params)))
    (if (or (get converted pool) (>= ltv (get conversion-ltv prm)))
      u0
      (let ((w (/ (* (- ONE_8 ltv) (get multiplier prm)) ONE_8))) (if (< w ONE_8) w ONE_8)))))

;; The rebalancing plan at price p: whether the pool converts, the collateral's value
;; cv and its target tv = w * V, and whether the gap is outside the band.
(define-private (plan-of (pool {collateral: uint, sbtc: uint, yield-supply: uint, key-supply: uint, converted: bool, traded-at: uint}) (p uint))
  (let (
      (ltv (pool-ltv pool p))
      (converted (or (get converted pool) (>= ltv (get conversion-ltv (var-get params)))))
      (v (value pool p))
      (cv (/ (* (get collateral pool) p) ONE_8))
      (tv (/ (* v (weight (merge pool {converted: converted}) ltv)) ONE_8))
      (gap (if (> cv tv) (- cv tv) (- tv cv))))
    {converted: converted, cv: cv, tv: tv, outside: (>= (* gap ONE_8) (* v (get band (var-get params))))}))

;; The AMM's max-in for `bal-in` (amm-pool refuses dx * 1e8 > bal * max-in).
(define-private (max-in (bal-in uint))
  (let ((pool (unwrap-panic (contract-call? .amm-pool get-pool (var-get amm-id)))))
    (/ (* bal-in (get max-in-ratio pool)) ONE_8)))

(define-private (amm-balances)
  (let ((pool (unwrap-panic (contract-call? .amm-pool get-pool (var-get amm-id)))))
    {x: (get balance-x pool), y: (get balance-y pool)}))

(define-private (sell-collateral (expiry uint) (pool {collateral: uint, sbtc: uint, yield-supply: uint, key-supply: uint, converted: bool, traded-at: uint}) (p uint) (wanted uint))
  (let (
      (cap (max-in (get x (amm-balances))))
      (amount (min-of (min-of wanted (get collateral pool)) cap))
      (min-out (/ (* (/ (* amount p) ONE_8) (- ONE_8 (get max-slippage (var-get params)))) ONE_8))
      (out (begin
             (asserts! (> amount u0) ERR_NOTHING_TO_DO)
             (get dy (try! (as-contract (contract-call? .amm-pool swap (var-get amm-id) .amm-wstx .sbtc-token amount min-out burn-block-height)))))))
    (map-set pools expiry (merge pool {collateral: (- (get collateral pool) amount), sbtc: (+ (get sbtc pool) out), traded-at: burn-block-height}))
    (print {topic: "crp-rebalance", expiry: expiry, price: p, collateral-in: amount, sbtc-out: out, converted: (get converted pool)})
    (ok (some {collateral-in: amount, sbtc-in: u0, out: out}))))

(define-private (buy-collateral (expiry uint) (pool {collateral: uint, sbtc: uint, yield-supply: uint, key-supply: uint, converted: bool, traded-at: uint}) (p uint) (wanted uint))
  (let (
      (cap (max-in (get y (amm-balances))))
      (amount (min-of (min-of wanted (get sbtc pool)) cap))
      (min-out (/ (* (/ (* amount ONE_8) p) (- ONE_8 (get max-slippage (var-get params)))) ONE_8))
      (out (begin
             (asserts! (> amount u0) ERR_NOTHING_TO_DO)
             (get dy (try! (as-contract (contract-call? .amm-pool swap (var-get amm-id) .sbtc-token .amm-wstx amount min-out burn-block-height)))))))
    (map-set pools expiry (merge pool {collateral: (+ (get collateral pool) out), sbtc: (- (get sbtc pool) amount), traded-at: burn-block-height}))
    (print {topic: "crp-rebalance", expiry: expiry, price: p, collateral-in: u0, sbtc-in: amount, collateral-out: out, converted: false})
    (ok (some {collateral-in: u0, sbtc-in: amount, out: out}))))

;; Settles a pool that holds only sBTC: reserve first, then the capped ALEX cover.
(define-private (finalise (expiry uint) (pool {collateral: uint, sbtc: uint, yield-supply: uint, key-supply: uint, converted: bool, traded-at: uint}))
  (let (
      (debt (get yield-supply pool))
      (held (get sbtc pool))
      (shortfall (if (> debt held) (- debt held) u0))
      (from-reserve (min-of shortfall (contract-call? .amm-reserve get-balance .sbtc-token)))
      (drawn (if (> from-reserve u0) (try! (contract-call? .amm-pool draw-reserve .sbtc-token from-reserve SELF)) true))
      (cover (try! (alex-cover (- shortfall from-reserve))))
      (from-alex (min-of (get sbtc cover) (- shortfall from-reserve)))
      (excess (- (get sbtc cover) from-alex))
      (total (+ held from-reserve from-alex))
      (yield-pool (min-of total debt))
      (s {shortfall: shortfall, from-reserve: from-reserve, alex-minted: (get minted cover), from-alex: from-alex,
          alex-excess: excess, yield-pool: yield-pool, key-pool: (- total yield-pool),
          yield-at-settle: debt, key-at-settle: (get key-supply pool), yield-paid: u0, key-paid: u0}))
    (and (> excess u0) (try! (book-reserve excess)))
    (map-set pools expiry (merge pool {sbtc: total}))
    (map-set settlements expiry s)
    (print (merge s {topic: "crp-settle", expiry: expiry}))
    (ok (some s))))

;; Mints at most alex-cover-cap ALEX (and within the ALEX pool's max-in) to buy
;; `needed` sats at the ALEX EMA price less max-slippage, and sells it.
(define-private (alex-cover (needed uint))
  (let ((cap (var-get alex-cover-cap)))
    (if (or (is-eq needed u0) (is-eq cap u0))
      (ok {minted: u0, sbtc: u0})
      (let (
          (p (try! (price (var-get alex-id))))
          (keep (- ONE_8 (get max-slippage (var-get params))))
          (want (+ u1 (/ (* needed ONE_8 ONE_8) (* p keep))))
          (apool (unwrap-panic (contract-call? .amm-pool get-pool (var-get alex-id))))
          (room (/ (* (get balance-x apool) (get max-in-ratio apool)) ONE_8))
          (m (min-of (min-of want cap) room))
          (min-out (/ (* (/ (* m p) ONE_8) keep) ONE_8)))
        (asserts! (> m u0) (ok {minted: u0, sbtc: u0}))
        (try! (as-contract (contract-call? .alex-token mint m SELF)))
        (ok {minted: m, sbtc: (get dy (try! (as-contract (contract-call? .amm-pool swap (var-get alex-id) .alex-token .sbtc-token m min-out burn-block-height))))})))))

;; Sends excess cover sBTC into amm-pool's custody and books it to amm-reserve.
(define-private (book-reserve (amount uint))
  (begin
    (try! (as-contract (contract-call? .sbtc-token transfer amount SELF .amm-pool none)))
    (try! (contract-call? .amm-reserve add-to-balance .sbtc-token amount))
    (ok true)))

(define-private (pay-out (expiry uint) (amount uint) (recipient principal))
  (let ((pool (unwrap-panic (map-get? pools expiry))))
    (and (> amount u0) (try! (as-contract (contract-call? .sbtc-token transfer amount SELF recipient none))))
    (map-set pools expiry (merge pool {sbtc: (- (get sbtc pool) amount)}))
    (ok true)))

(define-private (min-of (a uint) (b uint)) (if (< a b) a b))
