import { test, expect } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";
import { readFileSync } from "node:fs";

test("a superadmin rotates a workspace's data key, restores its export in place and dry-runs an import", async ({ browser }) => {
  const errors: string[] = [];
  const admin = await (await browser.newContext()).newPage();
  admin.on("pageerror", (e) => errors.push(`console page: ${e.message} at ${admin.url()}`));
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const slug = `restoreco${Date.now() % 100000}`;
  await createTenant(admin, slug, "Restore Co");

  // The owner makes a project and downloads an export of the workspace.
  const owner = await (await browser.newContext({ acceptDownloads: true })).newPage();
  owner.on("pageerror", (e) => errors.push(`tenant page: ${e.message} at ${owner.url()}`));
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await owner.getByLabel("Project name").fill("Keep me");
  await owner.getByRole("button", { name: "Create project" }).click();
  await expect(owner.getByTestId("project-list")).toContainText("Keep me");
  await owner.goto(url(`${slug}.localhost`, "/admin/data"));
  await hydrated(owner);
  await owner.getByRole("button", { name: "Export data" }).click();
  const done = owner.getByTestId("export-list").locator("li").first();
  await expect(done).toHaveAttribute("data-state", "done", { timeout: 20_000 });
  const [download] = await Promise.all([
    owner.waitForEvent("download"),
    done.getByRole("link", { name: "Download" }).click(),
  ]);
  const archive = (await download.path())!;
  expect(readFileSync(archive).includes("manifest.sig")).toBe(true);

  // After the export, another project.
  await owner.goto(url(`${slug}.localhost`, "/"));
  await hydrated(owner);
  await owner.getByLabel("Project name").fill("Added later");
  await owner.getByRole("button", { name: "Create project" }).click();
  await expect(owner.getByTestId("project-list")).toContainText("Added later");

  // The console's Data page: the key is at generation 1; a rotation runs to
  // its end with progress, and generation 2 seals from then on.
  await admin.goto(url("admin.localhost", `/console/tenants/${slug}/data`));
  await hydrated(admin);
  const key = admin.getByTestId("data-key");
  await expect(key.getByTestId("sealing-generation")).toHaveText("1");
  await key.getByRole("button", { name: "Rotate key" }).click();
  await expect(key.getByTestId("key-rotation")).toHaveAttribute("data-state", "done", { timeout: 30_000 });
  await expect(key.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
  await expect(key.getByTestId("sealing-generation")).toHaveText("2");

  // Restoring in place without typing the slug is refused by name.
  const restore = admin.getByTestId("restore-form");
  await restore.getByLabel("Export archive (.tar)").setInputFiles(archive);
  await restore.getByRole("button", { name: "Restore" }).click();
  await expect(admin.getByTestId("restore-error")).toContainText("confirm: type the tenant's slug");
  // Typed, the workspace goes back to its export.
  await hydrated(admin);
  await admin.getByTestId("restore-form").getByLabel("Export archive (.tar)").setInputFiles(archive);
  await admin.getByTestId("restore-form").getByLabel("Type the slug to replace in place").fill(slug);
  await admin.getByTestId("restore-form").getByRole("button", { name: "Restore" }).click();
  await expect(admin.getByTestId("restore-progress")).toHaveAttribute("data-state", "done", { timeout: 30_000 });
  await owner.goto(url(`${slug}.localhost`, "/"));
  await hydrated(owner);
  await expect(owner.getByTestId("project-list")).toContainText("Keep me");
  await expect(owner.getByTestId("project-list")).not.toContainText("Added later");

  // An import's dry run names every refused row and writes nothing.
  await hydrated(admin);
  const importing = admin.getByTestId("import-form");
  await importing.getByLabel(/Files to import/).setInputFiles([
    { name: "projects.csv", mimeType: "text/csv", buffer: Buffer.from("id,name,created_at,updated_at\nnot-a-uuid,Imported,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\n") },
    { name: "widgets.csv", mimeType: "text/csv", buffer: Buffer.from("id\n1\n") },
  ]);
  await importing.getByRole("button", { name: "Dry run" }).click();
  const report = admin.getByTestId("import-report");
  await expect(report).toContainText("projects.csv line 2: id: must be a UUID");
  await expect(report).toContainText("widgets.csv: the tenant plane has no table widgets");

  expect(errors, errors.join("\n")).toEqual([]);
});
