//! The HTTP shape of every answer: the OData JSON headers, and
//! [`ApiError`], the one way an error becomes a response.
//!
//! Owns: status codes, the Defender error envelope
//! (`{"error":{"code","message","target"}}`, or the query's own body for
//! a rejected query), `Retry-After`, `Allow` and `WWW-Authenticate`. Must
//! not know about: routes, tokens, or why an error happened.

use axum::http::header::{HeaderName, HeaderValue, ALLOW, CONTENT_TYPE, RETRY_AFTER};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::Error;

/// `OData-Version`, which OData clients check on every response.
pub const ODATA_VERSION: HeaderName = HeaderName::from_static("odata-version");

/// The content type of OData JSON as ASP.NET Core OData writes it.
pub const ODATA_JSON: &str =
    "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8";

/// A `200 OK` of OData JSON.
pub fn odata_json(body: Vec<u8>) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON)),
            (ODATA_VERSION, HeaderValue::from_static("4.0")),
        ],
        body,
    )
        .into_response()
}

/// An error answer in the Defender envelope.
///
/// A rejected query is `400 ODataError` with every diagnostic in
/// `details` ([`Error::to_odata_json`]); any other error is
/// `{"error":{"code","message","target"}}` whose `target` is the
/// request's correlation id, as the service writes it.
#[derive(Debug)]
#[must_use]
pub struct ApiError {
    status: StatusCode,
    body: Body,
    retry_after: Option<u64>,
    allow: Option<&'static str>,
    bearer_challenge: bool,
}

#[derive(Debug)]
enum Body {
    Query(Box<Error>),
    Envelope {
        code: &'static str,
        message: String,
        target: Option<String>,
    },
}

impl ApiError {
    /// `400 ODataError`: the query was rejected.
    pub fn query(error: Error) -> ApiError {
        ApiError::with_body(StatusCode::BAD_REQUEST, Body::Query(Box::new(error)))
    }

    /// An error with `status`, the Defender `code` and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::with_body(
            status,
            Body::Envelope {
                code,
                message: message.into(),
                target: None,
            },
        )
    }

    fn with_body(status: StatusCode, body: Body) -> ApiError {
        ApiError {
            status,
            body,
            retry_after: None,
            allow: None,
            bearer_challenge: false,
        }
    }

    /// `401 Unauthorized`, with a `WWW-Authenticate: Bearer` challenge.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized", message);
        error.bearer_challenge = true;
        error
    }

    /// `429 TooManyRequests`, retry after `seconds` (at least 1).
    pub fn too_many_requests(seconds: u64) -> ApiError {
        let seconds = seconds.max(1);
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            format!("Rate limit exceeded: retry in {seconds} seconds."),
        );
        error.retry_after = Some(seconds);
        error
    }

    /// `405 MethodNotAllowed`, with the methods the resource allows.
    pub fn method_not_allowed(allow: &'static str) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The resource allows only {allow}."),
        );
        error.allow = Some(allow);
        error
    }

    /// The error with the request's correlation id as its `target` (a
    /// rejected query's body keeps its own targets: the options).
    pub fn for_request(mut self, correlation_id: &str) -> ApiError {
        if let Body::Envelope { target, .. } = &mut self.body {
            *target = Some(correlation_id.to_owned());
        }
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The JSON body.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.body {
            Body::Query(error) => error.to_odata_json(),
            Body::Envelope {
                code,
                message,
                target,
            } => {
                let mut error = json!({ "code": code, "message": message });
                if let Some(target) = target {
                    error["target"] = json!(target);
                }
                json!({ "error": error })
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            odata_json(self.to_json().to_string().into_bytes()),
        )
            .into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(allow) = self.allow {
            headers.insert(ALLOW, HeaderValue::from_static(allow));
        }
        if self.bearer_challenge {
            headers.insert(
                axum::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
