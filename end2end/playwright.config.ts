import { defineConfig } from "@playwright/test";

// Two projects, one per backend, each against its own freshly started server.
const servers = [
  { name: "sqlite", port: 3101 },
  { name: "postgres", port: 3102 },
];

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
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
      ],
    },
  },
  projects: servers.map((s) => ({
    name: s.name,
    use: { baseURL: `http://localhost:${s.port}` },
  })),
  webServer: servers.map((s) => ({
    command: `./serve.sh ${s.name} ${s.port}`,
    url: `http://127.0.0.1:${s.port}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
  })),
});
