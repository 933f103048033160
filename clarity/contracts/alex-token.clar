;; alex-token: the ALEX governance and utility token. SIP-010, 8 decimals.
;;
;; Supply: 1,000,000,000 ALEX are minted once, at deployment, per ALEXnomics:
;;   20% to the foundation reserve (FOUNDATION_RESERVE),
;;   50% to the staking-emission holder (.alex-emission), released by staking pools,
;;   30% to the vesting contract (.alex-vesting), claimed by beneficiaries.
;; After that, only the governance principal (bootstrapped once by the deployer) and
;; contracts on the approved-minter list may mint or burn. Governance adds and removes
;; minters. A lock ledger marks part of a balance as locked for voting; only approved
;; locker contracts (governance's voting contracts) lock and unlock, and locked tokens
;; can be neither transferred nor burnt.
;;
;; Consent: an owner's tokens move, burn or lock only when the owner is tx-sender or
;; contract-caller, exactly as for a SIP-010 transfer. So governance or a minter burns
;; only tokens it holds itself (a bridge burns what users sent it), and a locker locks
;; only the tokens of the holder who called it (the holder calls the voting contract,
;; which calls `lock` with owner = tx-sender). Unlocking needs no consent: it only
;; frees the holder's tokens.
;;
;; Authorisation is on `contract-caller`: code running under another contract's
;; `as-contract`, or a contract the user merely called, is never trusted. The one
;; exception is governance when it is a contract (dao-core after the bootstrap): it is
;; also recognised as tx-sender, which a contract is only inside its own `as-contract`
;; (dao-core executing a passed proposal).

(impl-trait .sip-010-trait.sip-010-trait)

(define-fungible-token alex)

(define-constant DEPLOYER tx-sender)
;; 10^8 base units per ALEX.
(define-constant ONE_8 u100000000)
(define-constant INITIAL_SUPPLY (* u1000000000 ONE_8))
(define-constant FOUNDATION_ALLOCATION (/ (* INITIAL_SUPPLY u20) u100))
(define-constant EMISSION_ALLOCATION (/ (* INITIAL_SUPPLY u50) u100))
(define-constant VESTING_ALLOCATION (- INITIAL_SUPPLY (+ FOUNDATION_ALLOCATION EMISSION_ALLOCATION)))
;; The foundation and community reserve. Devnet uses the deployer; a mainnet deployment
;; is made from the foundation's multisig principal.
(define-constant FOUNDATION_RESERVE DEPLOYER)
(define-constant EMISSION_HOLDER .alex-emission)
(define-constant VESTING_HOLDER .alex-vesting)

;; Errors: block 1xx (see clarity/README.md).
;; The caller is not governance, an approved minter or an approved locker as required.
(define-constant ERR_NOT_AUTHORIZED (err u100))
;; The owner (`sender` of a transfer, `owner` of a burn or lock) is neither tx-sender
;; nor contract-caller.
(define-constant ERR_NOT_OWNER (err u101))
;; Governance was already bootstrapped.
(define-constant ERR_ALREADY_BOOTSTRAPPED (err u102))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u103))
;; The unlocked balance is smaller than the amount.
(define-constant ERR_INSUFFICIENT_BALANCE (err u104))
;; The locked balance is smaller than the amount to unlock.
(define-constant ERR_INSUFFICIENT_LOCKED (err u105))
;; Sender and recipient are the same principal.
(define-constant ERR_SELF_TRANSFER (err u106))
;; The principal is already on the list.
(define-constant ERR_ALREADY_LISTED (err u107))
;; The principal is not on the list.
(define-constant ERR_NOT_LISTED (err u108))

(define-data-var governance (optional principal) none)
(define-map minters principal bool)
(define-map lockers principal bool)
(define-map locked principal uint)

;; Genesis allocation.
(begin
  (unwrap-panic (ft-mint? alex FOUNDATION_ALLOCATION FOUNDATION_RESERVE))
  (unwrap-panic (ft-mint? alex EMISSION_ALLOCATION EMISSION_HOLDER))
  (unwrap-panic (ft-mint? alex VESTING_ALLOCATION VESTING_HOLDER))
  (print {topic: "genesis-allocation", foundation: FOUNDATION_ALLOCATION, emission: EMISSION_ALLOCATION,
          vesting: VESTING_ALLOCATION, total: INITIAL_SUPPLY}))

;; Read-only

(define-read-only (get-name) (ok "ALEX Token"))
(define-read-only (get-symbol) (ok "ALEX"))
(define-read-only (get-decimals) (ok u8))
;; The whole balance, locked part included (SIP-010 semantics).
(define-read-only (get-balance (who principal)) (ok (ft-get-balance alex who)))
(define-read-only (get-total-supply) (ok (ft-get-supply alex)))
(define-read-only (get-token-uri) (ok none))
(define-read-only (get-locked (who principal)) (default-to u0 (map-get? locked who)))
;; What `who` can transfer or have burnt: balance minus locked.
(define-read-only (get-available (who principal))
  (- (ft-get-balance alex who) (get-locked who)))
(define-read-only (get-governance) (var-get governance))
(define-read-only (is-minter (who principal)) (default-to false (map-get? minters who)))
(define-read-only (is-locker (who principal)) (default-to false (map-get? lockers who)))
(define-read-only (get-foundation-reserve) FOUNDATION_RESERVE)
(define-read-only (get-allocation)
  {foundation: FOUNDATION_ALLOCATION, emission: EMISSION_ALLOCATION, vesting: VESTING_ALLOCATION,
   foundation-reserve: FOUNDATION_RESERVE, emission-holder: EMISSION_HOLDER, vesting-holder: VESTING_HOLDER})

;; Public: SIP-010

(define-public (transfer (amount uint) (sender principal) (recipient principal) (memo (optional (buff 34))))
  (begin
    (asserts! (is-owner sender) ERR_NOT_OWNER)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (not (is-eq sender recipient)) ERR_SELF_TRANSFER)
    (asserts! (<= amount (get-available sender)) ERR_INSUFFICIENT_BALANCE)
    (try! (ft-transfer? alex amount sender recipient))
    (match memo m (print m) 0x)
    (print {topic: "transfer", amount: amount, sender: sender, recipient: recipient})
    (ok true)))

;; Public: governance

;; Sets the first governance principal. Once, by the deployer.
(define-public (bootstrap-governance (new-governance principal))
  (begin
    (asserts! (is-eq contract-caller DEPLOYER) ERR_NOT_AUTHORIZED)
    (asserts! (is-none (var-get governance)) ERR_ALREADY_BOOTSTRAPPED)
    (var-set governance (some new-governance))
    (print {topic: "set-governance", governance: new-governance})
    (ok true)))

;; Hands governance to a successor (a new DAO contract). Current governance only.
(define-public (set-governance (new-governance principal))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (var-set governance (some new-governance))
    (print {topic: "set-governance", governance: new-governance})
    (ok true)))

(define-public (add-minter (who principal))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (map-insert minters who true) ERR_ALREADY_LISTED)
    (print {topic: "add-minter", minter: who})
    (ok true)))

(define-public (remove-minter (who principal))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (map-delete minters who) ERR_NOT_LISTED)
    (print {topic: "remove-minter", minter: who})
    (ok true)))

(define-public (add-locker (who principal))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (map-insert lockers who true) ERR_ALREADY_LISTED)
    (print {topic: "add-locker", locker: who})
    (ok true)))

(define-public (remove-locker (who principal))
  (begin
    (asserts! (is-governance) ERR_NOT_AUTHORIZED)
    (asserts! (map-delete lockers who) ERR_NOT_LISTED)
    (print {topic: "remove-locker", locker: who})
    (ok true)))

;; Public: supply

(define-public (mint (amount uint) (recipient principal))
  (begin
    (asserts! (can-mint) ERR_NOT_AUTHORIZED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (try! (ft-mint? alex amount recipient))
    (print {topic: "mint", amount: amount, recipient: recipient, by: contract-caller})
    (ok true)))

;; Burns unlocked tokens of `owner`. Governance or an approved minter only, and only
;; its own tokens or those of the tx-sender that called it (see Consent above).
(define-public (burn (amount uint) (owner principal))
  (begin
    (asserts! (can-mint) ERR_NOT_AUTHORIZED)
    (asserts! (is-owner owner) ERR_NOT_OWNER)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (<= amount (get-available owner)) ERR_INSUFFICIENT_BALANCE)
    (try! (ft-burn? alex amount owner))
    (print {topic: "burn", amount: amount, owner: owner, by: contract-caller})
    (ok true)))

;; Public: lock ledger

;; Locks unlocked tokens of `owner`. An approved locker only, with the owner's consent:
;; the owner is tx-sender (the holder called the locker) or the locker itself.
(define-public (lock (amount uint) (owner principal))
  (let ((now-locked (+ (get-locked owner) amount)))
    (asserts! (is-locker contract-caller) ERR_NOT_AUTHORIZED)
    (asserts! (is-owner owner) ERR_NOT_OWNER)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (<= amount (get-available owner)) ERR_INSUFFICIENT_BALANCE)
    (map-set locked owner now-locked)
    (print {topic: "lock", amount: amount, owner: owner, locked: now-locked})
    (ok now-locked)))

(define-public (unlock (amount uint) (owner principal))
  (let ((was-locked (get-locked owner)))
    (asserts! (is-locker contract-caller) ERR_NOT_AUTHORIZED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (<= amount was-locked) ERR_INSUFFICIENT_LOCKED)
    (map-set locked owner (- was-locked amount))
    (print {topic: "unlock", amount: amount, owner: owner, locked: (- was-locked amount)})
    (ok (- was-locked amount))))

;; Private

;; The owner consents: it is the tx-sender or the calling contract itself.
(define-private (is-owner (owner principal))
  (or (is-eq tx-sender owner) (is-eq contract-caller owner)))

;; Governance is the contract-caller; or, when governance is a contract (dao-core), the
;; tx-sender: a contract principal is tx-sender only inside its own `as-contract`, which
;; dao-core enters only to execute a passed proposal or a foundation pause.
(define-private (is-governance)
  (match (var-get governance)
    gov (or (is-eq contract-caller gov) (and (is-eq tx-sender gov) (is-contract gov)))
    false))

(define-private (is-contract (who principal))
  (match (principal-destruct? who) p (is-some (get name p)) p (is-some (get name p))))

(define-private (can-mint)
  (or (is-governance) (is-minter contract-caller)))
