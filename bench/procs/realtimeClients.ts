/**
 * The supabase-js clients of the realtime benchmark, in their own process (forked by
 * sections/realtime.ts with `--import tsx`), as browsers are: in the gateway's process their
 * frame parsing ran on the gateway's event loop, so every delivery waited for the clients'
 * work on the frames before it (≈ 30 % of the burst's time there, docs/benchmarks.md §4).
 * Callback times are `process.hrtime` (CLOCK_MONOTONIC, one clock for every process on the
 * machine), so the parent subtracts its own commit time from them.
 *
 *   messages in:  {cmd: "subscribe", url, anonKey, subs: [{runId, userId, token, k}]}
 *                 {cmd: "arm", id, runs: string[], expected}   (then the parent commits)
 *                 {cmd: "close"}
 *   messages out: {ev: "subscribed", users, seconds} · {ev: "armed", id} ·
 *                 {ev: "done", id, at: number[], cpuMs} (ms on the shared clock; cpuMs: this
 *                 process's CPU since arming) · {ev: "failed", error}
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { WebSocket } from "ws";

interface Sub {
  runId: string;
  userId: string;
  token: string;
  k: number;
}
type Msg =
  | { cmd: "subscribe"; url: string; anonKey: string; subs: Sub[] }
  | { cmd: "arm"; id: number; runs: string[]; expected: number }
  | { cmd: "close" };

const send = (m: object) => process.send?.(m);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const clients = new Map<string, SupabaseClient>();
/** The armed change: callbacks of its runs are timed until `expected` have arrived. */
let armed: { id: number; runs: Set<string>; expected: number; at: number[]; cpu: NodeJS.CpuUsage } | null =
  null;

function onChange(runId: string): void {
  const t = now();
  const a = armed;
  if (!a?.runs.has(runId)) return;
  a.at.push(t);
  if (a.at.length === a.expected) {
    armed = null;
    const cpu = process.cpuUsage(a.cpu);
    send({ ev: "done", id: a.id, at: a.at, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
}

async function subscribe(url: string, anonKey: string, subs: Sub[]): Promise<void> {
  const t0 = performance.now();
  const clientOf = (s: Sub) => {
    let c = clients.get(s.userId);
    if (!c) {
      // One client (one WebSocket) per signed-in user, as a browser tab has.
      c = createClient(url, anonKey, {
        accessToken: async () => s.token,
        realtime: { transport: WebSocket as never },
      });
      c.realtime.setAuth(s.token);
      clients.set(s.userId, c);
    }
    return c;
  };
  const one = (s: Sub) =>
    new Promise<void>((resolve, reject) => {
      clientOf(s)
        .channel(`run-${s.runId}-${s.k}`)
        .on(
          "postgres_changes",
          { event: "UPDATE", schema: "public", table: "sync_run_log", filter: `id=eq.${s.runId}` },
          () => onChange(s.runId),
        )
        .subscribe((status, err) => {
          if (status === "SUBSCRIBED") resolve();
          else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") reject(err ?? new Error(status));
        });
    });
  // Slices of 50, so the gateway's join checks are not one deep queue.
  for (let i = 0; i < subs.length; i += 50) await Promise.all(subs.slice(i, i + 50).map(one));
  send({ ev: "subscribed", users: clients.size, seconds: (performance.now() - t0) / 1000 });
}

process.on("message", (m: Msg) => {
  if (m.cmd === "subscribe") {
    subscribe(m.url, m.anonKey, m.subs).catch((e: unknown) => send({ ev: "failed", error: String(e) }));
  } else if (m.cmd === "arm") {
    armed = { id: m.id, runs: new Set(m.runs), expected: m.expected, at: [], cpu: process.cpuUsage() };
    send({ ev: "armed", id: m.id });
  } else if (m.cmd === "close") {
    for (const c of clients.values()) c.realtime.disconnect();
    process.exit(0);
  }
});
