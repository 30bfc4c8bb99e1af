import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A feed name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** Waits until the WASM bundle has hydrated the page. */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator("#hydrated[data-hydrated=true]")).toHaveCount(1);
}

/** The snippet the Connect page must show, written out here independently of the server. */
export function expectedConfig(
  base: string,
  name: string,
  project: string | null,
  upstream: boolean,
  credentials = false,
): string {
  const scope = project ? `/default/${project}` : "/default";
  let text = `[registries]\n${name} = { index = "sparse+${base}${scope}/_packaging/${name}/Cargo/index/" }\n`;
  if (upstream) text += `\n[source.crates-io]\nreplace-with = "${name}"\n`;
  // A feed that needs a token: the project's own file tells cargo to send one.
  if (credentials) text += `\n[registry]\nglobal-credential-providers = ["cargo:token"]\n`;
  return text;
}

/** Names of every feed of organization `default`, at any scope, read through the REST API. */
export async function feedNames(request: APIRequestContext): Promise<string[]> {
  const names: string[] = [];
  for (const path of ["/default/_apis/packaging/feeds", "/default/default/_apis/packaging/feeds"]) {
    const res = await request.get(path); // signed in: the storage state holds the session
    expect(res.status()).toBe(200);
    const body = await res.json();
    names.push(...body.value.map((f: { name: string }) => f.name));
  }
  return names;
}

/** The first administrator the setup test creates. */
export const ADMIN = { name: "admin", password: "an admin password" };

/** Signs in on the sign-in page of `page`'s context. */
export async function signIn(page: Page, name: string, password: string): Promise<void> {
  await page.goto("/_signin");
  await page.getByLabel("User name").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#signed-in-user")).toHaveText(name);
}

/**
 * Headers a REST change made with the browser's session needs: the session's CSRF token,
 * read from a page's form (scripts would send a personal access token instead).
 */
export async function csrfHeaders(page: Page): Promise<Record<string, string>> {
  const probe = await page.context().newPage();
  await probe.goto("/_user/tokens");
  const csrf = await probe.locator('input[name="csrf"]').first().inputValue();
  await probe.close();
  return { "X-CSRF-Token": csrf };
}

/** A read & write token of the signed-in administrator, made over REST with the session. */
export async function token(page: Page): Promise<string> {
  const res = await page.request.post("/_apis/tokens", {
    data: { name: uniqueName("e2e"), scope: "write" },
    headers: await csrfHeaders(page),
  });
  expect(res.status()).toBe(201);
  return (await res.json()).token;
}

/** Publishes a crate with the real cargo. */
export function publish(baseURL: string, feed: string, secret: string, name: string, version: string, readme: string) {
  const dir = mkdtempSync(join(tmpdir(), "wharf-e2e-crate-"));
  mkdirSync(join(dir, "src"));
  mkdirSync(join(dir, ".cargo"));
  writeFileSync(
    join(dir, "Cargo.toml"),
    `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\nlicense = "MIT"\n` +
      `description = "A crate for the browser tests"\nrepository = "https://example.com/${name}"\nreadme = "README.md"\n\n` +
      `[features]\ndefault = []\nfast = []\n`,
  );
  writeFileSync(join(dir, "src/lib.rs"), "pub fn value() -> u32 { 7 }\n");
  writeFileSync(join(dir, "README.md"), readme);
  writeFileSync(
    join(dir, ".cargo/config.toml"),
    `[registries]\n${feed} = { index = "sparse+${baseURL}/default/_packaging/${feed}/Cargo/index/" }\n`,
  );
  execFileSync("cargo", ["publish", "--registry", feed, "--no-verify", "--allow-dirty"], {
    cwd: dir,
    env: {
      ...process.env,
      CARGO_HOME: join(dir, "cargo-home"),
      CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS: "cargo:token",
      [`CARGO_REGISTRIES_${feed.toUpperCase().replace(/-/g, "_")}_TOKEN`]: secret,
    },
    stdio: "pipe",
  });
}
