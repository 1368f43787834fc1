import type { Db } from "../../../db/types.ts";
import { CHANGE_CHANNEL } from "../localSql.ts";
import { FeedCatalog, type RoleView, type TableInfo } from "./catalog.ts";
import type { Binding, ChangeData, ChangeSubscription, Identity } from "./changes.ts";
import { NewRow, type Notification, parseNotification } from "./notification.ts";
import { readRows } from "./rowKeys.ts";
import { SubscriptionIndex } from "./subscriptionIndex.ts";
import { CHECK_STATEMENT_TIMEOUT, claimsText, visibleKeys } from "./visibility.ts";

// A backlog larger than this (e.g. a bulk UPDATE of 10k rows while a burst is being judged) is
// shed rather than queued without bound.
const MAX_PENDING = 10_000;
/** How changes are batched, and a batch's identities judged: so many per call, so many calls at once. */
export interface FeedTuning {
  /**
   * Changes judged together. A statement's NOTIFYs reach the listener together, so a burst is
   * one batch up to this size; each identity's check then carries up to this many keys.
   */
  batchSize: number;
  audiencesPerCheck: number;
  /**
   * Calls in flight at once, and on PostgreSQL the feed's own connections (PGlite has one
   * connection: a second call would only queue).
   */
  parallelChecks: number;
}

// Identities judged by one visibility call; their deliveries leave when it returns. Each call
// cost ≈ 2.5 ms of CPU beyond its identities on PGlite (docs/benchmarks.md §4), and the last
// delivery waits for every call. On PGlite (one connection, in this thread) the calls run one
// after another, and 4 calls of 25 let subscribers read a call's frames while the next is judged
// (p99 65 vs 86 ms for 2 calls of 50, interleaved at load ≈ 5); on PostgreSQL 2 calls of 50 run at
// once on 2 connections (2 cores; p99 68 vs 104 ms for 4 calls of 25, same runs). With the
// generated check function a call costs ≈ 0.2 ms (100 identities in 1, 4 or 10 calls: 10.0,
// 10.6, 12.3 ms of PGlite time), yet 10 or 15 a call measured no better than 25 (burst p99
// 48.6 and 50.4 vs 48.2 ms, 12 bursts each interleaved, load ≈ 1.2): the sizes stay.
const TUNING: Record<Db["kind"], FeedTuning> = {
  pglite: { batchSize: 2_000, audiencesPerCheck: 25, parallelChecks: 1 },
  postgres: { batchSize: 2_000, audiencesPerCheck: 50, parallelChecks: 2 },
};

/** A change that reaches at least one subscription, with what it needs for delivery. */
interface Item {
  n: Notification;
  info: TableInfo;
  /** The new row (null for DELETEs). */
  row: NewRow | null;
  matched: Map<ChangeSubscription, number[]>;
  /** The payload per role (its visible columns), built once however many identities share the role. */
  data: Map<string, ChangeData>;
}

/** One identity's share of a batch: the items it watches, each with its subscriptions. */
interface Audience {
  identity: Identity;
  items: Map<Item, ChangeSubscription[]>;
}

const identityKey = (i: Identity) => `${i.role}\u0000${claimsText(i.claims)}`;

/**
 * Delivers captured row changes to subscribers, each change only to the subscribers whose own
 * role and claims can SELECT the row under RLS. Changes that arrive together (one statement's
 * NOTIFYs) are judged together: per identity and table ONE read-only statement over all the
 * batch's keys it watches (visibility.ts), identities in chunks of one visibility call each (on
 * PostgreSQL two calls at once, on connections of the feed's own), each chunk's deliveries
 * leaving as its call returns. A change's row travels as the JSON text the capture trigger wrote
 * (parsed only when a filter or a role's column list needs it). DELETEs are delivered only to
 * identities that bypass RLS (or for tables without RLS): a deleted row can no longer be checked,
 * and unlike Supabase we do not hand its key to everyone.
 *
 * Order: a batch is delivered only after the batch before it (two are judged at once), and within
 * a batch each identity (judged in one chunk) receives its changes in commit order, so every
 * subscription sees its changes in commit order.
 * @example const feed = new ChangeFeed(db, log); await feed.start(); const stop = feed.subscribe(sub);
 */
export class ChangeFeed {
  private readonly index = new SubscriptionIndex();
  private readonly catalog: FeedCatalog;
  private unlisten: (() => Promise<void>) | null = null;
  private queue: string[] = [];
  private running: Promise<void> | null = null;
  /** Set while the run waits for its batch in flight: a new change ends the wait. */
  private wake: (() => void) | null = null;
  private stopped = false;
  private readonly tuning: FeedTuning;
  /**
   * The connections the checks run on (db.sibling): warm, never waiting behind the shared pool.
   * On PostgreSQL a burst's calls ran on whatever pool connection was free: a second one often
   * had to be opened (a fresh backend compiling the check and planning it: ≈ 10–25 ms more for
   * that call), and each call was a transaction of its own to set statement_timeout.
   */
  private readonly checks: Db;

  constructor(
    private readonly db: Db,
    private readonly log: (event: object) => void,
    tuning: Partial<FeedTuning> = {},
  ) {
    this.catalog = new FeedCatalog(db, log);
    this.tuning = { ...TUNING[db.kind], ...tuning };
    // A pool opens its connections when first asked (start), not here.
    this.checks = db.sibling({
      size: this.tuning.parallelChecks,
      statementTimeout: CHECK_STATEMENT_TIMEOUT,
      applicationName: "sync-scheduler realtime",
    });
  }

  async start(): Promise<void> {
    // Open the checks' connections now, not in the first burst.
    await Promise.all(
      Array.from({ length: this.tuning.parallelChecks }, () => this.checks.query("select 1")),
    );
    this.unlisten = await this.db.listen(CHANGE_CHANNEL, (payload) => this.enqueue(payload));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.index.clear();
    await this.unlisten?.();
    this.unlisten = null;
    await this.running;
    await this.checks.close();
  }

  subscribe(sub: ChangeSubscription): () => void {
    return this.index.add(sub);
  }

  /** Why a binding cannot be served, in Realtime's words; null when it can (catalog.ts). */
  bindingError(b: Binding): Promise<string | null> {
    return this.catalog.bindingError(b);
  }

  private enqueue(payload: string): void {
    if (this.stopped) return;
    if (this.queue.length >= MAX_PENDING) {
      this.log({ event: "realtime_change_dropped", reason: "backlog", pending: this.queue.length });
      return;
    }
    this.queue.push(payload);
    this.wake?.();
    if (this.running) return;
    this.running = (async () => {
      // The driver hands over a statement's notifications in one go: start once they are all queued.
      await new Promise<void>((resolve) => setImmediate(resolve));
      // Two batches at once: a batch is judged while the one before it is still being judged, and
      // delivered after it. PostgreSQL's listener backend sends a statement's notifications in
      // 8 KB pieces (1,000 changes ≈ 1 MB), so a burst can start as a batch of a few changes:
      // the rest then waited for that batch's call (≈ 5–8 ms of a burst at load ≈ 2).
      let previous: Promise<void> = Promise.resolve();
      for (;;) {
        if (this.queue.length > 0 && !this.stopped) {
          const batch = this.queue.splice(0, this.tuning.batchSize);
          const before = previous;
          previous = this.process(batch, before).catch((error: unknown) => {
            this.log({ event: "realtime_change_failed", error: String(error) });
          });
          await before;
          continue;
        }
        // Until the batch in flight is delivered or more changes come (judged beside it).
        const more = new Promise<boolean>((resolve) => {
          this.wake = () => resolve(true);
        });
        const woken = await Promise.race([more, previous.then(() => false)]);
        this.wake = null;
        if (woken) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        // Cleared in the same turn as this emptiness check: a payload queued after it starts a new run.
        if (this.queue.length === 0 || this.stopped) break;
      }
      this.running = null;
    })();
  }

  /** Judges a batch, and delivers each chunk's verdicts once `before` (the batch before) is delivered. */
  private async process(batch: string[], before: Promise<void>): Promise<void> {
    if (this.index.size === 0) return;
    const items = await this.items(batch);
    if (items.length === 0) return;

    // Who watches what: one audience per distinct identity, however many channels share it.
    const audiences = new Map<string, Audience>();
    const keyOf = new Map<ChangeSubscription, string>();
    for (const item of items) {
      for (const sub of item.matched.keys()) {
        let key = keyOf.get(sub);
        if (key === undefined) {
          const identity = sub.identity();
          key = identityKey(identity);
          keyOf.set(sub, key);
          if (!audiences.has(key)) audiences.set(key, { identity, items: new Map() });
        }
        const audience = audiences.get(key) as Audience;
        const subs = audience.items.get(item);
        if (subs) subs.push(sub);
        else audience.items.set(item, [sub]);
      }
    }

    const list = [...audiences.values()];
    const chunks: Audience[][] = [];
    for (let i = 0; i < list.length; i += this.tuning.audiencesPerCheck)
      chunks.push(list.slice(i, i + this.tuning.audiencesPerCheck));
    // PostgreSQL judges chunks on separate connections (its backends run beside this process);
    // PGlite has one connection in this thread, where a second call would only queue.
    const parallel = this.db.kind === "postgres" ? this.tuning.parallelChecks : 1;
    let next = 0;
    const lane = async () => {
      while (next < chunks.length && !this.stopped) {
        const chunk = chunks[next++] as Audience[];
        const visible = await this.judge(chunk);
        await before;
        if (this.stopped) return;
        deliver(chunk, visible);
        // Let this chunk's socket writes (and, in-process, their readers) run: PGlite answers
        // without yielding to I/O, so back-to-back checks would hold every delivery until the last.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, chunks.length) }, lane));
  }

  /** Parses a batch, drops what nobody watches, and fills in records too large for NOTIFY. */
  private async items(batch: string[]): Promise<Item[]> {
    const parsed: Array<{ n: Notification; info: TableInfo }> = [];
    // One catalog lookup per table per batch, not one await per change.
    const infos = new Map<string, TableInfo | null>();
    for (const text of batch) {
      const n = parseNotification(text);
      if (!n) {
        this.log({ event: "realtime_notification_invalid" });
        continue;
      }
      const name = `${n.schema}.${n.table}`;
      let info = infos.get(name);
      if (info === undefined) {
        info = await this.catalog.tableInfo(n.schema, n.table);
        infos.set(name, info);
      }
      if (info && info.primaryKey.length > 0) parsed.push({ n, info });
    }
    // Too large for NOTIFY: re-read by key (as the owner, one statement per table), so this is the row's latest state.
    const reread = new Map<Notification, Record<string, unknown> | null>();
    const omitted = parsed.filter(({ n }) => n.type !== "DELETE" && n.recordJson === null);
    for (const info of new Set(omitted.map((p) => p.info))) {
      const ofTable = omitted.filter((p) => p.info === info);
      const rows = await readRows(
        this.db,
        info,
        ofTable.map((p) => p.n.pk),
      );
      ofTable.forEach((p, i) => {
        reread.set(p.n, rows[i] ?? null);
      });
    }
    const items: Item[] = [];
    for (const { n, info } of parsed) {
      let row: NewRow | null = null;
      if (n.type !== "DELETE") {
        if (reread.has(n)) {
          const latest = reread.get(n);
          // Gone since: a later change (its DELETE) follows.
          if (!latest) continue;
          row = new NewRow(n.pk, null, latest);
        } else row = new NewRow(n.pk, n.recordJson);
      }
      const matched = this.index.match(info, n.type, row);
      if (matched.size > 0) items.push({ n, info, row, matched, data: new Map() });
    }
    return items;
  }

  /** A chunk of identities: one visibility statement per table for all their non-DELETE items. */
  private async judge(audiences: Audience[]): Promise<Map<Audience, Map<Item, RoleView>>> {
    const visible = new Map<Audience, Map<Item, RoleView>>(audiences.map((a) => [a, new Map()]));
    const tables = new Set(audiences.flatMap((a) => [...a.items.keys()].map((i) => i.info)));
    for (const info of tables) {
      const checks: Array<{ audience: Audience; view: RoleView; items: Item[] }> = [];
      for (const audience of audiences) {
        const view = await this.catalog.roleView(audience.identity.role, info.schema, info.table);
        if (!view || !info.primaryKey.every((c) => view.columns.some((v) => v.name === c.name))) continue;
        const ofTable = [...audience.items.keys()].filter((i) => i.info === info);
        const seen = visible.get(audience) as Map<Item, RoleView>;
        if (view.bypassRls || !info.rls)
          for (const item of ofTable) if (item.n.type === "DELETE") seen.set(item, view);
        const checked = ofTable.filter((i) => i.n.type !== "DELETE");
        if (checked.length > 0) checks.push({ audience, view, items: checked });
      }
      const verdicts = await visibleKeys(
        this.checks,
        info,
        checks.map((c) => ({ identity: c.audience.identity, keys: c.items.map((i) => i.n.pk) })),
        this.log,
      );
      checks.forEach((c, k) => {
        const seen = visible.get(c.audience) as Map<Item, RoleView>;
        c.items.forEach((item, j) => {
          if (verdicts[k]?.[j]) seen.set(item, c.view);
        });
      });
    }
    return visible;
  }
}

/** Each identity's visible changes, in commit order (its items were added in batch order). */
function deliver(audiences: Audience[], visible: Map<Audience, Map<Item, RoleView>>): void {
  for (const audience of audiences) {
    const seen = visible.get(audience) as Map<Item, RoleView>;
    for (const [item, subs] of audience.items) {
      const view = seen.get(item);
      if (!view) continue;
      const data = payload(item, audience.identity.role, view);
      for (const s of subs) s.deliver(item.matched.get(s) ?? [], data);
    }
  }
}

/** The change as `role` may see it: only the columns it may SELECT. */
function payload(item: Item, role: string, view: RoleView): ChangeData {
  const hit = item.data.get(role);
  if (hit) return hit;
  const { n, row } = item;
  // A role that may SELECT every column gets the row as captured: its JSON text goes into the
  // frames as it is (serializer.ts), and `record` parses it only if something reads it.
  // Otherwise only its columns are copied.
  const all = view.columns.length === item.info.columns.length;
  if (all && row?.json != null) {
    const data = new CapturedChange(n, view.columns, row, row.json);
    if (n.type !== "INSERT") data.old_record = visibleColumns(n.old_record, view, all);
    item.data.set(role, data);
    return data;
  }
  const data: ChangeData = {
    schema: n.schema,
    table: n.table,
    commit_timestamp: n.commit_timestamp,
    type: n.type,
    columns: view.columns,
    ...(row ? { record: visibleColumns(row.row(), view, all) } : {}),
    ...(n.type !== "INSERT" ? { old_record: visibleColumns(n.old_record, view, all) } : {}),
    errors: null,
  };
  item.data.set(role, data);
  return data;
}

/**
 * A change whose row every column of which the role may read: `recordJson` is the captured text
 * (what frames carry), `record` its parse, made on first read. A class, not an object with a
 * defined getter: such objects fell back to dictionary mode (≈ 0.9 KB each, a burst's worth of
 * them for the young generation to copy).
 */
class CapturedChange implements ChangeData {
  readonly schema: string;
  readonly table: string;
  readonly commit_timestamp: string;
  readonly type: Notification["type"];
  readonly recordJson: string;
  old_record?: Record<string, unknown>;
  readonly errors = null;

  constructor(
    n: Notification,
    readonly columns: ChangeData["columns"],
    private readonly row: NewRow,
    recordJson: string,
  ) {
    this.schema = n.schema;
    this.table = n.table;
    this.commit_timestamp = n.commit_timestamp;
    this.type = n.type;
    this.recordJson = recordJson;
  }

  get record(): Record<string, unknown> {
    return this.row.row();
  }
}

/** The columns of `row` that the role may SELECT (all of them: the row itself). */
function visibleColumns(
  row: Record<string, unknown> | null,
  view: RoleView,
  all: boolean,
): Record<string, unknown> {
  if (all && row) return row;
  const out: Record<string, unknown> = {};
  if (row) for (const c of view.columns) if (c.name in row) out[c.name] = row[c.name];
  return out;
}
