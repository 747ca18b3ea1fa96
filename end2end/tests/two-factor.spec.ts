import { test, expect, Browser, Page } from "./fixtures";
import { createTenant, hydrated, PASSWORD, signIn, url } from "./helpers";
import { totp, unixNow } from "./totp";

async function freshPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

/** Email and password on the sign-in page; stops at the second step. */
async function passwordStep(page: Page, host: string, email: string) {
  await page.goto(url(host, "/login"));
  await hydrated(page);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: /Two-factor sign-in/ })).toBeVisible();
}

test("a member turns on two-factor sign-in, signs in with a code and with a recovery code; an admin requires it of everyone", async ({ browser }) => {
  const admin = await freshPage(browser);
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const slug = `tfa${Date.now() % 100000}`;
  await createTenant(admin, slug, "Factor Co");
  const host = `${slug}.localhost`;
  const email = `owner@${slug}.test`;

  const page = await freshPage(browser);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page, url(host, "/login"), email);
  await page.getByRole("link", { name: "Account", exact: true }).click();
  await hydrated(page);
  const panel = page.getByTestId("two-factor");
  await panel.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  await expect(panel.getByRole("img", { name: /QR code/ })).toBeVisible();
  const secret = (await panel.getByTestId("totp-secret").textContent()) ?? "";
  const t0 = unixNow();
  await panel.getByRole("textbox", { name: /^Code/ }).fill("000000");
  await panel.getByRole("button", { name: "Turn on" }).click();
  await expect(panel.locator('[data-error-for="code"]')).toBeVisible();
  await panel.getByRole("textbox", { name: /^Code/ }).fill(totp(secret, t0));
  await panel.getByRole("button", { name: "Turn on" }).click();
  const codes = panel.getByTestId("recovery-codes").locator("li");
  await expect(codes).toHaveCount(10);
  const recovery = await codes.allTextContents();
  await expect(panel.getByTestId("two-factor-on")).toContainText("10 recovery codes left");

  // Another browser: the password leads to the code, a wrong code is refused beside the field.
  const second = await freshPage(browser);
  await passwordStep(second, host, email);
  await second.getByRole("textbox", { name: /^Code/ }).fill("000000");
  await second.getByRole("button", { name: "Verify" }).click();
  await expect(second.locator('[data-error-for="code"]')).toContainText("not right");
  await expect(second.getByRole("textbox", { name: /^Code/ })).toHaveValue("000000");
  await second.getByRole("textbox", { name: /^Code/ }).fill(totp(secret, t0, 1));
  await second.getByRole("button", { name: "Verify" }).click();
  await expect(second.getByTestId("viewer")).toHaveText(email);

  // A third, with a recovery code.
  const third = await freshPage(browser);
  await passwordStep(third, host, email);
  await third.getByRole("textbox", { name: /^Code/ }).fill(recovery[0]);
  await third.getByRole("button", { name: "Verify" }).click();
  await expect(third.getByTestId("viewer")).toHaveText(email);

  // The owner requires it; a new member sets it up at their first sign-in.
  await page.goto(url(host, "/admin"));
  await hydrated(page);
  const rule = page.getByTestId("two-factor-rule");
  await rule.getByRole("button", { name: "Require it for every member" }).click();
  await expect(rule.getByTestId("two-factor-rule-state")).toContainText("Required");
  const member = `ann@${slug}.test`;
  await page.getByLabel("Email", { exact: true }).fill(member);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.locator(`tr[data-email="${member}"]`)).toBeVisible();

  const ann = await freshPage(browser);
  await passwordStep(ann, host, member);
  await expect(ann.getByText("required for your account")).toBeVisible();
  const annSecret = (await ann.getByTestId("totp-secret").textContent()) ?? "";
  await ann.getByRole("textbox", { name: /^Code/ }).fill(totp(annSecret, unixNow()));
  await ann.getByRole("button", { name: "Verify" }).click();
  await expect(ann.getByTestId("recovery-codes").locator("li")).toHaveCount(10);
  await ann.getByRole("link", { name: "Continue" }).click();
  await expect(ann.getByTestId("viewer")).toHaveText(member);
  expect(errors).toEqual([]);
});
