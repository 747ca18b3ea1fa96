import { test, expect, Page, BrowserContext } from "./fixtures";

const PASSWORD = "correct horse battery";

function port(): string {
  return new URL(test.info().project.use.baseURL!).port;
}

function hostUrl(host: string, path: string): string {
  return `http://${host}.localhost:${port()}${path}`;
}

/**
 * Collects console errors and uncaught exceptions. The browser also logs the
 * 422 answer to a deliberately invalid form as a failed resource; that one is
 * the validation working, so it is the only message let through.
 */
function watchErrors(page: Page, errors: string[]) {
  page.on("console", (m) => {
    const expectedValidation = m.text().includes("status of 422");
    if (m.type() === "error" && !expectedValidation) errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
}

async function hydrated(page: Page) {
  await page.locator('body[data-hydrated="true"]').waitFor();
}

async function signIn(page: Page, url: string, email: string) {
  await page.goto(url);
  await hydrated(page);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("viewer")).toHaveText(email);
}

async function newPage(context: BrowserContext, errors: string[]) {
  const page = await context.newPage();
  watchErrors(page, errors);
  return page;
}

test("superadmin creates tenants that stay isolated, branded and suspendable", async ({ browser }) => {
  const errors: string[] = [];
  const admin = await newPage(await browser.newContext(), errors);

  await signIn(admin, hostUrl("admin", "/console/login"), "root@e2e.test");
  await expect(admin).toHaveURL(/\/console$/);

  for (const [slug, name] of [["acme", "Acme Corp"], ["globex", "Globex"]]) {
    await admin.getByLabel("Slug", { exact: true }).fill(slug);
    await admin.getByLabel("Name", { exact: true }).fill(name);
    await admin.getByLabel("First admin's email").fill(`owner@${slug}.test`);
    await admin.getByLabel("First admin's password").fill(PASSWORD);
    await admin.getByRole("button", { name: "Create tenant" }).click();
    await expect(admin.getByRole("status")).toContainText(`Created ${slug}`);
    await expect(admin.getByTestId("tenant-table").locator(`tr[data-slug="${slug}"]`)).toBeVisible();
  }

  // A bad slug gets a specific error on the field and creates nothing.
  await admin.getByLabel("Slug", { exact: true }).fill("admin");
  await admin.getByRole("button", { name: "Create tenant" }).click();
  await expect(admin.getByRole("alert")).toContainText("reserved");
  await expect(admin.getByTestId("tenant-table").locator('tr[data-slug="admin"]')).toHaveCount(0);
  await expect(admin.getByTestId("tenant-table").locator('tr[data-slug="globex"]')).toBeVisible();

  const acme = await newPage(await browser.newContext(), errors);
  await signIn(acme, hostUrl("acme", "/login"), "owner@acme.test");
  await expect(acme.getByTestId("tenant-header")).toContainText("Acme Corp");
  await expect(acme).toHaveTitle("Acme Corp");
  await acme.getByLabel("Project name").fill("Rocket sled");
  await acme.getByRole("button", { name: "Create project" }).click();
  await expect(acme.getByTestId("project-list")).toContainText("Rocket sled");
  await expect(acme.getByLabel("Project name")).toHaveValue("");

  const globex = await newPage(await browser.newContext(), errors);
  await signIn(globex, hostUrl("globex", "/login"), "owner@globex.test");
  await expect(globex.getByTestId("tenant-header")).toContainText("Globex");
  await expect(globex.getByText("No projects yet.")).toBeVisible();
  await expect(globex.locator("body")).not.toContainText("Rocket sled");
  // Nothing on a tenant's pages names the platform.
  await expect(globex.locator("html")).not.toContainText(/tenantry/i);

  // Tasks inside acme's project: create and complete.
  await acme.getByRole("link", { name: "Rocket sled" }).click();
  await expect(acme.getByTestId("project-name")).toHaveText("Rocket sled");
  await hydrated(acme);
  await acme.getByLabel("New task").fill("Attach rockets");
  await acme.getByRole("button", { name: "Add task" }).click();
  await expect(acme.getByTestId("task-list")).toContainText("Attach rockets");
  await acme.getByRole("button", { name: "Complete" }).click();
  await expect(acme.getByTestId("task-list").locator('li[data-done="true"]')).toHaveCount(1);

  // Branding: live preview, then the saved colour themes every page.
  await acme.goto(hostUrl("acme", "/admin/branding"));
  await hydrated(acme);
  // Pure red carries white text at 4.00:1: below WCAG AA, refused.
  await acme.getByLabel("Primary colour", { exact: true }).fill("#ff0000");
  await acme.getByRole("button", { name: "Save branding" }).click();
  await expect(acme.getByRole("alert")).toContainText("4.00:1");
  await acme.getByLabel("Primary colour", { exact: true }).fill("#b91c1c");
  const preview = (scheme: string) => acme.locator(`[data-scheme="${scheme}"] [data-testid="preview-header"]`);
  await expect(preview("light")).toHaveCSS("background-color", "rgb(185, 28, 28)");
  // No dark colour yet: the dark preview falls back to the light one, then
  // follows the dark colour as it is typed.
  await expect(preview("dark")).toHaveCSS("background-color", "rgb(185, 28, 28)");
  await acme.getByLabel("Primary colour, dark mode (optional)", { exact: true }).fill("#7f1d1d");
  await expect(preview("dark")).toHaveCSS("background-color", "rgb(127, 29, 29)");
  await expect(preview("light")).toHaveCSS("background-color", "rgb(185, 28, 28)");
  await acme.getByLabel("Support email").fill("help@acme.test");
  await acme.getByRole("button", { name: "Save branding" }).click();
  await expect(acme.getByRole("status")).toContainText("Saved");
  await acme.goto(hostUrl("acme", "/"));
  await expect(acme.getByTestId("tenant-header")).toHaveCSS("background-color", "rgb(185, 28, 28)");
  await expect(acme.getByTestId("support")).toContainText("help@acme.test");
  // The dark scheme, chosen on the page and remembered on the next load:
  // the tenant's dark colour, and the page's own colours dark too.
  await hydrated(acme);
  const surface = () => acme.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor);
  const lightSurface = await surface();
  const remembered = acme.waitForResponse((r) => r.url().includes("set_theme"));
  await acme.getByLabel("Colour scheme").selectOption("dark");
  expect((await remembered).ok()).toBe(true);
  await expect(acme.getByTestId("tenant-header")).toHaveCSS("background-color", "rgb(127, 29, 29)");
  await acme.reload();
  await expect(acme.locator("html")).toHaveClass("dark");
  await expect(acme.getByTestId("tenant-header")).toHaveCSS("background-color", "rgb(127, 29, 29)");
  expect(await surface()).not.toBe(lightSurface);
  await hydrated(acme);
  await expect(acme.getByLabel("Colour scheme")).toHaveValue("dark");
  await acme.getByLabel("Colour scheme").selectOption("system");
  await expect(acme.getByTestId("tenant-header")).toHaveCSS("background-color", "rgb(185, 28, 28)");

  // A logo upload is re-encoded, stored for acme only, and shown in its header.
  await acme.goto(hostUrl("acme", "/admin/branding"));
  await hydrated(acme);
  const logo = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGMQiToBRwzEcQDswxNhNOw5YwAAAABJRU5ErkJggg==",
    "base64");
  await acme.getByLabel("Logo image").setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: logo });
  await acme.getByRole("button", { name: "Upload logo" }).click();
  await expect(acme.getByTestId("current-logo")).toBeVisible();
  await acme.goto(hostUrl("acme", "/"));
  await expect(acme.getByTestId("tenant-header").locator("img")).toHaveAttribute("src", /\/brand\/logo\.png\?v=/);
  const served = await acme.goto(hostUrl("acme", "/brand/logo.png"));
  expect(served?.status()).toBe(200);
  expect(served?.headers()["content-type"]).toBe("image/png");
  // An SVG is refused with the reason, and nothing changes.
  await acme.goto(hostUrl("acme", "/admin/branding"));
  await hydrated(acme);
  await acme.getByLabel("Logo image").setInputFiles({ name: "x.svg", mimeType: "image/svg+xml",
    buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
  await acme.getByRole("button", { name: "Upload logo" }).click();
  await expect(acme.getByTestId("uploads").getByRole("alert")).toContainText("SVG is not accepted");
  await globex.reload();
  await expect(globex.getByTestId("tenant-header")).toHaveCSS("background-color", "rgb(79, 70, 229)");

  // Suspending globex shows its branded suspended page.
  await admin.goto(hostUrl("admin", "/console/tenants/globex"));
  await hydrated(admin);
  await admin.getByRole("button", { name: "Suspend" }).click();
  await expect(admin.getByTestId("tenant-state")).toHaveText("suspended");
  await globex.reload();
  await expect(globex.getByTestId("suspended")).toContainText("This workspace is suspended");
  await expect(globex.getByTestId("suspended")).toContainText("Globex");

  // The audit log shows what the superadmin did.
  await admin.goto(hostUrl("admin", "/console/audit"));
  await expect(admin.getByTestId("audit-table")).toContainText("tenant.suspended");

  expect(errors, errors.join("\n")).toEqual([]);
});

test("unknown tenant hosts get a neutral 404", async ({ page }) => {
  const res = await page.goto(hostUrl("no-such-tenant", "/"));
  expect(res?.status()).toBe(404);
  await expect(page.locator("body")).toContainText("Not found");
  await expect(page.locator("html")).not.toContainText(/tenantry/i);
});

test("a schema tenant moves to a database of its own from the console while it keeps its data", async ({ browser }) => {
  test.skip(test.info().project.name !== "postgres", "schema and database placements need PostgreSQL");
  const errors: string[] = [];
  const admin = await newPage(await browser.newContext(), errors);
  await signIn(admin, hostUrl("admin", "/console/login"), "root@e2e.test");

  await admin.getByLabel("Slug", { exact: true }).fill("initech");
  await admin.getByLabel("Name", { exact: true }).fill("Initech");
  await admin.getByLabel("First admin's email").fill("owner@initech.test");
  await admin.getByLabel("First admin's password").fill(PASSWORD);
  await admin.getByLabel("Placement").selectOption("schema");
  await admin.getByRole("button", { name: "Create tenant" }).click();
  await expect(admin.getByRole("status")).toContainText("Created initech");
  const row = admin.getByTestId("tenant-table").locator('tr[data-slug="initech"]');
  await expect(row.getByTestId("tenant-placement")).toHaveText("schema");

  const tenant = await newPage(await browser.newContext(), errors);
  await signIn(tenant, hostUrl("initech", "/login"), "owner@initech.test");
  await tenant.getByLabel("Project name").fill("Stapler");
  await tenant.getByRole("button", { name: "Create project" }).click();
  await expect(tenant.getByTestId("project-list")).toContainText("Stapler");

  await admin.goto(hostUrl("admin", "/console/tenants/initech"));
  await hydrated(admin);
  await expect(admin.getByTestId("tenant-placement")).toContainText("schema");
  await admin.getByLabel("Move to").selectOption("database");
  await admin.getByRole("button", { name: "Move tenant" }).click();
  await expect(admin.getByTestId("move-progress")).toHaveAttribute("data-step", "done", { timeout: 30_000 });
  await expect(admin.getByTestId("move-progress")).toContainText("writes paused");
  await expect(admin.getByTestId("tenant-placement")).toContainText("database");

  // Same tenant, same data, now from its own database.
  await tenant.reload();
  await expect(tenant.getByTestId("project-list")).toContainText("Stapler");

  await admin.getByRole("link", { name: "Fleet" }).click();
  const unit = admin.getByTestId("fleet-table").locator('tr[data-unit^="database:"]');
  await expect(unit).toContainText("initech");
  await expect(unit).toContainText("ok");
  expect(errors).toEqual([]);
});
