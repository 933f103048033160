;; signer-registry: the M-of-N signer set, attestation verification, and the sBTC peg.
;;
;; One concern: who the signers are and what they have signed. The registry
;;   - holds up to 15 compressed secp256k1 keys and a threshold M with M > N/2, M <= N;
;;   - is bootstrapped once by the deployer and rotated only by a rotation message
;;     signed by M of the current N; a set (keys + threshold) used before is refused;
;;   - is the only minter of `sbtc-token` (set once in deployments/bootstrap.toml):
;;     BTC paid to signer-controlled scripts becomes sBTC, either as a peg-in deposit
;;     (`complete-deposit`, to any recipient) or as a Silica delivery
;;     (`attest-delivery`, minted into the escrow of the consumer contract `silica`).
;;
;; Message hash (byte layout in docs/attestation.md, Rust side in the alkahest-protocol
;; crate, protocol/src/message.rs): sha256(to-consensus-buff? message), where message
;; is a tuple that always carries `domain` (string-ascii), `chain-id` (uint) and
;; `registry` (this contract's principal). `registry` binds every signature to this
;; deployment: a second deployment with the same signers on the same chain (a v2, a
;; redeploy) hashes its messages differently and cannot replay this one's. Clarity's
;; consensus serialization of a tuple is 0x0c, the field count as u32 big-endian, then
;; for each field in ascending byte order of its name: the name length (1 byte), the
;; name, and the serialized value (uint = 0x01 + 16 bytes BE; buff = 0x02 + u32 BE
;; length + bytes; string-ascii = 0x0d + u32 BE length + bytes; list = 0x0b + u32 BE
;; count + items; standard principal = 0x05 + version + hash160; contract principal =
;; 0x06 + version + hash160 + name length (1 byte) + name).
;;
;; Signatures are 65 bytes in the order `secp256k1-recover?` expects: r (32) || s (32)
;; || recovery id (1 byte, 0..3). Every signature must recover to a key of the current
;; set and no key may sign twice (a bitmask over set positions); at least M must sign.
;; Every accepted message hash (the attestation id) is recorded and never accepted
;; again. Messages that move value carry `burn-height` and `burn-hash`: burn-height
;; must be below burn-block-height and burn-hash must equal
;; `get-burn-block-info? header-hash burn-height` (reorg guard).

(define-constant DEPLOYER tx-sender)

;; Most keys a set can hold; a 15-bit mask records which positions signed.
(define-constant MAX_SIGNERS u15)
;; Bitcoin's dust limit for a P2WPKH output, the smallest peg-in the registry mints
;; (the same floor sBTC uses).
(define-constant DEPOSIT_DUST_LIMIT u546)
;; Below every valid compressed key (which start with 0x02 or 0x03): the start of the
;; strictly ascending key check.
(define-constant KEY_FLOOR 0x000000000000000000000000000000000000000000000000000000000000000000)

;; Message domains (string-ascii in the signed tuple). A new message layout gets a new
;; version suffix, never a changed meaning.
(define-constant DOMAIN_DELIVERY "alkahest-silica-delivery-v2")
(define-constant DOMAIN_DEPOSIT "alkahest-sbtc-deposit-v2")
(define-constant DOMAIN_ROTATION "alkahest-signer-rotation-v2")
;; Tags the id of a delivery minted from Bitcoin proofs (no signature covers it).
(define-constant DOMAIN_PROVEN "alkahest-silica-proven-v1")
;; The signers' word that an sBTC deposit carries a Silica's delivered sats (issue 16).
(define-constant DOMAIN_FORWARD "alkahest-silica-forward-v1")

;; Errors: block 5xx (see clarity/README.md).
;; The caller is not allowed to do this (not the deployer, not the consumer contract).
(define-constant ERR_NOT_AUTHORIZED (err u500))
;; The signer set (or the consumer) was already bootstrapped; that happens once.
(define-constant ERR_ALREADY_BOOTSTRAPPED (err u501))
;; No signer set yet.
(define-constant ERR_NOT_BOOTSTRAPPED (err u502))
;; A set needs 1 to 15 keys.
(define-constant ERR_INVALID_SIGNER_COUNT (err u503))
;; The threshold must satisfy N/2 < M <= N.
(define-constant ERR_INVALID_THRESHOLD (err u504))
;; Keys must be 33-byte compressed keys (0x02/0x03 prefix) in strictly ascending byte
;; order, which also makes them distinct.
(define-constant ERR_INVALID_KEYS (err u505))
;; This exact set (keys and threshold) was registered before.
(define-constant ERR_SET_REUSED (err u506))
;; A signature does not recover to any public key.
(define-constant ERR_BAD_SIGNATURE (err u507))
;; A signature recovers to a key that is not in the current set.
(define-constant ERR_UNKNOWN_SIGNER (err u508))
;; Two signatures recover to the same signer.
(define-constant ERR_DUPLICATE_SIGNER (err u509))
;; Fewer than M distinct signers signed.
(define-constant ERR_THRESHOLD_NOT_MET (err u510))
;; This message (attestation id) was accepted before.
(define-constant ERR_REPLAYED (err u511))
;; burn-hash is not the header hash of burn-height on this chain (reorg or bad height).
(define-constant ERR_BURN_HASH_MISMATCH (err u512))
;; The deposit is below the dust limit.
(define-constant ERR_DEPOSIT_DUST (err u513))
;; This Bitcoin output (txid, vout) was pegged in before.
(define-constant ERR_DEPOSIT_REPLAYED (err u514))
;; A txid must be 32 bytes.
(define-constant ERR_INVALID_TXID (err u515))
;; burn-height is not below burn-block-height: that block is not final on this chain
;; (its header hash is not visible to contracts yet, or it does not exist).
(define-constant ERR_BURN_HEIGHT_NOT_PAST (err u516))
;; A delivery for this (Silica, window) was minted already, attested or proven.
(define-constant ERR_WINDOW_MINTED (err u517))

;; Current set: version 0 means not bootstrapped; each install increments it.
(define-data-var set-version uint u0)
(define-data-var signers (list 15 (buff 33)) (list))
(define-data-var threshold uint u0)
;; The one contract allowed to request delivery mints into its own escrow (`silica`).
(define-data-var consumer (optional principal) none)
;; true: a recorded window mints its delivered sats as the stand-in sBTC (the devnet's
;; direct-mint shortcut). false (set once by the deployer, as on mainnet): nothing is
;; minted here; delivered BTC reaches `silica` as real sBTC deposits that the signers
;; forward and `silica record-delivery` credits (docs/sbtc-settlement.md).
(define-data-var mints-deliveries bool true)

;; Position of each key in the set of a version (0-based), for the duplicate bitmask.
(define-map signer-position {version: uint, key: (buff 33)} uint)
;; sha256(to-consensus-buff? {signers, threshold}) of every set ever installed -> version.
(define-map used-sets (buff 32) uint)
;; Accepted attestation ids (message hashes) -> burn-block-height at acceptance.
(define-map accepted (buff 32) uint)
;; (Silica, window) -> the id that minted its delivery: one mint per window, whether
;; the signers attested it or silica-proof proved it.
(define-map minted-windows {silica-id: uint, window: uint} (buff 32))
;; Pegged-in Bitcoin outputs -> the attestation id that minted them.
(define-map deposits {txid: (buff 32), vout: uint} (buff 32))

;; Read-only

(define-read-only (get-signer-set)
  {version: (var-get set-version), signers: (var-get signers), threshold: (var-get threshold)})

(define-read-only (get-consumer) (var-get consumer))

(define-read-only (is-accepted (id (buff 32))) (is-some (map-get? accepted id)))

(define-read-only (get-mints-deliveries) (var-get mints-deliveries))

;; The attestation id that minted output (txid, vout), if it was pegged in.
(define-read-only (get-deposit (txid (buff 32)) (vout uint))
  (map-get? deposits {txid: txid, vout: vout}))

;; The id that minted the delivery of (Silica, window), attested or proven.
(define-read-only (get-window-mint (silica-id uint) (window uint))
  (map-get? minted-windows {silica-id: silica-id, window: window}))

(define-read-only (is-set-used (keys (list 15 (buff 33))) (m uint))
  (is-some (map-get? used-sets (set-hash keys m))))

(define-read-only (set-hash (keys (list 15 (buff 33))) (m uint))
  (sha256 (unwrap-panic (to-consensus-buff? {signers: keys, threshold: m}))))

;; The serialized delivery message: what the signers hash and sign.
(define-read-only (delivery-message (silica-id uint) (window uint) (delivered uint) (index uint)
                                    (burn-height uint) (burn-hash (buff 32)))
  (unwrap-panic (to-consensus-buff? {
    domain: DOMAIN_DELIVERY, chain-id: chain-id, registry: (as-contract tx-sender), silica-id: silica-id, window: window,
    delivered: delivered, index: index, burn-height: burn-height, burn-hash: burn-hash})))

(define-read-only (deposit-message (txid (buff 32)) (vout uint) (amount uint) (recipient principal)
                                   (burn-height uint) (burn-hash (buff 32)))
  (unwrap-panic (to-consensus-buff? {
    domain: DOMAIN_DEPOSIT, chain-id: chain-id, registry: (as-contract tx-sender), txid: txid, vout: vout, amount: amount,
    recipient: recipient, burn-height: burn-height, burn-hash: burn-hash})))

;; The forward message: deposit (txid, vout) carries `sats` of Silica `silica-id`'s
;; recorded delivery, from windows up to `window`.
(define-read-only (forward-message (silica-id uint) (window uint) (sats uint) (txid (buff 32))
                                   (vout uint))
  (unwrap-panic (to-consensus-buff? {
    domain: DOMAIN_FORWARD, chain-id: chain-id, registry: (as-contract tx-sender),
    silica-id: silica-id, window: window, sats: sats, txid: txid, vout: vout})))

;; `version` is the version of the set being replaced, so a rotation signs exactly one
;; transition.
(define-read-only (rotation-message (version uint) (new-signers (list 15 (buff 33))) (new-threshold uint))
  (unwrap-panic (to-consensus-buff? {
    domain: DOMAIN_ROTATION, chain-id: chain-id, registry: (as-contract tx-sender), version: version,
    signers: new-signers, threshold: new-threshold})))

;; Public

;; Installs the first signer set. Once, by the deployer (checked on contract-caller, so
;; a contract the deployer is lured into calling cannot do it).
(define-public (bootstrap-signers (keys (list 15 (buff 33))) (m uint))
  (begin
    (asserts! (is-eq contract-caller DEPLOYER) ERR_NOT_AUTHORIZED)
    (asserts! (is-eq (var-get set-version) u0) ERR_ALREADY_BOOTSTRAPPED)
    (let ((installed (try! (install-set keys m))))
      (print {topic: "bootstrap-signers", version: (get version installed), signers: keys,
              threshold: m, set-hash: (get set-hash installed)})
      (ok (get version installed)))))

;; Registers the contract whose delivery attestations mint into its own escrow. Once,
;; by the deployer (deployments/bootstrap.toml registers `.silica`).
(define-public (set-consumer (new-consumer principal))
  (begin
    (asserts! (is-eq contract-caller DEPLOYER) ERR_NOT_AUTHORIZED)
    (asserts! (is-none (var-get consumer)) ERR_ALREADY_BOOTSTRAPPED)
    (var-set consumer (some new-consumer))
    (print {topic: "set-consumer", consumer: new-consumer})
    (ok true)))

;; Stops minting deliveries: from now on they arrive as sBTC deposits. Once, by the
;; deployer (a mainnet deployment, and the devnet unless it runs its direct-mint
;; shortcut).
(define-public (set-deliveries-by-deposit)
  (begin
    (asserts! (is-eq contract-caller DEPLOYER) ERR_NOT_AUTHORIZED)
    (asserts! (var-get mints-deliveries) ERR_ALREADY_BOOTSTRAPPED)
    (var-set mints-deliveries false)
    (print {topic: "set-deliveries-by-deposit", mints-deliveries: false})
    (ok true)))

;; Replaces the set with `new-signers`/`new-threshold`. Anyone may submit it; it takes
;; M signatures of the current set over the rotation message.
(define-public (rotate-signers (new-signers (list 15 (buff 33))) (new-threshold uint)
                               (sigs (list 15 (buff 65))))
  (let ((version (var-get set-version))
        (id (sha256 (rotation-message version new-signers new-threshold))))
    (asserts! (> version u0) ERR_NOT_BOOTSTRAPPED)
    (let ((count (try! (verify id sigs)))
          (installed (try! (install-set new-signers new-threshold))))
      (print {topic: "rotate-signers", id: id, previous-version: version,
              version: (get version installed), signers: new-signers,
              threshold: new-threshold, set-hash: (get set-hash installed), signed-by: count})
      (ok (get version installed)))))

;; Pegs in a Bitcoin deposit: mints `amount` sBTC to `recipient` once M signers attest
;; that output (txid, vout) paid `amount` sats to a signer-controlled script in the
;; block burn-height/burn-hash. Anyone may submit it.
(define-public (complete-deposit (txid (buff 32)) (vout uint) (amount uint) (recipient principal)
                                 (burn-height uint) (burn-hash (buff 32)) (sigs (list 15 (buff 65))))
  (let ((id (sha256 (deposit-message txid vout amount recipient burn-height burn-hash))))
    (asserts! (is-eq (len txid) u32) ERR_INVALID_TXID)
    (asserts! (>= amount DEPOSIT_DUST_LIMIT) ERR_DEPOSIT_DUST)
    (asserts! (map-insert deposits {txid: txid, vout: vout} id) ERR_DEPOSIT_REPLAYED)
    (try! (check-burn-hash burn-height burn-hash))
    (let ((count (try! (verify id sigs))))
      (try! (contract-call? .sbtc-token mint amount recipient))
      (print {topic: "deposit", id: id, txid: txid, vout: vout, amount: amount,
              recipient: recipient, burn-height: burn-height, burn-hash: burn-hash,
              signed-by: count})
      (ok id))))

;; Verifies a Silica delivery attestation and mints `delivered` sBTC to the caller,
;; which must be the registered consumer contract (so nobody can front-run a signed
;; attestation into their own pocket). Returns the attestation id.
(define-public (attest-delivery (silica-id uint) (window uint) (delivered uint) (index uint)
                                (burn-height uint) (burn-hash (buff 32)) (sigs (list 15 (buff 65))))
  (let ((id (sha256 (delivery-message silica-id window delivered index burn-height burn-hash))))
    (asserts! (is-eq (some contract-caller) (var-get consumer)) ERR_NOT_AUTHORIZED)
    (try! (check-burn-hash burn-height burn-hash))
    (let ((count (try! (verify id sigs))))
      (asserts! (map-insert minted-windows {silica-id: silica-id, window: window} id)
                ERR_WINDOW_MINTED)
      (and (> delivered u0) (var-get mints-deliveries)
           (try! (contract-call? .sbtc-token mint delivered contract-caller)))
      (print {topic: "attestation", id: id, silica-id: silica-id, window: window,
              delivered: delivered, index: index, burn-height: burn-height,
              burn-hash: burn-hash, signed-by: count})
      (ok id))))

;; Mints a delivery the consumer (silica) recorded from Bitcoin proofs (silica-proof
;; summed the payouts proven against the burn chain's header hashes): the BTC sits at
;; the signer-controlled payout script like an attested delivery. Once per (Silica,
;; window) across both paths. Returns the mint's id.
(define-public (mint-proven-delivery (silica-id uint) (window uint) (delivered uint))
  (let ((id (sha256 (unwrap-panic (to-consensus-buff? {
              domain: DOMAIN_PROVEN, chain-id: chain-id, registry: (as-contract tx-sender),
              silica-id: silica-id, window: window, delivered: delivered})))))
    (asserts! (is-eq (some contract-caller) (var-get consumer)) ERR_NOT_AUTHORIZED)
    (asserts! (map-insert minted-windows {silica-id: silica-id, window: window} id)
              ERR_WINDOW_MINTED)
    (and (> delivered u0) (var-get mints-deliveries)
         (try! (contract-call? .sbtc-token mint delivered contract-caller)))
    (print {topic: "proven-delivery", id: id, silica-id: silica-id, window: window,
            delivered: delivered})
    (ok id)))

;; Verifies the signers' forward attestation for the consumer (silica's
;; record-delivery): M of N signed that deposit (txid, vout) carries `sats` of Silica
;; `silica-id`'s delivery. Only the consumer may submit it (it credits its own
;; ledger); an identical message is accepted once. Returns the attestation id.
(define-public (attest-forward (silica-id uint) (window uint) (sats uint) (txid (buff 32))
                               (vout uint) (sigs (list 15 (buff 65))))
  (let ((id (sha256 (forward-message silica-id window sats txid vout))))
    (asserts! (is-eq (some contract-caller) (var-get consumer)) ERR_NOT_AUTHORIZED)
    (let ((count (try! (verify id sigs))))
      (print {topic: "forward", id: id, silica-id: silica-id, window: window, sats: sats,
              txid: txid, vout: vout, signed-by: count})
      (ok id))))

;; Private

;; The message's burn block must be strictly below the tip (so a VM that answers for
;; the tip or beyond cannot make a guess at a future hash count) and carry this
;; chain's header hash at that height.
(define-private (check-burn-hash (burn-height uint) (burn-hash (buff 32)))
  (begin
    (asserts! (< burn-height burn-block-height) ERR_BURN_HEIGHT_NOT_PAST)
    (ok (asserts! (is-eq (get-burn-block-info? header-hash burn-height) (some burn-hash))
                  ERR_BURN_HASH_MISMATCH))))

;; Checks `sigs` over `id` against the current set, records `id`, returns the number of
;; distinct signers.
(define-private (verify (id (buff 32)) (sigs (list 15 (buff 65))))
  (let ((version (var-get set-version)))
    (asserts! (> version u0) ERR_NOT_BOOTSTRAPPED)
    (asserts! (is-none (map-get? accepted id)) ERR_REPLAYED)
    (let ((tally (try! (fold check-signature sigs
                             (ok {id: id, version: version, mask: u0, count: u0})))))
      (asserts! (>= (get count tally) (var-get threshold)) ERR_THRESHOLD_NOT_MET)
      (map-set accepted id burn-block-height)
      (ok (get count tally)))))

(define-private (check-signature
    (sig (buff 65))
    (acc (response {id: (buff 32), version: uint, mask: uint, count: uint} uint)))
  (let ((tally (try! acc))
        (key (unwrap! (secp256k1-recover? (get id tally) sig) ERR_BAD_SIGNATURE))
        (position (unwrap! (map-get? signer-position {version: (get version tally), key: key})
                           ERR_UNKNOWN_SIGNER))
        (bit (bit-shift-left u1 position)))
    (asserts! (is-eq (bit-and (get mask tally) bit) u0) ERR_DUPLICATE_SIGNER)
    (ok (merge tally {mask: (bit-or (get mask tally) bit), count: (+ (get count tally) u1)}))))

(define-private (install-set (keys (list 15 (buff 33))) (m uint))
  (let ((n (len keys))
        (version (+ (var-get set-version) u1))
        (hash (set-hash keys m)))
    (asserts! (and (> n u0) (<= n MAX_SIGNERS)) ERR_INVALID_SIGNER_COUNT)
    (asserts! (and (> (* m u2) n) (<= m n)) ERR_INVALID_THRESHOLD)
    (asserts! (get valid (fold check-key keys {previous: KEY_FLOOR, valid: true})) ERR_INVALID_KEYS)
    (asserts! (map-insert used-sets hash version) ERR_SET_REUSED)
    (fold register-key keys {version: version, position: u0})
    (var-set signers keys)
    (var-set threshold m)
    (var-set set-version version)
    (ok {version: version, set-hash: hash})))

(define-private (check-key (key (buff 33)) (acc {previous: (buff 33), valid: bool}))
  (let ((prefix (element-at? key u0)))
    {previous: key,
     valid: (and (get valid acc)
                 (is-eq (len key) u33)
                 (or (is-eq prefix (some 0x02)) (is-eq prefix (some 0x03)))
                 (> key (get previous acc)))}))

(define-private (register-key (key (buff 33)) (acc {version: uint, position: uint}))
  (begin
    (map-set signer-position {version: (get version acc), key: key} (get position acc))
    (merge acc {position: (+ (get position acc) u1)})))
