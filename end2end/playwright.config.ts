import { defineConfig } from "@playwright/test";
import { MAILDIR, SMTP_PORT } from "./tests/mail";
import { OIDC_PORT } from "./tests/sso.spec.config";
import { STRIPE_PORT } from "./tests/stripe.config";

// Two projects, one per backend, each against its own freshly started
// server; and a third (SQLite) with payments through the Stripe peer, for the
// specs that need Stripe (`*.stripe.spec.ts`) and only those.
const servers = [
  { name: "sqlite", port: 3101 },
  { name: "postgres", port: 3102 },
  { name: "stripe", port: 3103 },
];
const STRIPE_ONLY = /\.stripe\.spec\.ts$/;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  // On CI a failed test runs once more and is reported as flaky when the
  // second try passes (the list reporter names it): a hiccup of a loaded
  // machine does not fail the run, a real fault fails both tries.
  retries: process.env.CI ? 1 : 0,
  // A server that stops answering fails every later test at its timeout;
  // stop after a few real failures instead of spending an hour on timeouts
  // (end2end/watchdog.sh has printed why by then).
  maxFailures: process.env.CI ? 4 : 0,
  reporter: [["list"]],
  use: {
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Custom domains in the tests (`*.test`) are served on loopback.
        "--host-resolver-rules=MAP *.test 127.0.0.1",
      ],
    },
  },
  projects: servers.map((s) => ({
    name: s.name,
    use: { baseURL: `http://localhost:${s.port}` },
    ...(s.name === "stripe" ? { testMatch: STRIPE_ONLY } : { testIgnore: STRIPE_ONLY }),
  })),
  webServer: [
    // The DNS server custom domains are verified against (its management
    // API on 8055 sets TXT records; serve.sh points the servers at 8053).
    {
      command: "pebble-challtestsrv -dns01 127.0.0.1:8053 -management 127.0.0.1:8055 -http01 '' -https01 '' -tlsalpn01 ''",
      port: 8055,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    // A real SMTP server both Tenantry servers send through (serve.sh); it
    // keeps what it receives in a maildir the specs read.
    {
      command: `rm -rf ${MAILDIR} && $HOME/.cache/tenantry/venv/bin/aiosmtpd -n -l 127.0.0.1:${SMTP_PORT} -c aiosmtpd.handlers.Mailbox ${MAILDIR}`,
      port: SMTP_PORT,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    // A real OpenID Connect provider for single sign-on (scripts/oidc-provider.mjs).
    {
      command: `node ../scripts/oidc-provider.mjs ${OIDC_PORT}`,
      port: OIDC_PORT,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    // The fake Stripe the "stripe" server talks to (localstripe, extended by
    // scripts/stripe-peer.py).
    {
      command: `$HOME/.cache/tenantry/venv/bin/python ../scripts/stripe-peer.py --port ${STRIPE_PORT} --from-scratch`,
      port: STRIPE_PORT,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    ...servers.map((s) => ({
      command: `./serve.sh ${s.name} ${s.port}`,
      url: `http://127.0.0.1:${s.port}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "ignore" as const,
      stderr: "pipe" as const,
    })),
  ],
});
