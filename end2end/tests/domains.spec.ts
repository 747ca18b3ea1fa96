import { test, expect } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";

const CHALLTESTSRV = "http://127.0.0.1:8055";

test("a tenant adds a custom domain, proves it in DNS and is served there under its brand", async ({ browser }) => {
  const errors: string[] = [];
  const admin = await (await browser.newContext()).newPage();
  admin.on("pageerror", (e) => errors.push(e.message));
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  await createTenant(admin, "domainco", "Domain Co");

  const owner = await (await browser.newContext()).newPage();
  owner.on("pageerror", (e) => errors.push(e.message));
  await signIn(owner, url("domainco.localhost", "/login"), "owner@domainco.test");
  await owner.goto(url("domainco.localhost", "/admin/domains"));
  await hydrated(owner);
  // One name per backend project: both share the DNS server.
  const host = `app-${test.info().project.name}.domainco.test`;
  await owner.getByLabel("Host name").fill(host.toUpperCase());
  await owner.getByRole("button", { name: "Add domain" }).click();
  const row = owner.locator(`li[data-hostname="${host}"]`);
  await expect(row).toHaveAttribute("data-state", "pending");

  // Not verified yet: the host serves nothing (Chromium maps *.test to us).
  const probe = await (await browser.newContext()).newPage();
  expect((await probe.goto(url(host, "/login")))?.status()).toBe(404);

  const txtName = (await row.getByTestId("txt-name").textContent())!.trim();
  const txtValue = (await row.getByTestId("txt-value").textContent())!.trim();
  expect(txtName).toBe(`_tenantry-challenge.${host}`);
  const set = await fetch(`${CHALLTESTSRV}/set-txt`, {
    method: "POST",
    body: JSON.stringify({ host: `${txtName}.`, value: txtValue }),
  });
  expect(set.ok).toBe(true);
  await row.getByRole("button", { name: "Verify" }).click();
  await expect(row).toHaveAttribute("data-state", "verified");

  // The custom host serves the tenant's branded pages.
  const visitor = await (await browser.newContext()).newPage();
  visitor.on("pageerror", (e) => errors.push(e.message));
  await signIn(visitor, url(host, "/login"), "owner@domainco.test");
  await expect(visitor.getByTestId("tenant-header")).toContainText("Domain Co");
  await expect(visitor).toHaveTitle("Domain Co");
  await expect(visitor.locator("html")).not.toContainText(/tenantry/i);

  // The console shows it on the tenant's page too.
  await admin.goto(url("admin.localhost", "/console/tenants/domainco/domains"));
  await expect(admin.locator(`li[data-hostname="${host}"]`)).toHaveAttribute("data-state", "verified");

  expect(errors, errors.join("\n")).toEqual([]);
});
