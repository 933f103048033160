;; amm-router: multi-hop swaps through amm-pool, 2 to 4 pools, with a minimum output
;; on every hop and overall, a deadline, and quotes that chain the pools' own quotes.
;;
;; A route is the token path t1 -> t2 -> ... and the pool ids between them; each pool
;; must hold both neighbouring tokens (amm-pool checks the traits). Every hop pays the
;; trader (tx-sender), who pays the next hop, so the router never holds funds.

(use-trait ft .sip-010-trait.sip-010-trait)

;; Errors: block 10xx (see clarity/README.md).
;; The final output is below the overall minimum (each hop's own minimum is checked
;; by amm-pool swap, which fails with its ERR_SLIPPAGE).
(define-constant ERR_SLIPPAGE (err u1000))
;; A quoted hop's pool does not hold exactly that hop's two tokens.
(define-constant ERR_BAD_ROUTE (err u1001))

;; Read-only: quotes

(define-read-only (quote-2 (t1 principal) (t2 principal) (t3 principal) (p1 uint) (p2 uint) (dx uint))
  (let ((d1 (try! (hop-out p1 t1 t2 dx))))
    (hop-out p2 t2 t3 d1)))

(define-read-only (quote-3 (t1 principal) (t2 principal) (t3 principal) (t4 principal) (p1 uint) (p2 uint) (p3 uint) (dx uint))
  (let ((d2 (try! (quote-2 t1 t2 t3 p1 p2 dx))))
    (hop-out p3 t3 t4 d2)))

(define-read-only (quote-4 (t1 principal) (t2 principal) (t3 principal) (t4 principal) (t5 principal) (p1 uint) (p2 uint) (p3 uint) (p4 uint) (dx uint))
  (let ((d3 (try! (quote-3 t1 t2 t3 t4 p1 p2 p3 dx))))
    (hop-out p4 t4 t5 d3)))

;; Public: swaps. hop-mins[i] is the minimum output of hop i.

(define-public (swap-2 (t1 <ft>) (t2 <ft>) (t3 <ft>) (p1 uint) (p2 uint) (dx uint) (hop-mins {h1: uint, h2: uint}) (min-out uint) (deadline uint))
  (let (
      (d1 (try! (hop p1 t1 t2 dx (get h1 hop-mins) deadline)))
      (d2 (try! (hop p2 t2 t3 d1 (get h2 hop-mins) deadline))))
    (finish (list d1 d2) d2 min-out)))

(define-public (swap-3 (t1 <ft>) (t2 <ft>) (t3 <ft>) (t4 <ft>) (p1 uint) (p2 uint) (p3 uint) (dx uint) (hop-mins {h1: uint, h2: uint, h3: uint}) (min-out uint) (deadline uint))
  (let (
      (d1 (try! (hop p1 t1 t2 dx (get h1 hop-mins) deadline)))
      (d2 (try! (hop p2 t2 t3 d1 (get h2 hop-mins) deadline)))
      (d3 (try! (hop p3 t3 t4 d2 (get h3 hop-mins) deadline))))
    (finish (list d1 d2 d3) d3 min-out)))

(define-public (swap-4 (t1 <ft>) (t2 <ft>) (t3 <ft>) (t4 <ft>) (t5 <ft>) (p1 uint) (p2 uint) (p3 uint) (p4 uint) (dx uint) (hop-mins {h1: uint, h2: uint, h3: uint, h4: uint}) (min-out uint) (deadline uint))
  (let (
      (d1 (try! (hop p1 t1 t2 dx (get h1 hop-mins) deadline)))
      (d2 (try! (hop p2 t2 t3 d1 (get h2 hop-mins) deadline)))
      (d3 (try! (hop p3 t3 t4 d2 (get h3 hop-mins) deadline)))
      (d4 (try! (hop p4 t4 t5 d3 (get h4 hop-mins) deadline))))
    (finish (list d1 d2 d3 d4) d4 min-out)))

;; Private

(define-private (hop (id uint) (token-in <ft>) (token-out <ft>) (dx uint) (min-dy uint) (deadline uint))
  (ok (get dy (try! (contract-call? .amm-pool swap id token-in token-out dx min-dy deadline)))))

(define-private (hop-out (id uint) (token-in principal) (token-out principal) (dx uint))
  (let ((pool (try! (contract-call? .amm-pool get-pool id))))
    (asserts! (or (and (is-eq token-in (get token-x pool)) (is-eq token-out (get token-y pool)))
                  (and (is-eq token-in (get token-y pool)) (is-eq token-out (get token-x pool))))
              ERR_BAD_ROUTE)
    (ok (get dy (try! (contract-call? .amm-pool get-amount-out id token-in dx))))))

(define-private (finish (outs (list 4 uint)) (out uint) (min-out uint))
  (begin
    (asserts! (>= out min-out) ERR_SLIPPAGE)
    (print {topic: "route-swap", trader: tx-sender, hops: (len outs), outs: outs})
    (ok out)))
