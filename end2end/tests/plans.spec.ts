import { test, expect, Page, Browser } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";

/** Signs in as the tenant's owner in a fresh browser context. */
async function ownerPage(browser: Browser, slug: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  return page;
}

async function createProject(page: Page, name: string) {
  await page.getByLabel("Project name").fill(name);
  await page.getByRole("button", { name: "Create project" }).click();
}

/** The slugs the flag's "who gets this flag" panel lists. */
async function resolvedSlugs(admin: Page): Promise<string[]> {
  await hydrated(admin);
  const items = admin.getByTestId("resolved").locator("li");
  return items.evaluateAll((els) => els.map((e) => e.getAttribute("data-slug") ?? ""));
}

test("plans, a 50 % flag, max_projects and the kill switch", async ({ browser }) => {
  const errors: string[] = [];
  const admin = await (await browser.newContext()).newPage();
  admin.on("pageerror", (e) => errors.push(e.message));
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");

  // A superadmin defines a plan.
  await admin.getByRole("link", { name: "Plans", exact: true }).click();
  await hydrated(admin);
  const form = admin.getByTestId("plan-new");
  await form.getByLabel("Key", { exact: true }).fill("starter");
  await form.getByLabel("Name", { exact: true }).fill("Starter");
  await form.getByLabel("Tier").fill("starter");
  await form.getByLabel("JSON API access").check();
  await form.getByLabel("Projects", { exact: true }).fill("2");
  await form.getByRole("button", { name: "Create plan" }).click();
  await expect(admin.getByTestId("plan-starter")).toBeVisible();

  // Tenants, one of them moved onto the plan.
  const slugs = ["flaga", "flagb", "flagc", "flagd"];
  await admin.goto(url("admin.localhost", "/console"));
  await hydrated(admin);
  for (const slug of slugs) await createTenant(admin, slug, `Flag ${slug}`);
  await admin.goto(url("admin.localhost", "/console/tenants/flaga/plan"));
  await hydrated(admin);
  await admin.getByTestId("plan-select").selectOption("starter");
  await admin.getByRole("button", { name: "Move to plan" }).click();
  await expect(admin.getByTestId("plan-name")).toHaveText("Starter");

  // A flag at 50 %: the tenants it resolves to are listed.
  await admin.goto(url("admin.localhost", "/console/flags"));
  await hydrated(admin);
  await admin.getByLabel("Key", { exact: true }).fill("new_board");
  await admin.getByLabel("Description", { exact: true }).fill("Tasks as a board");
  await admin.getByLabel("Percentage rollout (0–100)").fill("50");
  await admin.getByRole("button", { name: "Create flag" }).click();
  await admin.getByRole("link", { name: "new_board" }).first().click();
  await expect(admin.getByTestId("flag-key")).toHaveText("new_board");
  // Only this spec's tenants count: other specs' tenants share the server.
  const ours = async () => (await resolvedSlugs(admin)).filter((s) => slugs.includes(s));
  let inFlag = await ours();
  // Tenant ids are random: add tenants until the rollout splits them.
  for (let n = 0; (inFlag.length === 0 || inFlag.length === slugs.length) && n < 12; n++) {
    const slug = `flagx${n}`;
    await admin.goto(url("admin.localhost", "/console"));
    await hydrated(admin);
    await createTenant(admin, slug, `Flag ${slug}`);
    slugs.push(slug);
    await admin.goto(url("admin.localhost", "/console/flags/new_board"));
    inFlag = await ours();
  }
  const outFlag = slugs.filter((s) => !inFlag.includes(s));
  expect(inFlag.length).toBeGreaterThan(0);
  expect(outFlag.length).toBeGreaterThan(0);

  // A tenant it resolves to sees the board; one it does not, does not.
  const seen: Record<string, Page> = {};
  for (const [slug, visible] of [[inFlag[0], true], [outFlag[0], false]] as const) {
    const page = await ownerPage(browser, slug);
    page.on("pageerror", (e) => errors.push(e.message));
    await createProject(page, "Launch");
    await page.getByRole("link", { name: "Launch" }).click();
    await expect(page.getByTestId("project-name")).toHaveText("Launch");
    await expect(page.getByTestId("board")).toHaveCount(visible ? 1 : 0);
    seen[slug] = page;
  }

  // The kill switch turns it off everywhere within a second.
  const inPage = seen[inFlag[0]];
  await admin.getByRole("button", { name: "Kill switch: turn off everywhere" }).click();
  await expect(admin.getByTestId("kill-state")).toContainText("Kill switch ON");
  // Asked from the tenant's page, as its own API client (same origin, its session).
  const served = () =>
    inPage.evaluate(async () => (await (await fetch("/api/v1/flags")).json()).flags.new_board);
  await expect.poll(served, { timeout: 1_000, intervals: [50] }).toBe(false);
  await inPage.reload();
  await hydrated(inPage);
  await expect(inPage.getByTestId("project-name")).toHaveText("Launch");
  await expect(inPage.getByTestId("board")).toHaveCount(0);
  await expect(admin.getByTestId("flag-history")).toContainText("kill switch on");

  // The tenant on Starter hits max_projects and is told which limit and how to raise it.
  const starter = seen["flaga"] ?? (await ownerPage(browser, "flaga"));
  await starter.goto(url("flaga.localhost", "/"));
  await hydrated(starter);
  const existing = await starter.getByTestId("project-list").locator("li").count();
  for (let n = existing; n < 2; n++) {
    await createProject(starter, `Project ${n}`);
    await expect(starter.getByTestId("project-list").locator("li")).toHaveCount(n + 1);
  }
  await createProject(starter, "One too many");
  const alert = starter.getByRole("alert");
  await expect(alert).toContainText("The Starter plan allows 2 projects");
  await expect(alert).toContainText("max_projects");
  await expect(starter.getByTestId("project-list").locator("li")).toHaveCount(2);

  // Its plan page shows the limit used up.
  await starter.getByRole("link", { name: "Settings", exact: true }).click();
  await starter.getByRole("link", { name: "Plan", exact: true }).click();
  await expect(starter.getByTestId("plan-name")).toHaveText("Starter");
  await expect(starter.getByTestId("meter-max_projects")).toHaveText("2 of 2");
  await expect(starter.locator('[role="progressbar"][aria-label="max_projects"]')).toHaveAttribute("aria-valuenow", "100");

  expect(errors).toEqual([]);
});
