import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { csrfHeaders, token, uniqueName } from "./helpers";

test("a feed's packages are paged and searched on the server", async ({ page, baseURL }) => {
  const feed = uniqueName("paged");
  const created = await page.request.post("/default/default/_apis/packaging/feeds", {
    data: { name: feed, visibility: "public", upstreamEnabled: false },
    headers: await csrfHeaders(page),
  });
  expect(created.status()).toBe(201);
  const secret = await token(page);
  // 52 packages: 50 on the first page, 2 on the second.
  for (let i = 0; i < 52; i++) {
    const name = `pg-e2e-${String(i).padStart(2, "0")}`;
    const status = execFileSync("python3", [join(__dirname, "..", "..", "scripts", "publish-one.py"), baseURL!, secret, name, "0.1.0", feed])
      .toString()
      .trim();
    expect(status).toBe("200");
  }

  await page.goto(`/default/default/_artifacts/feed/${feed}`);
  await expect(page.locator("#packages tbody tr")).toHaveCount(50);
  await expect(page.locator("#packages-shown")).toHaveText("Packages 1–50 of 52");
  await expect(page.locator("#packages-prev")).toHaveCount(0);
  await page.locator("#packages-next").click();
  await expect(page).toHaveURL(/[?&]page=2/);
  await expect(page.locator("#packages tbody tr")).toHaveCount(2);
  await expect(page.locator("#packages-shown")).toHaveText("Packages 51–52 of 52");
  await expect(page.locator("#packages-next")).toHaveCount(0);
  await page.locator("#packages-prev").click();
  await expect(page.locator("#packages tbody tr")).toHaveCount(50);

  // The search runs on the server: one match from anywhere in the feed, no pager needed.
  await page.locator("#package-search").fill("pg-e2e-51");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.locator("#packages tbody tr")).toHaveCount(1);
  await expect(page.locator("#packages tbody tr").first()).toContainText("pg-e2e-51");
  await expect(page.locator("#packages-shown")).toHaveText("Packages 1–1 of 1");
});
