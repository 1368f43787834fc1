/**
 * The Business Central adapter with vouchers: one documentNumber per voucher, posted vouchers found again,
 * refusals pinned on the voucher that caused them, `$batch` answers with or without ids.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { documentNumberFor } from "../../src/integrations/dynamics/journalLine.ts";
import { type AdapterOptions, createAdapter } from "../../src/integrations/registry.ts";
import type { IntegrationAdapter } from "../../src/integrations/types.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { JOURNAL_LINES, postJournal, readCollection } from "../helpers/bcJournal.ts";
import { ctx, entries, integrationError } from "./fixtures.ts";

let sandbox: Sandbox;
let nullIds: Sandbox;

function dynamics(
  target: Sandbox = sandbox,
  config: Record<string, unknown> = {},
  options: AdapterOptions = {},
): IntegrationAdapter {
  const settings = sandboxIntegrationSettings(target.url).dynamics;
  return createAdapter("dynamics", { ...settings.config, ...config }, settings.credentials, {
    pageSize: 2,
    timeoutMs: 10_000,
    ...options,
  });
}

/** `n` vouchers of two balanced lines each. */
function vouchers(n: number) {
  const lines = entries(2 * n);
  for (let i = 1; i < lines.length; i += 2) {
    const first = lines[i - 1];
    const second = lines[i];
    if (first && second) second.amount = `-${first.amount}`;
  }
  return lines;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  nullIds = await startSandbox({ port: 0, dynamics: { batchResponseIds: "null" } });
});
afterAll(async () => {
  await sandbox.close();
  await nullIds.close();
});
beforeEach(() => {
  sandbox.reset();
  nullIds.reset();
});

describe("Business Central vouchers", () => {
  it("gives the lines of a voucher one documentNumber, and the journal posts", async () => {
    const batch = vouchers(3);
    await dynamics().export(batch, ctx());
    const lines = await readCollection(sandbox.url, JOURNAL_LINES);
    expect(lines.map((l) => l.documentNumber)).toEqual(batch.map((e) => documentNumberFor(e.voucherNumber)));
    expect(new Set(lines.map((l) => l.documentNumber)).size).toBe(3);
    expect(lines.every((l) => l.balancingAccountNumber === "")).toBe(true);
    expect((await postJournal(sandbox.url)).status).toBe(204);
  });

  it("finds vouchers after the journal was posted, by documentNumber in generalLedgerEntries", async () => {
    const batch = vouchers(4);
    const adapter = dynamics();
    await adapter.export(batch, ctx());
    expect((await postJournal(sandbox.url)).status).toBe(204);
    expect(await readCollection(sandbox.url, JOURNAL_LINES)).toEqual([]);
    const found = await adapter.findExported([...batch, ...vouchers(1)], ctx());
    expect(found.map((f) => f.entryId).sort()).toEqual(batch.map((e) => e.id).sort());
    const glIds = new Set((await readCollection(sandbox.url, "generalLedgerEntries")).map((g) => g.id));
    // Each line's external id is its own G/L entry.
    expect(found.every((f) => glIds.has(f.externalId))).toBe(true);
    expect(new Set(found.map((f) => f.externalId)).size).toBe(batch.length);
  });

  it("puts the configured balancing account on every line, and only then", async () => {
    const batch = entries(2);
    await dynamics(sandbox, { balancing_account_number: "2400" }).export(batch, ctx());
    const lines = await readCollection(sandbox.url, JOURNAL_LINES);
    expect(lines.map((l) => [l.balanceAccountType, l.balancingAccountNumber])).toEqual([
      ["G/L Account", "2400"],
      ["G/L Account", "2400"],
    ]);
  });

  it("pins BC's refusal of an unknown account on its voucher; nothing of the request stays", async () => {
    const batch = vouchers(3);
    const bad = batch[3];
    if (bad) bad.account = "99999";
    const error = await integrationError(dynamics().export(batch, ctx()));
    expect([error.code, error.retryable, error.voucher, error.remoteCode]).toEqual([
      "bad_request",
      false,
      bad?.voucherNumber,
      "Application_DialogException",
    ]);
    expect(sandbox.state().dynamics.received).toEqual({});
  });

  it("refuses an account longer than Code[20] before any request, naming the voucher", async () => {
    const batch = vouchers(2);
    const bad = batch[2];
    if (bad) bad.account = "A".repeat(21);
    const error = await integrationError(dynamics().export(batch, ctx()));
    expect([error.code, error.voucher]).toEqual(["invalid_voucher", bad?.voucherNumber]);
    expect(sandbox.counters().requests.dynamics).toBe(0);
  });

  it("sends account numbers upper-cased and trimmed", async () => {
    const batch = entries(1, { account: " 1010 " });
    await dynamics().export(batch, ctx());
    expect((await readCollection(sandbox.url, JOURNAL_LINES)).map((l) => l.accountNumber)).toEqual(["1010"]);
  });

  it("maps $batch answers by id when BC echoes them and by position when they are null", async () => {
    for (const target of [sandbox, nullIds]) {
      const batch = vouchers(3);
      const exported = await dynamics(target).export(batch, ctx());
      const lines = await readCollection(target.url, JOURNAL_LINES);
      const refOf = new Map(lines.map((l) => [l.id, l.externalDocumentNumber]));
      for (const e of exported) {
        expect(refOf.get(e.externalId)).toBe(e.entryId.replaceAll("-", "").toUpperCase());
      }
      expect(exported.map((e) => e.entryId)).toEqual(batch.map((e) => e.id));
    }
  });
});

describe("Business Central config", () => {
  it("requires environment for BC online, and builds the online URL with it", () => {
    const base = sandboxIntegrationSettings(sandbox.url).dynamics;
    const online = {
      ...base.config,
      base_url: "https://api.businesscentral.dynamics.com",
      token_url: undefined,
    };
    const { environment: _, ...withoutEnvironment } = online;
    expect(() => createAdapter("dynamics", withoutEnvironment, base.credentials)).toThrow(
      /environment is required/,
    );
    expect(() => createAdapter("dynamics", online, base.credentials)).not.toThrow();
  });

  it("validates the balancing account as Code[20]", () => {
    const base = sandboxIntegrationSettings(sandbox.url).dynamics;
    expect(() =>
      createAdapter(
        "dynamics",
        { ...base.config, balancing_account_number: "X".repeat(21) },
        base.credentials,
      ),
    ).toThrow(/balancing_account_number/);
  });
});
