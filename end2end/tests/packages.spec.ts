import { test, expect } from "@playwright/test";
import { csrfHeaders, publish, token, uniqueName, waitForHydration } from "./helpers";

const README = [
  "# Hello from the README",
  "",
  "Some **bold** text and a [link](https://example.com).",
  "",
  "<script>window.__pwned = 'script'</script>",
  "",
  '<img src="x" onerror="window.__pwned = \'img\'">',
  "",
].join("\n");

test("publish with cargo, browse, filter, read the README safely, copy the install line, delete and restore", async ({
  page,
  context,
  baseURL,
}) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL! });
  const feed = uniqueName("pkgs");
  const created = await page.request.post("/default/_apis/packaging/feeds", {
    data: { name: feed, visibility: "private", upstreamEnabled: false },
    headers: await csrfHeaders(page),
  });
  expect(created.status()).toBe(201);
  const secret = await token(page);
  publish(baseURL!, feed, secret, "alpha-e2e", "0.1.0", README);
  publish(baseURL!, feed, secret, "beta-e2e", "0.1.0", "# Beta\n");
  publish(baseURL!, feed, secret, "beta-e2e", "0.2.0", "# Beta two\n");
  // Yank one version through cargo's web API, as `cargo yank` does.
  const yank = await page.request.delete(`/default/_packaging/${feed}/Cargo/api/v1/crates/beta-e2e/0.1.0/yank`, {
    headers: { Authorization: secret },
  });
  expect(await yank.json()).toEqual({ ok: true });

  // The packages list and its filters.
  await page.goto(`/default/_artifacts/feed/${feed}`);
  await expect(page.locator("#packages tbody tr")).toHaveCount(2);
  await page.locator("#package-filter").selectOption("yanked");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.locator("#packages tbody tr")).toHaveCount(1);
  await expect(page.locator('tr[data-package="beta-e2e"]')).toContainText("yanked");
  await page.locator("#package-filter").selectOption("upstream");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.locator("#no-packages")).toBeVisible();
  await page.locator("#package-filter").selectOption("local");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.locator("#packages tbody tr")).toHaveCount(2);

  // The package page: README rendered and sanitised, versions, features, install line.
  await page.locator('tr[data-package="alpha-e2e"] a').click();
  await expect(page.locator("#package-name")).toContainText("alpha-e2e");
  await waitForHydration(page);
  await expect(page.locator("#readme h1")).toHaveText("Hello from the README");
  await expect(page.locator("#readme strong")).toHaveText("bold");
  await expect(page.locator("#readme script")).toHaveCount(0);
  expect(await page.locator("#readme").innerHTML()).not.toContain("onerror");
  expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
  await expect(page.locator("#package-license")).toHaveText("MIT");
  await expect(page.locator("#features")).toContainText("fast");
  await expect(page.locator('tr[data-version="0.1.0"]')).toContainText("local");
  await page.locator("#install-line").getByRole("button", { name: "Copy" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`cargo add alpha-e2e --registry ${feed}\n`);

  // Delete to the recycle bin; gone from the index; restore.
  const index = `/default/_packaging/${feed}/Cargo/index/al/ph/alpha-e2e`;
  expect((await page.request.get(index, { headers: { Authorization: secret } })).status()).toBe(200);
  await page.getByRole("button", { name: "Delete 0.1.0" }).click();
  await expect(page).toHaveURL(new RegExp(`/_artifacts/feed/${feed}/recycle-bin$`));
  await expect(page.locator('tr[data-recycled="alpha-e2e@0.1.0"]')).toBeVisible();
  expect((await page.request.get(index, { headers: { Authorization: secret } })).status()).toBe(404);
  await page.getByRole("button", { name: "Restore 0.1.0" }).click();
  await expect(page).toHaveURL(new RegExp(`/_artifacts/feed/${feed}/package/alpha-e2e$`));
  await expect(page.locator('tr[data-version="0.1.0"]')).toBeVisible();
  expect((await page.request.get(index, { headers: { Authorization: secret } })).status()).toBe(200);
});
