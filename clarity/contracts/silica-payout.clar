;; silica-payout: derives the Bitcoin payout script of a Silica from the current signer
;; set, so anyone (the contract, the API, a miner) recomputes the same bytes.
;;
;;   commitment     = sha256(to-consensus-buff? {domain: "alkahest-silica-payout-v2",
;;                                               chain-id: chain-id, silica: S, silica-id: id})
;;
;; where S is the Silica contract's principal (`derive` takes it from contract-caller),
;; so a second deployment's Silica #1 gets another payout script and its deliveries can
;; never count for this one's.
;;   witness script = 0x20 <commitment> OP_DROP (0x75) OP_M <0x21 key_1> ... <0x21 key_N>
;;                    OP_N OP_CHECKMULTISIG (0xae)
;;   scriptPubKey   = OP_0 0x20 sha256(witness script)        (P2WSH, 34 bytes)
;;
;; Keys are the registry's, in its (strictly ascending) order; OP_k is 0x50 + k. The
;; commitment makes each Silica's script unique, so the indexer attributes an output
;; to exactly one Silica, while spending it still needs M of the N signers. The Rust
;; twin is alkahest_protocol::script::payout_script.

(define-constant DOMAIN_PAYOUT "alkahest-silica-payout-v2")
;; OP_1 .. OP_15, indexed by k - 1.
(define-constant SMALL_INTEGER_OPCODES 0x5152535455565758595a5b5c5d5e5f)

;; Errors: block 7xx (silica helpers, see clarity/README.md).
;; The registry has no signer set yet, so there is no script to derive.
(define-constant ERR_NO_SIGNER_SET (err u700))

(define-read-only (commitment (silica principal) (silica-id uint))
  (sha256 (unwrap-panic (to-consensus-buff? {domain: DOMAIN_PAYOUT, chain-id: chain-id,
                                             silica: silica, silica-id: silica-id}))))

(define-read-only (witness-script (silica principal) (silica-id uint) (keys (list 15 (buff 33))) (m uint))
  (concat
    (concat (concat 0x20 (commitment silica silica-id)) (concat 0x75 (small-int m)))
    (concat (fold push-key keys 0x) (concat (small-int (len keys)) 0xae))))

(define-read-only (script-for (silica principal) (silica-id uint) (keys (list 15 (buff 33))) (m uint))
  (concat 0x0020 (sha256 (witness-script silica silica-id keys m))))

;; The payout script of `silica-id` under the registry's current set.
(define-read-only (derive (silica-id uint))
  (let ((set (contract-call? .signer-registry get-signer-set)))
    (asserts! (> (get version set) u0) ERR_NO_SIGNER_SET)
    (ok {script: (script-for contract-caller silica-id (get signers set) (get threshold set)),
         signer-version: (get version set)})))

(define-private (small-int (k uint))
  (unwrap-panic (element-at? SMALL_INTEGER_OPCODES (- k u1))))

(define-private (push-key (key (buff 33)) (acc (buff 510)))
  (unwrap-panic (as-max-len? (concat acc (concat 0x21 key)) u510)))
