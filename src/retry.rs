//! How long to wait before trying again, shared by everything that retries
//! (webhook deliveries, jobs).

/// The delay before attempt `attempts + 1`: `base_ms` doubled per attempt,
/// capped at an hour, with up to 10 % jitter so retries do not synchronise.
pub fn backoff(base_ms: u64, attempts: i32) -> chrono::Duration {
    use rand::Rng;
    let exponent = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
    let ms = base_ms
        .max(1)
        .saturating_mul(1u64 << exponent)
        .min(3_600_000);
    let jitter = rand::thread_rng().gen_range(0..=ms / 10);
    chrono::Duration::milliseconds(i64::try_from(ms + jitter).unwrap_or(i64::MAX))
}
