import { test, expect, Browser, Page } from "./fixtures";
import { createTenant, hydrated, PASSWORD, signIn, url } from "./helpers";

async function freshPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test("a member lists where they are signed in, signs another session out and changes their password", async ({ browser }) => {
  const admin = await freshPage(browser);
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const slug = `acc${Date.now() % 100000}`;
  await createTenant(admin, slug, "Account Co");
  const email = `owner@${slug}.test`;

  const other = await freshPage(browser);
  await signIn(other, url(`${slug}.localhost`, "/login"), email);
  const page = await freshPage(browser);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page, url(`${slug}.localhost`, "/login"), email);

  await page.getByRole("link", { name: "Account", exact: true }).click();
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  const rows = page.getByTestId("session-row");
  await expect(rows).toHaveCount(2);
  await expect(page.locator('[data-testid="session-row"][data-current="true"]')).toContainText("This session");

  // The other browser's session, signed out from here.
  await page.locator('[data-testid="session-row"][data-current="false"]').getByRole("button", { name: "Sign out" }).click();
  await expect(rows).toHaveCount(1);
  await other.reload();
  await expect(other).toHaveURL(/\/login$/);

  // A wrong current password is refused beside its field.
  await page.getByLabel("Current password").fill("not my password at all");
  await page.getByLabel("New password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator('[data-error-for="current_password"]')).toBeVisible();
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Password changed");

  await page.getByLabel("Display name").fill("Ada Owner");
  await Promise.all([
    page.waitForResponse((r) => r.url().includes("rename_me") && r.ok()),
    page.getByRole("button", { name: "Save" }).click(),
  ]);
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Display name")).toHaveValue("Ada Owner");
  expect(errors).toEqual([]);
});
