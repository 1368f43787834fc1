import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { type Stack, startStack } from "../../src/local/stack/startStack.ts";

// The dashboard in a real browser (Debian chromium driven by playwright-core) against the whole
// product (`startStack`: PGlite, gateway, worker, sandbox) serving a fresh production build of web/.
// Screenshots land in artifacts/screenshots/ (gitignored; CI keeps them as artifacts).

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const SCREENSHOTS = join(repoRoot, "artifacts", "screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// docs/architecture.md §11: the flags that work for Debian chromium here.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const PASSWORD = "demo-password";
// Upper bounds for waits on the UI; they only decide when to give up, never what passes.
const WAIT_MS = 20_000;

describe("dashboard in chromium", () => {
  let stack: Stack;
  let webDir: string;
  const tempDirs: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Browser tests need chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH). Never 'npx playwright install'.`,
      );
    }
    await mkdir(SCREENSHOTS, { recursive: true });
    // Always test the current source: build web/ into a temp dir and serve that.
    webDir = await mkdtemp(join(tmpdir(), "sync-web-"));
    tempDirs.push(webDir);
    await build({
      configFile: join(repoRoot, "vite.config.ts"),
      logLevel: "warn",
      build: { outDir: webDir, emptyOutDir: true },
    });
    if (!existsSync(join(webDir, "index.html")))
      throw new Error(`vite build produced no index.html in ${webDir}`);
    stack = await startStack({ port: 0, inMemory: true, log: silentLogger, staticDir: webDir });
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await stack?.close();
    for (const d of tempDirs) await rm(d, { recursive: true, force: true });
  });

  /** A fresh chromium with its own profile and HOME (chromium writes ~/.config). */
  async function launch(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const profile = await mkdtemp(join(tmpdir(), "sync-chromium-profile-"));
    const home = await mkdtemp(join(tmpdir(), "sync-chromium-home-"));
    tempDirs.push(profile, home);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      env: { ...process.env, HOME: home },
      viewport,
      locale: "en-GB",
    });
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(WAIT_MS);
    return page;
  }

  async function signIn(page: Page, email: string, screenshot?: string): Promise<void> {
    await page.goto(stack.url);
    await page.getByLabel("Email").waitFor();
    if (screenshot) await shot(page, screenshot);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("region", { name: "Xledger" }).waitFor();
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  it("a coordinator signs in, presses Sync now on Xledger, watches it succeed live, and is rate-limited on the second press", async () => {
    const page = await launch();
    const sockets: string[] = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    await signIn(page, "coordinator@demo.test", "00-sign-in");
    const xledger = page.getByRole("region", { name: "Xledger" });
    await page.getByRole("region", { name: "Dynamics 365 Business Central" }).waitFor();
    await shot(page, "01-coordinator-dashboard");

    // Record every progress indicator and banner status the card ever shows: a MutationObserver
    // sees each DOM change, so a fast run cannot slip between two polls of the test.
    await xledger.evaluate((card) => {
      const seen = { progress: false, statuses: [] as string[] };
      (window as unknown as { __seen: typeof seen }).__seen = seen;
      const record = () => {
        if (card.querySelector('[role="progressbar"]')) seen.progress = true;
        const status = card.querySelector('[role="status"]')?.getAttribute("data-status") ?? "";
        if (status && seen.statuses.at(-1) !== status) seen.statuses.push(status);
      };
      record();
      new MutationObserver(record).observe(card, { subtree: true, childList: true, attributes: true });
    });
    // Slow the sandbox's Xledger a little so the in-progress screenshot has something to show.
    stack.sandbox.fault({ target: "xledger", kind: "latency", ms: 700, count: 4 });

    const syncNow = xledger.getByRole("button", { name: "Sync now" });
    await syncNow.click();
    const progress = xledger.getByRole("progressbar", { name: "Sync in progress" });
    // The observer's record, not the live DOM: the indicator may already be gone when we look.
    await page.waitForFunction(
      () => (window as unknown as { __seen: { progress: boolean } }).__seen.progress,
      null,
      {
        timeout: WAIT_MS,
      },
    );
    await shot(page, "02-coordinator-sync-in-progress");

    const banner = xledger.getByRole("status", { name: "Xledger sync status" });
    await banner.filter({ hasText: "Succeeded" }).waitFor();
    const text = (await banner.textContent()) ?? "";
    expect(text).toMatch(/\d+ records? exported/);
    expect(text).toContain("Finished");
    await progress.waitFor({ state: "detached" });
    expect(await syncNow.isEnabled()).toBe(true);
    const seen = await page.evaluate(
      () => (window as unknown as { __seen: { progress: boolean; statuses: string[] } }).__seen,
    );
    expect(seen.progress).toBe(true);
    // Live: the banner went through an active status to succeeded without a reload.
    expect(seen.statuses.at(-1)).toBe("succeeded");
    expect(seen.statuses.some((s) => s === "pending" || s === "running" || s === "loading")).toBe(true);
    expect(sockets.some((u) => u.includes("/realtime/v1/websocket"))).toBe(true);
    // The finished run reached the history, attributed to the user.
    const history = page.getByRole("region", { name: "Run history" });
    await history
      .getByRole("row")
      .filter({ hasText: "Xledger" })
      .filter({ hasText: "You" })
      .first()
      .waitFor();
    await shot(page, "03-coordinator-succeeded");

    await syncNow.click();
    const alert = xledger.getByRole("alert");
    await alert.waitFor();
    const message = (await alert.textContent()) ?? "";
    expect(message).toContain("A sync was started less than 5 minutes ago. Try again in 5 minutes.");
    expect(message).toMatch(/"Sync now" can be pressed again at \d{2}:\d{2}:\d{2}\./);
    expect(await syncNow.isDisabled()).toBe(true);
    await shot(page, "04-coordinator-rate-limited");

    // Norwegian, then a phone-width view.
    await page.getByRole("button", { name: "Norsk" }).click();
    await page.getByRole("heading", { name: "Integrasjoner" }).waitFor();
    await page
      .getByRole("region", { name: "Xledger" })
      .getByRole("button", { name: "Synkroniser nå" })
      .waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe("nb");
    await shot(page, "05-coordinator-norwegian");
    await page.getByRole("button", { name: "English" }).click();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("heading", { name: "Integrations" }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, "06-coordinator-phone");
  });

  it("a viewer sees the history but no enabled Sync now", async () => {
    const page = await launch();
    await signIn(page, "viewer@demo.test");
    // Data loaded: the coordinator's manual run is in the history, attributed by role.
    const history = page.getByRole("region", { name: "Run history" });
    await history
      .getByRole("row")
      .filter({ hasText: "Manual" })
      .filter({ hasText: "Coordinator" })
      .first()
      .waitFor();
    await page.getByText("Only administrators and coordinators can start a sync.").first().waitFor();
    const all = page.getByRole("button", { name: "Sync now" });
    expect(await all.count()).toBe(2);
    const enabled: Locator = page.locator("button:enabled", { hasText: "Sync now" });
    expect(await enabled.count()).toBe(0);
    for (const button of await all.all()) expect(await button.isDisabled()).toBe(true);
    await shot(page, "07-viewer");
  });
});
