import { test, expect } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/** The files of an uncompressed ustar archive. */
function untar(archive: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let at = 0;
  while (at + 512 <= archive.length) {
    const header = archive.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const prefix = header.subarray(345, 500).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(header.subarray(124, 136).toString("utf8").replace(/\0.*$/s, "").trim(), 8);
    const body = archive.subarray(at + 512, at + 512 + size);
    files.set(prefix ? `${prefix}/${name}` : name, Buffer.from(body));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

test("a tenant admin exports the workspace and the archive's manifest matches its contents", async ({ browser }) => {
  const errors: string[] = [];
  const admin = await (await browser.newContext()).newPage();
  admin.on("pageerror", (e) => errors.push(e.message));
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  // A slug of its own per try: a retry on CI must not meet the first try's tenant.
  const slug = `exportco${Date.now() % 100000}`;
  await createTenant(admin, slug, "Export Co");

  const owner = await (await browser.newContext({ acceptDownloads: true })).newPage();
  owner.on("pageerror", (e) => errors.push(e.message));
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await owner.getByLabel("Project name").fill("Export me");
  await owner.getByRole("button", { name: "Create project" }).click();
  await expect(owner.getByTestId("project-list")).toContainText("Export me");

  await owner.goto(url(`${slug}.localhost`, "/admin/data"));
  await hydrated(owner);
  await owner.getByRole("button", { name: "Export data" }).click();
  // The newest export reaches "done" (a failure names the state it is in).
  const done = owner.getByTestId("export-list").locator("li").first();
  await expect(done).toHaveAttribute("data-state", "done", { timeout: 20_000 });
  await expect(done.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");

  const [download] = await Promise.all([
    owner.waitForEvent("download"),
    done.getByRole("link", { name: "Download" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^${slug}-export-.*\\.tar$`));
  const archive = readFileSync((await download.path())!);
  await expect(done).toContainText(createHash("sha256").update(archive).digest("hex"));

  const files = untar(archive);
  const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8"));
  expect(manifest.tenant.slug).toBe(slug);
  expect(manifest.tables.length).toBeGreaterThanOrEqual(4);
  for (const table of manifest.tables) {
    const body = files.get(table.file)!;
    const lines = body.toString("utf8").split("\n").filter((l) => l.length > 0);
    expect(lines.length, table.file).toBe(table.rows);
    expect(createHash("sha256").update(body).digest("hex"), table.file).toBe(table.sha256);
  }
  expect(files.get("tables/projects.jsonl")!.toString("utf8")).toContain("Export me");
  expect(files.get("tables/users.jsonl")!.toString("utf8")).not.toContain("argon2");

  // The export was a job of the tenant's: its admins see it among the
  // workspace's background work, and superadmins on the console's jobs page.
  await owner.reload();
  await hydrated(owner);
  const work = owner.getByTestId("tenant-work");
  await expect(work.locator('li[data-kind="export.produce"]').first()).toHaveAttribute("data-state", "done");
  await admin.goto(url("admin.localhost", "/console/jobs"));
  await hydrated(admin);
  const row = admin.getByTestId("job-counts").locator(`tr[data-tenant="${slug}"][data-kind="export.produce"]`);
  await expect(row.locator('[data-count="done"]')).toHaveText("1");

  expect(errors, errors.join("\n")).toEqual([]);
});
