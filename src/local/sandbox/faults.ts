/**
 * Fault injection (`POST /__sandbox/faults`, contract in docs/architecture.md §9): each accepted body queues one fault
 * for the next `count` requests to its target, first queued first served.
 */
import { z } from "zod";
import type { SandboxTarget } from "./state.ts";
import { GL_IMPORT_ITEM_FILTER_FIELDS } from "./xledger/schema.ts";

const target = z.enum(["xledger", "dynamics"]);
// Up to 10,000 requests and 10 minutes of latency: beyond that a test or demo is misconfigured.
const count = z.int().min(1).max(10_000).default(1);

const faultSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ target, count, kind: z.literal("latency"), ms: z.int().min(0).max(600_000) }),
    z.strictObject({
      target,
      count,
      kind: z.literal("status"),
      status: z.int().min(400).max(599),
      /** Optional `Retry-After` header (seconds), as BC sends on 502/503. */
      retry_after: z.int().min(0).max(86_400).optional(),
    }),
    z.strictObject({
      target,
      count,
      kind: z.literal("rate_limit"),
      retry_after: z.int().min(0).max(86_400).default(1),
    }),
    z.strictObject({ target, count, kind: z.literal("reset") }),
    z.strictObject({ target, count, kind: z.literal("lost_response") }),
    z.strictObject({ target, count, kind: z.literal("burst_limit") }),
    z.strictObject({ target, count, kind: z.literal("concurrency_limit") }),
    z.strictObject({
      target,
      count,
      kind: z.literal("credits"),
      /** When credits come back; sent as `extensions.resetAt`. Omit to send no hint. */
      reset_at: z.iso.datetime({ offset: true }).optional(),
    }),
    /**
     * Xledger answers queries using this `glImportItems` filter field with a GraphQL validation error, as a
     * server without the field would; `count` is the number of such queries refused (others pass untouched).
     */
    z.strictObject({
      target: z.literal("xledger"),
      count,
      kind: z.literal("unsupported_filter"),
      field: z.enum(GL_IMPORT_ITEM_FILTER_FIELDS),
    }),
  ])
  .refine(
    (f) => f.target === "xledger" || !["burst_limit", "concurrency_limit", "credits"].includes(f.kind),
    {
      message: "burst_limit, concurrency_limit and credits are Xledger errors; use target xledger",
      path: ["kind"],
    },
  );

/** One fault as accepted (defaults applied). */
export type Fault = z.output<typeof faultSchema>;
/** The fault that applies to one request (its `count` is what was left before this request). */
export type FaultKind = Fault["kind"];

/**
 * Validates a fault body; on failure returns readable problems (`path: message`).
 *
 * @example
 * parseFault({ target: "dynamics", kind: "rate_limit", count: 2, retry_after: 30 });
 */
export function parseFault(value: unknown): { ok: true; fault: Fault } | { ok: false; problems: string[] } {
  const result = faultSchema.safeParse(value);
  if (result.success) return { ok: true, fault: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`),
  };
}

/**
 * FIFO of pending faults per target.
 *
 * @example
 * queue.push(fault); const f = queue.take("xledger"); // undefined when none is pending
 */
export class FaultQueue {
  #pending: Record<SandboxTarget, { fault: Fault; left: number }[]> = { xledger: [], dynamics: [] };

  push(fault: Fault): void {
    this.#pending[fault.target].push({ fault, left: fault.count });
  }

  /** The fault for the next request to `target`, consuming one of its `count`. */
  take(target: SandboxTarget): Fault | undefined {
    const queue = this.#pending[target];
    const head = queue[0];
    if (head === undefined) return undefined;
    head.left -= 1;
    if (head.left <= 0) queue.shift();
    return head.fault;
  }

  /** Requests still to be faulted, per target. */
  pending(): Record<SandboxTarget, number> {
    const sum = (t: SandboxTarget) => this.#pending[t].reduce((n, p) => n + p.left, 0);
    return { xledger: sum("xledger"), dynamics: sum("dynamics") };
  }

  clear(): void {
    this.#pending = { xledger: [], dynamics: [] };
  }
}
