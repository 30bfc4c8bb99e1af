import { expect, test, type Page, type Response } from "@playwright/test";
import { csrfHeaders, uniqueName, waitForHydration } from "./helpers";

/**
 * Every portal page comes with a Content-Security-Policy whose `script-src` holds a nonce
 * of that response, and the islands hydrate and work under it: nothing the pages do is
 * refused (no `securitypolicyviolation` event, no refusal in the console).
 */

/** Records every CSP violation and every console error of `page`. */
async function watch(page: Page): Promise<{ violations: string[]; errors: string[] }> {
  const seen = { violations: [] as string[], errors: [] as string[] };
  page.on("console", (message) => {
    if (message.type() === "error" || /Content Security Policy/i.test(message.text())) {
      seen.errors.push(message.text());
    }
  });
  page.on("pageerror", (error) => seen.errors.push(error.message));
  // Exposed before any page script runs: the event reaches the document in every page.
  await page.exposeFunction("reportViolation", (text: string) => seen.violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { reportViolation: (text: string) => void }).reportViolation(
        `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`,
      );
    });
  });
  return seen;
}

/** The nonce of the response's policy, after checking the policy is the strict one. */
async function policyNonce(response: Response | null): Promise<string> {
  expect(response).not.toBeNull();
  const policy = (await response!.allHeaders())["content-security-policy"];
  expect(policy, `${response!.url()} sends a Content-Security-Policy`).toBeTruthy();
  expect(policy).toContain("object-src 'none'");
  expect(policy).toContain("base-uri 'none'");
  expect(policy).not.toContain("unsafe-inline");
  const nonce = /script-src [^;]*'nonce-([A-Za-z0-9+/_=-]+)'/.exec(policy)?.[1];
  expect(nonce, policy).toBeTruthy();
  // The page's scripts carry that nonce (the attribute as sent; the DOM hides it).
  const html = await response!.text();
  const scripts = html.match(/<script[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  return nonce!;
}

test("every page sends a CSP with a fresh nonce, and the islands hydrate and work under it", async ({
  page,
  context,
  baseURL,
}) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL! });
  const seen = await watch(page);
  const name = uniqueName("csp");
  const res = await page.request.post("/default/default/_apis/packaging/feeds", {
    data: { name, visibility: "private", upstreamEnabled: true },
    headers: await csrfHeaders(page),
  });
  expect(res.status()).toBe(201);
  const feed = `/default/default/_artifacts/feed/${name}`;

  const nonces = new Set<string>();
  for (const path of [
    "/",
    "/default/_artifacts",
    "/default/_artifacts/new",
    feed,
    `${feed}/connect`,
    `${feed}/settings`,
    `${feed}/settings/permissions`,
    `${feed}/settings/upstreams`,
    `${feed}/settings/views`,
    `${feed}/settings/webhooks`,
    `${feed}/settings/audit`,
    `${feed}/security`,
    `${feed}/warm`,
    `${feed}/recycle-bin`,
    "/_user/tokens",
    "/default/_settings/projects",
    "/no/such/page",
  ]) {
    const response = await page.goto(path);
    nonces.add(await policyNonce(response));
    await waitForHydration(page);
  }
  expect(nonces.size, "a nonce is never sent twice").toBe(17);

  // An island works, not only loads: the Connect page's Copy button fills the clipboard.
  await page.goto(`${feed}/connect`);
  await waitForHydration(page);
  const snippet = page.locator("#snippet-config");
  await snippet.getByRole("button", { name: "Copy" }).click();
  await expect(snippet.getByRole("button")).toHaveText("Copied ✓");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await snippet.locator("pre").textContent());

  // The sign-in page, as a visitor: its own nonce, hydrated too.
  const visitor = await page.context().browser()!.newContext({ storageState: undefined });
  const anonymous = await visitor.newPage();
  const anonymousSeen = await watch(anonymous);
  await policyNonce(await anonymous.goto(`${baseURL}/_signin`));
  await waitForHydration(anonymous);
  await visitor.close();

  expect(seen.violations).toEqual([]);
  expect(anonymousSeen.violations).toEqual([]);
  expect(seen.errors.filter((e) => /Content Security Policy|Refused/i.test(e))).toEqual([]);
  expect(anonymousSeen.errors.filter((e) => /Content Security Policy|Refused/i.test(e))).toEqual([]);
});
