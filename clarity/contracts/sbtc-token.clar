;; sbtc-token: the devnet and test stand-in for sBTC. SIP-010, 8 decimals (1 sBTC =
;; 100,000,000 base units = 1 BTC in sats).
;;
;; silica takes its settlement token as a SIP-010 trait argument checked against the
;; principal set once at bootstrap (this contract on devnet; a mainnet deployment would
;; set SM3VDXK3WZZSA84XXFKAFAF15NNZX32CTSG82JFQ4.sbtc-token). Here, only the protocol
;; contract registered once by the deployer (the signer registry, which pegs attested
;; BTC into sBTC: the devnet shortcut) may `mint` or burn, and `protocol-mint` mints for
;; the stand-in `sbtc-deposit` as the real token mints for the real one (issue 16).

(impl-trait .sip-010-trait.sip-010-trait)

(define-fungible-token sbtc)

(define-constant DEPLOYER tx-sender)

;; Errors: block 2xx (see clarity/README.md).
;; The caller is not allowed to do this (not the deployer, not the protocol contract).
(define-constant ERR_NOT_AUTHORIZED (err u200))
;; `sender` is neither tx-sender nor contract-caller.
(define-constant ERR_NOT_OWNER (err u201))
;; The protocol contract was already registered; registration happens once.
(define-constant ERR_ALREADY_BOOTSTRAPPED (err u202))
;; Amounts must be positive.
(define-constant ERR_INVALID_AMOUNT (err u203))
;; The owner holds less than the amount.
(define-constant ERR_INSUFFICIENT_BALANCE (err u204))
;; Sender and recipient are the same principal.
(define-constant ERR_SELF_TRANSFER (err u205))

(define-data-var protocol (optional principal) none)
(define-data-var token-uri (optional (string-utf8 256)) none)

;; Read-only

(define-read-only (get-name) (ok "sBTC"))
(define-read-only (get-symbol) (ok "sBTC"))
(define-read-only (get-decimals) (ok u8))
(define-read-only (get-balance (who principal)) (ok (ft-get-balance sbtc who)))
(define-read-only (get-total-supply) (ok (ft-get-supply sbtc)))
(define-read-only (get-token-uri) (ok (var-get token-uri)))
(define-read-only (get-protocol) (var-get protocol))

;; Public

;; Registers the one contract allowed to mint and burn. Callable once, by the deployer.
(define-public (set-protocol (new-protocol principal))
  (begin
    (asserts! (is-eq contract-caller DEPLOYER) ERR_NOT_AUTHORIZED)
    (asserts! (is-none (var-get protocol)) ERR_ALREADY_BOOTSTRAPPED)
    (var-set protocol (some new-protocol))
    (print {topic: "set-protocol", protocol: new-protocol})
    (ok true)))

(define-public (transfer (amount uint) (sender principal) (recipient principal) (memo (optional (buff 34))))
  (begin
    ;; A contract may move only its own tokens or those of the signing user.
    (asserts! (or (is-eq tx-sender sender) (is-eq contract-caller sender)) ERR_NOT_OWNER)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (not (is-eq sender recipient)) ERR_SELF_TRANSFER)
    (asserts! (<= amount (ft-get-balance sbtc sender)) ERR_INSUFFICIENT_BALANCE)
    (try! (ft-transfer? sbtc amount sender recipient))
    (match memo m (print m) 0x)
    (print {topic: "transfer", amount: amount, sender: sender, recipient: recipient})
    (ok true)))

(define-public (mint (amount uint) (recipient principal))
  (begin
    (asserts! (is-protocol-caller) ERR_NOT_AUTHORIZED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (try! (ft-mint? sbtc amount recipient))
    (print {topic: "mint", amount: amount, recipient: recipient})
    (ok true)))

;; sBTC's own minting path, as the real token has it: a contract holding protocol role
;; `contract-flag` in `sbtc-registry` (the deposit contract, for completed deposits).
(define-public (protocol-mint (amount uint) (recipient principal) (contract-flag (buff 1)))
  (begin
    (asserts! (is-ok (contract-call? .sbtc-registry is-protocol-caller contract-flag contract-caller))
      ERR_NOT_AUTHORIZED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (try! (ft-mint? sbtc amount recipient))
    (print {topic: "mint", amount: amount, recipient: recipient})
    (ok true)))

(define-public (burn (amount uint) (owner principal))
  (begin
    (asserts! (is-protocol-caller) ERR_NOT_AUTHORIZED)
    (asserts! (> amount u0) ERR_INVALID_AMOUNT)
    (asserts! (<= amount (ft-get-balance sbtc owner)) ERR_INSUFFICIENT_BALANCE)
    (try! (ft-burn? sbtc amount owner))
    (print {topic: "burn", amount: amount, owner: owner})
    (ok true)))

;; Private

(define-private (is-protocol-caller)
  (is-eq (some contract-caller) (var-get protocol)))
