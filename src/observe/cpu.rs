//! CPU time spent on one piece of work, whichever threads it ran on: the
//! calling thread's CPU clock is read around each poll of the work's future
//! and the differences summed. Waiting (for the database, a lock, the
//! network) costs nothing; only the polls are counted.

use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// This thread's CPU time so far.
pub fn thread_cpu() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        now.tv_sec.max(0) as u64,
        now.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

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
        let before = thread_cpu();
        let out = poll();
        let spent = thread_cpu().saturating_sub(before);
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
