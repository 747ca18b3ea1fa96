import { test, expect, Browser, Page } from "./fixtures";
import { createTenant, hydrated, PASSWORD, signIn, url } from "./helpers";

async function freshPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

/** The owner of `slug` adds `email` as a member. */
async function addMember(browser: Browser, slug: string, email: string) {
  const owner = await freshPage(browser);
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await owner.goto(url(`${slug}.localhost`, "/admin"));
  await hydrated(owner);
  await owner.getByLabel("Email", { exact: true }).fill(email);
  await owner.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await owner.getByRole("button", { name: "Add member" }).click();
  await expect(owner.locator(`tr[data-email="${email}"]`)).toBeVisible();
}

test("an address in two organisations switches between them from its account page, signing in on each host", async ({ browser }) => {
  const admin = await freshPage(browser);
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const n = Date.now() % 100000;
  const [one, two] = [`swa${n}`, `swb${n}`];
  await createTenant(admin, one, "Switch One");
  await createTenant(admin, two, "Switch Two");
  const email = `pat${n}@shared.test`;
  await addMember(browser, one, email);
  await addMember(browser, two, email);

  const pat = await freshPage(browser);
  await signIn(pat, url(`${one}.localhost`, "/login"), email);
  await pat.getByRole("link", { name: "Account", exact: true }).click();
  await hydrated(pat);
  const list = pat.getByTestId("organisations");
  await expect(list.getByRole("link")).toHaveCount(1);
  await list.getByRole("link", { name: "Switch Two" }).click();
  // Its own host, its own sign-in: no session crosses over.
  await expect(pat).toHaveURL(new RegExp(`^http://${two}\\.localhost:\\d+/login`));
  await signIn(pat, url(`${two}.localhost`, "/login"), email);
});
