import { test, expect } from "@playwright/test";
import { uniqueName, waitForHydration } from "./helpers";

test("projects: create one, switch to it in the header, create a feed in it; it is not deleted while it has feeds", async ({
  page,
}) => {
  const project = uniqueName("proj");
  await page.goto("/default/_settings/projects");
  await page.locator("#project-name").fill(project);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.locator(`tr[data-project="${project}"]`)).toBeVisible();
  // A bad name is refused beside the field.
  await page.locator("#project-name").fill("two words");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.locator("#name-error")).toContainText("a space is not allowed");

  // The header's project switcher opens the project's feeds (with the organization's).
  await page.locator("#project-switcher summary").click();
  await page.locator(`#project-switcher a[data-project="${project}"]`).click();
  await expect(page).toHaveURL(new RegExp(`/default/${project}/_artifacts$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Feeds of project ${project}`);
  await expect(page.locator("#project-switcher summary")).toContainText(project);

  // Create feed from there: the scope names the current project.
  await page.locator("#create-feed-link").click();
  await expect(page).toHaveURL(new RegExp(`/default/_artifacts/new\\?project=${project}$`));
  await waitForHydration(page);
  await expect(page.locator(`#scope-project-${project}`)).toBeChecked();
  const feed = uniqueName("in-proj");
  await page.getByLabel("Name").fill(feed);
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page).toHaveURL(new RegExp(`/default/${project}/_artifacts/feed/${feed}/connect$`));
  await page.goto(`/default/${project}/_artifacts`);
  await expect(page.locator(`tr[data-feed="${feed}"]`)).toContainText(`Project ${project}`);

  // Deleting it is refused while the feed is there; renaming moves the feed's URLs.
  await page.goto("/default/_settings/projects");
  await page.getByRole("button", { name: `Delete ${project}` }).click();
  await expect(page.locator("#form-error")).toContainText(`Project '${project}' still has 1 feed`);
  await page.locator(`#rename-project-${project}`).fill(`${project}-new`);
  await page.locator(`tr[data-project="${project}"]`).getByRole("button", { name: "Rename" }).click();
  await expect(page.locator(`tr[data-project="${project}-new"]`)).toBeVisible();
  await page.goto(`/default/${project}-new/_artifacts/feed/${feed}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(feed);
});

test("a visitor who is not signed in is asked to sign in on /, not invited to create a feed", async ({ browser }) => {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.locator("#sign-in-prompt")).toBeVisible();
  await expect(page.locator("#sign-in-prompt").getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/_signin");
  await expect(page.locator("#create-feed-link")).toHaveCount(0);
  await expect(page.getByText("Create your first feed")).toHaveCount(0);
  await expect(page.locator("#project-switcher")).toHaveCount(0);
  await context.close();
});
