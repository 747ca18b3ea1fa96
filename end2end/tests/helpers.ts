// Shared by the specs: addresses on this project's server, hydration, and
// the sign-in and tenant-creation steps every scenario starts with.
import { test, expect, Page } from "@playwright/test";

export const PASSWORD = "correct horse battery";

/** `http://<host>:<this project's port><path>`. */
export function url(host: string, path: string): string {
  const port = new URL(test.info().project.use.baseURL!).port;
  return `http://${host}:${port}${path}`;
}

export async function hydrated(page: Page) {
  await page.locator('body[data-hydrated="true"]').waitFor();
}

export async function signIn(page: Page, address: string, email: string) {
  await page.goto(address);
  await hydrated(page);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("viewer")).toHaveText(email);
}

/** Creates a tenant from the console home page; its owner is owner@<slug>.test. */
export async function createTenant(admin: Page, slug: string, name: string) {
  await admin.getByLabel("Slug", { exact: true }).fill(slug);
  await admin.getByLabel("Name", { exact: true }).fill(name);
  await admin.getByLabel("First admin's email").fill(`owner@${slug}.test`);
  await admin.getByLabel("First admin's password").fill(PASSWORD);
  await admin.getByRole("button", { name: "Create tenant" }).click();
  await expect(admin.getByRole("status")).toContainText(`Created ${slug}`);
}
