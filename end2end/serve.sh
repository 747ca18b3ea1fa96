#!/usr/bin/env bash
# Starts a fresh Tenantry server for the end-to-end tests, with one superadmin
# (root@e2e.test). Usage: end2end/serve.sh sqlite|postgres|stripe PORT
# (`stripe`: SQLite, with payments through the Stripe peer on 8421).
set -euo pipefail
backend=$1 port=$2
here=$(cd "$(dirname "$0")" && pwd)
bin=${TENANTRY_BIN:-${CARGO_TARGET_DIR:-$here/../target}/debug/tenantry}
[ -x "$bin" ] || { echo "serve.sh: server binary not found at $bin (run cargo leptos build)" >&2; exit 1; }
export TENANTRY_LISTEN=127.0.0.1:$port TENANTRY_PUBLIC_PORT=$port
export TENANTRY_SITE_ROOT=$here/../target/site
export LEPTOS_SITE_ROOT=$TENANTRY_SITE_ROOT
case $backend in
  sqlite|stripe)
    export TENANTRY_DATA_DIR=${TMPDIR:-/tmp}/tenantry-e2e-$port
    rm -rf "$TENANTRY_DATA_DIR"
    "$bin" migrate >/dev/null
    ;;
  postgres)
    # Files (uploads, exports) of this run, outside the checkout.
    export TENANTRY_DATA_DIR=${TMPDIR:-/tmp}/tenantry-e2e-$port
    rm -rf "$TENANTRY_DATA_DIR"
    host=${TENANTRY_TEST_PG_HOST:-127.0.0.1:5432}
    db=tenantry_e2e_$port
    admin=${TENANTRY_PG_ADMIN_URL:-postgres://postgres@$host/postgres}
    export TENANTRY_TENANT_DATABASE_PREFIX=${db}_db_
    # The catalog, its template database and tenant databases of earlier runs.
    for old in $(psql "$admin" -qAtc "SELECT datname FROM pg_database WHERE starts_with(datname, '$db')"); do
      psql "$admin" -qc "DROP DATABASE IF EXISTS \"$old\" WITH (FORCE)" >/dev/null
    done
    psql "$admin" -qc "CREATE DATABASE $db OWNER tenantry_owner" >/dev/null
    export TENANTRY_DATABASE_URL=postgres://tenantry_app@$host/$db
    # The server keeps the owner URL: schema and database placements and
    # moves are DDL.
    export TENANTRY_OWNER_DATABASE_URL=postgres://tenantry_owner@$host/$db
    "$bin" migrate >/dev/null
    ;;
  *) echo "serve.sh: unknown backend $backend" >&2; exit 2 ;;
esac
echo "correct horse battery" | "$bin" admin create --email root@e2e.test >/dev/null
# Webhook receivers, the OIDC provider, the SMTP sink and the fake Stripe
# listen on loopback; webhooks retry fast.
# Custom domains are verified against the test DNS server (playwright.config.ts).
export TENANTRY_DNS_NAMESERVERS='["127.0.0.1:8053"]'
export TENANTRY_WEBHOOK_ALLOW_INSECURE_TARGETS=true TENANTRY_SSO_ALLOW_PRIVATE_PROVIDERS=true TENANTRY_OUTBOUND_ALLOW_PRIVATE_SERVICES=true TENANTRY_SSO_DOMAINS_NEED_PROOF=false TENANTRY_WEBHOOK_RETRY_BASE_MS=200 TENANTRY_WEBHOOK_POLL_MS=200
# Seals SSO client secrets (a fixed test key).
export TENANTRY_SECRET_KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
# Mail goes to the SMTP sink the Playwright config starts (tests/mail.ts).
export TENANTRY_SMTP_URL=smtp://127.0.0.1:2526
# Stripe webhooks in the billing spec are signed with this secret.
export TENANTRY_STRIPE_WEBHOOK_SECRET=whsec_e2e_billing
if [ "$backend" = stripe ]; then
  export TENANTRY_STRIPE_SECRET_KEY=sk_test_e2e TENANTRY_STRIPE_API_BASE=http://127.0.0.1:8421
  # Connect events from tenants' accounts (connect.stripe.spec.ts).
  export TENANTRY_STRIPE_CONNECT_WEBHOOK_SECRET=whsec_e2e_connect
fi
export TENANTRY_LOG=${TENANTRY_LOG:-warn}
# Tenant costs reach the ledger within a second (the costs spec reads them).
export TENANTRY_OBSERVABILITY__COST_FLUSH_SECS=1
# A data-key rotation seals with the new key two cache lifetimes after it
# starts (restore.spec.ts watches one finish).
export TENANTRY_ENCRYPTION__CACHE_SECS=1
# Every browser flow runs with its people's addresses and names sealed:
# sign-in, invitations, member lists and the switcher find them by their
# blind index (docs/encryption.md#personal-data).
export TENANTRY_ENCRYPTION__PERSONAL_DATA=users.email,users.display_name,invitations.email
exec "$bin" serve
