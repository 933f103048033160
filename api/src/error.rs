//! [`ApiError`]: the one error type every handler returns. Client mistakes keep their
//! 4xx status and say what was wrong; storage failures become a generic 500 whose
//! details go to the log, never to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// An error response: `{"error": code, "message": text}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
}

impl ApiError {
    /// 400: a parameter is missing, malformed or out of range.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
        }
    }

    /// 404: the thing asked for does not exist.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
        }
    }

    /// 500: logged with its cause; the client sees only that it was internal.
    pub fn internal(cause: &dyn std::error::Error) -> ApiError {
        tracing::error!(error = %cause, "storage failure while serving a request");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error".into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: self.code,
            message: &self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<alkahest_indexer::storage::StorageError> for ApiError {
    fn from(e: alkahest_indexer::storage::StorageError) -> ApiError {
        ApiError::internal(&e)
    }
}
