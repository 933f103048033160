;; agp000-bootstrap: the devnet's bootstrap proposal, run once by `dao-core construct`
;; as the last step of deployments/bootstrap.toml (after every contract handed its
;; governance to dao-core). It enables the voting and foundation extensions and sets
;; their parameters. Timing is short for the devnet (blocks of 2 s); a mainnet
;; deployment ships its own agp000 with mainnet figures and the foundation's keys.

(impl-trait .proposal-trait.proposal-trait)

(define-public (execute (sender principal))
  (begin
    (try! (contract-call? .dao-core set-extension .dao-voting true))
    (try! (contract-call? .dao-core set-extension .dao-foundation true))
    ;; Propose with 100,000 ALEX locked; 2 blocks' delay, 10 blocks of voting, quorum 1%
    ;; of the ALEX supply, a strict majority, 5 blocks of timelock.
    (try! (contract-call? .dao-voting set-params u10000000000000 u2 u10 u100 u5000 u5))
    ;; Foundation: deployer, wallet_7 and wallet_8, 2 of 3, powers until burn height 100,000.
    (try! (contract-call? .dao-foundation set-members
      (list 'ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM
            'ST3PF13W7Z0RRM42A8VZRVFQ75SV1K26RXEP8YGKJ
            'ST3NBRSFKX28FQ2ZJ1MAKX58HKHSDGNV5N7R21XCP)
      u2 u100000))
    (print {topic: "agp000-bootstrap", sender: sender})
    (ok true)))
