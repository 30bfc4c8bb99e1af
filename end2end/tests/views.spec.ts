import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { csrfHeaders, token, uniqueName, waitForHydration } from "./helpers";

/** Publishes a small crate to a project feed of `default/default` through cargo's publish endpoint. */
function publish(baseURL: string, secret: string, feed: string, name: string, version: string) {
  const status = execFileSync("python3", [join(__dirname, "..", "..", "scripts", "publish-one.py"), baseURL, secret, name, version, feed])
    .toString()
    .trim();
  expect(status).toBe("200");
}

test("versions are paged; promote on the package page; manage views; connect to a view; preview retention", async ({
  page,
  baseURL,
}) => {
  // Setting up takes 52 publishes through the debug server (about 0.35 s each, more on a
  // cold CI machine), so this test gets more than the default 30 s.
  test.setTimeout(120_000);
  const feed = uniqueName("views");
  const created = await page.request.post("/default/default/_apis/packaging/feeds", {
    data: { name: feed, visibility: "public", upstreamEnabled: false },
    headers: await csrfHeaders(page),
  });
  expect(created.status()).toBe(201);
  const secret = await token(page);
  for (let i = 0; i < 52; i++) publish(baseURL!, secret, feed, "paged-e2e", `0.1.${i}`);

  // 52 versions: 50 on the first page, newest first; the rest on the second.
  const packagePage = `/default/default/_artifacts/feed/${feed}/package/paged-e2e`;
  await page.goto(packagePage);
  await expect(page.locator("#versions tbody tr")).toHaveCount(50);
  await expect(page.locator("#versions-shown")).toHaveText("Versions 1–50 of 52");
  await expect(page.locator("#versions tbody tr").first()).toHaveAttribute("data-version", "0.1.51");
  await page.locator("#versions-next").click();
  await expect(page.locator("#versions tbody tr")).toHaveCount(2);
  await expect(page.locator("#versions-shown")).toHaveText("Versions 51–52 of 52");
  await page.locator("#versions-prev").click();
  await expect(page.locator("#versions tbody tr")).toHaveCount(50);

  // Promote the newest version to @release from its row.
  await waitForHydration(page);
  await page.locator("#promote-0\\.1\\.51").selectOption("release");
  await page.getByRole("button", { name: "Promote 0.1.51" }).click();
  await expect(page).toHaveURL(new RegExp(`/package/paged-e2e$`));
  await expect(page.locator('tr[data-version="0.1.51"] .badge--view[data-view="release"]')).toBeVisible();
  await expect(page.locator('tr[data-version="0.1.50"] .badge--view')).toHaveCount(0);
  const viewIndex = await page.request.get(`/default/default/_packaging/${feed}@release/Cargo/index/pa/ge/paged-e2e`);
  expect(viewIndex.status()).toBe(200);
  const lines = (await viewIndex.text()).trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]).vers).toBe("0.1.51");

  // The Views page: add, rename and delete a view; a bad name is refused beside the field.
  await page.goto(`/default/default/_artifacts/feed/${feed}/settings/views`);
  await expect(page.locator("#views tbody tr")).toHaveCount(3);
  await expect(page.locator('tr[data-view="release"]')).toContainText("1");
  await page.locator("#view-name").fill("bad name");
  await page.getByRole("button", { name: "Add view" }).click();
  await expect(page.locator("#name-error")).toContainText("a space is not allowed");
  await page.locator("#view-name").fill("beta");
  await page.getByRole("button", { name: "Add view" }).click();
  await expect(page.locator('tr[data-view="beta"]')).toBeVisible();
  await page.locator("#rename-beta").fill("candidate");
  await page.locator('tr[data-view="beta"]').getByRole("button", { name: "Rename" }).click();
  await expect(page.locator('tr[data-view="candidate"]')).toBeVisible();
  await expect(page.locator('tr[data-view="beta"]')).toHaveCount(0);
  await page.getByRole("button", { name: "Delete @candidate" }).click();
  await expect(page.locator("#views tbody tr")).toHaveCount(3);

  // The Connect page for a view: its own registry name and index, and no crates.io replacement.
  await page.goto(`/default/default/_artifacts/feed/${feed}/connect`);
  await page.locator("#view-chooser").getByRole("link", { name: "@release" }).click();
  await expect(page).toHaveURL(/connect\?view=release$/);
  await expect(page.locator("#view-chooser a[aria-current=page]")).toHaveText("@release");
  const config = await page.locator("#snippet-config pre").textContent();
  expect(config).toBe(
    `[registries]\n${feed}-release = { index = "sparse+${baseURL}/default/default/_packaging/${feed}@release/Cargo/index/" }\n`,
  );

  // Retention: keep one version per package; the preview lists all but the promoted latest.
  await page.goto(`/default/default/_artifacts/feed/${feed}/settings`);
  await page.locator("#settings-retention-max").fill("1");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#retention-taken tbody tr")).toHaveCount(51);
  await expect(page.locator('tr[data-retired="paged-e2e@0.1.51"]')).toHaveCount(0);
  await expect(page.locator('tr[data-retired="paged-e2e@0.1.0"]')).toContainText("more than the 1 newest versions");
  await page.locator("#settings-retention-max").fill("-3");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#retentionMaxVersions-error")).toContainText("Enter a whole number from 1 to");
});
