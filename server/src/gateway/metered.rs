//! Each request's figures for the observer (`tenantry::observe`): the route
//! template, the status, the tenant, the latency to the last byte, the CPU
//! time of the handler and of the response body's polls (a streamed page
//! goes on rendering after the handler returns), and the bytes sent. They
//! are reported when the body ends or is dropped (a client that went away
//! still cost what it cost).

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use pin_project_lite::pin_project;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tenantry::observe::cpu::CpuSpent;
use tenantry::observe::{Observer, RequestDone};
use uuid::Uuid;

/// The route a request matched, as its template; set on the response by
/// [`template_layer`] (the gateway sees the response, not the routing).
#[derive(Clone)]
struct RouteTemplate(String);

/// The label of a request no route matched (the fallback: files, 404s).
const UNMATCHED: &str = "unmatched";

/// Inside the router: notes the matched route's template on the response.
pub async fn template_layer(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut response = next.run(req).await;
    if let Some(route) = route {
        response.extensions_mut().insert(RouteTemplate(route));
    }
    response
}

/// What is known of a request when its response head is ready.
pub struct Started {
    pub observer: Observer,
    pub at: Instant,
    pub cpu: CpuSpent,
    pub tenant: Option<Uuid>,
}

/// `response` with a body that reports the request when it ends.
pub fn report_at_end(started: Started, response: Response) -> Response {
    if !started.observer.is_on() {
        return response;
    }
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map_or_else(|| UNMATCHED.to_owned(), |r| r.0.clone());
    let status = response.status().as_u16();
    let (parts, body) = response.into_parts();
    let body = Metered {
        inner: body,
        report: Some(Report {
            started,
            route,
            status,
            bytes: 0,
        }),
    };
    Response::from_parts(parts, Body::new(body))
}

struct Report {
    started: Started,
    route: String,
    status: u16,
    bytes: u64,
}

impl Drop for Report {
    fn drop(&mut self) {
        let started = &self.started;
        started.observer.request(&RequestDone {
            route: &self.route,
            status: self.status,
            tenant: started.tenant,
            latency: started.at.elapsed(),
            cpu: started.cpu.get(),
            bytes: self.bytes,
        });
    }
}

pin_project! {
    struct Metered {
        #[pin]
        inner: Body,
        report: Option<Report>,
    }
}

impl http_body::Body for Metered {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.project();
        let inner = this.inner;
        let polled = match this.report.as_ref() {
            Some(report) => report.started.cpu.measure(|| inner.poll_frame(cx)),
            None => inner.poll_frame(cx),
        };
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(report), Some(data)) = (this.report.as_mut(), frame.data_ref()) {
                    report.bytes += data.len() as u64;
                }
            }
            // The end: reported now rather than when hyper drops the body.
            Poll::Ready(None) => drop(this.report.take()),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
