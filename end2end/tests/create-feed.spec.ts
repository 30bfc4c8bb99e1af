import { test, expect } from "@playwright/test";
import { csrfHeaders, expectedConfig, feedNames, uniqueName, waitForHydration } from "./helpers";

test.describe("with JavaScript", () => {
  test("create a feed, reach its Connect page and copy the snippet", async ({ page, context, baseURL }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL! });
    const name = uniqueName("team");

    await page.goto("/");
    await waitForHydration(page);
    await page.getByRole("link", { name: "Create feed" }).first().click();
    await expect(page).toHaveURL(/\/default\/_artifacts\/new$/);
    await waitForHydration(page);

    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Description").fill("Crates of the web team");
    await page.getByRole("group", { name: "Visibility" }).getByLabel(/^Public/).check();
    await page.getByRole("group", { name: "Scope" }).getByLabel(/^Project default/).check();
    await expect(page.getByLabel(/^Include packages from crates.io/)).toBeChecked();
    await page.getByRole("button", { name: "Create" }).click();

    await expect(page).toHaveURL(new RegExp(`/default/default/_artifacts/feed/${name}/connect$`));
    await expect(page.getByRole("heading", { level: 1 })).toContainText(name);
    const expected = expectedConfig(baseURL!, name, "default", true);
    const snippet = page.locator("#snippet-config pre");
    expect(await snippet.textContent()).toBe(expected);
    // A public feed needs no credentials section; its page says what publishing needs.
    await expect(page.locator("#step-credentials")).toHaveCount(0);
    await expect(page.locator("#publish-needs-token")).toContainText(`CARGO_REGISTRIES_${name.toUpperCase().replace(/-/g, "_")}_TOKEN`);

    const copy = page.locator("#snippet-config").getByRole("button", { name: "Copy" });
    await copy.click();
    await expect(page.locator("#snippet-config").getByRole("button")).toHaveText("Copied ✓");
    await expect(page.locator("#snippet-config").getByRole("status")).toHaveText("Copied to the clipboard.");
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    expect(clipboard).toBe(expected);

    // The feeds list shows it, with its scope, visibility and upstream.
    await page.goto("/default/_artifacts");
    const row = page.locator(`tr[data-feed="${name}"]`);
    await expect(row).toContainText("Project default");
    await expect(row).toContainText("Public");
    await expect(row).toContainText("crates.io");
  });

  test("a private organization feed without upstream gets the credentials steps", async ({ page, context, baseURL }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL! });
    const name = uniqueName("secret");
    await page.goto("/default/_artifacts/new");
    await waitForHydration(page);
    await page.getByLabel("Name").fill(name);
    await page.getByRole("group", { name: "Visibility" }).getByLabel(/^Private/).check();
    await page.getByRole("group", { name: "Scope" }).getByLabel(/^Organization/).check();
    await page.getByLabel(/^Include packages from crates.io/).uncheck();
    await page.getByRole("button", { name: "Create" }).click();

    await expect(page).toHaveURL(new RegExp(`/default/_artifacts/feed/${name}/connect$`));
    expect(await page.locator("#snippet-config pre").textContent()).toBe(expectedConfig(baseURL!, name, null, false, true));
    expect(await page.locator("#snippet-dependency pre").textContent()).toBe(
      `[dependencies]\nmy-crate = { version = "0.1", registry = "${name}" }\n`,
    );
    await expect(page.locator("#credentials-why")).toContainText("needs nothing more than the token");
    expect(await page.locator("#snippet-login pre").textContent()).toBe(`cargo login --registry ${name}`);

    await page.locator("#snippet-login").getByRole("button", { name: "Copy" }).click();
    await expect(page.locator("#snippet-login").getByRole("button")).toHaveText("Copied ✓");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`cargo login --registry ${name}`);
  });

  test("invalid input shows the messages beside the fields and creates nothing", async ({ page }) => {
    const before = await feedNames(page.request);
    await page.goto("/default/_artifacts/new");
    await waitForHydration(page);

    // Empty name.
    await page.getByRole("button", { name: "Create" }).click();
    await expect(page.locator("#feed-name-error")).toHaveText("Enter a name.");
    await expect(page.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");

    // Invalid characters.
    await page.getByLabel("Name").fill("my feed!");
    await page.getByRole("button", { name: "Create" }).click();
    await expect(page.locator("#feed-name-error")).toHaveText(
      "The name may contain only letters, digits, '-', '_' and '.'; a space is not allowed.",
    );

    // Too long.
    await page.getByLabel("Name").fill("x".repeat(65));
    await page.getByRole("button", { name: "Create" }).click();
    await expect(page.locator("#feed-name-error")).toHaveText("The name is 65 characters long; use at most 64.");

    // A name taken in the same scope, in another case.
    const taken = uniqueName("Taken");
    const created = await page.request.post("/default/default/_apis/packaging/feeds", {
      data: { name: taken, visibility: "public", upstreamEnabled: false },
      headers: await csrfHeaders(page),
    });
    expect(created.status()).toBe(201);
    await page.getByLabel("Name").fill(taken.toUpperCase());
    await page.getByRole("button", { name: "Create" }).click();
    await expect(page.locator("#feed-name-error")).toContainText("already exists in project 'default'");
    await expect(page).toHaveURL(/\/default\/_artifacts\/new/);

    expect((await feedNames(page.request)).sort()).toEqual([...before, taken].sort());
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the form still creates a feed", async ({ page, baseURL }) => {
    const name = uniqueName("nojs");
    await page.goto("/default/_artifacts/new");
    await page.getByLabel("Name").fill(name);
    await page.getByRole("group", { name: "Scope" }).getByLabel(/^Organization/).check();
    await page.getByRole("button", { name: "Create" }).click();

    await expect(page).toHaveURL(new RegExp(`/default/_artifacts/feed/${name}/connect$`));
    // The default visibility is organization: the project's file carries the credential provider.
    expect(await page.locator("#snippet-config pre").textContent()).toBe(expectedConfig(baseURL!, name, null, true, true));
    // No JavaScript, no Copy button: the snippet is plain selectable text.
    await expect(page.locator("#snippet-config button")).toBeHidden();
    expect(await feedNames(page.request)).toContain(name);

    // The other pages are whole without JavaScript too.
    await page.goto("/default/_artifacts");
    await expect(page.locator(`tr[data-feed="${name}"]`)).toContainText("Organization");
    await page.locator(`tr[data-feed="${name}"] a.feed-link`).click();
    await expect(page).toHaveURL(new RegExp(`/default/_artifacts/feed/${name}$`));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
    await expect(page.locator("#packages-title")).toHaveText("Packages");
  });

  test("a refused form comes back with its messages and values", async ({ page }) => {
    const before = await feedNames(page.request);
    await page.goto("/default/_artifacts/new");
    await page.getByLabel("Name").fill("-bad");
    await page.getByLabel("Description").fill("kept");
    await page.getByRole("group", { name: "Visibility" }).getByLabel(/^Private/).check();
    await page.getByRole("button", { name: "Create" }).click();

    await expect(page.locator("#feed-name-error")).toHaveText("The name must start with a letter or a digit, not '-'.");
    await expect(page.getByLabel("Name")).toHaveValue("-bad");
    await expect(page.getByLabel("Description")).toHaveValue("kept");
    await expect(page.getByRole("group", { name: "Visibility" }).getByLabel(/^Private/)).toBeChecked();
    expect((await feedNames(page.request)).sort()).toEqual(before.sort());
  });
});
