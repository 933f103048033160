;; silica-proof: Silica deliveries proven from Bitcoin data alone (btc-proof), the
;; trust-minimised path beside the signers' M-of-N attestations (silica attest-window).
;;
;; Anyone proves, for window w of a Silica, each of the window's L blocks (prove-block:
;; the header at its height and the coinbase at index 0 with its BIP34 height) and any
;; other transaction of those blocks that pays the payout script (prove-payment: a
;; pool's FPPS payout, the miner's own top-up in BTC; who pays does not matter, sats
;; that reach the payout script on the best chain are delivery). Per window it sums
;;   delivered = sats paid to the payout script by the proven coinbases and transactions,
;;   reward    = the coinbases' output values (subsidy + fees claimed),
;;   work      = each header's work, 2^256 / (target + 1), or on a devnet the simulated
;;               work per block (set once by the deployer, never on mainnet),
;; and once all L blocks are proven, prove-window computes the index exactly as the
;; indexer and the signers do (alkahest_protocol::index):
;;   index = floor(86400 * 10^12 * 10^8 * reward / work)
;; and settles the window through silica's record-proven-window as attest-window would.
;;
;; Counting: a block counts once per Silica ({id, height}), a transaction once per
;; Silica ({id, txid}), and index 0 (the coinbase) only through prove-block. A window is
;; recorded once, by whichever path comes first: after the signers attest it, its
;; proofs are refused (the window is no longer open) and prove-window fails on silica's
;; window order; the registry also refuses a second mint for the same (Silica, window).
;; Reorgs: blocks are proven only once the window is final (its last block has
;; silica's `confirmations` on top), against the header hash the Stacks node holds.

(use-trait sip-010-trait .sip-010-trait.sip-010-trait)

(define-constant DEPLOYER tx-sender)
;; 86400 s * 10^12 hashes per TH * 10^8 index units per sat.
(define-constant INDEX_NUMERATOR u8640000000000000000000000)
(define-constant STATUS_OPEN u0)
(define-constant STATUS_RUNNING u1)
(define-constant CHAIN_ID_MAINNET u1)

;; Errors: block 21xx (see clarity/README.md).
;; Not the deployer, or the simulated work on mainnet.
(define-constant ERR_NOT_AUTHORIZED (err u2100))
;; No Silica with this id.
(define-constant ERR_UNKNOWN_SILICA (err u2101))
;; The Silica is not running (nor open with shares sold).
(define-constant ERR_BAD_STATUS (err u2102))
;; The window is already recorded, or past the Silica's last.
(define-constant ERR_BAD_WINDOW (err u2103))
;; The block's height is not in the window.
(define-constant ERR_HEIGHT_OUTSIDE_WINDOW (err u2104))
;; The window is not final yet (its last block lacks confirmations).
(define-constant ERR_NOT_FINAL (err u2105))
;; This block was proven for this Silica before.
(define-constant ERR_BLOCK_PROVEN (err u2106))
;; A payment's block must be proven first (its coinbase fixes the tree depth).
(define-constant ERR_BLOCK_NOT_PROVEN (err u2107))
;; This transaction was proven for this Silica before.
(define-constant ERR_TX_PROVEN (err u2108))
;; Index 0 is the coinbase, counted by prove-block.
(define-constant ERR_COINBASE_INDEX (err u2109))
;; The transaction pays nothing to the payout script.
(define-constant ERR_NOTHING_PAID (err u2110))
;; Not every block of the window is proven yet.
(define-constant ERR_WINDOW_INCOMPLETE (err u2111))
;; The simulated work is set already, or a proof came first.
(define-constant ERR_ALREADY_SET (err u2112))
;; A simulated work of 0.
(define-constant ERR_INVALID_PARAMETER (err u2113))

;; Devnet only: every block's work for the index (regtest's own work is ~2 hashes).
(define-data-var simulated-work (optional uint) none)
;; Set by the first proof: the simulated work cannot change under proven blocks.
(define-data-var proving-started bool false)

(define-map blocks {id: uint, height: uint} {window: uint, depth: uint})
(define-map payments {id: uint, txid: (buff 32)} {window: uint, height: uint, paid: uint})
(define-map tallies {id: uint, window: uint} {blocks: uint, reward: uint, work: uint, delivered: uint})

;; Read-only

(define-read-only (get-simulated-work) (var-get simulated-work))
(define-read-only (get-tally (id uint) (window uint))
  (default-to {blocks: u0, reward: u0, work: u0, delivered: u0}
              (map-get? tallies {id: id, window: window})))
(define-read-only (get-block (id uint) (height uint)) (map-get? blocks {id: id, height: height}))
(define-read-only (get-payment (id uint) (txid (buff 32))) (map-get? payments {id: id, txid: txid}))

;; The index a tally gives (0 without work), as prove-window computes it.
(define-read-only (tally-index (reward uint) (work uint))
  (if (is-eq work u0) u0 (/ (* INDEX_NUMERATOR reward) work)))

;; Public

;; Devnet: the work every block counts for (alkahest_protocol::index::WorkModel::
;; SimulatedDifficulty). Once, by the deployer, before any proof; never on mainnet.
(define-public (set-simulated-work (work uint))
  (begin
    (asserts! (and (is-eq contract-caller DEPLOYER) (not (is-eq chain-id CHAIN_ID_MAINNET)))
              ERR_NOT_AUTHORIZED)
    (asserts! (> work u0) ERR_INVALID_PARAMETER)
    (asserts! (and (is-none (var-get simulated-work)) (not (var-get proving-started)))
              ERR_ALREADY_SET)
    (var-set simulated-work (some work))
    (print {topic: "set-simulated-work", work: work})
    (ok true)))

;; Anyone: block `height` of window `window` of Silica `id`, by its header and coinbase.
(define-public (prove-block (id uint) (window uint) (height uint) (header (buff 80))
                            (coinbase (buff 8192)) (proof (list 16 (buff 32))))
  (let ((s (try! (open-window id window height)))
        (block (try! (contract-call? .btc-proof verify-coinbase height header coinbase proof
                                     (get payout-script s))))
        (work (match (var-get simulated-work)
                w w
                (try! (contract-call? .btc-proof block-work (get bits block)))))
        (t (get-tally id window))
        (next (merge t {blocks: (+ (get blocks t) u1), reward: (+ (get reward t) (get reward block)),
                        work: (+ (get work t) work),
                        delivered: (+ (get delivered t) (get paid block))})))
    (asserts! (map-insert blocks {id: id, height: height} {window: window, depth: (get depth block)})
              ERR_BLOCK_PROVEN)
    (map-set tallies {id: id, window: window} next)
    (var-set proving-started true)
    (print {topic: "prove-block", id: id, window: window, height: height,
            coinbase: (get txid block), paid: (get paid block), reward: (get reward block),
            work: work, blocks: (get blocks next), delivered: (get delivered next)})
    (ok next)))

;; Anyone: a transaction other than the coinbase of a proven block that pays the
;; Silica's payout script.
(define-public (prove-payment (id uint) (window uint) (height uint) (header (buff 80))
                              (tx (buff 8192)) (index uint) (proof (list 16 (buff 32))))
  (let ((s (try! (open-window id window height)))
        (block (unwrap! (map-get? blocks {id: id, height: height}) ERR_BLOCK_NOT_PROVEN)))
    (asserts! (> index u0) ERR_COINBASE_INDEX)
    (let ((paid-tx (try! (contract-call? .btc-proof verify-tx height header tx index proof
                                         (get depth block) (get payout-script s))))
          (paid (get paid paid-tx))
          (t (get-tally id window))
          (next (merge t {delivered: (+ (get delivered t) paid)})))
      (asserts! (> paid u0) ERR_NOTHING_PAID)
      (asserts! (map-insert payments {id: id, txid: (get txid paid-tx)}
                            {window: window, height: height, paid: paid})
                ERR_TX_PROVEN)
      (map-set tallies {id: id, window: window} next)
      (print {topic: "prove-payment", id: id, window: window, height: height,
              txid: (get txid paid-tx), paid: paid, delivered: (get delivered next)})
      (ok next))))

;; Anyone: settles window `window` from its proofs once every block of it is proven.
(define-public (prove-window (token <sip-010-trait>) (id uint) (window uint))
  (let ((s (unwrap! (contract-call? .silica get-silica id) ERR_UNKNOWN_SILICA))
        (t (get-tally id window))
        (index (tally-index (get reward t) (get work t))))
    (asserts! (is-eq (get blocks t) (get window-length s)) ERR_WINDOW_INCOMPLETE)
    (print {topic: "prove-window", id: id, window: window, delivered: (get delivered t),
            reward: (get reward t), work: (get work t), index: index})
    (contract-call? .silica record-proven-window token id window (get delivered t) index)))

;; Private

;; Silica `id` takes proofs for `window` at `height`: running (or open with shares
;; sold), the window not recorded yet, the height in it, and the window final.
(define-private (open-window (id uint) (window uint) (height uint))
  (let ((s (unwrap! (contract-call? .silica get-silica id) ERR_UNKNOWN_SILICA))
        (first (+ (get start s) (* (get window-length s) window)))
        (end (+ first (get window-length s))))
    (asserts! (or (is-eq (get status s) STATUS_RUNNING)
                  (and (is-eq (get status s) STATUS_OPEN) (> (get sold s) u0)))
              ERR_BAD_STATUS)
    (asserts! (and (>= window (get next-window s)) (< window (get windows s))) ERR_BAD_WINDOW)
    (asserts! (and (>= height first) (< height end)) ERR_HEIGHT_OUTSIDE_WINDOW)
    (asserts! (> burn-block-height (try! (contract-call? .silica get-window-final-height id window)))
              ERR_NOT_FINAL)
    (ok s)))
