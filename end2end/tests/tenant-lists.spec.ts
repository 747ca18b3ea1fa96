import { test, expect } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";

// A tenant's own long lists in the browser: the audit log searched by action
// (the search in the address, so a result is a link), and the jobs filtered
// by state. Paging by keyset over many rows is proved in the Rust suite
// (tenant_lists.rs); here the controls work end to end.
test("an owner searches the audit log and filters the background jobs", async ({ browser }) => {
  test.skip(test.info().project.name !== "sqlite", "the pages are the same on both backends");
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const slug = `lists${Date.now() % 100000}`;
  await createTenant(admin, slug, "Lists Co");

  const owner = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  owner.on("pageerror", (e) => errors.push(e.message));
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await owner.goto(url(`${slug}.localhost`, "/admin/api-keys"));
  await hydrated(owner);
  await owner.getByLabel("Name", { exact: true }).fill("Listed robot");
  await owner.getByRole("button", { name: "Create key" }).click();
  await expect(owner.getByTestId("new-api-key")).toContainText("tnt_");

  await owner.goto(url(`${slug}.localhost`, "/admin/audit"));
  await hydrated(owner);
  const rows = owner.getByTestId("audit-table").locator("tbody tr");
  await owner.getByLabel("Search actor or action").fill("API_KEY");
  await owner.getByRole("button", { name: "Search" }).click();
  await expect(owner).toHaveURL(/q=API_KEY/);
  await expect(rows.first()).toHaveAttribute("data-action", /^api_key\./);
  for (const action of await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-action")))) {
    expect(action).toMatch(/^api_key\./);
  }
  await owner.getByLabel("Search actor or action").fill("no such action");
  await owner.getByRole("button", { name: "Search" }).click();
  await expect(owner.getByText("No entries match.")).toBeVisible();
  // The address alone reproduces a search.
  await owner.goto(url(`${slug}.localhost`, "/admin/audit?q=api_key.created"));
  await expect(rows).toHaveCount(1);

  await owner.goto(url(`${slug}.localhost`, "/admin/data"));
  await hydrated(owner);
  const jobs = owner.getByTestId("job-list").locator("li");
  await owner.getByLabel("Show jobs").selectOption("dead");
  await expect(jobs).toHaveCount(0);
  await expect(owner.getByText("No background work yet.")).toBeVisible();
  await owner.getByLabel("Show jobs").selectOption("");
  await expect(owner.getByLabel("Show jobs")).toHaveValue("");
  expect(errors).toEqual([]);
});
