import { test, expect } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";
import { STRIPE_PORT } from "./stripe.config";

// With Stripe configured, the billing page's "Payment details" opens a
// Stripe billing-portal session for the tenant's customer, which returns to
// the billing page.
test("payment details through Stripe's billing portal and back", async ({ browser }) => {
  const errors: string[] = [];
  const admin = await (await browser.newContext()).newPage();
  admin.on("pageerror", (e) => errors.push(e.message));
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const slug = `pay${Date.now() % 100000}`;
  await admin.goto(url("admin.localhost", "/console"));
  await hydrated(admin);
  await createTenant(admin, slug, "Paying Org");

  const owner = await (await browser.newContext()).newPage();
  owner.on("pageerror", (e) => errors.push(e.message));
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await owner.goto(url(`${slug}.localhost`, "/admin/billing"));
  await hydrated(owner);
  await owner.getByTestId("payment-details").click();

  // Stripe's page (the peer's), for a customer of Stripe's.
  await owner.waitForURL(new RegExp(`^http://127\\.0\\.0\\.1:${STRIPE_PORT}/_tenantry/portal/bps_`));
  await expect(owner.getByTestId("portal-customer")).toHaveText(/^cus_/);
  const customer = (await owner.getByTestId("portal-customer").textContent())!.trim();

  // The customer Stripe holds is the tenant's.
  const res = await fetch(`http://127.0.0.1:${STRIPE_PORT}/v1/customers/${customer}`, {
    headers: { Authorization: "Bearer sk_test_e2e" },
  });
  const remote = await res.json();
  expect(remote.name).toBe("Paying Org");
  expect(remote.metadata.tenant_slug).toBe(slug);

  // Back to the billing page.
  await owner.getByTestId("portal-return").click();
  await owner.waitForURL(url(`${slug}.localhost`, "/admin/billing"));
  await hydrated(owner);
  await expect(owner.getByTestId("billing-standing")).toBeVisible();
  expect(errors).toEqual([]);
});
