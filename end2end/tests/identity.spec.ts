import { test, expect, Browser, Page } from "./fixtures";
import { createTenant, hydrated, PASSWORD, signIn, url } from "./helpers";
import { linkMailedTo } from "./mail";

async function freshPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

async function newTenant(browser: Browser, prefix: string): Promise<string> {
  const admin = await freshPage(browser);
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const slug = `${prefix}${Date.now() % 100000}`;
  await createTenant(admin, slug, `${prefix} Co`);
  return slug;
}

test("an invitation by email is accepted and the new member signs in", async ({ browser }) => {
  const slug = await newTenant(browser, "inv");
  const owner = await freshPage(browser);
  const errors: string[] = [];
  owner.on("pageerror", (e) => errors.push(e.message));
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await owner.getByRole("link", { name: "Settings", exact: true }).click();
  await owner.getByRole("link", { name: "Members" }).click();
  await hydrated(owner);
  const invitee = `newbie@${slug}.test`;
  await owner.getByLabel("Email to invite").fill(invitee);
  await owner.getByLabel("Invited role").selectOption("member");
  await owner.getByRole("button", { name: "Send invitation" }).click();
  const row = owner.getByTestId("invitation-table").locator(`tr[data-email="${invitee}"]`);
  await expect(row.getByTestId("invitation-state")).toHaveText("pending");

  // The link, read from what the SMTP server received.
  const link = await linkMailedTo(invitee, "/invite/");
  expect(link).toContain(`${slug}.localhost`);
  const guest = await freshPage(browser);
  await guest.goto(link);
  await hydrated(guest);
  await expect(guest.getByTestId("invited-as")).toHaveText(`${invitee} is invited as member.`);
  await guest.getByLabel("Display name").fill("Newbie");
  await guest.getByLabel("Choose a password").fill(PASSWORD);
  await guest.getByRole("button", { name: "Create my account" }).click();
  await expect(guest.getByRole("status")).toContainText("Your account is ready");
  await signIn(guest, url(`${slug}.localhost`, "/login"), invitee);

  await owner.reload();
  await expect(row.getByTestId("invitation-state")).toHaveText("accepted");
  expect(errors).toEqual([]);
});

test("a password reset by email ends the old sessions", async ({ browser }) => {
  const slug = await newTenant(browser, "rst");
  const email = `owner@${slug}.test`;
  const before = await freshPage(browser);
  await signIn(before, url(`${slug}.localhost`, "/login"), email);

  const page = await freshPage(browser);
  await page.goto(url(`${slug}.localhost`, "/login"));
  await hydrated(page);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await hydrated(page);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByRole("status")).toContainText("a link to reset its password is on its way");

  const link = await linkMailedTo(email, "/reset/");
  await page.goto(link);
  await hydrated(page);
  const fresh = "a fresh passphrase for e2e";
  await page.getByLabel("New password").fill(fresh);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Your password is changed");

  // The session from before the reset is gone.
  await before.reload();
  await expect(before).toHaveURL(/\/login$/);
  // The new password signs in.
  await page.goto(url(`${slug}.localhost`, "/login"));
  await hydrated(page);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(fresh);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("viewer")).toHaveText(email);
});
