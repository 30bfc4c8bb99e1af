import { expect, test, type Page } from "@playwright/test";
import { adminState } from "../playwright.config";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { csrfHeaders, uniqueName, waitForHydration } from "./helpers";

/**
 * A sparse registry on this machine whose crate file answers only after a while, so the
 * job's page is seen running and then following the job to its end.
 */
async function slowUpstream(): Promise<{ index: string; crate: string; cksum: string; close: () => void }> {
  const crate = uniqueName("slow").replace(/-/g, "_");
  const file = Buffer.from(`the bytes of ${crate}`);
  const cksum = createHash("sha256").update(file).digest("hex");
  const path = `${crate.slice(0, 2)}/${crate.slice(2, 4)}/${crate}`;
  const server = createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    if (req.url === "/index/config.json") {
      res.end(JSON.stringify({ dl: `http://127.0.0.1:${port}/dl/{crate}/{version}` }));
    } else if (req.url === `/index/${path}`) {
      res.end(JSON.stringify({ name: crate, vers: "1.0.0", deps: [], cksum, features: {}, yanked: false }) + "\n");
    } else if (req.url === `/dl/${crate}/1.0.0`) {
      setTimeout(() => res.end(file), 2500);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { index: `sparse+http://127.0.0.1:${port}/index/`, crate, cksum, close: () => server.close() };
}

/** A feed whose one upstream is the slow registry, and a lockfile of its crate (plus a
 * version that does not exist). */
async function feed(page: Page, upstream: { index: string; crate: string; cksum: string }) {
  const app = uniqueName("warm-app");
  const headers = await csrfHeaders(page);
  const res = await page.request.post("/default/_apis/packaging/feeds", {
    data: { name: app, visibility: "public", upstreamEnabled: false },
    headers,
  });
  expect(res.status()).toBe(201);
  const patched = await page.request.patch(`/default/_apis/packaging/feeds/${app}`, {
    data: { upstreamSources: [{ name: "slow", kind: "sparse", location: upstream.index }] },
    headers,
  });
  expect(patched.status()).toBe(200);
  const source = 'source = "registry+https://github.com/rust-lang/crates.io-index"';
  const { crate, cksum } = upstream;
  const lockfile =
    `version = 4\n\n[[package]]\nname = "${crate}"\nversion = "1.0.0"\n${source}\nchecksum = "${cksum}"\n\n` +
    `[[package]]\nname = "${crate}"\nversion = "9.9.9"\n${source}\nchecksum = "${"0".repeat(64)}"\n`;
  return { app, lockfile };
}

test("a lockfile uploaded on the Warm page is saved into the feed, with live progress and a report", async ({ page, baseURL }) => {
  const upstream = await slowUpstream();
  const { app, lockfile } = await feed(page, upstream);
  const crate = upstream.crate;
  await page.goto(`/default/_artifacts/feed/${app}`);
  // The feed page has the form folded away, and a link to the Warm page.
  await expect(page.locator("#feed-warm summary")).toHaveText("Warm this feed from a Cargo.lock");
  await page.locator("#feed-warm-link").click();
  await expect(page).toHaveURL(new RegExp(`/feed/${app}/warm$`));
  await waitForHydration(page);

  // Not a lockfile: refused above the form, nothing started.
  await page.locator("#lockfile").setInputFiles({ name: "Cargo.lock", mimeType: "text/plain", buffer: Buffer.from("not = [a lockfile") });
  await page.locator("#warm-submit").click();
  await expect(page.locator("#form-error")).toContainText("not a Cargo.lock");

  // Dropped on the form: sent at once, and the job's page follows it to the end.
  await waitForHydration(page);
  await page.evaluate((text) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], "Cargo.lock", { type: "text/plain" }));
    document.querySelector("#warm-drop")!.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, lockfile);
  await expect(page).toHaveURL(new RegExp(`/feed/${app}/warm/\\d+$`));
  // Running while the upstream takes its time; the events bring the end.
  await expect(page.locator("#warm-state")).toHaveText("running");
  await waitForHydration(page);
  await expect(page.locator("#warm-state")).toHaveText("done");
  await expect(page.locator("#warm-saved")).toHaveText("1");
  await expect(page.locator("#warm-total")).toHaveText("2");
  await expect(page.locator("#warm-bar")).toHaveAttribute("value", "2");
  const failure = page.locator(`#warm-failures tr[data-package="${crate}"]`);
  await expect(failure).toContainText("9.9.9");
  await page.screenshot({ path: "test-results/warm-report.png", fullPage: true });

  // The saved version is in the feed.
  const pkg = await page.request.get(`/default/_apis/packaging/feeds/${app}/packages/${crate}`);
  expect(pkg.status()).toBe(200);
  upstream.close();
});

test("without JavaScript the feed page's upload works and the job's page reloads itself until the report", async ({ browser }) => {
  const upstream = await slowUpstream();
  const js = await browser.newContext({ storageState: adminState });
  const setup = await js.newPage();
  await setup.goto("/");
  const { app, lockfile } = await feed(setup, upstream);
  await js.close();
  const context = await browser.newContext({ storageState: adminState, javaScriptEnabled: false });
  const page = await context.newPage();
  // From the feed page's own form.
  await page.goto(`/default/_artifacts/feed/${app}`);
  await page.locator("#feed-warm summary").click();
  await page.locator("#lockfile").setInputFiles({ name: "Cargo.lock", mimeType: "text/plain", buffer: Buffer.from(lockfile) });
  await page.locator("#warm-submit").click();
  await expect(page).toHaveURL(new RegExp(`/feed/${app}/warm/\\d+$`));
  await expect(page.locator("#warm-state")).toHaveText("running");
  await expect(page.locator("#warm-report")).toBeVisible({ timeout: 20_000 });
  await expect(page.locator("#warm-state")).toHaveText("done");
  await expect(page.locator("#warm-saved")).toHaveText("1");
  await context.close();
  upstream.close();
});
