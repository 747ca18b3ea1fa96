//! GCRA in Redis: one Lua script reads and moves the key's TAT atomically,
//! on Redis's own clock, so every instance shares one bucket per key.

use super::{Decision, Rate};
use crate::redis::Redis;
use std::sync::LazyLock;
use std::time::Duration;

/// Times in microseconds; ARGV[3] is 1 to count the request, 0 to only look.
/// Returns {allowed, remaining, retry_after, reset_after}.
const SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local ahead = tat + interval - now
if ahead > tolerance then
  return {0, 0, ahead - tolerance, tat - now}
end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[1], tat + interval, 'PX', math.floor(ahead / 1000) + 1)
end
return {1, math.floor((tolerance - ahead) / interval), 0, ahead}
"#;

static GCRA: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(SCRIPT));

pub(super) async fn check(
    redis: &Redis,
    key: &str,
    rate: Rate,
    count: bool,
) -> crate::Result<Decision> {
    let mut connection = redis.connection().await?;
    let (allowed, remaining, retry_after, reset_after): (i64, i64, i64, i64) = GCRA
        .key(format!("tenantry:rate:{key}"))
        .arg(rate.interval().as_micros() as u64)
        .arg(rate.tolerance().as_micros() as u64)
        .arg(if count { "1" } else { "0" })
        .invoke_async(&mut connection)
        .await
        .map_err(|e| anyhow::anyhow!("rate limit script failed: {e}"))?;
    let micros = |n: i64| Duration::from_micros(n.max(0) as u64);
    Ok(Decision {
        allowed: allowed == 1,
        remaining: remaining.max(0) as u32,
        retry_after: micros(retry_after),
        reset_after: micros(reset_after),
    })
}
