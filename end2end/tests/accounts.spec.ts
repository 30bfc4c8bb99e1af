import { test, expect, type Browser } from "@playwright/test";
import { ADMIN, csrfHeaders, signIn, uniqueName, waitForHydration } from "./helpers";

/** A browser context nobody is signed in to. */
async function visitor(browser: Browser) {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  return { context, page: await context.newPage() };
}

test("sign out, a wrong password, and sign in again", async ({ browser }) => {
  const { context, page } = await visitor(browser);
  await page.goto("/_user/tokens");
  await expect(page.locator("#load-error")).toContainText("Sign in");
  await page.locator("#load-error").getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/_signin\?next=%2F_user%2Ftokens$/);

  await page.getByLabel("User name").fill(ADMIN.name);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#form-error")).toHaveText("The user name or password is not right.");
  await expect(page.locator("#signed-in-user")).toHaveCount(0);

  await page.getByLabel("User name").fill(ADMIN.name);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/_user\/tokens$/);
  await expect(page.locator("#signed-in-user")).toHaveText(ADMIN.name);
  const cookie = (await context.cookies()).find((c) => c.name === "wharf_session");
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Lax");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.locator("#sign-in")).toBeVisible();
  await page.goto("/_user/tokens");
  await expect(page.locator("#load-error")).toContainText("Sign in");
  await context.close();
});

test("a new token is shown once, then only its name; revoked, it stops working", async ({ page, context, baseURL }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL! });
  const name = uniqueName("laptop");
  await page.goto("/_user/tokens");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel(/^Packaging: read & write/).check();
  await page.getByRole("button", { name: "Create token" }).click();

  await expect(page.locator("#new-token")).toContainText(`Token “${name}” created`);
  const secret = (await page.locator("#new-token-secret pre").textContent())!;
  expect(secret).toMatch(/^wharf_[0-9a-f]{64}$/);
  await waitForHydration(page);
  await page.locator("#new-token-secret").getByRole("button", { name: "Copy" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  const api = await page.request.get("/_apis/tokens", { headers: { Authorization: `Bearer ${secret}` } });
  expect(api.status()).toBe(200);

  await page.reload();
  await expect(page.locator("#new-token")).toHaveCount(0);
  const row = page.locator(`tr[data-token="${name}"]`);
  await expect(row).toContainText("Packaging: read & write");
  expect(await page.content()).not.toContain(secret);

  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(page.locator(`tr[data-token="${name}"]`)).toContainText("Revoked");
  const refused = await page.request.get("/_apis/tokens", { headers: { Authorization: `Bearer ${secret}` } });
  expect(refused.status()).toBe(401);
});

test("a private feed is invisible without a role; granting one on the Permissions page shows it", async ({
  page,
  browser,
}) => {
  // The administrator creates an account for a teammate on the members page.
  const teammate = uniqueName("mate");
  await page.goto("/default/_settings/members");
  const create = page.locator("#create-member");
  await create.getByLabel("User name").fill(teammate);
  await create.getByLabel("Password").fill("a teammate password");
  await create.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator(`tr[data-member="${teammate}"]`)).toBeVisible();

  const feed = uniqueName("vault");
  const created = await page.request.post("/default/default/_apis/packaging/feeds", {
    data: { name: feed, visibility: "private", upstreamEnabled: false },
    headers: await csrfHeaders(page),
  });
  expect(created.status()).toBe(201);

  const mate = await visitor(browser);
  await signIn(mate.page, teammate, "a teammate password");
  await mate.page.goto("/default/_artifacts");
  await expect(mate.page.locator(`tr[data-feed="${feed}"]`)).toHaveCount(0);
  await mate.page.goto(`/default/default/_artifacts/feed/${feed}`);
  // Without a role, a private feed is not there at all (its name cannot be probed).
  await expect(mate.page.locator("#load-error")).toHaveAttribute("data-status", "404");
  await expect(mate.page.locator("#load-error")).toContainText(`Feed '${feed}' does not exist`);

  // The Owner grants Contributor on the feed's Permissions page.
  await page.goto(`/default/default/_artifacts/feed/${feed}`);
  await page.locator("#feed-settings-link").click();
  await page.getByRole("link", { name: "Permissions" }).click();
  await expect(page.locator(`tr[data-user="${ADMIN.name}"]`)).toHaveAttribute("data-role", "owner");
  const grant = page.locator("#grant-role");
  await grant.getByLabel("User name").fill(teammate);
  await grant.getByLabel("Role").selectOption("contributor");
  await grant.getByRole("button", { name: "Grant" }).click();
  await expect(page.locator(`tr[data-user="${teammate}"]`)).toHaveAttribute("data-role", "contributor");

  // A bad user name is refused beside the field, and nothing changes.
  await grant.getByLabel("User name").fill("no-such-user");
  await grant.getByRole("button", { name: "Grant" }).click();
  await expect(page.locator("#user-error")).toContainText("does not exist");
  await expect(page.locator("#permissions tbody tr")).toHaveCount(2);

  await mate.page.goto("/default/_artifacts");
  await expect(mate.page.locator(`tr[data-feed="${feed}"]`)).toBeVisible();
  await mate.page.goto(`/default/default/_artifacts/feed/${feed}`);
  await expect(mate.page.getByRole("heading", { level: 1 })).toHaveText(feed);
  // Contributor is not Administrator: no settings.
  await expect(mate.page.locator("#feed-settings-link")).toHaveCount(0);
  await mate.context.close();
});
