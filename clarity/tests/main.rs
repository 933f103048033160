//! Every contract test in one binary, so the Clarity VM is linked once instead of once
//! per file. Each module is one area (a contract, an attack class, a property); shared
//! helpers live in the `*_common` modules. Run one area with
//! `cargo test -p alkahest-clarity --test contracts silica_`.

mod actors;
mod amm_common;
mod btc_common;
mod dao_common;
mod lending_common;
mod silica_common;
mod staking_common;
mod staking_model;
mod token_common;

mod alex_emission;
mod alex_token;
mod alex_vesting;
mod amm_bounds;
mod amm_math;
mod amm_math_bounds;
mod amm_pld;
mod amm_pool;
mod amm_pool_admin;
mod amm_props;
mod amm_router;
mod amm_security;
mod amm_stx;
mod amm_trust;
mod authorization;
mod btc_proof;
mod burn_chain;
mod cost_table;
mod dao_agp001;
mod dao_attacks;
mod dao_handover;
mod dao_lifecycle;
mod dao_params;
mod deploy;
mod error_coverage;
mod lending;
mod lending_attacks;
mod lending_model;
mod lending_props;
mod lending_risk;
mod lending_tokens;
mod mutation_list;
mod sbtc_deposit;
mod sbtc_token;
mod signer_registry;
mod silica_attacks;
mod silica_deposits;
mod silica_guards;
mod silica_lifecycle;
mod silica_params;
mod silica_proof;
mod silica_props;
mod silica_token;
mod silica_trust;
mod staking;
mod staking_props;
mod token_supply_props;
mod token_trust;
