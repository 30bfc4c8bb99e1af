import { test, expect } from "@playwright/test";
import { adminState } from "../playwright.config";
import { ADMIN } from "./helpers";

// Runs first, on a Wharf with no account: every page leads to the setup page, which
// creates the first administrator once.
test("first-run setup creates the administrator and signs them in", async ({ page }) => {
  await page.goto("/default/_artifacts");
  await expect(page).toHaveURL(/\/_setup$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Welcome to Wharf");

  // Bad input: messages beside the fields, nothing created (still the setup page).
  await page.getByLabel("User name").fill(ADMIN.name);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Password again").fill("something else");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.locator("#password2-error")).toHaveText("The two passwords differ.");
  await page.goto("/");
  await expect(page).toHaveURL(/\/_setup$/);

  await page.getByLabel("User name").fill(ADMIN.name);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Password again").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator("#signed-in-user")).toHaveText(ADMIN.name);

  // Once only.
  await page.goto("/_setup");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Wharf is set up");
  await page.context().storageState({ path: adminState });
});
