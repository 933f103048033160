;; silica: hashrate contracts settled in sBTC (docs/attestation.md, design.md
;; "Silica economics").
;;
;; Many Silicas live here, keyed by id. A miner lists H TH/s for N day-windows of L
;; Bitcoin blocks from burn-height `start`, at `price` sats per TH/s*day, and deposits
;; collateral C in sBTC. Buyers buy shares (SIP-013: token id = Silica id, amount =
;; TH/s) before `start`, paying price*N per TH/s into escrow. For each window d the
;; signers attest (through signer-registry) the sats delivered to the Silica's payout
;; script and the network index; the registry mints those sats as sBTC into this
;; contract, and the obligation test runs:
;;
;;   default at the first window d where  sum(<=d) delivered + topups + locked(d) < sum(<=d) due,
;;   due_d = floor(sold * index_d / INDEX_SCALE),   locked(d) = C for d < ceil(N/4),
;;                                         C - floor(C/4) for d < ceil(N/2), else 0.
;;
;; Index unit: `index` (attested, in events and in `windows`) is in 1e-8 sat per
;; TH/s*day (INDEX_SCALE = 1e8), so a hashprice of 42.38 sats is 4_238_000_000. Every
;; product with an index is divided by INDEX_SCALE once, at the end: due_d is floored
;; once per window (the remainder, under 1 sat per window, stays with the miner), and
;; collateral C = ceil(H * N * reference-index * collateral-bps / (BPS * INDEX_SCALE)).
;;
;; Passing window d releases payment/N (= price*sold, exact) and the collateral no
;; longer locked (C held - locked(d)) to the miner. Settlement (pull-based):
;;   FINISHED:  buyers sum due; miner sum delivered + topups + collateral held - sum due.
;;   DEFAULTED: buyers sum delivered + topups + collateral held + unreleased payment;
;;              miner nothing more (keeps what was released).
;; Redeem pays bal * pool / outstanding from the remaining pool and outstanding shares,
;; so rounding dust goes to the last redeemer and the pool ends at exactly 0.
;;
;; States: OPEN -> RUNNING -> FINISHED | DEFAULTED; OPEN -> EXPIRED; OPEN -> CANCELLED.
;; A Silica whose attestations stop is settled by anyone as DEFAULTED at its first
;; unattested window once its last window has been attestable for `stall-grace` burn
;; blocks (settle-stalled). A cancel before start with shares sold refunds every buyer
;; their payment (redeem).
;;
;; L is the governance `window-length` when the Silica is listed (144 on mainnet, a day;
;; shorter on devnets), snapshotted into the Silica: window w covers burn heights
;; [start + L*w, start + L*(w+1)), and changing the parameter never moves the windows of
;; an existing Silica.

;; Settlement token. Every sBTC movement goes through a `<sip-010-trait>` argument
;; `token`, which must be the principal set once by the deployer with
;; set-settlement-token (deployments/bootstrap.toml sets the stand-in `.sbtc-token`; a
;; mainnet deployment sets SM3VDXK3WZZSA84XXFKAFAF15NNZX32CTSG82JFQ4.sbtc-token).
;; Delivered sats reach the escrow one of two ways (signer-registry's mints-deliveries):
;; - deposits (mainnet): the pool's BTC at the payout script is forwarded by the signers
;;   into an sBTC deposit whose recipient is this contract; once the sBTC signers mint
;;   it, anyone calls record-delivery with the signers' forward attestation, which
;;   credits the minted amount to the Silica (docs/sbtc-settlement.md);
;; - the devnet's direct-mint shortcut: signer-registry mints each recorded window's
;;   delivery as the stand-in `.sbtc-token` (MINTED_TOKEN) straight into the escrow.
;; Either way each Silica keeps a receipt ledger: `covered` (delivered sats that
;; arrived) and `received` (sBTC they became). The obligation test counts delivered
;; sats; the difference delivered - received (the forward's and the sweep's fees, or
;; sats written off) is a cost of delivery charged to the miner's side at settlement:
;; first the miner's amount, then the buyers' pool. A settled Silica pays out once every
;; delivered sat is covered, or once `delivery-grace` burn blocks passed and anyone wrote
;; the rest off; a deposit recorded after that goes to the miner.

(use-trait sip-010-trait .sip-010-trait.sip-010-trait)
(impl-trait .sip-013-trait.sip-013-trait)
(impl-trait .sip-013-trait.sip-013-transfer-many-trait)

;; Every share of every Silica, for get-overall-balance/-supply and post-conditions.
(define-fungible-token silica-share)

(define-constant DEPLOYER tx-sender)
(define-constant SELF (as-contract tx-sender))
;; The token signer-registry mints deliveries in (the devnet/test stand-in).
(define-constant MINTED_TOKEN .sbtc-token)

;; A day-window is 144 Bitcoin blocks (design.md "Day-window"): the default and the
;; upper bound of the governance window length (devnets run shorter windows).
(define-constant MAX_WINDOW_LENGTH u144)
;; Collateral is 10% to 100% of H*N*index, in basis points.
(define-constant BPS u10000)
(define-constant MIN_COLLATERAL_BPS u1000)
;; Longest term: one year of windows.
(define-constant MAX_WINDOWS u366)
;; Governance bounds: confirmations 1..1000 (mainnet uses 100, coinbase maturity);
;; sale window up to 30 days; index up to 1e8 sats per TH/s*day = 1e16 index units
;; (far above any historical hashprice, and keeps every product far from uint overflow).
(define-constant MAX_CONFIRMATIONS u1000)
(define-constant MAX_SALE_WINDOW u4320)
;; Index units per sat per TH/s*day.
(define-constant INDEX_SCALE u100000000)
;; Stall grace: 1 block to 30 days.
(define-constant MAX_STALL_GRACE u4320)
(define-constant MAX_INDEX u10000000000000000)

(define-constant STATUS_OPEN u0)
(define-constant STATUS_RUNNING u1)
(define-constant STATUS_FINISHED u2)
(define-constant STATUS_DEFAULTED u3)
(define-constant STATUS_EXPIRED u4)
(define-constant STATUS_CANCELLED u5)

;; Errors: block 6xx (see clarity/README.md).
;; The caller may not do this (not the miner, not governance).
(define-constant ERR_NOT_AUTHORIZED (err u600))
;; No Silica has this id.
(define-constant ERR_UNKNOWN_SILICA (err u601))
;; Hashrate and price must be positive, windows 1..366.
(define-constant ERR_INVALID_TERMS (err u602))
;; start must be at least the sale window after the current burn height.
(define-constant ERR_START_TOO_SOON (err u603))
;; Collateral must be 10%..100% (1000..10000 bps) of the expected reward.
(define-constant ERR_INVALID_COLLATERAL (err u604))
;; The payout script is not the one silica-payout derives for this id.
(define-constant ERR_PAYOUT_SCRIPT_MISMATCH (err u605))
;; The Silica is not in a state that allows this.
(define-constant ERR_BAD_STATUS (err u606))
;; The sale is over (burn height reached start).
(define-constant ERR_SALE_CLOSED (err u607))
;; More than the listed hashrate would be sold.
(define-constant ERR_SOLD_OUT (err u608))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u609))
;; Shares were sold, so it cannot expire (it starts instead).
(define-constant ERR_SOMETHING_SOLD (err u610))
;; start has not been reached.
(define-constant ERR_NOT_STARTED (err u611))
;; Windows are attested in order; this is not the next one.
(define-constant ERR_WINDOW_OUT_OF_ORDER (err u612))
;; The attested burn height is before the window's last block plus confirmations.
(define-constant ERR_NOT_CONFIRMED (err u613))
;; Not settled yet (neither FINISHED nor DEFAULTED, nor CANCELLED with shares sold).
(define-constant ERR_NOT_SETTLED (err u614))
;; The caller holds no shares of this Silica.
(define-constant ERR_NOTHING_TO_REDEEM (err u615))
;; The miner already collected.
(define-constant ERR_ALREADY_COLLECTED (err u616))
;; The sender holds fewer shares than the amount.
(define-constant ERR_INSUFFICIENT_BALANCE (err u617))
;; `sender` is neither tx-sender nor contract-caller.
(define-constant ERR_NOT_OWNER (err u618))
;; A governance parameter is out of bounds.
(define-constant ERR_INVALID_PARAMETER (err u619))
;; Sender and recipient are the same principal.
(define-constant ERR_SELF_TRANSFER (err u620))
;; The Silica is not stalled yet: its last window has not been attestable for the
;; governance stall grace (see get-stall-height).
(define-constant ERR_NOT_STALLED (err u621))
;; The token passed is not the settlement token (or none is set yet).
(define-constant ERR_WRONG_TOKEN (err u622))
;; The settlement token was already set; that happens once.
(define-constant ERR_TOKEN_ALREADY_SET (err u623))
;; Delivered sats can be minted only when the settlement token is the one
;; signer-registry mints (MINTED_TOKEN).
(define-constant ERR_DELIVERY_NOT_MINTABLE (err u624))
;; The prover contract is set already.
(define-constant ERR_PROVER_ALREADY_SET (err u625))
;; sbtc-registry has no completed deposit (txid, vout): not swept and minted (yet).
(define-constant ERR_DEPOSIT_NOT_COMPLETED (err u626))
;; The deposit's sBTC was minted to another principal, not this contract.
(define-constant ERR_DEPOSIT_NOT_FOR_SILICA (err u627))
;; This deposit (txid, vout) was recorded before.
(define-constant ERR_DEPOSIT_RECORDED (err u628))
;; The deposit would cover more sats than the Silica's recorded, uncovered delivery.
(define-constant ERR_DELIVERY_EXCEEDED (err u629))
;; signer-registry mints deliveries (the direct-mint shortcut): deposits credit nothing.
(define-constant ERR_DELIVERIES_MINTED (err u630))
;; Settled, but delivered sats are still on their way as deposits (see
;; get-delivery-ledger); redeem and collect wait, or anyone writes them off after the grace.
(define-constant ERR_DELIVERY_IN_FLIGHT (err u631))
;; Nothing to write off: not settled, or every delivered sat arrived.
(define-constant ERR_NOTHING_IN_FLIGHT (err u632))
;; The delivery grace has not passed since settlement.
(define-constant ERR_DELIVERY_GRACE (err u633))
;; The forward names a window that is not recorded yet.
(define-constant ERR_WINDOW_NOT_RECORDED (err u634))

(define-data-var governance principal DEPLOYER)
;; The SIP-010 settlement token, set once (set-settlement-token).
(define-data-var settlement-token (optional principal) none)
;; The contract that records windows from Bitcoin proofs (silica-proof), set once.
(define-data-var prover (optional principal) none)
;; Blocks on top of a window's last block before it may be attested.
(define-data-var confirmations uint u100)
;; Blocks per window for Silicas listed from now on (each Silica keeps its own).
(define-data-var window-length uint u144)
;; Minimum blocks between listing and start.
(define-data-var min-sale-window uint u144)
;; Blocks a Silica's last window may stay unattested after it became attestable before
;; anyone may settle the Silica as a default (settle-stalled). Global, not snapshotted:
;; governance is trusted with it as with `confirmations`, within its bounds.
(define-data-var stall-grace uint u144)
;; Burn blocks after settlement during which delivered sats may still arrive as
;; deposits (coinbase maturity is 100 blocks, then a forward and a sweep) before anyone
;; may write the rest off.
(define-data-var delivery-grace uint u1008)
;; Index used for collateral before any window was attested (index units: 50 sats per
;; TH/s*day).
(define-data-var default-index uint u5000000000)
;; The index of the most recently attested window of any Silica.
(define-data-var latest-index uint u0)
(define-data-var next-id uint u1)
(define-data-var token-uri (optional (string-ascii 256)) none)

(define-map silicas uint {
  miner: principal, hashrate: uint, sold: uint, windows: uint, start: uint, price: uint,
  ;; Blocks per window, the governance window-length at create.
  window-length: uint,
  collateral-bps: uint, reference-index: uint, payout-script: (buff 34), signer-version: uint,
  status: uint,
  ;; C: as deposited, then scaled to `sold` at start.
  collateral: uint,
  ;; Collateral still in this contract (C minus what the schedule released).
  collateral-held: uint,
  topups: uint, next-window: uint, cum-delivered: uint, cum-due: uint,
  released: uint, last-index: uint})
(define-map windows {id: uint, window: uint}
  {delivered: uint, due: uint, index: uint, burn-height: uint, attestation: (buff 32)})
;; Written at FINISHED/DEFAULTED: the buyers' remaining pool and outstanding shares.
(define-map settlements uint {pool: uint, shares: uint, miner-amount: uint, collected: bool})
;; The receipt ledger (see the header): delivered sats covered, sBTC received.
(define-map receipts uint {covered: uint, received: uint})
;; Recorded deposits: each (txid, vout) credits once.
(define-map deposit-credits {txid: (buff 32), vout: uint}
  {id: uint, window: uint, sats: uint, amount: uint, attestation: (buff 32)})
;; Settled Silicas whose delivery is still in flight -> the burn height they settled at.
(define-map awaiting uint uint)
(define-map balances {token-id: uint, owner: principal} uint)
(define-map supplies uint uint)

;; Read-only

(define-read-only (get-silica (id uint)) (map-get? silicas id))
(define-read-only (get-status (id uint)) (get status (map-get? silicas id)))
(define-read-only (get-payout-script (id uint)) (get payout-script (map-get? silicas id)))
(define-read-only (get-window (id uint) (window uint)) (map-get? windows {id: id, window: window}))
(define-read-only (get-settlement (id uint)) (map-get? settlements id))
(define-read-only (get-settlement-token) (var-get settlement-token))
(define-read-only (get-prover) (var-get prover))
(define-read-only (get-governance) (var-get governance))
(define-read-only (get-params)
  {governance: (var-get governance), confirmations: (var-get confirmations),
   window-length: (var-get window-length), min-sale-window: (var-get min-sale-window),
   default-index: (var-get default-index), latest-index: (var-get latest-index),
   stall-grace: (var-get stall-grace), delivery-grace: (var-get delivery-grace),
   next-id: (var-get next-id)})

(define-read-only (get-terms (id uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA)))
    (ok {miner: (get miner s), hashrate: (get hashrate s), sold: (get sold s),
         windows: (get windows s), start: (get start s), window-length: (get window-length s),
         price: (get price s), payment: (* (get price s) (get windows s) (get sold s)),
         end: (+ (get start s) (* (get window-length s) (get windows s))),
         collateral: (get collateral s), collateral-bps: (get collateral-bps s)})))

;; Collateral that counts in the obligation test of window d (and stays in escrow).
(define-read-only (locked-collateral (collateral uint) (n uint) (d uint))
  (if (< d (/ (+ n u3) u4))
      collateral
      (if (< d (/ (+ n u1) u2)) (- collateral (/ collateral u4)) u0)))

;; sum due not covered by sum delivered + topups (collateral is not counted).
(define-read-only (get-shortfall (id uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA))
        (have (+ (get cum-delivered s) (get topups s))))
    (ok (if (> (get cum-due s) have) (- (get cum-due s) have) u0))))

;; Top-up that keeps the next window from defaulting if it delivers nothing and its
;; index equals the Silica's last attested index (the reference index before any).
(define-read-only (get-top-up-needed (id uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA))
        (d (get next-window s))
        (index (if (> d u0) (get last-index s) (get reference-index s)))
        (due (+ (get cum-due s) (/ (* (get sold s) index) INDEX_SCALE)))
        (have (+ (get cum-delivered s) (get topups s)
                 (locked-collateral (get collateral s) (get windows s) d))))
    (ok (if (> due have) (- due have) u0))))

;; The first burn height at which the next window may be attested.
(define-read-only (get-attestable-height (id uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA)))
    (ok (window-final-height s (get next-window s)))))

;; The same for any window: from when it is final (silica-proof takes its proofs then).
(define-read-only (get-window-final-height (id uint) (window uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA)))
    (ok (window-final-height s window))))

;; The first burn-block-height at which settle-stalled may settle the Silica: the last
;; window's final height + 1 (from when it could be attested) + stall-grace.
(define-read-only (get-stall-height (id uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA)))
    (ok (stall-height s))))

;; Delivered sats (recorded), covered (arrived as sBTC), the sBTC received, what is in
;; flight, and since when a settled Silica has been waiting for it.
(define-read-only (get-delivery-ledger (id uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA))
        (r (receipts-of id)))
    (ok {delivered: (get cum-delivered s), covered: (get covered r), received: (get received r),
         in-flight: (- (get cum-delivered s) (get covered r)),
         awaiting-since: (map-get? awaiting id)})))

(define-read-only (get-deposit-credit (txid (buff 32)) (vout uint))
  (map-get? deposit-credits {txid: txid, vout: vout}))

;; sBTC `who` would receive by redeeming every share of `id` now (0 before settlement
;; and while its delivery is in flight).
(define-read-only (get-claimable (id uint) (who principal))
  (match (if (is-some (map-get? awaiting id)) none (map-get? settlements id))
    st (let ((bal (balance-of id who)))
         (if (> bal u0) (/ (* (get pool st) bal) (get shares st)) u0))
    u0))

;; sBTC the miner receives from `collect` (0 before settlement, while its delivery is in
;; flight, or after collecting).
(define-read-only (get-collectable (id uint))
  (match (if (is-some (map-get? awaiting id)) none (map-get? settlements id))
    st (if (get collected st) u0 (get miner-amount st))
    u0))

;; SIP-013

(define-read-only (get-balance (id uint) (who principal)) (ok (balance-of id who)))
(define-read-only (get-overall-balance (who principal)) (ok (ft-get-balance silica-share who)))
(define-read-only (get-total-supply (id uint)) (ok (default-to u0 (map-get? supplies id))))
(define-read-only (get-overall-supply) (ok (ft-get-supply silica-share)))
(define-read-only (get-decimals (id uint)) (ok u0))
(define-read-only (get-token-uri (id uint)) (ok (var-get token-uri)))

(define-public (transfer (id uint) (amount uint) (sender principal) (recipient principal))
  (begin
    (asserts! (or (is-eq sender tx-sender) (is-eq sender contract-caller)) ERR_NOT_OWNER)
    (move-shares id amount sender recipient)))

(define-public (transfer-memo (id uint) (amount uint) (sender principal) (recipient principal)
                              (memo (buff 34)))
  (begin
    (try! (transfer id amount sender recipient))
    (print memo)
    (ok true)))

(define-public (transfer-many (transfers (list 200 {token-id: uint, amount: uint,
                                                      sender: principal, recipient: principal})))
  (fold transfer-many-iter transfers (ok true)))

(define-public (transfer-many-memo (transfers (list 200 {token-id: uint, amount: uint,
                                                           sender: principal, recipient: principal,
                                                           memo: (buff 34)})))
  (fold transfer-many-memo-iter transfers (ok true)))

;; Public: lifecycle

;; Lists a Silica; the caller (tx-sender, who pays the collateral) is the miner.
(define-public (create (token <sip-010-trait>) (hashrate uint) (n uint) (start-height uint)
                       (price uint) (collateral-bps uint) (payout-script (buff 34)))
  (let ((id (var-get next-id))
        (miner tx-sender)
        (reference-index (if (> (var-get latest-index) u0) (var-get latest-index)
                             (var-get default-index)))
        (length (var-get window-length))
        (derived (try! (contract-call? .silica-payout derive id)))
        (collateral (ceil-div (* hashrate n reference-index collateral-bps) (* BPS INDEX_SCALE))))
    (try! (check-token token))
    (asserts! (and (> hashrate u0) (> price u0) (> n u0) (<= n MAX_WINDOWS)) ERR_INVALID_TERMS)
    (asserts! (>= start-height (+ burn-block-height (var-get min-sale-window))) ERR_START_TOO_SOON)
    (asserts! (and (>= collateral-bps MIN_COLLATERAL_BPS) (<= collateral-bps BPS))
              ERR_INVALID_COLLATERAL)
    (asserts! (is-eq payout-script (get script derived)) ERR_PAYOUT_SCRIPT_MISMATCH)
    (try! (pay-in token collateral miner))
    (map-set silicas id {
      miner: miner, hashrate: hashrate, sold: u0, windows: n, start: start-height,
      window-length: length, price: price, collateral-bps: collateral-bps,
      reference-index: reference-index, payout-script: payout-script,
      signer-version: (get signer-version derived),
      status: STATUS_OPEN, collateral: collateral, collateral-held: collateral, topups: u0,
      next-window: u0, cum-delivered: u0, cum-due: u0, released: u0, last-index: u0})
    (var-set next-id (+ id u1))
    (print {topic: "create", id: id, miner: miner, hashrate: hashrate, windows: n,
            start: start-height, window-length: length, price: price, collateral: collateral,
            collateral-bps: collateral-bps, reference-index: reference-index,
            payout-script: payout-script})
    (ok id)))

;; Buys `amount` TH/s of `id` for price*N*amount sBTC; shares go to tx-sender (the payer).
(define-public (buy (token <sip-010-trait>) (id uint) (amount uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA))
        (cost (* (get price s) (get windows s) amount))
        (sold (+ (get sold s) amount)))
    (try! (check-token token))
    (asserts! (is-eq (get status s) STATUS_OPEN) ERR_BAD_STATUS)
    (asserts! (< burn-block-height (get start s)) ERR_SALE_CLOSED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (<= sold (get hashrate s)) ERR_SOLD_OUT)
    (try! (pay-in token cost tx-sender))
    (try! (mint-shares id amount tx-sender))
    (map-set silicas id (merge s {sold: sold}))
    (print {topic: "buy", id: id, buyer: tx-sender, amount: amount, cost: cost, sold: sold})
    (ok cost)))

;; The miner withdraws a listing before start: collateral and top-ups go back. If
;; shares were sold, every buyer's payment stays in escrow as a settlement pool of
;; price*N per share (pool = price*N*sold, so each redeem is exact), claimed with
;; `redeem` (pull-based); the miner gets nothing from it (collected is set). So a small
;; purchase can no longer pin a large listing until start.
(define-public (cancel (token <sip-010-trait>) (id uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA))
        (refund (+ (get collateral-held s) (get topups s)))
        (buyer-refund (* (get price s) (get windows s) (get sold s))))
    (try! (check-token token))
    (asserts! (is-eq contract-caller (get miner s)) ERR_NOT_AUTHORIZED)
    (asserts! (is-eq (get status s) STATUS_OPEN) ERR_BAD_STATUS)
    (asserts! (< burn-block-height (get start s)) ERR_SALE_CLOSED)
    (try! (pay-out token refund (get miner s)))
    (map-set silicas id (merge s {status: STATUS_CANCELLED, collateral-held: u0, topups: u0}))
    (and (> (get sold s) u0)
         (map-set settlements id {pool: buyer-refund, shares: (get sold s), miner-amount: u0,
                                  collected: true}))
    (print {topic: "cancel", id: id, miner: (get miner s), refund: refund,
            buyer-refund: buyer-refund, shares: (get sold s)})
    (ok refund)))

;; Anyone: nothing was sold by start, so the collateral and top-ups go back.
(define-public (expire (token <sip-010-trait>) (id uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA))
        (refund (+ (get collateral-held s) (get topups s))))
    (try! (check-token token))
    (asserts! (is-eq (get status s) STATUS_OPEN) ERR_BAD_STATUS)
    (asserts! (>= burn-block-height (get start s)) ERR_NOT_STARTED)
    (asserts! (is-eq (get sold s) u0) ERR_SOMETHING_SOLD)
    (try! (pay-out token refund (get miner s)))
    (map-set silicas id (merge s {status: STATUS_EXPIRED, collateral-held: u0, topups: u0}))
    (print {topic: "expire", id: id, miner: (get miner s), refund: refund})
    (ok refund)))

;; Anyone, from start on, with shares sold: OPEN -> RUNNING, scaling the collateral to
;; the amount sold (the first attestation does this too).
(define-public (start (token <sip-010-trait>) (id uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA)))
    (try! (check-token token))
    (asserts! (is-eq (get status s) STATUS_OPEN) ERR_BAD_STATUS)
    (let ((running (try! (activate token id s))))
      (map-set silicas id running)
      (ok (get collateral running)))))

;; The miner adds sBTC to the Silica's backing (counts in every later obligation test).
(define-public (top-up (token <sip-010-trait>) (id uint) (amount uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA)))
    (asserts! (is-eq contract-caller (get miner s)) ERR_NOT_AUTHORIZED)
    (asserts! (or (is-eq (get status s) STATUS_OPEN) (is-eq (get status s) STATUS_RUNNING))
              ERR_BAD_STATUS)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (try! (check-token token))
    (try! (pay-in token amount contract-caller))
    (map-set silicas id (merge s {topups: (+ (get topups s) amount)}))
    (print {topic: "top-up", id: id, amount: amount, topups: (+ (get topups s) amount)})
    (ok true)))

;; Records window `window` from an M-of-N attestation (verified and minted by
;; signer-registry), runs the obligation test and releases or settles.
(define-public (attest-window (token <sip-010-trait>) (id uint) (window uint) (delivered uint)
                              (index uint) (burn-height uint) (burn-hash (buff 32))
                              (sigs (list 15 (buff 65))))
  (let ((s0 (try! (check-attestable token id delivered index))))
    (record-window token id s0 window delivered index burn-height
                   (try! (contract-call? .signer-registry attest-delivery id window delivered
                                         index burn-height burn-hash sigs)))))

;; The same from Bitcoin proofs: only the prover contract (silica-proof), which summed
;; the window's proven payouts and computed its index from the proven blocks. The
;; registry mints the delivery once per (Silica, window), whichever path records it.
(define-public (record-proven-window (token <sip-010-trait>) (id uint) (window uint)
                                     (delivered uint) (index uint))
  (begin
    (asserts! (is-eq (some contract-caller) (var-get prover)) ERR_NOT_AUTHORIZED)
    (record-window token id
                   (try! (check-attestable token id delivered index))
                   window delivered index (- burn-block-height u1)
                   (try! (contract-call? .signer-registry mint-proven-delivery id window delivered)))))

;; Anyone: credits an sBTC deposit to Silica `id`. The deposit (txid, vout) must be
;; completed in sbtc-registry (swept and minted by the sBTC signers) with this contract
;; as recipient, never recorded before, and attributed by M of N of our signers (the
;; forward attestation) to `sats` of this Silica's recorded, uncovered delivery, from
;; windows up to `window`. sBTC anyone else sends here, or deposits the signers did
;; not forward for this Silica, credit nothing. Completes a settled Silica's
;; settlement when the last delivered sat arrives; after a write-off, pays the miner.
(define-public (record-delivery (token <sip-010-trait>) (id uint) (window uint) (sats uint)
                                (txid (buff 32)) (vout uint) (sigs (list 15 (buff 65))))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA))
        (deposit (unwrap! (contract-call? .sbtc-registry get-completed-deposit txid vout)
                          ERR_DEPOSIT_NOT_COMPLETED))
        (r (receipts-of id))
        (amount (get amount deposit))
        (credited {covered: (+ (get covered r) sats), received: (+ (get received r) amount)}))
    (try! (check-token token))
    (asserts! (not (contract-call? .signer-registry get-mints-deliveries)) ERR_DELIVERIES_MINTED)
    (asserts! (is-eq (get recipient deposit) SELF) ERR_DEPOSIT_NOT_FOR_SILICA)
    (asserts! (> sats u0) ERR_INVALID_AMOUNT)
    (asserts! (< window (get next-window s)) ERR_WINDOW_NOT_RECORDED)
    (asserts! (<= (get covered credited) (get cum-delivered s)) ERR_DELIVERY_EXCEEDED)
    (let ((attestation (try! (contract-call? .signer-registry attest-forward id window sats
                                             txid vout sigs))))
      (asserts! (map-insert deposit-credits {txid: txid, vout: vout}
                  {id: id, window: window, sats: sats, amount: amount, attestation: attestation})
                ERR_DEPOSIT_RECORDED)
      (map-set receipts id credited)
      (print {topic: "delivery-received", id: id, window: window, txid: txid, vout: vout,
              sats: sats, amount: amount, covered: (get covered credited),
              received: (get received credited),
              in-flight: (- (get cum-delivered s) (get covered credited)),
              attestation: attestation})
      (if (is-some (map-get? awaiting id))
          (if (is-eq (get covered credited) (get cum-delivered s))
              (ok (complete-settlement id s credited "delivered"))
              (ok (get status s)))
          (if (is-some (map-get? settlements id))
              ;; Settled and written off before this arrived: the miner's side bore the
              ;; write-off, so the late sBTC is theirs.
              (begin
                (try! (pay-out token amount (get miner s)))
                (print {topic: "late-delivery", id: id, miner: (get miner s), amount: amount})
                (ok (get status s)))
              (ok (get status s)))))))

;; Anyone: a settled Silica has waited `delivery-grace` burn blocks for its delivery;
;; what has not arrived is written off (charged like a fee) and redeem and collect open.
(define-public (write-off-delivery (id uint))
  (let ((since (unwrap! (map-get? awaiting id) ERR_NOTHING_IN_FLIGHT))
        (s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA)))
    (asserts! (>= burn-block-height (+ since (var-get delivery-grace))) ERR_DELIVERY_GRACE)
    (ok (complete-settlement id s (receipts-of id) "write-off"))))

;; Anyone: the signers stopped attesting. Once the last window has been attestable for
;; stall-grace blocks and the Silica is still RUNNING (or OPEN with shares sold), it
;; settles as DEFAULTED at its first unattested window: buyers get everything delivered,
;; the top-ups, the collateral held and the unreleased payment (the default rule); the
;; miner keeps what was released. redeem and collect work as after any default.
(define-public (settle-stalled (token <sip-010-trait>) (id uint))
  (let ((s0 (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA))
        (open (is-eq (get status s0) STATUS_OPEN)))
    (asserts! (or (is-eq (get status s0) STATUS_RUNNING) (and open (> (get sold s0) u0)))
              ERR_BAD_STATUS)
    (asserts! (>= burn-block-height (stall-height s0)) ERR_NOT_STALLED)
    (try! (check-token token))
    (let ((s (if open (try! (activate token id s0)) s0)))
      (print {topic: "stalled", id: id, window: (get next-window s),
              stall-height: (stall-height s0)})
      (settle id s STATUS_DEFAULTED (get next-window s)))))

;; A holder burns all their shares of a settled Silica and receives their share of the
;; buyers' pool: bal * pool / outstanding, from what remains.
(define-public (redeem (token <sip-010-trait>) (id uint))
  (let ((st (unwrap! (map-get? settlements id) ERR_NOT_SETTLED))
        (holder contract-caller)
        (bal (balance-of id holder))
        (amount (if (> bal u0) (/ (* (get pool st) bal) (get shares st)) u0)))
    (asserts! (> bal u0) ERR_NOTHING_TO_REDEEM)
    (asserts! (is-none (map-get? awaiting id)) ERR_DELIVERY_IN_FLIGHT)
    (try! (check-token token))
    (try! (burn-shares id bal holder))
    (map-set settlements id (merge st {pool: (- (get pool st) amount),
                                       shares: (- (get shares st) bal)}))
    (try! (pay-out token amount holder))
    (print {topic: "redeem", id: id, holder: holder, shares: bal, amount: amount,
            pool-left: (- (get pool st) amount)})
    (ok amount)))

;; The miner takes their settlement amount, once.
(define-public (collect (token <sip-010-trait>) (id uint))
  (let ((s (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA))
        (st (unwrap! (map-get? settlements id) ERR_NOT_SETTLED)))
    (asserts! (is-eq contract-caller (get miner s)) ERR_NOT_AUTHORIZED)
    (asserts! (not (get collected st)) ERR_ALREADY_COLLECTED)
    (asserts! (is-none (map-get? awaiting id)) ERR_DELIVERY_IN_FLIGHT)
    (try! (check-token token))
    (map-set settlements id (merge st {collected: true}))
    (try! (pay-out token (get miner-amount st) (get miner s)))
    (print {topic: "collect", id: id, miner: (get miner s), amount: (get miner-amount st)})
    (ok (get miner-amount st))))

;; Public: bootstrap

;; Sets the settlement token, once, by the deployer (checked on contract-caller).
(define-public (set-settlement-token (token principal))
  (begin
    (asserts! (is-eq contract-caller DEPLOYER) ERR_NOT_AUTHORIZED)
    (asserts! (is-none (var-get settlement-token)) ERR_TOKEN_ALREADY_SET)
    (var-set settlement-token (some token))
    (print {topic: "set-settlement-token", token: token})
    (ok true)))

;; Sets the contract whose proven windows record like attested ones, once, by the
;; deployer (deployments/bootstrap.toml: `.silica-proof`).
(define-public (set-prover (new-prover principal))
  (begin
    (asserts! (is-eq contract-caller DEPLOYER) ERR_NOT_AUTHORIZED)
    (asserts! (is-none (var-get prover)) ERR_PROVER_ALREADY_SET)
    (var-set prover (some new-prover))
    (print {topic: "set-prover", prover: new-prover})
    (ok true)))

;; Public: governance (see `is-governance`: dao-core after the bootstrap handover)

(define-public (set-governance (new-governance principal))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (var-set governance new-governance)
    (print {topic: "set-governance", governance: new-governance})
    (ok true)))

(define-public (set-confirmations (blocks uint))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (and (> blocks u0) (<= blocks MAX_CONFIRMATIONS)) ERR_INVALID_PARAMETER)
    (var-set confirmations blocks)
    (print {topic: "set-confirmations", confirmations: blocks})
    (ok true)))

(define-public (set-min-sale-window (blocks uint))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (<= blocks MAX_SALE_WINDOW) ERR_INVALID_PARAMETER)
    (var-set min-sale-window blocks)
    (print {topic: "set-min-sale-window", min-sale-window: blocks})
    (ok true)))

(define-public (set-window-length (blocks uint))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (and (> blocks u0) (<= blocks MAX_WINDOW_LENGTH)) ERR_INVALID_PARAMETER)
    (var-set window-length blocks)
    (print {topic: "set-window-length", window-length: blocks})
    (ok true)))

(define-public (set-stall-grace (blocks uint))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (and (> blocks u0) (<= blocks MAX_STALL_GRACE)) ERR_INVALID_PARAMETER)
    (var-set stall-grace blocks)
    (print {topic: "set-stall-grace", stall-grace: blocks})
    (ok true)))

(define-public (set-delivery-grace (blocks uint))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (and (> blocks u0) (<= blocks MAX_STALL_GRACE)) ERR_INVALID_PARAMETER)
    (var-set delivery-grace blocks)
    (print {topic: "set-delivery-grace", delivery-grace: blocks})
    (ok true)))

(define-public (set-default-index (index uint))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (and (> index u0) (<= index MAX_INDEX)) ERR_INVALID_PARAMETER)
    (var-set default-index index)
    (print {topic: "set-default-index", default-index: index})
    (ok true)))

;; Private

;; Governance is the contract-caller; or, when governance is a contract (dao-core), the
;; tx-sender: a contract principal is tx-sender only inside its own `as-contract`, which
;; dao-core enters only to execute a passed proposal or a foundation pause.
(define-private (is-governance)
  (let ((gov (var-get governance)))
    (or (is-eq contract-caller gov) (and (is-eq tx-sender gov) (is-contract gov)))))

(define-private (is-contract (who principal))
  (match (principal-destruct? who) p (is-some (get name p)) p (is-some (get name p))))

(define-private (ceil-div (a uint) (b uint)) (/ (+ a (- b u1)) b))

(define-private (stall-height (s {miner: principal, hashrate: uint, sold: uint, windows: uint, start: uint, window-length: uint, price: uint, collateral-bps: uint, reference-index: uint, payout-script: (buff 34), signer-version: uint, status: uint, collateral: uint, collateral-held: uint, topups: uint, next-window: uint, cum-delivered: uint, cum-due: uint, released: uint, last-index: uint}))
  (+ (window-final-height s (- (get windows s) u1)) u1 (var-get stall-grace)))

(define-private (window-final-height (s {miner: principal, hashrate: uint, sold: uint, windows: uint, start: uint, window-length: uint, price: uint, collateral-bps: uint, reference-index: uint, payout-script: (buff 34), signer-version: uint, status: uint, collateral: uint, collateral-held: uint, topups: uint, next-window: uint, cum-delivered: uint, cum-due: uint, released: uint, last-index: uint})
                                     (window uint))
  (- (+ (get start s) (* (get window-length s) (+ window u1)) (var-get confirmations)) u1))

;; OPEN -> RUNNING: scales C to ceil(C*sold/H) and returns the rest to the miner.
(define-private (activate (token <sip-010-trait>) (id uint) (s {miner: principal, hashrate: uint, sold: uint, windows: uint, start: uint, window-length: uint, price: uint, collateral-bps: uint, reference-index: uint, payout-script: (buff 34), signer-version: uint, status: uint, collateral: uint, collateral-held: uint, topups: uint, next-window: uint, cum-delivered: uint, cum-due: uint, released: uint, last-index: uint}))
  (let ((scaled (ceil-div (* (get collateral s) (get sold s)) (get hashrate s)))
        (returned (- (get collateral s) scaled)))
    (asserts! (>= burn-block-height (get start s)) ERR_NOT_STARTED)
    (asserts! (> (get sold s) u0) ERR_BAD_STATUS)
    (try! (pay-out token returned (get miner s)))
    (print {topic: "start", id: id, sold: (get sold s), collateral: scaled, returned: returned})
    (ok (merge s {status: STATUS_RUNNING, collateral: scaled, collateral-held: scaled}))))

;; A Silica that takes window records: RUNNING (or OPEN with shares sold), a sane
;; index, the settlement token, and a delivery the registry can mint. (The registry's
;; replay checks run next, then record-window's window order and confirmations.)
(define-private (check-attestable (token <sip-010-trait>) (id uint) (delivered uint) (index uint))
  (let ((s0 (unwrap! (map-get? silicas id) ERR_UNKNOWN_SILICA)))
    (asserts! (or (is-eq (get status s0) STATUS_RUNNING)
                  (and (is-eq (get status s0) STATUS_OPEN) (> (get sold s0) u0)))
              ERR_BAD_STATUS)
    (asserts! (<= index MAX_INDEX) ERR_INVALID_PARAMETER)
    (try! (check-token token))
    (asserts! (or (is-eq delivered u0) (is-eq (contract-of token) MINTED_TOKEN)
                  (not (contract-call? .signer-registry get-mints-deliveries)))
              ERR_DELIVERY_NOT_MINTABLE)
    (ok s0)))

;; Records window `window` if it is the next one and final at `burn-height`, runs the
;; obligation test and releases or settles.
(define-private (record-window (token <sip-010-trait>) (id uint) (s0 {miner: principal, hashrate: uint, sold: uint, windows: uint, start: uint, window-length: uint, price: uint, collateral-bps: uint, reference-index: uint, payout-script: (buff 34), signer-version: uint, status: uint, collateral: uint, collateral-held: uint, topups: uint, next-window: uint, cum-delivered: uint, cum-due: uint, released: uint, last-index: uint})
                               (window uint) (delivered uint) (index uint) (burn-height uint)
                               (attestation (buff 32)))
  (begin
    (asserts! (is-eq window (get next-window s0)) ERR_WINDOW_OUT_OF_ORDER)
    (asserts! (>= burn-height (window-final-height s0 window)) ERR_NOT_CONFIRMED)
    (let ((s (if (is-eq (get status s0) STATUS_OPEN) (try! (activate token id s0)) s0))
          (due (/ (* (get sold s) index) INDEX_SCALE))
          (cum-delivered (+ (get cum-delivered s) delivered))
          (cum-due (+ (get cum-due s) due))
          (locked (locked-collateral (get collateral s) (get windows s) window))
          (passed (>= (+ cum-delivered (get topups s) locked) cum-due))
          (recorded (merge s {cum-delivered: cum-delivered, cum-due: cum-due,
                              next-window: (+ window u1), last-index: index})))
      (map-set windows {id: id, window: window}
        {delivered: delivered, due: due, index: index, burn-height: burn-height,
         attestation: attestation})
      ;; Direct mint: the registry minted `delivered` into the escrow just now.
      (and (contract-call? .signer-registry get-mints-deliveries)
           (map-set receipts id (let ((r (receipts-of id)))
                                  {covered: (+ (get covered r) delivered),
                                   received: (+ (get received r) delivered)})))
      (var-set latest-index index)
      (print {topic: "attest", id: id, window: window, delivered: delivered, index: index,
              due: due, cum-delivered: cum-delivered, cum-due: cum-due, locked: locked,
              topups: (get topups s), passed: passed, attestation: attestation})
      (if passed
          (release token id recorded locked)
          (settle id recorded STATUS_DEFAULTED window)))))

;; Window passed: release payment/N and the unlocked collateral; finish after N.
(define-private (release (token <sip-010-trait>) (id uint) (s {miner: principal, hashrate: uint, sold: uint, windows: uint, start: uint, window-length: uint, price: uint, collateral-bps: uint, reference-index: uint, payout-script: (buff 34), signer-version: uint, status: uint, collateral: uint, collateral-held: uint, topups: uint, next-window: uint, cum-delivered: uint, cum-due: uint, released: uint, last-index: uint})
                         (locked uint))
  (let ((payment (* (get price s) (get sold s)))
        (unlocked (- (get collateral-held s) locked))
        (released (merge s {released: (+ (get released s) payment), collateral-held: locked})))
    (try! (pay-out token (+ payment unlocked) (get miner s)))
    (print {topic: "release", id: id, window: (- (get next-window s) u1), payment: payment,
            collateral: unlocked, released: (get released released)})
    (if (is-eq (get next-window s) (get windows s))
        (settle id released STATUS_FINISHED (- (get next-window s) u1))
        (begin (map-set silicas id released) (ok STATUS_RUNNING)))))

;; FINISHED or DEFAULTED at `window`: fixes the buyers' pool and the miner's amount.
(define-private (settle (id uint) (s {miner: principal, hashrate: uint, sold: uint, windows: uint, start: uint, window-length: uint, price: uint, collateral-bps: uint, reference-index: uint, payout-script: (buff 34), signer-version: uint, status: uint, collateral: uint, collateral-held: uint, topups: uint, next-window: uint, cum-delivered: uint, cum-due: uint, released: uint, last-index: uint})
                        (status uint) (window uint))
  (let ((backing (+ (get cum-delivered s) (get topups s) (get collateral-held s)))
        (unreleased (- (* (get price s) (get windows s) (get sold s)) (get released s)))
        (finished (is-eq status STATUS_FINISHED))
        (pool (if finished (get cum-due s) (+ backing unreleased)))
        (miner-amount (if finished (- backing (get cum-due s)) u0))
        (settled (merge s {status: status}))
        (r (receipts-of id)))
    (map-set silicas id settled)
    (map-set settlements id {pool: pool, shares: (get sold s), miner-amount: miner-amount,
                             collected: false})
    (print {topic: (if finished "finish" "default"), id: id, window: window, buyer-pool: pool, miner-amount: miner-amount,
            unreleased-payment: unreleased,
            in-flight: (- (get cum-delivered s) (get covered r))})
    (if (is-eq (get covered r) (get cum-delivered s))
        (ok (complete-settlement id settled r "delivered"))
        (begin (map-set awaiting id burn-block-height) (ok status)))))

;; Charges delivered - received to the settlement (the miner's amount first, then the
;; buyers' pool) or adds a surplus (to the miner if FINISHED, the pool if DEFAULTED),
;; so the settlement pays out exactly what the escrow holds for this Silica, and opens
;; redeem and collect.
(define-private (complete-settlement (id uint) (s {miner: principal, hashrate: uint, sold: uint, windows: uint, start: uint, window-length: uint, price: uint, collateral-bps: uint, reference-index: uint, payout-script: (buff 34), signer-version: uint, status: uint, collateral: uint, collateral-held: uint, topups: uint, next-window: uint, cum-delivered: uint, cum-due: uint, released: uint, last-index: uint})
                                     (r {covered: uint, received: uint}) (reason (string-ascii 9)))
  (let ((st (unwrap-panic (map-get? settlements id)))
        (delivered (get cum-delivered s))
        (received (get received r))
        (finished (is-eq (get status s) STATUS_FINISHED))
        (net (if (>= received delivered)
                 (if finished
                     (merge st {miner-amount: (+ (get miner-amount st) (- received delivered))})
                     (merge st {pool: (+ (get pool st) (- received delivered))}))
                 (let ((loss (- delivered received))
                       (from-miner (if (< (get miner-amount st) loss) (get miner-amount st) loss)))
                   (merge st {miner-amount: (- (get miner-amount st) from-miner),
                              pool: (- (get pool st) (- loss from-miner))})))))
    (map-delete awaiting id)
    (map-set settlements id net)
    (print {topic: "settlement-complete", id: id, reason: reason, delivered: delivered,
            covered: (get covered r), received: received, buyer-pool: (get pool net),
            miner-amount: (get miner-amount net)})
    (get status s)))

(define-private (check-token (token <sip-010-trait>))
  (ok (asserts! (is-eq (some (contract-of token)) (var-get settlement-token)) ERR_WRONG_TOKEN)))

(define-private (pay-in (token <sip-010-trait>) (amount uint) (payer principal))
  (contract-call? token transfer amount payer SELF none))

(define-private (pay-out (token <sip-010-trait>) (amount uint) (recipient principal))
  (if (> amount u0)
      (as-contract (contract-call? token transfer amount tx-sender recipient none))
      (ok true)))

(define-private (receipts-of (id uint))
  (default-to {covered: u0, received: u0} (map-get? receipts id)))

(define-private (balance-of (id uint) (who principal))
  (default-to u0 (map-get? balances {token-id: id, owner: who})))

(define-private (mint-shares (id uint) (amount uint) (recipient principal))
  (begin
    (try! (ft-mint? silica-share amount recipient))
    (map-set balances {token-id: id, owner: recipient} (+ (balance-of id recipient) amount))
    (map-set supplies id (+ (default-to u0 (map-get? supplies id)) amount))
    (print {type: "sft_mint", token-id: id, amount: amount, recipient: recipient})
    (ok true)))

(define-private (burn-shares (id uint) (amount uint) (owner principal))
  (begin
    (try! (ft-burn? silica-share amount owner))
    (map-set balances {token-id: id, owner: owner} (- (balance-of id owner) amount))
    (map-set supplies id (- (default-to u0 (map-get? supplies id)) amount))
    (print {type: "sft_burn", token-id: id, amount: amount, sender: owner})
    (ok true)))

(define-private (move-shares (id uint) (amount uint) (sender principal) (recipient principal))
  (let ((bal (balance-of id sender)))
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (not (is-eq sender recipient)) ERR_SELF_TRANSFER)
    (asserts! (<= amount bal) ERR_INSUFFICIENT_BALANCE)
    (try! (ft-transfer? silica-share amount sender recipient))
    (map-set balances {token-id: id, owner: sender} (- bal amount))
    (map-set balances {token-id: id, owner: recipient} (+ (balance-of id recipient) amount))
    (print {type: "sft_transfer", token-id: id, amount: amount, sender: sender,
            recipient: recipient})
    (ok true)))

(define-private (transfer-many-iter (item {token-id: uint, amount: uint, sender: principal,
                                           recipient: principal})
                                    (previous (response bool uint)))
  (match previous
    ok-value (transfer (get token-id item) (get amount item) (get sender item) (get recipient item))
    err-value previous))

(define-private (transfer-many-memo-iter (item {token-id: uint, amount: uint, sender: principal,
                                                recipient: principal, memo: (buff 34)})
                                         (previous (response bool uint)))
  (match previous
    ok-value (transfer-memo (get token-id item) (get amount item) (get sender item)
                            (get recipient item) (get memo item))
    err-value previous))
