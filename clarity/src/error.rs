//! Errors raised by the harness itself (not by contracts: a contract's `(err ..)` is a
//! normal [`crate::Receipt`] outcome).

use std::path::PathBuf;

/// Everything that can go wrong while loading a manifest or driving the VM.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A manifest or settings file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file that failed.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A manifest or settings file is not valid TOML of the expected shape.
    #[error("invalid {path}: {reason}")]
    Manifest {
        /// The file that failed.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A contract failed to parse, type-check or initialise.
    #[error("contract `{contract}` failed to deploy at line {line}: {reason}")]
    Deploy {
        /// The contract name as listed in `Clarinet.toml`.
        contract: String,
        /// 1-based source line of the first diagnostic (0 when the VM gave none).
        line: u32,
        /// The VM's diagnostic messages, joined.
        reason: String,
    },
    /// Contracts reference each other in a cycle, or reference an unlisted contract.
    #[error("dependency error in contract `{contract}`: {reason}")]
    Dependency {
        /// The contract whose references could not be resolved.
        contract: String,
        /// Which reference failed.
        reason: String,
    },
    /// A call could not be analysed (unknown function, wrong argument types, ...).
    #[error("call {contract}::{function} rejected before execution: {reason}")]
    Call {
        /// Target contract.
        contract: String,
        /// Target function.
        function: String,
        /// The VM's diagnostics.
        reason: String,
    },
    /// A principal, key or value given to the harness is malformed.
    #[error("invalid value `{value}`: {reason}")]
    Value {
        /// The offending input.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A named constant does not exist in a contract (or is not an `(err uN)`).
    #[error("contract `{contract}` has no error constant `{name}`")]
    UnknownConstant {
        /// The contract searched.
        contract: String,
        /// The constant asked for.
        name: String,
    },
}
