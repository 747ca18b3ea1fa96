import { test, expect } from "./fixtures";
import { execFileSync } from "node:child_process";
import { createTenant, hydrated, signIn, url } from "./helpers";

/** A curl request to this project's server with the given Host header. */
function curl(host: string, path: string, key: string, ...extra: string[]) {
  const address = url("127.0.0.1", path);
  const out = execFileSync(
    "curl",
    ["-s", "-w", "\n%{http_code}", "-H", `Host: ${host}`, "-H", `Authorization: Bearer ${key}`, ...extra, address],
    { encoding: "utf8" },
  );
  const at = out.lastIndexOf("\n");
  return { status: Number(out.slice(at + 1)), body: out.slice(0, at) };
}

test("an API key lists its own projects and is refused on another tenant's host", async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const alpha = `keya${Date.now() % 100000}`;
  const bravo = `keyb${Date.now() % 100000}`;
  await createTenant(admin, alpha, "Key Alpha");
  await createTenant(admin, bravo, "Key Bravo");

  const owner = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  owner.on("pageerror", (e) => errors.push(e.message));
  await signIn(owner, url(`${alpha}.localhost`, "/login"), `owner@${alpha}.test`);
  await owner.getByLabel("Project name").fill("Keyed roadmap");
  await owner.getByRole("button", { name: "Create project" }).click();
  await expect(owner.getByText("Keyed roadmap")).toBeVisible();

  await owner.getByRole("link", { name: "Settings", exact: true }).click();
  await owner.getByRole("link", { name: "API keys" }).click();
  await hydrated(owner);
  await owner.getByLabel("Name", { exact: true }).fill("CI robot");
  await owner.getByLabel("Role").selectOption("viewer");
  await owner.getByRole("button", { name: "Create key" }).click();
  const shown = owner.getByTestId("new-api-key");
  await expect(shown).toContainText("tnt_");
  const key = (await shown.textContent())!.trim();
  const row = owner.getByTestId("api-key-table").locator('tr[data-name="CI robot"]');
  await expect(row).toContainText("viewer");

  // curl, as a script would: the key lists alpha's projects on alpha's host…
  const mine = curl(`${alpha}.localhost`, "/api/v1/projects", key);
  expect(mine.status).toBe(200);
  expect(mine.body).toContain("Keyed roadmap");
  // …is read-only as a viewer key…
  const write = curl(`${alpha}.localhost`, "/api/v1/projects", key,
    "-X", "POST", "-H", "Content-Type: application/json", "-d", '{"name":"nope"}');
  expect(write.status).toBe(403);
  // …and is refused on bravo's host, showing nothing of bravo.
  const theirs = curl(`${bravo}.localhost`, "/api/v1/projects", key);
  expect(theirs.status).toBe(401);
  expect(theirs.body).not.toContain("projects");

  // Revoked, it stops working at once.
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("revoked");
  expect(curl(`${alpha}.localhost`, "/api/v1/projects", key).status).toBe(401);
  expect(errors).toEqual([]);
});
