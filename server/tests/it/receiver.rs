//! A real HTTP webhook receiver on loopback: records every request it gets
//! and answers with the statuses it is told to (then 200).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("delivery body is JSON")
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    answers: VecDeque<StatusCode>,
    /// Answer 500 to the first delivery about this tenant (by slug).
    refuse_first_about: Option<String>,
    /// Never answer the next request (its sender is killed meanwhile).
    hold_next: bool,
}

#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
    pub url: String,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

impl Receiver {
    /// Listens on `127.0.0.1:<random>/hook`.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(record))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            inner,
            url,
            task: Arc::new(task),
        }
    }

    /// The next requests are answered with these statuses, in turn.
    pub fn answer_next(&self, statuses: &[StatusCode]) {
        let mut inner = self.inner.lock().expect("lock");
        inner.answers.extend(statuses.iter().copied());
    }

    /// The first delivery about tenant `slug` is answered 500 (whatever
    /// else arrives first).
    pub fn refuse_first_about(&self, slug: &str) {
        self.inner.lock().expect("lock").refuse_first_about = Some(slug.to_owned());
    }

    /// The next request is recorded and never answered.
    pub fn hold_next(&self) {
        self.inner.lock().expect("lock").hold_next = true;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("lock").received.clone()
    }

    /// Waits (up to 20 s) until `done` holds for what was received.
    pub async fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        for _ in 0..400 {
            let received = self.received();
            if done(&received) {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let types: Vec<String> = self.received().iter().map(Received::event_type).collect();
        panic!("receiver never saw {what}; it got {types:?}");
    }
}

async fn record(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let received = Received { headers, body };
    if held(&inner, &received) {
        std::future::pending::<()>().await;
    }
    let mut inner = inner.lock().expect("lock");
    let about = received.json()["tenant"]["slug"]
        .as_str()
        .map(str::to_owned);
    let refused = about.is_some() && inner.refuse_first_about == about;
    inner.received.push(received);
    let status = if refused {
        inner.refuse_first_about = None;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        inner.answers.pop_front().unwrap_or(StatusCode::OK)
    };
    (status, "thanks")
}

/// Records `received` and says so if it is the one to hold unanswered.
fn held(inner: &Mutex<Inner>, received: &Received) -> bool {
    let mut inner = inner.lock().expect("lock");
    if !inner.hold_next {
        return false;
    }
    inner.hold_next = false;
    inner.received.push(received.clone());
    true
}
