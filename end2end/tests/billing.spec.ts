import { test, expect, Page } from "./fixtures";
import { createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { createTenant, hydrated, signIn, url, PASSWORD } from "./helpers";

const WEBHOOK_SECRET = "whsec_e2e_billing"; // end2end/serve.sh

/** POSTs JSON to this project's server with the given Host and headers. */
function post(host: string, path: string, body: string, ...headers: string[]) {
  const args = ["-s", "-w", "\n%{http_code}", "-H", `Host: ${host}`, "-H", "Content-Type: application/json"];
  for (const h of headers) args.push("-H", h);
  args.push("--data-binary", body, url("127.0.0.1", path));
  const out = execFileSync("curl", args, { encoding: "utf8" });
  const at = out.lastIndexOf("\n");
  return { status: Number(out.slice(at + 1)), body: out.slice(0, at) };
}

/** Stripe's signature: HMAC-SHA256 of `<t>.<raw body>`. */
function stripeSignature(body: string, secret: string): string {
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  return `t=${t},v1=${v1}`;
}

async function previewTotal(page: Page): Promise<string> {
  return (await page.getByTestId("invoice-preview-total").textContent())!.trim();
}

test("a hybrid plan: usage through the API, a prorated seat, a failed payment", async ({ browser }) => {
  const errors: string[] = [];
  const admin = await (await browser.newContext()).newPage();
  admin.on("pageerror", (e) => errors.push(e.message));
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");

  // A superadmin defines a meter and a hybrid plan: a base fee, seats above
  // the first, and emails above 100 included.
  await admin.goto(url("admin.localhost", "/console/meters"));
  await hydrated(admin);
  await admin.getByLabel("Key", { exact: true }).fill("emails");
  await admin.getByLabel("Name", { exact: true }).fill("Emails");
  await admin.getByLabel("Unit", { exact: true }).fill("emails");
  await admin.getByRole("button", { name: "Save meter" }).click();
  await expect(admin.locator('tr[data-meter="emails"]')).toBeVisible();

  await admin.goto(url("admin.localhost", "/console/plans"));
  await hydrated(admin);
  const form = admin.getByTestId("plan-new");
  await form.getByLabel("Key", { exact: true }).fill("hybrid");
  await form.getByLabel("Name", { exact: true }).fill("Hybrid");
  await form.getByLabel("Tier").fill("hybrid");
  await form.getByLabel("JSON API access").check();
  await form.getByTestId("plan-prices").fill(JSON.stringify([
    { key: "base", name: "Base fee", type: "flat", amount: 5000, currency: "usd" },
    { key: "seats", name: "Seats", type: "per_seat", unit_amount: 1000, included: 1, currency: "usd" },
    { key: "emails", name: "Emails", type: "usage", meter: "emails", model: "per_unit", unit_amount: 2, included: 100, currency: "usd" },
  ]));
  await form.getByRole("button", { name: "Create plan" }).click();
  await expect(admin.getByTestId("plan-hybrid")).toBeVisible();

  const slug = `bill${Date.now() % 100000}`;
  await admin.goto(url("admin.localhost", "/console"));
  await hydrated(admin);
  await createTenant(admin, slug, "Billed Org");
  await admin.goto(url("admin.localhost", `/console/tenants/${slug}/plan`));
  await hydrated(admin);
  await admin.getByTestId("plan-select").selectOption("hybrid");
  await admin.getByRole("button", { name: "Move to plan" }).click();
  await expect(admin.getByTestId("plan-name")).toHaveText("Hybrid");
  await admin.goto(url("admin.localhost", `/console/tenants/${slug}`));
  const tenantId = (await admin.getByTestId("tenant-id").textContent())!.trim();

  // The owner creates an API key; a script sends usage with it.
  const owner = await (await browser.newContext()).newPage();
  owner.on("pageerror", (e) => errors.push(e.message));
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await owner.goto(url(`${slug}.localhost`, "/admin/api-keys"));
  await hydrated(owner);
  await owner.getByLabel("Name", { exact: true }).fill("Mailer");
  await owner.getByLabel("Role").selectOption("member");
  await owner.getByRole("button", { name: "Create key" }).click();
  const key = (await owner.getByTestId("new-api-key").textContent())!.trim();
  const auth = `Authorization: Bearer ${key}`;
  const first = post(`${slug}.localhost`, "/api/v1/usage",
    JSON.stringify({ events: [{ id: "batch1-1", meter: "emails", quantity: 180 }, { id: "batch1-2", meter: "nope" }] }), auth);
  expect(first.status).toBe(200);
  expect(JSON.parse(first.body).ingest.accepted).toBe(1);
  expect(JSON.parse(first.body).ingest.rejected[0].field).toBe("meter");

  // The portal shows it: the chart's total and today's bar, and the preview.
  await owner.goto(url(`${slug}.localhost`, "/admin/billing"));
  await hydrated(owner);
  await expect(owner.getByTestId("usage-total-emails")).toContainText("180 emails");
  // Without Stripe there is no payment-details link: invoices are the
  // platform's, marked paid by a superadmin.
  await expect(owner.getByTestId("payment-details")).toHaveCount(0);
  const today = new Date().toISOString().slice(0, 10);
  await expect(owner.getByTestId("chart-emails").locator(`rect[data-at="${today}"]`)).toHaveAttribute("data-value", "180");
  const preview = owner.getByTestId("invoice-preview");
  await expect(preview.locator("tr", { hasText: "Emails" })).toContainText("180");
  await expect(preview.locator("tr", { hasText: "Base fee" })).toBeVisible();
  const before = await previewTotal(owner);

  // More usage (and the first batch retried: not counted twice).
  post(`${slug}.localhost`, "/api/v1/usage",
    JSON.stringify({ events: [{ id: "batch1-1", meter: "emails", quantity: 180 }, { id: "batch2-1", meter: "emails", quantity: 70 }] }), auth);
  await owner.reload();
  await hydrated(owner);
  await expect(owner.getByTestId("usage-total-emails")).toContainText("250 emails");
  await expect(preview.locator("tr", { hasText: "Emails" })).toContainText("250");
  expect(await previewTotal(owner)).not.toBe(before);

  // A second member, added mid-period: a prorated seat line for 2 seats.
  await owner.goto(url(`${slug}.localhost`, "/admin"));
  await hydrated(owner);
  await owner.getByLabel("Email", { exact: true }).fill(`second@${slug}.test`);
  await owner.getByLabel("Display name").fill("Second");
  await owner.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await owner.getByRole("button", { name: "Add member" }).click();
  await expect(owner.getByText(`second@${slug}.test`)).toBeVisible();
  await owner.goto(url(`${slug}.localhost`, "/admin/billing"));
  await hydrated(owner);
  const seat = owner.getByTestId("invoice-preview").locator("tr", { hasText: "2 seats" });
  await expect(seat).toHaveAttribute("data-prorated", "true");
  await expect(seat).toContainText("prorated");

  // Stripe reports a failed payment, signed as Stripe signs: past due, with
  // a banner on every page. A tampered copy is refused.
  const event = JSON.stringify({
    id: `evt_${slug}`, object: "event", type: "invoice.payment_failed", created: Math.floor(Date.now() / 1000),
    data: { object: { object: "invoice", id: `in_${slug}`, customer: `cus_${slug}`,
      subscription_details: { metadata: { tenant_id: tenantId } } } },
  });
  const signature = `Stripe-Signature: ${stripeSignature(event, WEBHOOK_SECRET)}`;
  expect(post("localhost", "/webhooks/stripe", event.replace("failed", "succeeded"), signature).status).toBe(422);
  const delivered = post("localhost", "/webhooks/stripe", event, signature);
  expect(delivered.status).toBe(200);
  expect(JSON.parse(delivered.body).received).toBe("applied");
  await owner.goto(url(`${slug}.localhost`, "/"));
  await expect(owner.getByTestId("past-due-banner")).toContainText("Payment failed");
  await owner.goto(url(`${slug}.localhost`, "/admin/billing"));
  await expect(owner.getByTestId("billing-standing")).toHaveAttribute("data-standing", "past_due");

  // The console shows the same usage and preview for the tenant.
  await admin.goto(url("admin.localhost", `/console/tenants/${slug}/billing`));
  await hydrated(admin);
  await expect(admin.getByTestId("usage-total-emails")).toContainText("250 emails");
  await expect(admin.getByTestId("invoice-preview")).toContainText("2 seats");
  expect(errors).toEqual([]);
});
