import { test, expect } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";

test("a superadmin's support session shows a banner and is in the tenant's audit log", async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  admin.on("pageerror", (e) => errors.push(e.message));
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const slug = `imp${Date.now() % 100000}`;
  await createTenant(admin, slug, "Support Co");

  await admin.goto(url("admin.localhost", `/console/tenants/${slug}`));
  await hydrated(admin);
  await admin.getByLabel("Member's email").fill(`owner@${slug}.test`);
  await admin.getByLabel("Reason").fill("ticket 7: the owner cannot find a project");
  await admin.getByRole("button", { name: "Start support session" }).click();
  const link = admin.getByTestId("impersonation-link");
  await expect(link).toBeVisible();
  await link.click();

  // On the tenant's host, acting as the owner, under a banner on every page.
  await expect(admin).toHaveURL(url(`${slug}.localhost`, "/"));
  const banner = admin.getByTestId("impersonation-banner");
  await expect(banner).toContainText(`root@e2e.test is acting as owner@${slug}.test`);
  await admin.getByLabel("Project name").fill("Made during support");
  await admin.getByRole("button", { name: "Create project" }).click();
  await expect(admin.getByText("Made during support")).toBeVisible();
  await admin.getByRole("link", { name: "Settings", exact: true }).click();
  await admin.getByRole("link", { name: "Members" }).click();
  await expect(banner).toBeVisible();

  // The organisation's own admin reads both identities in its audit log.
  const owner = await (await browser.newContext()).newPage();
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await owner.getByRole("link", { name: "Settings", exact: true }).click();
  await owner.getByRole("link", { name: "Audit", exact: true }).click();
  await hydrated(owner);
  const log = owner.getByTestId("audit-table");
  await expect(log.locator('tr[data-action="impersonation.started"]')).toContainText("ticket 7");
  await expect(log.locator('tr[data-action="impersonation.request"]').first()).toContainText(
    `superadmin:root@e2e.test as member:owner@${slug}.test`,
  );

  // Ending it signs the support session out.
  await admin.getByRole("button", { name: "End support session" }).click();
  await expect(admin).toHaveURL(/\/login$/);
  expect(errors).toEqual([]);
});
