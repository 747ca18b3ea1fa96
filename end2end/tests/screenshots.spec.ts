import { test, Page } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";
import * as path from "path";

// The README's pictures: the main pages at 1280 px, saved to
// docs/screenshots/. Run on purpose (`TENANTRY_SCREENSHOTS=1 npx playwright
// test screenshots --project sqlite`), never in CI: a picture asserts nothing.
// Playwright runs from end2end/ (scripts/test, and by hand).
const OUT = path.resolve(process.cwd(), "../docs/screenshots");

test("screenshots of the main pages for the README", async ({ browser }) => {
  test.skip(!process.env.TENANTRY_SCREENSHOTS, "run on purpose with TENANTRY_SCREENSHOTS=1");
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const shoot = async (p: Page, name: string) => {
    await hydrated(p);
    await p.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
  };

  await page.goto(url("localhost", "/signup"));
  await shoot(page, "signup");
  await signIn(page, url("admin.localhost", "/console/login"), "root@e2e.test");
  const slug = `shot${Date.now() % 100000}`;
  await createTenant(page, slug, "Acme Rockets");
  await page.goto(url("admin.localhost", "/console"));
  await shoot(page, "console-overview");
  await page.goto(url("admin.localhost", `/console/tenants/${slug}`));
  await shoot(page, "console-tenant");

  const owner = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await shoot(owner, "tenant-projects");
  for (const [address, name] of [
    ["/admin", "admin-members"],
    ["/admin/branding", "admin-branding"],
    ["/admin/billing", "admin-billing"],
    ["/account", "account"],
  ]) {
    await owner.goto(url(`${slug}.localhost`, address));
    await shoot(owner, name);
  }

  // The same person's pages in the dark scheme (the device's setting).
  const dark = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "dark" })).newPage();
  await signIn(dark, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await shoot(dark, "tenant-projects-dark");
  await dark.goto(url(`${slug}.localhost`, "/admin/branding"));
  await shoot(dark, "admin-branding-dark");
});
