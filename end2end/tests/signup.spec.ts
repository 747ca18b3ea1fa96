import { test, expect } from "./fixtures";
import { hydrated, PASSWORD, url } from "./helpers";
import { linkMailedTo } from "./mail";

test("an organisation signs up on the base host, confirms by email and lands signed in on its first steps", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const slug = `sgn${Date.now() % 100000}`;
  const email = `founder@${slug}.test`;

  await page.goto(url("localhost", "/"));
  await expect(page).toHaveURL(/\/signup$/);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Create your organisation" })).toBeVisible();

  // The address is checked as it is typed: reserved, then free.
  const address = page.getByLabel("Address");
  await address.fill("admin");
  await expect(page.getByTestId("slug-status")).toContainText("reserved");
  await address.fill(slug);
  await expect(page.getByTestId("slug-status")).toContainText(`${slug}.localhost is available`);

  await page.getByLabel("Organisation name").fill("Signup Rockets");
  await page.getByLabel("Your email").fill(email);
  // A password too short is refused beside its field, and what was typed stays.
  await page.getByLabel("Choose a password").fill("short");
  await page.getByRole("button", { name: "Create organisation" }).click();
  await expect(page.locator('[data-error-for="password"]')).toBeVisible();
  await expect(page.getByLabel("Organisation name")).toHaveValue("Signup Rockets");
  await page.getByLabel("Choose a password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create organisation" }).click();
  await expect(page.getByTestId("signup-done")).toContainText(email);

  // Not open before the owner confirms.
  const before = await page.goto(url(`${slug}.localhost`, "/login"));
  expect(before?.status()).toBe(404);

  // The link, read from what the SMTP server received.
  const link = await linkMailedTo(email, "/signup/confirm/");
  expect(link).toContain(`${slug}.localhost`);
  await page.goto(link);
  await expect(page).toHaveURL(new RegExp(`${slug}\\.localhost:\\d+/welcome$`));
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Welcome to Signup Rockets" })).toBeVisible();
  await expect(page.getByTestId("first-run-step")).toHaveCount(4);
  await expect(page.getByTestId("viewer")).toHaveText(email);
  // Each step leads to its page.
  await page.getByRole("link", { name: "Invite your team" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  expect(errors).toEqual([]);
});
