;; btc-proof: Bitcoin SPV verification in Clarity, from chain data alone.
;;
;; What it proves, and against what:
;;   header   sha256d(header) reversed = `get-burn-block-info? header-hash height` (the
;;            Stacks node's own view of the Bitcoin block at that height), so a header
;;            is the best chain's block at `height` or it is refused.
;;   coinbase the transaction at index 0 under the header's Merkle root, with exactly
;;            one input spending the null outpoint and a BIP34 height push equal to
;;            `height`. Its proof length is the tree's depth: the only leaf that can
;;            fix the depth, because an inner node never parses as a coinbase unless
;;            it is a 64-byte transaction, and 64-byte transactions are refused.
;;   tx       any transaction under the same root, with a proof of exactly that depth,
;;            an index below 2^depth and no step where the node is the right child
;;            of itself (CVE-2012-2459: the duplicated last node of an odd level,
;;            which would let one transaction be proven at two indices).
;;
;; Transactions are passed as raw bytes, in the legacy form or the segwit form (marker
;; and flag, witnesses before the locktime); the txid is computed over the legacy form,
;; so the witness data is read past, never trusted. A segwit coinbase's witness
;; commitment (the last output starting 6a24aa21a9ed, BIP141) is returned.
;;
;; Limits (type-level, refused at the call's analysis when exceeded): a transaction of
;; up to 8,192 bytes, up to 64 inputs and 128 outputs; a Merkle proof of up to 16
;; levels (65,536 transactions). Real coinbases fit: mainnet block 895,331's 1,632-byte
;; coinbase with 44 outputs broke clarity-bitcoin v6, whose cap was 8 outputs.
;;
;; Byte order: header hashes from `get-burn-block-info?` are in display order (reversed);
;; txids, Merkle hashes and the header's Merkle root here are in internal order, as
;; sha256d produces them. The Rust twin that builds proofs is
;; alkahest_protocol::spv.

;; Errors: block 20xx (see clarity/README.md).
;; The chain has no block at `height` yet (at or past the tip) or never will.
(define-constant ERR_UNKNOWN_HEIGHT (err u2000))
;; sha256d(header) is not the chain's block at `height`.
(define-constant ERR_HEADER_MISMATCH (err u2001))
;; Malformed transaction bytes: truncated, a non-canonical size, or bytes left over.
(define-constant ERR_BAD_TX (err u2002))
;; A 64-byte transaction (legacy form) could pass as an inner Merkle node: refused.
(define-constant ERR_TX_64_BYTES (err u2003))
;; The proof's length is not the block's depth.
(define-constant ERR_PROOF_DEPTH (err u2004))
;; The index does not fit the depth (index >= 2^depth).
(define-constant ERR_INDEX_RANGE (err u2005))
;; A step hashes a node with itself as the right child (CVE-2012-2459).
(define-constant ERR_DUPLICATE_LEAF (err u2006))
;; The proof does not lead to the header's Merkle root.
(define-constant ERR_MERKLE_MISMATCH (err u2007))
;; Not a coinbase: not exactly one input spending the null outpoint.
(define-constant ERR_NOT_COINBASE (err u2008))
;; The coinbase's BIP34 height is missing or is not `height`.
(define-constant ERR_BIP34_HEIGHT (err u2009))
;; More inputs than this contract parses (MAX_INPUTS).
(define-constant ERR_TOO_MANY_INPUTS (err u2010))
;; More outputs than this contract parses (MAX_OUTPUTS).
(define-constant ERR_TOO_MANY_OUTPUTS (err u2011))
;; The header's `bits` encode a target whose work does not fit this contract (zero,
;; negative, or an exponent outside 4..32).
(define-constant ERR_BAD_BITS (err u2012))

(define-constant MAX_INPUTS u64)
(define-constant MAX_OUTPUTS u128)
(define-constant MAX_DEPTH u16)
(define-constant NULL_OUTPOINT 0x0000000000000000000000000000000000000000000000000000000000000000ffffffff)
(define-constant WITNESS_COMMITMENT_PREFIX 0x6a24aa21a9ed)
;; One item per input / output slot: fold walks at most this many.
(define-constant INPUT_SLOTS (list u0 u1 u2 u3 u4 u5 u6 u7 u8 u9 u10 u11 u12 u13 u14 u15 u16 u17 u18 u19 u20 u21 u22 u23 u24 u25 u26 u27 u28 u29 u30 u31 u32 u33 u34 u35 u36 u37 u38 u39 u40 u41 u42 u43 u44 u45 u46 u47 u48 u49 u50 u51 u52 u53 u54 u55 u56 u57 u58 u59 u60 u61 u62 u63))
(define-constant OUTPUT_SLOTS (list u0 u1 u2 u3 u4 u5 u6 u7 u8 u9 u10 u11 u12 u13 u14 u15 u16 u17 u18 u19 u20 u21 u22 u23 u24 u25 u26 u27 u28 u29 u30 u31 u32 u33 u34 u35 u36 u37 u38 u39 u40 u41 u42 u43 u44 u45 u46 u47 u48 u49 u50 u51 u52 u53 u54 u55 u56 u57 u58 u59 u60 u61 u62 u63 u64 u65 u66 u67 u68 u69 u70 u71 u72 u73 u74 u75 u76 u77 u78 u79 u80 u81 u82 u83 u84 u85 u86 u87 u88 u89 u90 u91 u92 u93 u94 u95 u96 u97 u98 u99 u100 u101 u102 u103 u104 u105 u106 u107 u108 u109 u110 u111 u112 u113 u114 u115 u116 u117 u118 u119 u120 u121 u122 u123 u124 u125 u126 u127))
(define-constant BYTE_SLOTS (list u0 u1 u2 u3 u4 u5 u6 u7 u8 u9 u10 u11 u12 u13 u14 u15 u16 u17 u18 u19 u20 u21 u22 u23 u24 u25 u26 u27 u28 u29 u30 u31))

;; --- Headers -------------------------------------------------------------------------

;; The Merkle root (internal order) of `header` once it is the chain's block at `height`.
(define-read-only (verify-header (header (buff 80)) (height uint))
  (let ((expected (unwrap! (get-burn-block-info? header-hash height) ERR_UNKNOWN_HEIGHT)))
    (asserts! (is-eq (reverse-32 (sha256d header)) expected) ERR_HEADER_MISMATCH)
    (ok (unwrap-panic (as-max-len? (unwrap-panic (slice? header u36 u68)) u32)))))

;; The header's fields a consumer needs: version, previous hash and Merkle root
;; (internal order), time and bits.
(define-read-only (parse-header (header (buff 80)))
  {version: (le header u0 u4), prev: (unwrap-panic (as-max-len? (unwrap-panic (slice? header u4 u36)) u32)),
   merkle-root: (unwrap-panic (as-max-len? (unwrap-panic (slice? header u36 u68)) u32)),
   time: (le header u68 u72), bits: (le header u72 u76)})

;; Expected hashes of a block whose header has `bits`: floor(2^256 / (target + 1)), as
;; Bitcoin Core's GetBlockProof. With target = m * 256^(e-3) = m * 2^s and k = 256 - s,
;; this is floor(2^k / m), less one when m divides 2^k: exact while k < 128, that is for
;; every target above 2^128 (every real block; mainnet's hardest is ~2^176).
(define-read-only (block-work (bits uint))
  (let ((e (/ bits u16777216))
        (m (mod bits u8388608))
        (negative (> (mod bits u16777216) u8388607)))
    ;; k < 128 exactly when e > 19; e <= 32 keeps the target below 2^256.
    (asserts! (and (> m u0) (not negative) (> e u19) (<= e u32)) ERR_BAD_BITS)
    (let ((numerator (pow u2 (- u256 (* u8 (- e u3))))))
      (ok (if (is-eq (mod numerator m) u0) (- (/ numerator m) u1) (/ numerator m))))))

;; --- Merkle inclusion -----------------------------------------------------------------

;; `txid` (internal order) is leaf `index` of the tree of depth `depth` under `root`.
;; `depth` must come from verify-coinbase on the same block (see the header).
(define-read-only (verify-inclusion (txid (buff 32)) (root (buff 32)) (index uint)
                                    (proof (list 16 (buff 32))) (depth uint))
  (begin
    (asserts! (is-eq (len proof) depth) ERR_PROOF_DEPTH)
    (asserts! (< index (pow u2 depth)) ERR_INDEX_RANGE)
    (let ((top (try! (fold merkle-step proof (ok {node: txid, index: index})))))
      (asserts! (is-eq (get node top) root) ERR_MERKLE_MISMATCH)
      (ok true))))

;; --- Transactions ---------------------------------------------------------------------

;; Parses `tx` (legacy or segwit form) and sums its outputs: `total` of all, `paid` of
;; those whose script is exactly `script`. Also the txid (internal order), the counts,
;; whether it is a coinbase and its BIP34 height, and the last witness commitment.
(define-read-only (parse-tx (tx (buff 8192)) (script (buff 34)))
  (let ((segwit (is-eq (slice? tx u4 u6) (some 0x0001)))
        (in-start (if segwit u6 u4))
        (n-in (try! (read-varint tx in-start))))
    (asserts! (<= (get value n-in) MAX_INPUTS) ERR_TOO_MANY_INPUTS)
    (let ((after-inputs (try! (fold skip-input INPUT_SLOTS
                                    (ok {tx: tx, pos: (get next n-in), left: (get value n-in)}))))
          (n-out (try! (read-varint tx (get pos after-inputs)))))
      (asserts! (<= (get value n-out) MAX_OUTPUTS) ERR_TOO_MANY_OUTPUTS)
      (let ((outs (try! (fold read-output OUTPUT_SLOTS
                              (ok {tx: tx, pos: (get next n-out), left: (get value n-out),
                                   target: script, total: u0, paid: u0, commitment: none}))))
            (outputs-end (get pos outs))
            (size (len tx)))
        ;; Legacy: the locktime ends the bytes. Segwit: at least a witness count per
        ;; input (read past, not parsed), then the locktime.
        (asserts! (if segwit
                      (<= (+ outputs-end (get value n-in) u4) size)
                      (is-eq (+ outputs-end u4) size))
                  ERR_BAD_TX)
        ;; The legacy form is never longer than the bytes given.
        (let ((legacy (if segwit
                          (unwrap-panic (as-max-len?
                            (concat (concat (unwrap-panic (slice? tx u0 u4))
                                            (unwrap-panic (slice? tx u6 outputs-end)))
                                    (unwrap-panic (slice? tx (- size u4) size)))
                            u8192))
                          tx)))
          (asserts! (not (is-eq (len legacy) u64)) ERR_TX_64_BYTES)
          (ok {txid: (sha256d legacy), inputs: (get value n-in), outputs: (get value n-out),
               total: (get total outs), paid: (get paid outs),
               commitment: (get commitment outs),
               coinbase-height: (coinbase-height tx in-start (get value n-in))}))))))

;; `tx` is included at `index` in the chain's block at `height`, whose tree has depth
;; `depth` (from verify-coinbase). Returns parse-tx's summary, `paid` to `script`.
(define-read-only (verify-tx (height uint) (header (buff 80)) (tx (buff 8192)) (index uint)
                             (proof (list 16 (buff 32))) (depth uint) (script (buff 34)))
  (let ((root (try! (verify-header header height)))
        (parsed (try! (parse-tx tx script))))
    (try! (verify-inclusion (get txid parsed) root index proof depth))
    (ok parsed)))

;; The chain's block at `height`: its header, and its coinbase proven at index 0 (the
;; proof's length is the depth every other proof of this block must have), with a BIP34
;; height equal to `height`. Returns the depth, the Merkle root, the header's bits and
;; time, the coinbase's total output value (subsidy + fees claimed), what it paid to
;; `script`, and its witness commitment if any.
(define-read-only (verify-coinbase (height uint) (header (buff 80)) (coinbase (buff 8192))
                                   (proof (list 16 (buff 32))) (script (buff 34)))
  (let ((root (try! (verify-header header height)))
        (parsed (try! (parse-tx coinbase script))))
    (asserts! (is-some (get coinbase-height parsed)) ERR_NOT_COINBASE)
    (asserts! (is-eq (get coinbase-height parsed) (some (some height))) ERR_BIP34_HEIGHT)
    (try! (verify-inclusion (get txid parsed) root u0 proof (len proof)))
    (ok {depth: (len proof), merkle-root: root, bits: (le header u72 u76),
         time: (le header u68 u72), txid: (get txid parsed), reward: (get total parsed),
         paid: (get paid parsed), commitment: (get commitment parsed)})))

;; --- Private ------------------------------------------------------------------------

(define-private (sha256d (data (buff 8192)))
  (sha256 (sha256 data)))

(define-private (reverse-32 (hash (buff 32)))
  (unwrap-panic (as-max-len? (get out (fold reverse-step BYTE_SLOTS {hash: hash, out: 0x})) u32)))

(define-private (reverse-step (i uint) (acc {hash: (buff 32), out: (buff 32)}))
  (merge acc {out: (unwrap-panic (as-max-len? (concat (unwrap-panic (element-at? (get hash acc) i))
                                                      (get out acc))
                                              u32))}))

;; Little-endian unsigned integer of header bytes [from, to) (at most 8 bytes).
(define-private (le (data (buff 80)) (from uint) (to uint))
  (buff-to-uint-le (unwrap-panic (as-max-len? (unwrap-panic (slice? data from to)) u8))))

(define-private (read-uint (tx (buff 8192)) (pos uint) (size uint))
  (match (slice? tx pos (+ pos size))
    bytes (match (as-max-len? bytes u8) short (ok (buff-to-uint-le short)) ERR_BAD_TX)
    ERR_BAD_TX))

;; Bitcoin's CompactSize at `pos`: its value and the position after it. Non-canonical
;; encodings are refused, as Bitcoin Core refuses them.
(define-private (read-varint (tx (buff 8192)) (pos uint))
  (let ((first (buff-to-uint-le (unwrap! (element-at? tx pos) ERR_BAD_TX))))
    (if (< first u253)
        (ok {value: first, next: (+ pos u1)})
        (let ((size (if (is-eq first u253) u2 (if (is-eq first u254) u4 u8)))
              (value (try! (read-uint tx (+ pos u1) size))))
          (asserts! (>= value (if (is-eq size u2) u253 (if (is-eq size u4) u65536 u4294967296)))
                    ERR_BAD_TX)
          (ok {value: value, next: (+ pos u1 size)})))))

(define-private (skip-input (slot uint) (acc (response {tx: (buff 8192), pos: uint, left: uint} uint)))
  (match acc state
    (if (is-eq (get left state) u0)
        acc
        ;; A script running past the end is caught by the next read (ERR_BAD_TX).
        (let ((script (try! (read-varint (get tx state) (+ (get pos state) u36)))))
          (ok (merge state {pos: (+ (get next script) (get value script) u4),
                            left: (- (get left state) u1)}))))
    failed acc))

(define-private (read-output (slot uint)
                             (acc (response {tx: (buff 8192), pos: uint, left: uint, target: (buff 34),
                                             total: uint, paid: uint, commitment: (optional (buff 32))}
                                            uint)))
  (match acc state
    (if (is-eq (get left state) u0)
        acc
        (let ((tx (get tx state))
              (value (try! (read-uint tx (get pos state) u8)))
              (size (try! (read-varint tx (+ (get pos state) u8))))
              (end (+ (get next size) (get value size))))
          (asserts! (<= end (len tx)) ERR_BAD_TX)
          (let ((script (if (is-eq (get value size) u0) 0x (unwrap-panic (slice? tx (get next size) end)))))
            (ok (merge state
                  {pos: end, left: (- (get left state) u1), total: (+ (get total state) value),
                   paid: (if (is-eq script (get target state)) (+ (get paid state) value) (get paid state)),
                   commitment: (if (is-eq (slice? script u0 u6) (some WITNESS_COMMITMENT_PREFIX))
                                   (match (slice? script u6 u38)
                                     c (as-max-len? c u32)
                                     (get commitment state))
                                   (get commitment state))})))))
    failed acc))

(define-private (merkle-step (sibling (buff 32)) (acc (response {node: (buff 32), index: uint} uint)))
  (match acc state
    (let ((right (is-eq (mod (get index state) u2) u1)))
      (asserts! (not (and right (is-eq sibling (get node state)))) ERR_DUPLICATE_LEAF)
      (ok {node: (sha256d (if right (concat sibling (get node state)) (concat (get node state) sibling))),
           index: (/ (get index state) u2)}))
    failed acc))

;; For a transaction with one input spending the null outpoint: `(some h)` with h its
;; BIP34 height (none when the first push is not a height), else none.
(define-private (coinbase-height (tx (buff 8192)) (in-start uint) (inputs uint))
  (if (and (is-eq inputs u1) (is-eq (slice? tx (+ in-start u1) (+ in-start u37)) (some NULL_OUTPOINT)))
      (some (bip34-height tx (+ in-start u38)))
      none))

;; The first push of the scriptSig starting at `pos` (after its 1-byte length) read as a
;; height: OP_0, OP_1..OP_16, or a push of 1..8 little-endian bytes.
(define-private (bip34-height (tx (buff 8192)) (pos uint))
  (match (element-at? tx pos)
    op-byte (let ((op (buff-to-uint-le op-byte)))
              (if (is-eq op u0)
                  (some u0)
                  (if (and (>= op u81) (<= op u96))
                      (some (- op u80))
                      (if (and (>= op u1) (<= op u8))
                          (match (read-uint tx (+ pos u1) op) h (some h) e none)
                          none))))
    none))
