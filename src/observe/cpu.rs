//! CPU time spent on one piece of work, whichever threads it ran on: the
//! time of each poll of the work's future, summed. Waiting (for the
//! database, a lock, the network) costs nothing; only the polls are counted.
//!
//! A poll is timed on the monotonic clock, which the vDSO reads without a
//! system call. A poll runs on its thread from start to end, so its length
//! is its CPU time, except when the kernel preempts the thread mid-poll
//! (then the wait is counted too). The thread CPU clock is exact but a
//! system call: read around every poll, it was 5 % of a page's server CPU
//! (docs/benchmarks.md, eighth round).

use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// CPU nanoseconds spent, shared between the work and whoever reads it
/// (a response body goes on being polled after the handler returns).
#[derive(Clone, Default, Debug)]
pub struct CpuSpent(Arc<AtomicU64>);

impl CpuSpent {
    pub fn get(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }

    /// Runs `poll`, adding the CPU time it took.
    pub fn measure<T>(&self, poll: impl FnOnce() -> T) -> T {
        let before = Instant::now();
        let out = poll();
        let spent = before.elapsed();
        self.0.fetch_add(spent.as_nanos() as u64, Ordering::Relaxed);
        out
    }
}

pin_project! {
    /// `inner`, with the CPU time of its polls added to `spent`.
    pub struct CpuTimed<F> {
        #[pin]
        inner: F,
        spent: CpuSpent,
    }
}

impl<F> CpuTimed<F> {
    pub fn new(inner: F, spent: CpuSpent) -> Self {
        Self { inner, spent }
    }
}

impl<F: Future> Future for CpuTimed<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let inner = this.inner;
        this.spent.measure(|| inner.poll(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn busy_polls_count_and_waiting_does_not() {
        let asleep = CpuSpent::default();
        CpuTimed::new(
            tokio::time::sleep(Duration::from_millis(200)),
            asleep.clone(),
        )
        .await;
        assert!(
            asleep.get() < Duration::from_millis(20),
            "{:?}",
            asleep.get()
        );

        let busy = CpuSpent::default();
        CpuTimed::new(
            async {
                let mut x = 0u64;
                for n in 0..50_000_000u64 {
                    x = x.wrapping_mul(31).wrapping_add(std::hint::black_box(n));
                }
                std::hint::black_box(x);
            },
            busy.clone(),
        )
        .await;
        assert!(busy.get() > Duration::from_millis(5), "{:?}", busy.get());
    }
}
