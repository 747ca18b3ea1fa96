//! Issue 20: the tenant cache by construction. Two tenants' identical
//! logical keys are two keys — for cached values and for rate-limit
//! buckets — in memory and in Redis; a key forgotten on one instance is
//! gone from another's memory.

use crate::harness::{TestApp, REDIS_URL};
use crate::on_both_backends;
use std::time::Duration;
use tenantry::cache::CacheKey;
use tenantry::ratelimit::Rate;
use tenantry::tenancy::{Engine, TenantCtx};

on_both_backends!(identical_logical_keys_of_two_tenants_never_collide_in_memory);

const TTL: Duration = Duration::from_secs(60);

async fn identical_logical_keys_of_two_tenants_never_collide_in_memory(app: TestApp) {
    let (alpha, beta) = (app.tenant("alpha").await, app.tenant("beta").await);
    live(&app.engine, &alpha).await;
    never_collide(&app.engine, &alpha, &beta).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_logical_keys_of_two_tenants_never_collide_in_redis() {
    let app = TestApp::sqlite_with(&[("redis_url", REDIS_URL)]).await;
    let (alpha, beta) = (app.tenant("alpha").await, app.tenant("beta").await);
    never_collide(&app.engine, &alpha, &beta).await;
    // In Redis, beta's value sits under a key that names beta; alpha's,
    // forgotten, is gone.
    let client = redis::Client::open(REDIS_URL).expect("redis url");
    let mut redis = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    for (ctx, held) in [(&alpha, false), (&beta, true)] {
        let stored: Option<String> = redis::cmd("GET")
            .arg(format!("tenantry:cache:t:{}:test.space:same", ctx.id()))
            .query_async(&mut redis)
            .await
            .expect("get");
        assert_eq!(stored.is_some(), held, "the value of {} in Redis", ctx.id());
    }
}

/// Waits until the cache serves (on PostgreSQL, once its listener is up).
async fn live(engine: &Engine, ctx: &TenantCtx) {
    let probe = CacheKey::tenant(ctx, "test.probe", "live");
    for _ in 0..200 {
        engine.cache().put(&probe, &1, TTL).await;
        if engine.cache().get::<i32>(&probe).await.is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the cache never came up");
}

async fn never_collide(engine: &Engine, alpha: &TenantCtx, beta: &TenantCtx) {
    let cache = engine.cache();
    let key = |ctx| CacheKey::tenant(ctx, "test.space", "same");
    cache.put(&key(alpha), &"alpha's", TTL).await;
    assert_eq!(
        cache.get::<String>(&key(beta)).await,
        None,
        "beta sees nothing of alpha's"
    );
    cache.put(&key(beta), &"beta's", TTL).await;
    assert_eq!(
        cache.get::<String>(&key(alpha)).await.as_deref(),
        Some("alpha's")
    );
    assert_eq!(
        cache.get::<String>(&key(beta)).await.as_deref(),
        Some("beta's")
    );
    cache.forget(&key(alpha)).await;
    assert_eq!(cache.get::<String>(&key(alpha)).await, None);
    assert_eq!(
        cache.get::<String>(&key(beta)).await.as_deref(),
        Some("beta's"),
        "forgetting alpha's key left beta's"
    );
    // A platform key with the same logical parts is a third key.
    let platform = CacheKey::platform("test.space", "same");
    assert_eq!(cache.get::<String>(&platform).await, None);

    // Rate-limit buckets: one request at once per key; alpha's use leaves
    // beta's bucket full.
    let rate = Rate::per_period(1, Duration::from_secs(3600), 1);
    let limiter = engine.rate_limiter();
    let bucket = |ctx| CacheKey::tenant(ctx, "test.rate", "same");
    assert!(limiter.check(&bucket(alpha), rate).await.allowed);
    assert!(
        !limiter.check(&bucket(alpha), rate).await.allowed,
        "alpha's bucket is empty"
    );
    assert!(
        limiter.check(&bucket(beta), rate).await.allowed,
        "beta's is its own"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_forgotten_on_one_instance_is_gone_from_anothers_memory_on_postgres() {
    let app = TestApp::postgres().await;
    let alpha = app.tenant("alpha").await;
    let other = app.with_settings(&[]).await;
    let alpha_there = other
        .ctx_for(alpha.id())
        .await
        .expect("alpha on the other instance");
    live(&app.engine, &alpha).await;
    live(&other, &alpha_there).await;
    let key = CacheKey::tenant(&alpha_there, "test.space", "shared");
    other.cache().put(&key, &7, TTL).await;
    assert_eq!(other.cache().get::<i32>(&key).await, Some(7));
    app.engine
        .cache()
        .forget(&CacheKey::tenant(&alpha, "test.space", "shared"))
        .await;
    for _ in 0..200 {
        if other.cache().get::<i32>(&key).await.is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the other instance still serves a key forgotten here");
}
