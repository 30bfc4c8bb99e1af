import { test, expect } from "@playwright/test";
import { csrfHeaders, uniqueName } from "./helpers";

test("the Upstreams page adds, tests, reorders and removes sources, with errors beside the fields", async ({ page }) => {
  const core = uniqueName("core");
  const app = uniqueName("app");
  for (const name of [core, app]) {
    const created = await page.request.post("/default/default/_apis/packaging/feeds", {
      data: { name, visibility: "public", upstreamEnabled: false },
      headers: await csrfHeaders(page),
    });
    expect(created.status()).toBe(201);
  }

  await page.goto(`/default/default/_artifacts/feed/${app}/settings`);
  await page.getByRole("link", { name: "Upstreams", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/feed/${app}/settings/upstreams$`));
  await expect(page.locator("#no-upstreams")).toBeVisible();

  // A feed source: another feed's @release view.
  await page.locator("#upstream-name").fill("core-release");
  await page.locator("#upstream-kind").selectOption("feed");
  await page.locator("#upstream-location").fill(`default/default/${core}@release`);
  await page.getByRole("button", { name: "Add source" }).click();
  const coreRow = page.locator('tr[data-source="core-release"]');
  await expect(coreRow).toBeVisible();
  await expect(coreRow.locator(".location")).toHaveText(`default/default/${core}@release`);
  await expect(coreRow.locator(".last-ok")).toHaveText("Never");

  // Wrong input is refused beside its field, and nothing is added.
  await page.locator("#upstream-name").fill("mirror");
  await page.locator("#upstream-kind").selectOption("sparse");
  await page.locator("#upstream-location").fill("");
  await page.getByRole("button", { name: "Add source" }).click();
  await expect(page.locator("#location-error")).toContainText("Give the registry's index URL");
  await expect(page.locator("#upstreams tbody tr")).toHaveCount(1);
  await page.locator("#upstream-name").fill("core-release");
  await page.locator("#upstream-kind").selectOption("crates-io");
  await page.getByRole("button", { name: "Add source" }).click();
  await expect(page.locator("#name-error")).toContainText("named 'core-release' already");

  // A sparse registry nobody answers at, then crates.io.
  await page.locator("#upstream-name").fill("dead");
  await page.locator("#upstream-kind").selectOption("sparse");
  await page.locator("#upstream-location").fill("sparse+http://127.0.0.1:9/index/");
  await page.getByRole("button", { name: "Add source" }).click();
  await page.locator("#upstream-name").fill("crates.io");
  await page.locator("#upstream-kind").selectOption("crates-io");
  await page.getByRole("button", { name: "Add source" }).click();
  await expect(page.locator("#upstreams tbody tr")).toHaveCount(3);

  // Test: the feed answers, the dead registry's error is shown.
  await coreRow.getByRole("button", { name: "Test" }).click();
  await expect(coreRow.locator(".last-ok time")).toBeVisible();
  const deadRow = page.locator('tr[data-source="dead"]');
  await deadRow.getByRole("button", { name: "Test" }).click();
  await expect(deadRow.locator(".source-error")).toContainText("could not be reached");

  // Reorder: crates.io up twice becomes the first source asked.
  const cratesRow = () => page.locator('tr[data-source="crates.io"]');
  await cratesRow().getByRole("button", { name: "Move up" }).click();
  await cratesRow().getByRole("button", { name: "Move up" }).click();
  await expect(page.locator("#upstreams tbody tr").first()).toHaveAttribute("data-source", "crates.io");
  await expect(cratesRow().getByRole("button", { name: "Move up" })).toHaveCount(0);
  const feed = await (await page.request.get(`/default/default/_apis/packaging/feeds/${app}`)).json();
  expect(feed.upstreamSources.map((s: { name: string }) => s.name)).toEqual(["crates.io", "core-release", "dead"]);

  // Remove.
  await page.getByRole("button", { name: "Remove dead" }).click();
  await expect(page.locator("#upstreams tbody tr")).toHaveCount(2);
  await expect(page.locator('tr[data-source="dead"]')).toHaveCount(0);
  await page.screenshot({ path: "test-results/upstreams.png", fullPage: true });

  // The upstream cooldown is set on the General tab; a wrong number is refused beside it.
  await page.getByRole("link", { name: "General", exact: true }).click();
  await page.locator("#settings-cooldown").fill("400");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#upstreamCooldownDays-error")).toContainText("Enter a whole number from 1 to 365");
  await page.locator("#settings-cooldown").fill("7");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#settings-cooldown")).toHaveValue("7");
  const cooled = await (await page.request.get(`/default/default/_apis/packaging/feeds/${app}`)).json();
  expect(cooled.upstreamCooldownDays).toBe(7);
  // Saving the General tab leaves the other upstream sources alone.
  expect(cooled.upstreamSources.map((s: { name: string }) => s.name)).toEqual(["crates.io", "core-release"]);
});
