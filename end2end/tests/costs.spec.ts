import { test, expect } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";

// What tenants cost, in the console: a tenant's people use it, the cost
// ledger fills within a second, and a superadmin finds it among the noisiest
// tenants, then opens its activity charts over the last hour, day and month.
test("a superadmin finds the noisiest tenant and reads its activity", async ({ browser }) => {
  test.skip(test.info().project.name !== "sqlite", "the pages are the same on both backends");
  const admin = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  admin.on("pageerror", (e) => errors.push(e.message));
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const slug = `noisy${Date.now() % 100000}`;
  await createTenant(admin, slug, "Noisy Co");

  const owner = await (await browser.newContext()).newPage();
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  for (let i = 0; i < 8; i++) {
    const res = await owner.goto(url(`${slug}.localhost`, "/"));
    expect(res?.ok()).toBeTruthy();
  }

  // The ledger is written every second; the hour's table lists the tenant.
  const table = admin.getByTestId("noisiest-requests");
  await expect(async () => {
    await admin.goto(url("admin.localhost", "/console/costs?period=hour"));
    await expect(table.locator(`tr[data-slug="${slug}"]`)).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await hydrated(admin);
  await expect(admin.getByRole("link", { name: "Last hour" })).toHaveAttribute("aria-current", "page");
  const row = table.locator(`tr[data-slug="${slug}"]`);
  await expect(row).toContainText(/\d+ requests/);
  await expect(row).toContainText("%");
  for (const key of ["cpu", "db_time", "db_rows", "egress", "storage"]) {
    await expect(admin.getByTestId(`noisiest-${key}`)).toBeVisible();
  }

  await row.getByRole("link", { name: "Noisy Co" }).click();
  await expect(admin).toHaveURL(new RegExp(`/console/tenants/${slug}/activity\\?period=hour`));
  await expect(admin.getByRole("heading", { name: "Activity of Noisy Co" })).toBeVisible();
  await expect(admin.getByTestId("activity-summary-requests")).toContainText(/\d+ requests in the last hour/);
  await expect(admin.getByTestId("activity-summary-latency")).toContainText("95 % of requests within");
  await expect(admin.getByTestId("activity-summary-share")).toContainText("% of the platform's CPU");
  // Sixty minutes, the last holding the requests just made; its value shows
  // on keyboard focus.
  const bars = admin.getByTestId("activity-requests").locator("g[role=img]");
  await expect(bars).toHaveCount(60);
  await bars.last().focus();
  await expect(bars.last()).toHaveAttribute("aria-label", /request/);

  await admin.getByRole("link", { name: "Last 30 days" }).click();
  await expect(admin).toHaveURL(/period=month/);
  await expect(admin.getByTestId("activity-requests").locator("g[role=img]")).toHaveCount(30);
  await admin.getByRole("link", { name: "Last day" }).click();
  await expect(admin.getByTestId("activity-requests").locator("g[role=img]")).toHaveCount(24);

  // Without JavaScript the same page reads the same (drawn by the server).
  const plain = await (await browser.newContext({ javaScriptEnabled: false, storageState: await admin.context().storageState() })).newPage();
  await plain.goto(url("admin.localhost", `/console/tenants/${slug}/activity?period=hour`));
  await expect(plain.getByTestId("activity-summary-requests")).toContainText(/\d+ requests in the last hour/);
  expect(errors).toEqual([]);
});
