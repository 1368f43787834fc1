// Over 300 lines: one browser and one stack for every user journey (starting chromium is the cost).
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhook } from "../../src/engine/notify/signature.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { type Stack, startStack } from "../../src/local/stack/startStack.ts";
import { editJournalLine } from "../helpers/bcJournal.ts";
import { waitFor } from "../helpers/waitFor.ts";

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
    stack = await startStack({
      port: 0,
      inMemory: true,
      log: silentLogger,
      staticDir: webDir,
      // A cancelled running sync stops at its worker's next heartbeat; webhook retries come fast.
      worker: {
        heartbeatSeconds: 1,
        leaseSeconds: 10,
        pollSeconds: 0.5,
        notifySeconds: 0.5,
        notifyBackoffBaseSeconds: 0.5,
      },
    });
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

  it("a coordinator sees a voucher Business Central refused, listed with its error, and re-queues it", async () => {
    // A balanced voucher booked to an account the sandbox's chart does not have (1000–9999 only).
    await stack.db.query(
      `insert into public.ledger_entries (org_id, voucher_number, entry_date, account, amount, description, approved_at)
       values ('d0000000-0000-4000-8000-000000000001', 'BAD-1', date '2026-11-15', '99999', 10, 'typo', now()),
              ('d0000000-0000-4000-8000-000000000001', 'BAD-1', date '2026-11-15', '3000', -10, 'typo', now())`,
    );
    // A scheduled run (not "Sync now": the manual rate limit belongs to the other tests).
    const { rows } = await stack.db.query<{ run_id: string }>(
      "select run_id from sync_engine.enqueue_run('e0000000-0000-4000-8000-000000000002', 'scheduled', p_idempotency_key => 'browser-rejected-voucher')",
    );
    const runId = rows[0]?.run_id;
    await waitFor(
      async () =>
        (
          await stack.db.query<{ status: string }>("select status from public.sync_run_log where id = $1", [
            runId,
          ])
        ).rows[0]?.status,
      { until: (status) => status === "succeeded", timeoutMs: WAIT_MS },
    );
    const page = await launch();
    await signIn(page, "coordinator@demo.test");
    const list = page.getByRole("region", { name: "Rejected vouchers" });
    const item = list.getByRole("listitem").filter({ hasText: "Voucher BAD-1" });
    await item.filter({ hasText: 'The "accountNumber" does not match to an Account.' }).waitFor();
    await shot(page, "07-coordinator-rejected-voucher");
    await item.getByRole("button", { name: "Re-queue" }).click();
    await item.filter({ hasText: "Re-queued" }).waitFor();
    expect(await item.getByRole("button", { name: "Re-queue" }).count()).toBe(0);
    const audit = await stack.db.query<{ action: string }>(
      "select action from public.export_rejection_audit where voucher_number = 'BAD-1'",
    );
    expect(audit.rows).toEqual([{ action: "requeue" }]);
  });

  it("a coordinator reconciles Business Central after a journal line was deleted there, re-queues the missing entry, and downloads the CSV", async () => {
    const DYNAMICS = "e0000000-0000-4000-8000-000000000002";
    const runStatus = (id: string) =>
      stack.db
        .query<{ status: string }>("select status from public.sync_run_log where id = $1", [id])
        .then((r) => r.rows[0]?.status);
    const noActiveRun = () =>
      waitFor(
        async () =>
          (
            await stack.db.query<{ n: number }>(
              "select count(*)::int as n from public.sync_run_log where integration_id = $1 and status in ('pending', 'running')",
              [DYNAMICS],
            )
          ).rows[0]?.n,
        { until: (n) => n === 0, timeoutMs: WAIT_MS },
      );
    // A voucher dated today (inside the default period: last month and this month), exported by a
    // scheduled run as the scheduler would enqueue it.
    const { rows: entries } = await stack.db.query<{ id: string; account: string }>(
      `insert into public.ledger_entries (org_id, voucher_number, entry_date, account, amount, description, approved_at)
       values ('d0000000-0000-4000-8000-000000000001', 'REC-1', current_date, '6300', 125.5, 'reconcile test', now()),
              ('d0000000-0000-4000-8000-000000000001', 'REC-1', current_date, '3000', -125.5, 'reconcile test', now())
       returning id, account`,
    );
    const deleted = entries.find((e) => e.account === "6300")?.id ?? "";
    await noActiveRun();
    const { rows } = await stack.db.query<{ run_id: string }>(
      "select run_id from sync_engine.enqueue_run($1, 'scheduled', p_idempotency_key => 'browser-reconcile-export')",
      [DYNAMICS],
    );
    const exportRun = rows[0]?.run_id ?? "";
    await waitFor(() => runStatus(exportRun), { until: (s) => s === "succeeded", timeoutMs: WAIT_MS });
    // An accountant deletes one of its lines in Business Central, through the API's own verb.
    expect(await editJournalLine(stack.url, deleted, "delete")).toBe(204);

    const page = await launch();
    await signIn(page, "coordinator@demo.test");
    const region = page.getByRole("article", { name: "Dynamics 365 Business Central reconciliation" });
    await region.getByRole("button", { name: "Reconcile now" }).click();
    // The period's badge: exactly one difference, found live (the run is followed over Realtime).
    await region.getByText("1 difference", { exact: true }).waitFor();
    const table = region.getByRole("table", { name: "Dynamics 365 Business Central findings" });
    const row = table.getByRole("row").filter({ hasText: "REC-1" });
    await row.filter({ hasText: "Missing" }).waitFor();
    expect(await table.getByRole("row").count()).toBe(2); // the header and the one finding
    expect(await row.textContent()).toContain("125.50");
    // The history tells the reconciliation from the exports.
    await page
      .getByRole("region", { name: "Run history" })
      .getByRole("row")
      .filter({ hasText: "Dynamics 365 Business Central · reconciliation" })
      .filter({ hasText: "You" })
      .first()
      .waitFor();
    await shot(page, "07-coordinator-reconciliation-finding");

    // The CSV an accountant attaches to the close: this month's account 6300 is 125.50 short.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      region.getByRole("link", { name: "Download CSV" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      /^reconciliation-dynamics-\d{4}-\d{2}-01-\d{4}-\d{2}-\d{2}\.csv$/,
    );
    const csv = await readFile((await download.path()) ?? "", "utf8");
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe(
      "period,account,currency,our_total,their_total,difference,our_entries,their_entries,findings",
    );
    expect(lines.at(-1)).toBe("");
    const month = new Date().toISOString().slice(0, 7);
    const account6300 = lines.find((l) => l.startsWith(`${month},6300,`)) ?? "";
    const [, , , ours, theirs, difference, ourEntries, theirEntries, kinds] = account6300.split(",");
    expect(Number(ours) - Number(theirs)).toBeCloseTo(125.5, 2);
    expect({ difference, kinds }).toEqual({ difference: "125.50", kinds: "1 missing" });
    expect(Number(ourEntries) - Number(theirEntries)).toBe(1);
    // Every other row balances: the deleted line is the only difference in the books.
    for (const line of lines.slice(1, -1).filter((l) => l !== account6300))
      expect(line.split(",")[5]).toBe("0.00");

    // Re-queue: the finding closes, and the next export sends the line again (once).
    await row.getByRole("button", { name: "Re-queue" }).click();
    await row.filter({ hasText: "Re-queued" }).waitFor();
    const audit = await stack.db.query<{ action: string }>(
      "select action from public.reconciliation_audit where integration_type = 'dynamics'",
    );
    expect(audit.rows).toEqual([{ action: "requeue" }]);
    await noActiveRun();
    const { rows: again } = await stack.db.query<{ run_id: string }>(
      "select run_id from sync_engine.enqueue_run($1, 'scheduled', p_idempotency_key => 'browser-reconcile-requeue')",
      [DYNAMICS],
    );
    await waitFor(() => runStatus(again[0]?.run_id ?? ""), {
      until: (s) => s === "succeeded",
      timeoutMs: WAIT_MS,
    });
    const state = (await (await fetch(`${stack.url}/__sandbox/state`)).json()) as {
      dynamics: { received: Record<string, number> };
    };
    expect(state.dynamics.received[deleted]).toBe(2);
  });

  it("an admin edits the schedule and sees the preview, pauses and resumes, and cancels a running sync", async () => {
    const page = await launch();
    await signIn(page, "admin@demo.test");
    const card = page.getByRole("region", { name: "Dynamics 365 Business Central" });
    await card.getByText("Settings", { exact: true }).click();
    const settings = card.getByRole("region", { name: "Dynamics 365 Business Central settings" });
    await settings
      .getByLabel("Schedule (cron: minute hour day month weekday)", { exact: true })
      .fill("30 6 * * 1-5");
    await settings.getByLabel("Time zone").selectOption("America/New_York");
    const preview = settings.getByRole("table", { name: "Next five runs" });
    await preview.getByRole("columnheader", { name: "in America/New_York" }).waitFor();
    const rows = preview.locator("tbody tr");
    expect(await rows.count()).toBe(5);
    for (const row of await rows.all())
      expect(await row.locator("td").first().textContent()).toMatch(/(Mon|Tue|Wed|Thu|Fri).*06:30/);
    await shot(page, "08-admin-schedule-preview");
    await settings.getByRole("button", { name: "Save schedule" }).click();
    await settings.getByRole("status").filter({ hasText: "Saved." }).first().waitFor();
    const { rows: saved } = await stack.db.query<{ schedule_cron: string; schedule_timezone: string }>(
      "select schedule_cron, schedule_timezone from public.organization_integrations where id = 'e0000000-0000-4000-8000-000000000002'",
    );
    expect(saved).toEqual([{ schedule_cron: "30 6 * * 1-5", schedule_timezone: "America/New_York" }]);
    // The reconciliation's own schedule, in the same zone.
    await settings.getByLabel("Reconciliation schedule (cron)").fill("15 4 * * *");
    await settings.getByText(/^Daily at 04:15 · Next reconciliation: .*04:15/).waitFor();
    await settings.getByRole("button", { name: "Save reconciliation schedule" }).click();
    await settings.getByRole("status").filter({ hasText: "Saved." }).first().waitFor();
    const { rows: reconcile } = await stack.db.query<{ reconcile_cron: string }>(
      "select reconcile_cron from public.organization_integrations where id = 'e0000000-0000-4000-8000-000000000002'",
    );
    expect(reconcile).toEqual([{ reconcile_cron: "15 4 * * *" }]);
    // "Next run" names the zone it is shown in.
    await stack.worker.tickScheduler();
    await card.getByText(/\(your time, [A-Za-z_/]+\)/).waitFor();

    await settings.getByRole("button", { name: "Pause" }).click();
    await settings.getByText("Paused", { exact: true }).waitFor();
    expect(await card.getByRole("button", { name: "Sync now" }).isDisabled()).toBe(true);
    await shot(page, "09-admin-paused");
    await settings.getByRole("button", { name: "Resume" }).click();
    await settings.getByText("Running on schedule").waitFor();
    await card.locator("button:enabled", { hasText: "Sync now" }).waitFor();

    // A scheduled run (as the scheduler enqueues it; the coordinator's manual sync of Business
    // Central earlier holds the 5-minute manual rate limit) against a slow Business Central,
    // with a voucher to send, stays running long enough to cancel it: the card finds the run at its
    // history's next refresh (10 s), so one request must take longer than that — when every earlier
    // voucher is already exported the run makes a single request (the token is cached).
    await stack.db.query(
      `insert into public.ledger_entries (org_id, voucher_number, entry_date, account, amount, description, approved_at)
       values ('d0000000-0000-4000-8000-000000000001', 'ADM-1', date '2026-11-20', '6300', 75, 'admin test', now()),
              ('d0000000-0000-4000-8000-000000000001', 'ADM-1', date '2026-11-20', '3000', -75, 'admin test', now())`,
    );
    stack.sandbox.fault({ target: "dynamics", kind: "latency", ms: 15_000, count: 20 });
    await stack.db.query(
      `insert into public.sync_run_log (org_id, integration_id, integration_type, triggered_by, scheduled_for)
       values ('d0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000002', 'dynamics', 'scheduled', now())`,
    );
    stack.worker.wake();
    const cancel = card.getByRole("button", { name: "Cancel" });
    await card.locator("button:enabled", { hasText: "Cancel" }).waitFor();
    await cancel.click();
    const banner = card.getByRole("status", { name: "Dynamics 365 Business Central sync status" });
    await banner.filter({ hasText: "Cancelled" }).waitFor();
    await shot(page, "10-admin-cancelled");
    const { rows: runs } = await stack.db.query<{ status: string }>(
      `select status from public.sync_run_log where integration_id = 'e0000000-0000-4000-8000-000000000002'
       order by triggered_at desc limit 1`,
    );
    expect(runs).toEqual([{ status: "cancelled" }]);
    // The admin audit names the person.
    const audit = page.getByRole("region", { name: "Admin changes" });
    await audit
      .getByRole("row")
      .filter({ hasText: "Ada Admin" })
      .filter({ hasText: "Changed settings" })
      .first()
      .waitFor();
  });

  it("a coordinator sees the settings disabled, with the reason", async () => {
    const page = await launch();
    await signIn(page, "coordinator@demo.test");
    const card = page.getByRole("region", { name: "Xledger" });
    await card.getByText("Settings", { exact: true }).click();
    const settings = card.getByRole("region", { name: "Xledger settings" });
    await settings.getByText("Only administrators can change settings.").waitFor();
    for (const name of ["Pause", "Save schedule", "Save credentials", "Test connection"])
      expect(await settings.getByRole("button", { name }).isDisabled()).toBe(true);
    expect(await settings.getByLabel("Time zone").isDisabled()).toBe(true);
    expect(await page.getByRole("region", { name: "Notifications" }).count()).toBe(0);
    await shot(page, "11-coordinator-settings-disabled");
    // The same in Norwegian.
    await page.getByRole("button", { name: "Norsk" }).click();
    const innstillinger = page.getByRole("region", { name: "Innstillinger for Xledger" });
    await innstillinger.getByText("Bare administratorer kan endre innstillinger.").waitFor();
    expect(await innstillinger.getByRole("button", { name: "Sett på pause" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "English" }).click();
  });

  it("a webhook added by the admin receives a signed drift alert and a failed-run alert, retried after a 500", async () => {
    const received: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];
    const answers = [500];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(answers.shift() ?? 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/sync`;
      const page = await launch();
      await signIn(page, "admin@demo.test");
      const notifications = page.getByRole("region", { name: "Notifications" });
      await notifications.getByLabel("Name").fill("Ops pager");
      await notifications.getByLabel("Webhook URL").fill(url);
      await notifications.getByRole("button", { name: "Add webhook" }).click();
      const secret = (await notifications.getByTestId("signing-secret").textContent()) ?? "";
      expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
      await notifications.getByRole("button", { name: "Delete Ops pager" }).waitFor();
      await shot(page, "12-admin-webhook-added");

      // A scheduled period that starts 6 minutes late (as after downtime) on its only attempt,
      // against a Business Central that forbids every request: drift, then a failed run.
      // An approved entry not yet exported, so the run has something to send.
      await stack.db.query(
        `insert into public.ledger_entries (org_id, voucher_number, entry_date, account, amount, description, approved_at)
         values ('d0000000-0000-4000-8000-000000000001', 'HOOK-1', date '2026-11-21', '6300', 420, 'webhook test', now()),
                ('d0000000-0000-4000-8000-000000000001', 'HOOK-1', date '2026-11-21', '3000', -420, 'webhook test', now())`,
      );
      stack.sandbox.reset(); // drops the previous test's queued latency faults
      stack.sandbox.fault({ target: "dynamics", kind: "status", status: 403, count: 50 });
      await stack.db.query(
        `insert into public.sync_run_log (org_id, integration_id, integration_type, triggered_by, scheduled_for, max_attempts)
         values ('d0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000002', 'dynamics', 'scheduled',
                 now() - interval '6 minutes', 1)`,
      );
      stack.worker.wake();
      const events = async () => {
        for (let i = 0; i < 200; i++) {
          const kinds = new Set(received.map((r) => String(r.headers["x-sync-event"])));
          const retried = received.some((r) => r.headers["x-sync-attempt"] === "2");
          if (kinds.has("drift") && kinds.has("run_failed") && retried) return kinds;
          await new Promise((r) => setTimeout(r, 100));
        }
        const { rows } = await stack.db.query(
          "select status, attempt, error_code, triggered_by from public.sync_run_log where integration_type = 'dynamics'",
        );
        throw new Error(
          `webhooks seen: ${received.map((r) => `${r.headers["x-sync-event"]}#${r.headers["x-sync-attempt"]}`)}; runs ${JSON.stringify(rows)}`,
        );
      };
      await events();
      for (const r of received) {
        expect(await verifyWebhook(secret, String(r.headers["x-sync-signature"]), r.body)).toMatchObject({
          ok: true,
        });
        expect(r.headers["idempotency-key"]).toBe(JSON.parse(r.body).id);
      }
      // The first delivery was refused with 500 and sent again under the same key.
      const first = received[0];
      const again = received.filter(
        (r) => r.headers["idempotency-key"] === first?.headers["idempotency-key"],
      );
      expect(again.map((r) => r.headers["x-sync-attempt"])).toEqual(["1", "2"]);
      // The admin's delivery log shows it.
      const log = page.getByRole("region", { name: "Delivery log" });
      await log.getByRole("row").filter({ hasText: "Delivered · 2 attempts" }).first().waitFor();
      await shot(page, "13-admin-delivery-log");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
