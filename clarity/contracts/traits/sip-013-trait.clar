;; SIP-013: the standard semi-fungible-token interface. A balance is keyed by
;; (token id, owner). Transfers print the standard
;; {type: "sft_transfer", token-id, amount, sender, recipient} event.
;; https://github.com/stacksgov/sips/blob/main/sips/sip-013/sip-013-semi-fungible-token-standard.md
(define-trait sip-013-trait
  (
    (get-balance (uint principal) (response uint uint))
    (get-overall-balance (principal) (response uint uint))
    (get-total-supply (uint) (response uint uint))
    (get-overall-supply () (response uint uint))
    (get-decimals (uint) (response uint uint))
    (get-token-uri (uint) (response (optional (string-ascii 256)) uint))
    (transfer (uint uint principal principal) (response bool uint))
    (transfer-memo (uint uint principal principal (buff 34)) (response bool uint))
  )
)

;; The optional batch interface of SIP-013.
(define-trait sip-013-transfer-many-trait
  (
    (transfer-many ((list 200 {token-id: uint, amount: uint, sender: principal, recipient: principal})) (response bool uint))
    (transfer-many-memo ((list 200 {token-id: uint, amount: uint, sender: principal, recipient: principal, memo: (buff 34)})) (response bool uint))
  )
)
