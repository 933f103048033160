//! Applying a tower layer only to the requests it has work for.
//!
//! Compression has nothing to do for a client that sent no `Accept-Encoding`, and CORS
//! nothing for a request without an `Origin` (not from a browser's cross-origin fetch),
//! yet each layer still wraps every answer: together ~25% of a cached answer's
//! throughput in the API benchmark. [`Bypass`] sends such requests straight to the
//! inner service and gives their answers the one header a shared HTTP cache needs to
//! serve them correctly to any later client (see [`crate::server::serve_layers`]).

use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::response::Response;
use futures_util::future::{Either, MapOk, TryFutureExt};
use tower::{Layer, Service};

/// A layer applied to the requests `needs` accepts; the others skip it, and `plain`
/// finishes their answers.
#[derive(Clone)]
pub struct Bypass<L> {
    layer: L,
    needs: fn(&Request) -> bool,
    plain: fn(Response) -> Response,
}

impl<L> Bypass<L> {
    /// `layer` for the requests `needs` accepts; `plain` edits the others' answers.
    pub fn new(layer: L, needs: fn(&Request) -> bool, plain: fn(Response) -> Response) -> Self {
        Bypass {
            layer,
            needs,
            plain,
        }
    }
}

/// Whether the client accepts an encoding other than identity.
pub fn accepts_encoding(request: &Request) -> bool {
    request.headers().contains_key(header::ACCEPT_ENCODING)
}

/// Whether the request came from a browser's cross-origin fetch.
pub fn has_origin(request: &Request) -> bool {
    request.headers().contains_key(header::ORIGIN)
}

/// The answer as it is.
pub fn unchanged(response: Response) -> Response {
    response
}

/// `Access-Control-Allow-Origin: *` added: when every origin is allowed, a cached copy
/// of this answer stays readable by a browser on any origin.
pub fn allow_any_origin(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    response
}

/// `Vary: Origin` added: when only listed origins are allowed, a cached copy of this
/// answer (which has no CORS header) must not be served to a cross-origin fetch.
pub fn vary_by_origin(mut response: Response) -> Response {
    response
        .headers_mut()
        .append(header::VARY, header::HeaderValue::from_static("origin"));
    response
}

impl<L, S> Layer<S> for Bypass<L>
where
    L: Layer<S>,
    S: Clone,
{
    type Service = BypassService<S, L::Service>;

    fn layer(&self, inner: S) -> Self::Service {
        BypassService {
            wrapped: self.layer.layer(inner.clone()),
            plain: inner,
            needs: self.needs,
            finish: self.plain,
        }
    }
}

/// The service [`Bypass`] makes.
#[derive(Clone)]
pub struct BypassService<S, W> {
    plain: S,
    wrapped: W,
    needs: fn(&Request) -> bool,
    finish: fn(Response) -> Response,
}

fn boxed<B>(response: Response<B>) -> Response
where
    B: http_body::Body<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    response.map(Body::new)
}

impl<S, W, B> Service<Request> for BypassService<S, W>
where
    S: Service<Request, Response = Response>,
    W: Service<Request, Response = Response<B>, Error = S::Error>,
    B: http_body::Body<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    #[allow(clippy::type_complexity)]
    type Future = Either<
        MapOk<S::Future, fn(Response) -> Response>,
        MapOk<W::Future, fn(Response<B>) -> Response>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self.plain.poll_ready(cx) {
            Poll::Ready(Ok(())) => self.wrapped.poll_ready(cx),
            other => other,
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if (self.needs)(&request) {
            Either::Right(self.wrapped.call(request).map_ok(boxed::<B> as fn(_) -> _))
        } else {
            Either::Left(self.plain.call(request).map_ok(self.finish))
        }
    }
}
