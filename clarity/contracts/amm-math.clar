;; amm-math: 8-decimal fixed-point arithmetic, ln/exp/pow, and the swap equations of
;; the AMM curves (weighted constant product and the Solidly stable curve).
;;
;; Public numbers are 8-decimal fixed point (ONE_8 = 1e8 is 1.0). ln, exp and pow run
;; internally at 18 decimals (ONE_18) in int128 with range reduction, so the 8-decimal
;; results are correctly rounded except within a few 1e-18 of a rounding boundary.
;;
;; Domains and error bounds (measured by clarity/tests/amm_math.rs against f64):
;; - ln-fixed x: 0 < x < 3.4e28 (raw); |error| <= 0.5 unit of 1e-8 (round to nearest).
;;   ln-18 x (18-decimal input): 0 < x < 2^128; |error| <= 3e-17 absolute (LN2_18 is ln 2
;;     rounded to 18 decimals, 0.42e-18 short, and is multiplied by the binary exponent k,
;;     |k| <= 64: ln-18(1) is 23e-18 off, the worst case near 2^128 about 28e-18).
;; - exp-fixed a: a <= 68.6 (raw 6.86e9); results below 1e-8 are 0; relative error
;;   <= 1e-15 plus the final rounding to 1e-8.
;; - pow-fixed x y = exp(y ln x): x < 3.4e28, x^y < 6.6e29, y*|ln x| < 2^127/1e18;
;;   relative error <= 1e-14 * max(1, y) plus rounding. pow-down/pow-up widen the
;;   result by POW_REL_MARGIN so the true value is bracketed.
;;
;; Every overflow aborts the transaction (checked arithmetic, never clamped); domain
;; errors return the ERR_* codes below.

;; Errors: block 8xx (see clarity/README.md).
;; ln of zero.
(define-constant ERR_LN_OF_ZERO (err u800))
;; exp or pow result does not fit in 128 bits.
(define-constant ERR_EXP_OVERFLOW (err u801))
;; A curve was given an empty balance or weights outside (0, 1).
(define-constant ERR_CURVE_DOMAIN (err u802))

(define-constant ONE_8 u100000000)
(define-constant ONE_18 u1000000000000000000)
(define-constant iONE_18 1000000000000000000)
;; 1e10 converts between 8 and 18 decimals.
(define-constant SCALE_8_18 u10000000000)
(define-constant iSCALE_8_18 10000000000)
(define-constant HALF_SCALE 5000000000)
(define-constant uHALF_SCALE u5000000000)
;; ln 2 = 0.693147180559945309417..., and half of it, at 18 decimals.
(define-constant LN2_18 693147180559945309)
(define-constant HALF_LN2_18 346573590279972655)
;; 1/sqrt(2) = 0.707106781186547524400... at 18 decimals.
(define-constant INV_SQRT2_18 u707106781186547524)
;; Safety margin, in 1e-18 units, that the weighted equation subtracts per unit of the
;; weight ratio: it bounds the error of exp(w ln r) so that rounding stays against the
;; trader (the measured error is below 20 units).
(define-constant POW_MARGIN_18 u64)
;; pow-down / pow-up widen a pow-fixed result by raw / POW_REL_MARGIN + 1 (1e-12).
(define-constant POW_REL_MARGIN u1000000000000)

;; Read-only: fixed-point products and quotients (8 decimals)

;; floor(a*b / 1e8)
(define-read-only (mul-down (a uint) (b uint)) (/ (* a b) ONE_8))

;; ceil(a*b / 1e8)
(define-read-only (mul-up (a uint) (b uint))
  (let ((p (* a b)))
    (if (is-eq p u0) u0 (+ u1 (/ (- p u1) ONE_8)))))

;; floor(a*1e8 / b); b = 0 aborts.
(define-read-only (div-down (a uint) (b uint)) (/ (* a ONE_8) b))

;; ceil(a*1e8 / b); b = 0 aborts.
(define-read-only (div-up (a uint) (b uint))
  (if (is-eq a u0)
    (/ u0 b)
    (+ u1 (/ (- (* a ONE_8) u1) b))))

;; Read-only: logarithm, exponential, power (8 decimals)

;; ln(x), x at 8 decimals, rounded to nearest.
(define-read-only (ln-fixed (x uint))
  (let ((l (begin (asserts! (> x u0) ERR_LN_OF_ZERO) (ln-core (* x SCALE_8_18)))))
    (ok (/ (+ l (if (< l 0) (- 0 HALF_SCALE) HALF_SCALE)) iSCALE_8_18))))

;; e^a, a at 8 decimals, rounded to nearest.
(define-read-only (exp-fixed (a int))
  (exp-to-8 (* a iSCALE_8_18)))

;; x^y = e^(y ln x), both at 8 decimals, rounded to nearest. 0^y = 0 for y > 0; x^0 = 1.
(define-read-only (pow-fixed (x uint) (y uint))
  (if (is-eq y u0)
    (ok ONE_8)
    (if (is-eq x u0)
      (ok u0)
      (exp-to-8 (/ (* (ln-core (* x SCALE_8_18)) (to-int y)) (to-int ONE_8))))))

;; pow-fixed lowered by its error bound: never above the true x^y.
(define-read-only (pow-down (x uint) (y uint))
  (let ((raw (try! (pow-fixed x y)))
        (margin (+ u1 (/ raw POW_REL_MARGIN))))
    (ok (if (> raw margin) (- raw margin) u0))))

;; pow-fixed raised by its error bound: never below the true x^y.
(define-read-only (pow-up (x uint) (y uint))
  (let ((raw (try! (pow-fixed x y))))
    (ok (+ raw u1 (/ raw POW_REL_MARGIN)))))

;; Read-only: 18-decimal kernels (exposed for tests and later contracts)

;; ln(x) at 18 decimals for x at 18 decimals, x > 0.
(define-read-only (ln-18 (x uint))
  (begin
    (asserts! (> x u0) ERR_LN_OF_ZERO)
    (ok (ln-core x))))

;; e^a at 18 decimals for a at 18 decimals.
(define-read-only (exp-18 (a int))
  (let ((e (exp-core a)) (k (get k e)))
    (if (>= k 0)
      (begin
        ;; m < 2^61, so m << k fits while k <= 66.
        (asserts! (<= k 66) ERR_EXP_OVERFLOW)
        (ok (bit-shift-left (get m e) (to-uint k))))
      (ok (if (< k -127) u0 (bit-shift-right (get m e) (to-uint (- 0 k))))))))

;; Read-only: curve equations

;; Constant product, 50/50: dy = floor(y*dx / (x+dx)). Exact, no pow.
(define-read-only (get-y-given-x-cp (x uint) (y uint) (dx uint))
  (/ (* y dx) (+ x dx)))

;; Weighted constant product: dy = y * (1 - (x/(x+dx))^(wx/wy)), weights at 8 decimals.
;; Every rounding step goes against the trader: the base is rounded up, the exponent
;; down, exp(w ln r) is raised by its error bound, and the product is floored.
(define-read-only (get-y-given-x-weighted (x uint) (y uint) (wx uint) (wy uint) (dx uint))
  (begin
    (asserts! (and (> x u0) (> y u0) (> wx u0) (> wy u0)) ERR_CURVE_DOMAIN)
    (let (
        (s (+ x dx))
        (r (+ u1 (/ (- (* x ONE_18) u1) s)))
        (w (/ (* wx ONE_18) wy))
        (a (/ (* (ln-core r) (to-int w)) iONE_18))
        (e (try! (exp-18 a)))
        (bound (+ e (* POW_MARGIN_18 (+ u1 (/ w ONE_18))))))
      (ok (if (>= bound ONE_18) u0 (/ (* y (- ONE_18 bound)) ONE_18))))))

;; Weighted spot price of x in y at 8 decimals: y*wx / (x*wy).
(define-read-only (spot-weighted (x uint) (y uint) (wx uint) (wy uint))
  (/ (* y wx ONE_8) (* x wy)))

;; Solidly stable curve x^3 y + x y^3 = k: dy for dx. Computed on balances normalised
;; by s = x + y at 18 decimals (so 128 bits never overflow), with k rounded up, the
;; new x rounded down and the new y rounded up: dy is never above the exact value.
(define-read-only (get-y-given-x-stable (x uint) (y uint) (dx uint))
  (begin
    (asserts! (and (> x u0) (> y u0)) ERR_CURVE_DOMAIN)
    (let (
        (s (+ x y))
        (p (ceil-ratio-18 x s))
        (q (ceil-ratio-18 y s))
        (k (+ (stable-k p q) u1))
        (p1 (/ (* (+ x dx) ONE_18) s))
        (q1 (+ (newton-y p1 k q) u2))
        (y1 (+ u1 (/ (- (* q1 s) u1) ONE_18))))
      (ok (if (> y y1) (- y y1) u0)))))

;; Stable marginal price of x in y at 8 decimals: (3x^2 y + y^3) / (x^3 + 3x y^2).
(define-read-only (spot-stable (x uint) (y uint))
  (/ (spot-stable-18 x y) u10000000000))

;; ceil(dx * stable marginal price of x in y), rounded up: the bound that the
;; not-better-than-spot guard compares a stable swap's output with.
(define-read-only (mul-spot-stable (x uint) (y uint) (dx uint))
  (let ((spot (+ (spot-stable-18 x y) u2)))
    (+ (* dx (/ spot ONE_18)) (+ u1 (/ (* dx (mod spot ONE_18)) ONE_18)))))

;; Private: ln and exp kernels

;; ln(x / 1e18) * 1e18. x is shifted into [2^59, 2^60) (i.e. [0.58, 1.15) as a
;; fraction), doubled below 1/sqrt 2, so ln m = 2 atanh z with |z| <= 0.1716 and the
;; odd series to z^23 is below 1e-18.
(define-private (ln-core (x uint))
  (let (
      (l (log2 x))
      (m0 (if (>= l u59) (bit-shift-right x (- l u59)) (bit-shift-left x (- u59 l))))
      (low (< m0 INV_SQRT2_18))
      (m (to-int (if low (* m0 u2) m0)))
      (k (- (to-int l) (if low 60 59)))
      (z (/ (* (- m iONE_18) iONE_18) (+ m iONE_18)))
      (z2 (/ (* z z) iONE_18))
      ;; Horner: 1 + z2/3 + z2^2/5 + ... + z2^11/23
      (h (ln-step 3 z2 (ln-step 5 z2 (ln-step 7 z2 (ln-step 9 z2 (ln-step 11 z2
           (ln-step 13 z2 (ln-step 15 z2 (ln-step 17 z2 (ln-step 19 z2 (ln-step 21 z2
           (/ iONE_18 23)))))))))))))
    (+ (* k LN2_18) (/ (* 2 z (+ iONE_18 (/ (* z2 h) iONE_18))) iONE_18))))

;; One Horner step of the atanh series: 1/n + z2 * acc.
(define-private (ln-step (n int) (z2 int) (acc int))
  (+ (/ iONE_18 n) (/ (* z2 acc) iONE_18)))

;; e^(a/1e18) = m * 2^k / 1e18 with m in [0.70, 1.42] * 1e18: a = k ln 2 + r with
;; |r| <= ln2 / 2, and e^r by Taylor to r^16 (remainder below 1e-19).
(define-private (exp-core (a int))
  (let (
      (k (/ (+ a (if (< a 0) (- 0 HALF_LN2_18) HALF_LN2_18)) LN2_18))
      (r (- a (* k LN2_18)))
      (e (exp-step 1 r (exp-step 2 r (exp-step 3 r (exp-step 4 r (exp-step 5 r
           (exp-step 6 r (exp-step 7 r (exp-step 8 r (exp-step 9 r (exp-step 10 r
           (exp-step 11 r (exp-step 12 r (exp-step 13 r (exp-step 14 r (exp-step 15 r
           (exp-step 16 r iONE_18))))))))))))))))))
    {m: (to-uint e), k: k}))

;; One Horner step of the Taylor series: 1 + r * acc / n.
(define-private (exp-step (n int) (r int) (acc int))
  (+ iONE_18 (/ (* r acc) (* n iONE_18))))

;; e^a (a at 18 decimals) rounded to 8 decimals.
(define-private (exp-to-8 (a int))
  (let ((e (exp-core a)) (k (get k e)) (m (get m e)))
    (if (>= k 0)
      (if (<= k 66)
        (ok (/ (+ (bit-shift-left m (to-uint k)) uHALF_SCALE) SCALE_8_18))
        (begin
          ;; (m << 66) / 1e10 < 2^94, so a further shift by up to 33 fits.
          (asserts! (<= k 99) ERR_EXP_OVERFLOW)
          (ok (bit-shift-left (/ (bit-shift-left m u66) SCALE_8_18) (to-uint (- k 66))))))
      (ok (if (< k -127) u0 (/ (+ (bit-shift-right m (to-uint (- 0 k))) uHALF_SCALE) SCALE_8_18))))))

;; Private: stable-curve helpers

;; Marginal price of x in y at 18 decimals, on balances normalised by x + y.
(define-private (spot-stable-18 (x uint) (y uint))
  (let (
      (s (+ x y))
      (p (/ (* x ONE_18) s))
      (q (/ (* y ONE_18) s))
      (pp (/ (* p p) ONE_18))
      (qq (/ (* q q) ONE_18)))
    (/ (* (/ (* (+ (* u3 pp) qq) q) ONE_18) ONE_18) (/ (* (+ pp (* u3 qq)) p) ONE_18))))

;; ceil(a * 1e18 / b)
(define-private (ceil-ratio-18 (a uint) (b uint))
  (+ u1 (/ (- (* a ONE_18) u1) b)))

;; p q (p^2 + q^2) at 18 decimals.
(define-private (stable-k (p uint) (q uint))
  (/ (* (/ (* p q) ONE_18) (+ (/ (* p p) ONE_18) (/ (* q q) ONE_18))) ONE_18))

;; Newton's method for q with p^3 q + p q^3 = k, from a start above the root (the
;; function is convex and increasing in q, so the iterates decrease monotonically).
(define-private (newton-y (p uint) (k uint) (q0 uint))
  (get q (fold newton-step (list u1 u2 u3 u4 u5 u6 u7 u8 u9 u10 u11 u12)
    {p: p, p3: (/ (* (/ (* p p) ONE_18) p) ONE_18), k: k, q: q0, done: false})))

(define-private (newton-step (i uint) (st {p: uint, p3: uint, k: uint, q: uint, done: bool}))
  (if (get done st)
    st
    (let (
        (p (get p st))
        (q (get q st))
        (qq (/ (* q q) ONE_18))
        (f (+ (/ (* (get p3 st) q) ONE_18) (/ (* p (/ (* qq q) ONE_18)) ONE_18)))
        (k (get k st)))
      (if (<= f k)
        (merge st {done: true})
        (let ((step (/ (* (- f k) ONE_18) (+ (get p3 st) (/ (* u3 p qq) ONE_18)))))
          (if (is-eq step u0)
            (merge st {done: true})
            (merge st {q: (- q step)})))))))
