import { test, expect } from "@playwright/test";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createHmac } from "node:crypto";
import { csrfHeaders, publish, token, uniqueName } from "./helpers";

/** A receiver on this machine that records each delivery and answers 200. */
async function receiver(): Promise<{ url: string; got: { event: string; signature: string; body: string }[] }> {
  const got: { event: string; signature: string; body: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      got.push({
        event: String(req.headers["x-wharf-event"] ?? ""),
        signature: String(req.headers["x-wharf-signature"] ?? ""),
        body,
      });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

test("add a webhook, send a test, see a publish delivered and signed, then delete it", async ({ page, baseURL }) => {
  const feed = uniqueName("hooks");
  const created = await page.request.post("/default/_apis/packaging/feeds", {
    data: { name: feed, visibility: "private", upstreamEnabled: false },
    headers: await csrfHeaders(page),
  });
  expect(created.status()).toBe(201);
  const { url, got } = await receiver();
  const secret = "a secret for the browser test";

  await page.goto(`/default/_artifacts/feed/${feed}/settings`);
  await page.getByRole("link", { name: "Webhooks" }).click();
  // Refused first: a secret too short, said beside its field; nothing is added.
  await page.getByLabel("Payload URL").fill(url);
  await page.getByLabel("Secret").fill("short");
  await page.getByRole("button", { name: "Add webhook" }).click();
  await expect(page.locator("#secret-error")).toContainText("16 to 256 characters");
  await expect(page.locator("section.webhook")).toHaveCount(0);

  await page.getByLabel("Payload URL").fill(url);
  await page.getByLabel("Secret").fill(secret);
  await page.getByLabel("yank", { exact: true }).check();
  await page.getByRole("button", { name: "Add webhook" }).click();
  const hook = page.locator("section.webhook");
  await expect(hook).toHaveCount(1);
  await expect(hook).toContainText("Events: publish, yank");

  // Send a test: a ping arrives; the log shows it delivered with 200.
  await hook.getByRole("button", { name: "Send a test" }).click();
  await expect.poll(() => got.map((d) => d.event)).toEqual(["ping"]);
  await expect
    .poll(async () => {
      await page.reload();
      return page.locator('section.webhook tr[data-event="ping"]').getAttribute("data-state");
    })
    .toBe("delivered");
  await expect(page.locator('section.webhook tr[data-event="ping"]')).toContainText("200");

  // A publish with cargo is delivered, signed with the secret.
  publish(baseURL!, feed, await token(page), "hooked-e2e", "0.1.0", "# Hooked\n");
  await expect.poll(() => got.map((d) => d.event)).toEqual(["ping", "publish"]);
  const delivery = got[1];
  expect(delivery.signature).toBe(`sha256=${createHmac("sha256", secret).update(delivery.body).digest("hex")}`);
  expect(JSON.parse(delivery.body).package).toEqual({ name: "hooked-e2e", version: "0.1.0" });

  await hook.getByRole("button", { name: "Delete" }).click();
  await expect(page.locator("section.webhook")).toHaveCount(0);
  await page.screenshot({ path: "test-results/webhooks-page.png", fullPage: true });
});
