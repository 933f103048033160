;; amm-wstx: native STX behind the SIP-010 interface, so STX can be pooled in amm-pool.
;; There is no separate ledger and nothing to wrap: balances and transfers are native
;; STX (6 decimals, micro-STX). A transfer moves tx-sender's STX with stx-transfer?,
;; which the VM itself authorises, so `sender` must be tx-sender.

(impl-trait .sip-010-trait.sip-010-trait)

;; Errors: block 12xx, 1220-1229 (see clarity/README.md).
;; `sender` is not tx-sender (stx-transfer? can only move tx-sender's STX).
(define-constant ERR_NOT_OWNER (err u1220))

;; Read-only

(define-read-only (get-name) (ok "Wrapped STX (native)"))
(define-read-only (get-symbol) (ok "wSTX"))
(define-read-only (get-decimals) (ok u6))
(define-read-only (get-balance (who principal)) (ok (stx-get-balance who)))
(define-read-only (get-total-supply) (ok stx-liquid-supply))
(define-read-only (get-token-uri) (ok none))

;; Public

(define-public (transfer (amount uint) (sender principal) (recipient principal) (memo (optional (buff 34))))
  (begin
    (asserts! (is-eq tx-sender sender) ERR_NOT_OWNER)
    (try! (stx-transfer? amount sender recipient))
    (match memo m (print m) 0x)
    (ok true)))
