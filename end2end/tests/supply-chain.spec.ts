import { test, expect } from "@playwright/test";
import { csrfHeaders, publish, token, uniqueName } from "./helpers";

test("quarantine and lift a version, set the advisory policy, and read it all on the Audit and Security pages", async ({
  page,
  baseURL,
}) => {
  const feed = uniqueName("guard");
  const created = await page.request.post("/default/_apis/packaging/feeds", {
    data: { name: feed, visibility: "private", upstreamEnabled: false },
    headers: await csrfHeaders(page),
  });
  expect(created.status()).toBe(201);
  const secret = await token(page);
  publish(baseURL!, feed, secret, "guarded-e2e", "0.1.0", "# Guarded\n");
  const packagePage = `/default/_artifacts/feed/${feed}/package/guarded-e2e`;

  // Quarantine with a reason: the badge carries it.
  await page.goto(packagePage);
  const row = page.locator('#versions tr[data-version="0.1.0"]');
  await row.getByLabel("Why quarantine 0.1.0").fill("suspicious build script");
  await row.getByRole("button", { name: "Quarantine 0.1.0" }).click();
  await expect(page).toHaveURL(new RegExp(`${packagePage}$`));
  await expect(row.locator(".badge--quarantined")).toHaveAttribute("title", "suspicious build script");
  // Cargo's download (with cargo's token: its routes take no session) answers 403 with the reason.
  const download = await page.request.get(
    `/default/_packaging/${feed}/Cargo/api/v1/crates/guarded-e2e/0.1.0/download`,
    { headers: { Authorization: secret } },
  );
  expect(download.status()).toBe(403);
  expect(await download.text()).toContain("suspicious build script");
  // Lifted.
  await row.getByRole("button", { name: "Lift quarantine of 0.1.0" }).click();
  await expect(row.locator(".badge--quarantined")).toHaveCount(0);

  // A quarantine without a reason is refused beside the form, and changes nothing.
  await row.getByLabel("Why quarantine 0.1.0").fill(" ");
  await row.getByRole("button", { name: "Quarantine 0.1.0" }).click();
  await expect(page.locator("#form-error")).toContainText("Correct the fields marked");
  await expect(page.locator("#reason-error")).toContainText("Say why");
  await expect(row.locator(".badge--quarantined")).toHaveCount(0);

  // The advisory policy and the removed-upstream setting, on the General settings.
  await page.goto(`/default/_artifacts/feed/${feed}/settings`);
  await page.getByLabel("Block them").check();
  await page.getByLabel("Keep versions removed upstream in new resolution").check();
  await page.getByRole("button", { name: "Save" }).click();
  await page.goto(`/default/_artifacts/feed/${feed}/settings`);
  await expect(page.getByLabel("Block them")).toBeChecked();
  const rest = await (await page.request.get(`/default/_apis/packaging/feeds/${feed}`)).json();
  expect([rest.advisoryPolicy, rest.keepRemovedUpstream]).toEqual(["block", true]);

  // The Security page states the policy; nothing here is affected.
  await page.goto(`/default/_artifacts/feed/${feed}`);
  await page.locator("#feed-security-link").click();
  await expect(page.locator("#security-policy")).toContainText("their downloads refused");
  // No advisory database was loaded into this test server: said as such.
  await expect(page.locator("#security-summary")).toContainText("No advisory database is loaded");

  // The Audit tab lists every change, newest first, with its channel.
  await page.goto(`/default/_artifacts/feed/${feed}/settings`);
  await page.getByRole("link", { name: "Audit" }).click();
  const actions = await page.locator("#audit tbody tr").evaluateAll((rows) =>
    rows.map((r) => [r.getAttribute("data-action"), r.children[5]?.textContent]),
  );
  expect(actions).toEqual([
    ["feed.update", "portal"],
    ["version.unquarantine", "portal"],
    ["version.quarantine", "portal"],
    ["version.publish", "cargo"],
    ["feed.create", "rest"],
  ]);
  await expect(page.locator('#audit tr[data-action="version.quarantine"]')).toContainText("suspicious build script");
  await expect(page.locator('#audit tr[data-action="feed.update"]')).toContainText(
    "advisoryPolicy: warn → block; keepRemovedUpstream: false → true",
  );
  await expect(page.locator("#audit-summary")).toContainText("Records 1–5 of 5");
  await page.screenshot({ path: "test-results/audit-page.png", fullPage: true });
});
