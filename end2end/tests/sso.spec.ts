import { test, expect } from "./fixtures";
import { createTenant, hydrated, signIn, url } from "./helpers";
import { OIDC_ISSUER } from "./sso.spec.config";

test("single sign-on through the tenant's OpenID Connect provider", async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, url("admin.localhost", "/console/login"), "root@e2e.test");
  const slug = `sso${Date.now() % 100000}`;
  await createTenant(admin, slug, "SSO Co");

  // The owner points the tenant at the provider.
  const owner = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  owner.on("pageerror", (e) => errors.push(e.message));
  await signIn(owner, url(`${slug}.localhost`, "/login"), `owner@${slug}.test`);
  await owner.getByRole("link", { name: "Settings", exact: true }).click();
  await owner.getByRole("link", { name: "SSO", exact: true }).click();
  await hydrated(owner);
  await expect(owner.getByTestId("redirect-uri")).toHaveText(url(`${slug}.localhost`, "/sso/callback"));
  await owner.getByLabel("Issuer URL").fill(OIDC_ISSUER);
  await owner.getByLabel("Client ID").fill(`${slug}-app`);
  await owner.getByLabel("Allowed email domains").fill("example.com");
  await owner.getByLabel("Create accounts on first sign-in").check();
  await owner.getByRole("button", { name: "Save" }).click();
  await expect(owner.getByRole("status")).toContainText("Saved");

  // Someone new signs in through the provider on the tenant's subdomain and
  // lands signed in, with an account made for them.
  const person = await (await browser.newContext()).newPage();
  await person.goto(url(`${slug}.localhost`, "/login"));
  await hydrated(person);
  await person.getByLabel("Work email (optional)").fill("ann@example.com");
  await person.getByRole("button", { name: "Sign in with single sign-on" }).click();
  await expect(person).toHaveURL(url(`${slug}.localhost`, "/"));
  await expect(person.getByTestId("viewer")).toHaveText("ann@example.com");

  // A domain the tenant does not allow is turned back with the reason.
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(url(`${slug}.localhost`, "/login"));
  await hydrated(stranger);
  await stranger.getByLabel("Work email (optional)").fill("eve@evil.test");
  await stranger.getByRole("button", { name: "Sign in with single sign-on" }).click();
  await expect(stranger.getByTestId("sso-error")).toContainText("this email domain may not sign in here");
  expect(errors).toEqual([]);
});
