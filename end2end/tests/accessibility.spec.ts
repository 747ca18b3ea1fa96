import AxeBuilder from "@axe-core/playwright";
import { test, expect, Page } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";

/** Serious and critical WCAG violations on the page as it is now. */
async function violations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${page.url()} [${v.impact}] ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(" | ")}`);
}

for (const scheme of ["light", "dark"] as const) {
  test(`the console, a tenant's admin and end-user pages and signup have no serious accessibility violations (${scheme})`, async ({ browser }) => {
    test.skip(test.info().project.name !== "sqlite", "the pages are the same on both backends");
    const context = await browser.newContext({ colorScheme: scheme });
    const page = await context.newPage();
    const found: string[] = [];
    const check = async (address: string) => {
      await page.goto(address);
      await hydrated(page);
      found.push(...(await violations(page)));
    };

    await check(url("localhost", "/signup"));
    await check(url("admin.localhost", "/console/login"));
    await signIn(page, url("admin.localhost", "/console/login"), "root@e2e.test");
    const slug = `a11y${scheme[0]}${Date.now() % 100000}`;
    await createTenant(page, slug, "Accessible Co");
    for (const path of ["/console", `/console/tenants/${slug}`, `/console/tenants/${slug}/activity`, "/console/costs", "/console/plans", "/console/flags", "/console/jobs", "/console/audit"]) {
      await check(url("admin.localhost", path));
    }

    const tenant = await context.newPage();
    await tenant.goto(url(`${slug}.localhost`, "/login"));
    await hydrated(tenant);
    found.push(...(await violations(tenant)));
    await signIn(tenant, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
    for (const path of ["/", "/account", "/welcome", "/admin", "/admin/branding", "/admin/domains", "/admin/api-keys", "/admin/webhooks", "/admin/plan", "/admin/billing", "/admin/audit"]) {
      await tenant.goto(url(`${slug}.localhost`, path));
      await hydrated(tenant);
      found.push(...(await violations(tenant)));
    }
    expect(found).toEqual([]);

    // The check can fail: an input without a label is reported.
    await tenant.evaluate(() => document.body.appendChild(document.createElement("input")));
    expect((await violations(tenant)).some((v) => v.includes(" label:"))).toBe(true);
  });
}
