;; dao-foundation: the foundation's safeguards while governance is young (ALEXnomics), an
;; extension of dao-core.
;;
;; An M-of-N multisig of foundation members may
;;   - veto a passed proposal during its timelock (`dao-voting veto`), and
;;   - pause or resume a named subsystem: "amm" (through `dao-core pause-subsystem`)
;;     or "governance" (proposing, voting and executing, `dao-voting set-paused`).
;; Each action runs when the M-th distinct member signals the same action. Both powers
;; end at `expiry`, a burn height set by the bootstrap proposal; a DAO vote may bring the
;; expiry forward (`set-expiry` only ever lowers it) but never extend it, so the powers
;; cannot be prolonged by the people they check.
;;
;; Members sign by calling directly: the member must be contract-caller.

;; Errors: block 16xx (see clarity/README.md).
;; The caller is not a member (signals) or not the DAO (setup).
(define-constant ERR_NOT_AUTHORIZED (err u1600))
;; The foundation's powers have expired.
(define-constant ERR_EXPIRED (err u1601))
;; This member already signalled this action.
(define-constant ERR_ALREADY_SIGNALLED (err u1602))
;; The member set or threshold is invalid (empty, or M not in 1..=N).
(define-constant ERR_INVALID_MEMBERS (err u1603))
;; The new expiry is later than the current one.
(define-constant ERR_EXPIRY_EXTENDED (err u1604))
;; No subsystem has that name.
(define-constant ERR_UNKNOWN_SUBSYSTEM (err u1605))
;; The members were already set (only the bootstrap sets them).
(define-constant ERR_ALREADY_SET (err u1606))

(define-data-var members (list 15 principal) (list))
(define-data-var threshold uint u0)
(define-data-var expiry uint u0)
;; Actions are numbered by `round`: an executed action starts a new round, so the same
;; action (pause again after a resume) is signalled afresh.
(define-data-var round uint u0)
(define-map signals {round: uint, action: {kind: (string-ascii 16), id: uint, flag: bool}, member: principal} bool)
(define-map signal-counts {round: uint, action: {kind: (string-ascii 16), id: uint, flag: bool}} uint)

;; Read-only

(define-read-only (get-members) {members: (var-get members), threshold: (var-get threshold),
                                 expiry: (var-get expiry), round: (var-get round),
                                 active: (< burn-block-height (var-get expiry))})
(define-read-only (is-member (who principal)) (is-some (index-of? (var-get members) who)))
(define-read-only (get-signals (kind (string-ascii 16)) (id uint) (flag bool))
  (default-to u0 (map-get? signal-counts {round: (var-get round), action: {kind: kind, id: id, flag: flag}})))

;; Public: members

;; Signals a veto of proposal `id`; the M-th signal vetoes it.
(define-public (signal-veto (id uint))
  (begin
    (if (try! (signal {kind: "veto", id: id, flag: true}))
      (contract-call? .dao-voting veto id)
      (ok false))))

;; Signals pausing (`paused` true) or resuming a subsystem: "amm" or "governance".
(define-public (signal-pause (subsystem (string-ascii 16)) (paused bool))
  (let ((kind (if (is-eq subsystem "amm") "pause-amm" "pause-governance")))
    (asserts! (or (is-eq subsystem "amm") (is-eq subsystem "governance")) ERR_UNKNOWN_SUBSYSTEM)
    (if (try! (signal {kind: kind, id: u0, flag: paused}))
      (if (is-eq subsystem "amm")
        (contract-call? .dao-core pause-subsystem "amm" paused)
        (contract-call? .dao-voting set-paused paused))
      (ok false))))

;; Public: the DAO

;; Sets the members, threshold and expiry. Once, by the DAO (the bootstrap proposal).
(define-public (set-members (new-members (list 15 principal)) (m uint) (until uint))
  (begin
    (try! (check-dao))
    (asserts! (is-eq (var-get threshold) u0) ERR_ALREADY_SET)
    (asserts! (and (> m u0) (<= m (len new-members))) ERR_INVALID_MEMBERS)
    (var-set members new-members)
    (var-set threshold m)
    (var-set expiry until)
    (print {topic: "foundation-set-members", members: new-members, threshold: m, expiry: until})
    (ok true)))

;; Brings the expiry forward (the DAO only); `burn-block-height` ends the powers now.
(define-public (set-expiry (until uint))
  (begin
    (try! (check-dao))
    (asserts! (<= until (var-get expiry)) ERR_EXPIRY_EXTENDED)
    (var-set expiry until)
    (print {topic: "foundation-set-expiry", expiry: until})
    (ok true)))

;; Private

;; Records the caller's signal for `action`; true when this signal reaches the threshold
;; (the action then runs and a new round starts).
(define-private (signal (action {kind: (string-ascii 16), id: uint, flag: bool}))
  (let ((r (var-get round))
        (count (+ (default-to u0 (map-get? signal-counts {round: r, action: action})) u1)))
    (asserts! (is-member contract-caller) ERR_NOT_AUTHORIZED)
    (asserts! (< burn-block-height (var-get expiry)) ERR_EXPIRED)
    (asserts! (map-insert signals {round: r, action: action, member: contract-caller} true) ERR_ALREADY_SIGNALLED)
    (map-set signal-counts {round: r, action: action} count)
    (print {topic: "foundation-signal", action: action, member: contract-caller, signals: count,
            threshold: (var-get threshold)})
    (if (>= count (var-get threshold))
      (begin (var-set round (+ r u1)) (ok true))
      (ok false))))

(define-private (check-dao)
  (ok (asserts! (contract-call? .dao-core is-dao-or-extension contract-caller tx-sender) ERR_NOT_AUTHORIZED)))
