//! One request's reactive work runs one poll at a time.
//!
//! Leptos spawns a page's resources and effects as tasks of their own
//! (`any_spawner`), and on a multi-threaded runtime two of them can run at
//! once on different workers. `reactive_graph` 0.2.16 (the newest 0.2) has a
//! lock-order inversion between two such tasks: a `Suspense` boundary's
//! server-side effect holds its own lock while it takes a resource's, and the
//! resource's task holds the resource's lock while it notifies the effect
//! (`SuspenseContext::task_id` under the resource's write guard). When both
//! happen at once the two workers park for good and the server answers
//! nothing, `/healthz` included (docs/testing.md tells how it was found).
//!
//! The way out here: every request gets a turn of its own, and the request's
//! future, and every task Leptos spawns while one of them is being polled,
//! hold that turn for the length of each poll. A page's reactive nodes are then
//! touched by one thread at a time, which is all the inversion needs to be
//! impossible, while different requests still run in parallel. A task that
//! finds its request's turn taken does not block its worker: it leaves its
//! waker and returns `Pending`, and the poll that holds the turn wakes it when
//! it ends (a turn is never held across an `.await` point, only within one
//! poll), so the worker serves other requests meanwhile.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// Whose turn it is among one request's futures.
#[derive(Default)]
struct RequestTurn(Mutex<TurnState>);

#[derive(Default)]
struct TurnState {
    taken: bool,
    /// Futures of the request that found the turn taken, woken when it ends.
    waiting: Vec<Waker>,
}

impl RequestTurn {
    fn state(&self) -> MutexGuard<'_, TurnState> {
        // The state is two plain fields updated together; a panic elsewhere
        // cannot leave them half-written.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the turn, or leaves `waker` to be woken when it ends.
    fn take_or_wait(&self, waker: &Waker) -> bool {
        let mut state = self.state();
        if state.taken {
            if !state.waiting.iter().any(|w| w.will_wake(waker)) {
                state.waiting.push(waker.clone());
            }
            return false;
        }
        state.taken = true;
        true
    }

    fn end(&self) {
        let waiting = {
            let mut state = self.state();
            state.taken = false;
            std::mem::take(&mut state.waiting)
        };
        waiting.into_iter().for_each(Waker::wake);
    }
}

thread_local! {
    /// The turn held by the poll running on this thread, if any: a task
    /// spawned now belongs to that request.
    static HELD: RefCell<Option<Arc<RequestTurn>>> = const { RefCell::new(None) };
}

pin_project_lite::pin_project! {
    /// A future that holds its request's turn while it is polled.
    pub struct OnePollAtATime<F> {
        turn: Arc<RequestTurn>,
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for OnePollAtATime<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let already_held = HELD.with_borrow(|held| {
            held.as_ref()
                .is_some_and(|held| Arc::ptr_eq(held, this.turn))
        });
        if already_held {
            // Polled from within a poll of the same request (a future nested
            // in another): it already has the turn.
            return this.inner.poll(cx);
        }
        if !this.turn.take_or_wait(cx.waker()) {
            return Poll::Pending;
        }
        let outer = HELD.with_borrow_mut(|held| held.replace(Arc::clone(this.turn)));
        // Ends the turn and restores the thread's state even if the poll
        // panics, so neither the request nor the thread's next task is stuck.
        let _end = EndTurn {
            turn: this.turn,
            outer,
        };
        this.inner.poll(cx)
    }
}

struct EndTurn<'a> {
    turn: &'a RequestTurn,
    outer: Option<Arc<RequestTurn>>,
}

impl Drop for EndTurn<'_> {
    fn drop(&mut self) {
        let outer = self.outer.take();
        HELD.with_borrow_mut(|held| *held = outer);
        self.turn.end();
    }
}

/// `fut` as the start of a new request: it and what it spawns through Leptos
/// share a fresh turn.
pub fn new_request<F: Future>(fut: F) -> OnePollAtATime<F> {
    OnePollAtATime {
        turn: Arc::default(),
        inner: fut,
    }
}

/// Axum middleware: the rest of the request's handling as one request.
pub async fn layer(request: Request, next: Next) -> Response {
    new_request(next.run(request)).await
}

/// Leptos's executor: tokio's, except that a task spawned during a request's
/// poll joins that request.
struct RequestExecutor;

impl any_spawner::CustomExecutor for RequestExecutor {
    fn spawn(&self, fut: any_spawner::PinnedFuture<()>) {
        match HELD.with_borrow(Clone::clone) {
            Some(turn) => drop(tokio::spawn(OnePollAtATime { turn, inner: fut })),
            None => drop(tokio::spawn(fut)),
        }
    }

    fn spawn_local(&self, fut: any_spawner::PinnedLocalFuture<()>) {
        // As Leptos's tokio executor: a local task needs a `LocalSet`, which
        // the server never runs pages in.
        drop(tokio::task::spawn_local(fut));
    }

    fn poll_local(&self) {}
}

/// Makes [`RequestExecutor`] Leptos's executor for the process. It must run
/// before anything asks Leptos for an executor (`leptos_axum` sets tokio's
/// on first use and keeps whichever came first); calling it again is a no-op.
/// Returns whether the process's executor is this one.
pub fn install() -> bool {
    static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *INSTALLED.get_or_init(|| any_spawner::Executor::init_custom_executor(RequestExecutor).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    /// A future that, on each of its polls, marks itself inside, spins a
    /// while, and counts an overlap when another such future of its group
    /// was inside at the same time.
    async fn busy(inside: Arc<AtomicBool>, overlaps: Arc<AtomicUsize>) {
        for _ in 0..200 {
            if inside.swap(true, Ordering::SeqCst) {
                overlaps.fetch_add(1, Ordering::SeqCst);
            }
            let until = std::time::Instant::now() + Duration::from_micros(50);
            while std::time::Instant::now() < until {
                std::hint::spin_loop();
            }
            inside.store(false, Ordering::SeqCst);
            tokio::task::yield_now().await;
        }
    }

    /// Spawns four busy tasks through Leptos's executor from within one
    /// request's poll (or from outside any, when `as_request` is false), waits
    /// for them, and returns how many polls overlapped.
    async fn overlaps_among_spawned(as_request: bool) -> usize {
        let inside = Arc::new(AtomicBool::new(false));
        let overlaps = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(tokio::sync::Semaphore::new(0));
        let spawn_all = {
            let (inside, overlaps, done) = (inside.clone(), overlaps.clone(), done.clone());
            async move {
                for _ in 0..4 {
                    let (inside, overlaps, done) = (inside.clone(), overlaps.clone(), done.clone());
                    any_spawner::Executor::spawn(async move {
                        busy(inside, overlaps).await;
                        done.add_permits(1);
                    });
                }
            }
        };
        if as_request {
            new_request(spawn_all).await;
        } else {
            spawn_all.await;
        }
        // A task left waiting for its turn and never woken would stop here.
        let all_done = tokio::time::timeout(Duration::from_secs(30), done.acquire_many(4)).await;
        drop(
            all_done
                .expect("every task finished")
                .expect("semaphore open"),
        );
        overlaps.load(Ordering::SeqCst)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tasks_spawned_by_one_request_never_poll_at_once() {
        assert!(install(), "the request executor is Leptos's executor");
        // The control: the same tasks spawned outside a request do overlap on
        // two workers, so the check below can see an overlap when there is one.
        let mut control = 0;
        for _ in 0..20 {
            control += overlaps_among_spawned(false).await;
            if control > 0 {
                break;
            }
        }
        assert!(control > 0, "unserialised tasks overlapped on two workers");
        assert_eq!(overlaps_among_spawned(true).await, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_nested_in_its_own_poll_does_not_wait_on_itself() {
        let turn: Arc<RequestTurn> = Arc::default();
        let inner = OnePollAtATime {
            turn: turn.clone(),
            inner: async { 7 },
        };
        let outer = OnePollAtATime { turn, inner };
        let value = tokio::time::timeout(Duration::from_secs(5), outer).await;
        assert_eq!(value.expect("a nested poll finishes"), 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_thread_forgets_the_request_after_its_poll() {
        new_request(async { tokio::task::yield_now().await }).await;
        assert!(HELD.with_borrow(Option::is_none));
    }
}
