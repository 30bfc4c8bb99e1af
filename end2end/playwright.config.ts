import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The server under test: the debug binary `cargo xtask build` made, on a fresh data
// directory and a port of its own. It finds the bundle through its built-in asset lookup
// (debug builds read target/site from disk), the same code a release binary embeds with.
const port = Number(process.env.WHARF_E2E_PORT ?? 3199);
const targetDir = process.env.CARGO_TARGET_DIR ?? join(__dirname, "..", "target");
const bin = process.env.WHARF_BIN ?? join(targetDir, "debug", "wharf");
const dataDir = mkdtempSync(join(tmpdir(), "wharf-e2e-"));

export const baseURL = `http://127.0.0.1:${port}`;
// The first-run setup test signs the administrator in and leaves the session here for
// the other tests.
export const adminState = join(__dirname, ".auth", "admin.json");

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "setup", testMatch: /setup\.spec\.ts/ },
    { name: "portal", testIgnore: /setup\.spec\.ts/, dependencies: ["setup"], use: { storageState: adminState } },
  ],
  webServer: {
    // A secret key seals webhook secrets and upstream tokens.
    command: `${bin} serve --listen 127.0.0.1:${port} --data-dir ${dataDir} --secret-key e2e-secret-key-of-at-least-32-characters`,
    url: `${baseURL}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
