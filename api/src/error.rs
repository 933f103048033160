//! [`ApiError`]: the one error type every handler and extractor returns. Client mistakes
//! keep their 4xx status and say what was wrong; storage failures become a generic 500
//! whose details go to the log, never to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// What kind of error a response reports; the `error` field of [`ErrorBody`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A parameter is missing, malformed or out of range (400).
    BadRequest,
    /// The thing asked for does not exist (404).
    NotFound,
    /// The server failed; the details are in its log (500).
    Internal,
}

/// Every error response body: `{"error": code, "message": text}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The kind of error.
    pub error: ErrorCode,
    /// What was wrong: for a 400, the parameter and the value it had.
    pub message: String,
}

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    /// 400: a parameter is missing, malformed or out of range.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }

    /// 404: the thing asked for does not exist.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// 500: logged with its cause; the client sees only that it was internal.
    pub fn internal(cause: &dyn std::error::Error) -> ApiError {
        tracing::error!(error = %cause, "failure while serving a request");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal error",
        )
    }

    /// 500 from a source that reports failures as text (chain-state and block sources).
    pub fn internal_message(message: impl Into<String>) -> ApiError {
        ApiError::internal(&std::io::Error::other(message.into()))
    }

    fn new(status: StatusCode, error: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error,
                message: message.into(),
            },
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body the client receives.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

impl From<alkahest_indexer::storage::StorageError> for ApiError {
    fn from(e: alkahest_indexer::storage::StorageError) -> ApiError {
        ApiError::internal(&e)
    }
}

impl From<crate::params::ParamError> for ApiError {
    fn from(e: crate::params::ParamError) -> ApiError {
        ApiError::bad_request(e.to_string())
    }
}

impl From<crate::chainstate::ChainError> for ApiError {
    fn from(e: crate::chainstate::ChainError) -> ApiError {
        ApiError::internal(&e)
    }
}
