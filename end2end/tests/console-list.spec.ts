import { execFileSync } from "node:child_process";
import { test, expect } from "./fixtures";
import { hydrated, signIn, url } from "./helpers";

test("the console pages, searches and filters a seeded fleet", async ({ page }) => {
  test.skip(test.info().project.name !== "postgres", "the fleet is seeded with psql into the PostgreSQL catalog");
  // 130 directory rows, deleted (so that no background pass visits them),
  // named in upper case to show that search ignores case.
  const port = new URL(test.info().project.use.baseURL!).port;
  const admin = process.env.TENANTRY_PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const catalog = admin.replace(/\/[^/]*$/, `/tenantry_e2e_${port}`);
  execFileSync("psql", [catalog, "-qc", `
    INSERT INTO tenants (id, slug, name, state, placement, created_at, updated_at, deleted_at, plan)
    SELECT gen_random_uuid(), 'seed' || lpad(n::text, 3, '0'), 'SEEDED FLEET ' || n, 'deleted', 'pool',
           now() - n * interval '1 minute', now(), now(), 'standard'
    FROM generate_series(1, 130) AS n
    ON CONFLICT (slug) DO NOTHING`]);

  await signIn(page, url("admin.localhost", "/console/login"), "root@e2e.test");
  await page.getByLabel("Search slug or name").fill("seeded fleet");
  await page.getByLabel("Filter by state").selectOption("deleted");
  await page.getByLabel("Sort by").selectOption("slug");
  await page.getByRole("button", { name: "Filter" }).click();
  const rows = page.getByTestId("tenant-table").locator("tbody tr");
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toHaveAttribute("data-slug", "seed001");

  await page.getByTestId("next-page").click();
  await expect(rows.first()).toHaveAttribute("data-slug", "seed051");
  await expect(rows).toHaveCount(50);
  await page.getByTestId("next-page").click();
  await expect(rows.first()).toHaveAttribute("data-slug", "seed101");
  await expect(rows).toHaveCount(30);
  await expect(page.getByTestId("next-page")).toHaveCount(0);

  await page.getByTestId("first-page").click();
  await hydrated(page);
  await expect(rows.first()).toHaveAttribute("data-slug", "seed001");
  await expect(page).toHaveURL(/state=deleted/);
});
