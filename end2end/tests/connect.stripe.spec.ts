import { test, expect } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";
import { STRIPE_PORT } from "./stripe.config";

// Stripe Connect end to end: a superadmin gives the tenant's plan a 10 %
// fee, the tenant's owner connects a Stripe account (onboarding on the
// Stripe peer's page, back on the tenant's host), an admin puts an offer on
// sale, a member pays on the tenant-branded checkout, and the fee shows on
// the console. Connect events reach the server from the peer, signed with
// the Connect endpoint's secret (serve.sh).
const PEER = `http://127.0.0.1:${STRIPE_PORT}`;

test("a tenant connects Stripe, sells, and the platform's fee shows on the console", async ({ browser }) => {
  const errors: string[] = [];
  const port = new URL(test.info().project.use.baseURL!).port;
  // The peer delivers Connect events to this server (and the platform's own).
  for (const [path, secret, connect] of [
    ["/webhooks/stripe/connect", "whsec_e2e_connect", true],
    ["/webhooks/stripe", "whsec_e2e_billing", false],
  ] as const) {
    const res = await fetch(`${PEER}/_tenantry/webhook_endpoints`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ url: `http://127.0.0.1:${port}${path}`, secret, connect }),
    });
    expect(res.ok).toBe(true);
  }

  const admin = await (await browser.newContext()).newPage();
  admin.on("pageerror", (e) => errors.push(e.message));
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const slug = `shop${Date.now() % 100000}`;
  await admin.goto(url("admin.localhost", "/console"));
  await hydrated(admin);
  await createTenant(admin, slug, "Coaching Co");
  // The plan's fee for this tenant: 10 % of each sale.
  await admin.goto(url("admin.localhost", `/console/tenants/${slug}/plan`));
  await hydrated(admin);
  await admin.getByLabel("Entitlement").selectOption("payment_fee_bps");
  await admin.getByLabel("Value (true/false, a number, empty for unlimited)").fill("1000");
  await admin.getByLabel("Reason").fill("marketplace terms");
  await admin.getByRole("button", { name: "Set override" }).click();
  await expect(admin.getByTestId("overrides")).toContainText("payment_fee_bps");

  // The owner connects the organisation's Stripe account.
  const owner = await (await browser.newContext()).newPage();
  owner.on("pageerror", (e) => errors.push(e.message));
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await owner.goto(url(`${slug}.localhost`, "/admin/payments"));
  await hydrated(owner);
  await expect(owner.getByTestId("payments-state")).toHaveAttribute("data-state", "none");
  await expect(owner.getByTestId("payments-fee")).toContainText("10.00");
  await owner.getByTestId("connect-stripe").click();
  await owner.waitForURL(new RegExp(`^${PEER.replace(/\./g, "\\.")}/_tenantry/onboarding/`));
  await owner.getByTestId("onboarding-submit").click();
  await owner.waitForURL(url(`${slug}.localhost`, "/admin/payments?onboarding=returned"));
  await hydrated(owner);
  await expect(owner.getByTestId("payments-state")).toHaveAttribute("data-state", "active");
  await expect(owner.getByTestId("payments-account")).toHaveText(/^acct_/);

  // An offer; a price that is not one is refused by its field.
  await owner.getByLabel("Name", { exact: true }).fill("Coaching hour");
  await owner.getByLabel("Price").fill("80,00");
  await owner.getByTestId("add-offer").click();
  await expect(owner.locator('[data-error-for="price"]')).toBeVisible();
  await owner.getByLabel("Price").fill("80.00");
  await owner.getByTestId("add-offer").click();
  await expect(owner.getByTestId("offer-table")).toContainText("Coaching hour");

  // A member pays on the tenant's own checkout.
  await owner.goto(url(`${slug}.localhost`, "/shop"));
  await hydrated(owner);
  await expect(owner.locator('[data-offer="Coaching hour"] [data-testid="offer-price"]')).toHaveText("80.00 EUR");
  await owner.locator('[data-offer="Coaching hour"]').getByTestId("buy").click();
  await owner.waitForURL(new RegExp(`^${PEER.replace(/\./g, "\\.")}/_tenantry/checkout/cs_`));
  await expect(owner.getByTestId("checkout-merchant")).toHaveText("Coaching Co");
  await expect(owner.locator("body")).not.toContainText(/tenantry/i);
  await owner.getByTestId("checkout-pay").click();
  await owner.waitForURL(new RegExp(`^http://${slug}\\.localhost:${port}/shop/purchases/`));
  await hydrated(owner);
  await expect(owner.getByTestId("purchase-status")).toHaveAttribute("data-status", "paid");
  await expect(owner.getByTestId("purchase-amount")).toHaveText("80.00 EUR");

  // The platform's fee (10 % of 80.00) on the console, for the tenant and
  // in the platform's total.
  await admin.goto(url("admin.localhost", `/console/tenants/${slug}/payments`));
  await hydrated(admin);
  await expect(admin.getByTestId("console-payments-account")).toHaveAttribute("data-state", "active");
  await expect(admin.locator('[data-currency="eur"] [data-testid="payments-fees"]')).toHaveText("8.00 EUR");
  await expect(admin.locator('[data-currency="eur"] [data-testid="payments-volume"]')).toHaveText("80.00 EUR");
  await admin.goto(url("admin.localhost", "/console/payments"));
  await hydrated(admin);
  await expect(admin.locator('[data-currency="eur"] [data-testid="payments-fees"]')).toContainText("EUR");
  expect(errors).toEqual([]);
});
