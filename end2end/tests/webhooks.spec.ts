import { test, expect, Page } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, IncomingHttpHeaders, Server } from "node:http";
import { AddressInfo } from "node:net";

type Delivery = { headers: IncomingHttpHeaders; body: string };

/** A real HTTP receiver on loopback that records every delivery. */
async function startReceiver(): Promise<{ url: string; got: Delivery[]; server: Server }> {
  const got: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, got, server };
}

/** Verifies a delivery the way docs/webhooks.md tells receivers to. */
function verifies(d: Delivery, secret: string): boolean {
  const header = String(d.headers["webhook-signature"] ?? "");
  const parts = header.split(",").map((p) => p.split("="));
  const t = parts.find(([k]) => k === "t")?.[1];
  if (!t || Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${d.body}`).digest();
  return parts
    .filter(([k]) => k === "v1")
    .some(([, v]) => {
      const given = Buffer.from(v, "hex");
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

async function addEndpoint(page: Page, url: string, events: string): Promise<string> {
  await hydrated(page);
  await page.getByLabel("URL").fill(url);
  await page.getByLabel("Description").fill("e2e receiver");
  await page.getByLabel("Events (* or a list)").fill(events);
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const secret = page.getByTestId("webhook-secret");
  await expect(secret).toContainText("whsec_");
  await expect(page.getByTestId("webhook-table").locator(`tr[data-url="${url}"]`)).toBeVisible();
  return (await secret.textContent())!.trim();
}

test("a suspension reaches the platform's and the tenant's webhook endpoints as signed deliveries", async ({ browser }) => {
  const platformRx = await startReceiver();
  const tenantRx = await startReceiver();
  const errors: string[] = [];
  const admin = await (await browser.newContext()).newPage();
  admin.on("pageerror", (e) => errors.push(e.message));

  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  await createTenant(admin, "hookco", "Hook Co");

  // The superadmin's endpoint hears every tenant; the tenant admin's, its own.
  await admin.goto(url("admin.localhost", "/console/webhooks"));
  const platformSecret = await addEndpoint(admin, platformRx.url, "tenant.suspended");
  const owner = await (await browser.newContext()).newPage();
  owner.on("pageerror", (e) => errors.push(e.message));
  await signIn(owner, url("hookco.localhost", "/login"), "owner@hookco.test");
  await owner.goto(url("hookco.localhost", "/admin/webhooks"));
  const tenantSecret = await addEndpoint(owner, tenantRx.url, "*");
  expect(tenantSecret).not.toEqual(platformSecret);
  await expect(owner.locator("html")).not.toContainText(/tenantry/i);

  await admin.goto(url("admin.localhost", "/console/tenants/hookco"));
  await hydrated(admin);
  await admin.getByRole("button", { name: "Suspend" }).click();
  await expect(admin.getByTestId("tenant-state")).toHaveText("suspended");

  await expect.poll(() => platformRx.got.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
  await expect.poll(() => tenantRx.got.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
  for (const [rx, secret, other] of [
    [platformRx, platformSecret, tenantSecret],
    [tenantRx, tenantSecret, platformSecret],
  ] as const) {
    const d = rx.got[0];
    const event = JSON.parse(d.body);
    expect(event.type).toBe("tenant.suspended");
    expect(event.tenant.slug).toBe("hookco");
    expect(d.headers["webhook-event-type"]).toBe("tenant.suspended");
    expect(verifies(d, secret)).toBe(true);
    expect(verifies(d, other)).toBe(false);
    expect(verifies({ ...d, body: d.body.replace("hookco", "hookc0") }, secret)).toBe(false);
  }

  // The console's delivery log shows it delivered; a resend sends it again.
  await admin.goto(url("admin.localhost", "/console/webhooks"));
  await hydrated(admin);
  await admin.getByRole("button", { name: "Deliveries" }).click();
  const row = admin.getByTestId("delivery-table").locator('tr[data-event="tenant.suspended"]');
  await expect(row).toHaveAttribute("data-status", "delivered");
  await row.getByRole("button", { name: "Resend" }).click();
  await expect.poll(() => platformRx.got.length, { timeout: 15_000 }).toBe(2);
  expect(platformRx.got[1].headers["webhook-event-id"]).toBe(platformRx.got[0].headers["webhook-event-id"]);
  expect(verifies(platformRx.got[1], platformSecret)).toBe(true);

  platformRx.server.close();
  tenantRx.server.close();
  expect(errors, errors.join("\n")).toEqual([]);
});
