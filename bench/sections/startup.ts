import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SectionResult } from "../lib/report.ts";
import { median, ms } from "../lib/stats.ts";

const bin = fileURLToPath(new URL("../../bin/sync-scheduler.js", import.meta.url));

/** The embedded stack (PGlite), whatever DATABASE_URL the bench itself runs against. */
function withoutDatabaseUrl(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return env;
}

/**
 * CPU time (user + system) a process has used so far, from /proc/<pid>/stat (Linux; null
 * elsewhere). On a shared machine wall time grows with everyone else's load; CPU time much less.
 */
async function cpuMsOf(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th, in
    // clock ticks of 10 ms (USER_HZ is 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * `sync-scheduler start --port 0 --data-dir DIR` as a child process (this checkout's bin, or an
 * installed package's), timed from spawn until
 * the dashboard URL it prints answers an HTTP request (`GET /` and `GET /auth/v1/health`). The
 * banner is printed only after migrations, seed, gateway, sandbox and worker are up.
 */
export async function startOnce(
  dataDir: string,
  binPath = bin,
): Promise<{ readyMs: number; cpuMs: number | null; dashboardStatus: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [binPath, "start", "--port", "0", "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...withoutDatabaseUrl(), LOG_LEVEL: "error" },
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`start did not print its URL in 120 s: ${err}`)),
        120_000,
      );
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        // The API line: printed with or without a dashboard build.
        const m = /API \(Supabase\)\s+(http:\/\/\S+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once("exit", (code) => reject(new Error(`start exited ${code}: ${err}`)));
    });
    const [dash, health] = await Promise.all([fetch(`${url}/`), fetch(`${url}/auth/v1/health`)]);
    await Promise.all([dash.arrayBuffer(), health.arrayBuffer()]);
    const readyMs = performance.now() - t0;
    return { readyMs, cpuMs: await cpuMsOf(child.pid), dashboardStatus: dash.status };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  }
}

export async function startupSection(opts: { rounds: number }): Promise<SectionResult> {
  const t0 = performance.now();
  const cold: number[] = [];
  const warm: number[] = [];
  let status = 0;
  for (let r = 0; r < opts.rounds; r++) {
    const dir = await mkdtemp(join(tmpdir(), "sync-bench-start-"));
    try {
      const c = await startOnce(dir);
      cold.push(c.readyMs);
      const w = await startOnce(dir);
      warm.push(w.readyMs);
      status = w.dashboardStatus;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const coldMs = median(cold);
  const warmMs = median(warm);
  return {
    id: "startup",
    title: "6. Start-up (`sync-scheduler start` → dashboard/API answering)",
    method:
      `\`node bin/sync-scheduler.js start --port 0 --data-dir DIR\` as a child process (PGlite persisted in DIR), from ` +
      `spawn until \`GET /\` and \`GET /auth/v1/health\` answer. Cold = empty data dir (initdb, migrations, seed); warm = ` +
      `the same dir again (migrations already applied). ${opts.rounds} round(s), medians. In a checkout bin/ runs the ` +
      `TypeScript sources through tsx (its cache makes the warm start cheaper too); section 7 times the installed ` +
      `package, which runs compiled JavaScript.`,
    header: ["start", "ready", "rounds"],
    rows: [
      ["cold (empty data dir)", ms(coldMs), cold.map((v) => ms(v)).join(", ")],
      ["warm (existing data dir)", ms(warmMs), warm.map((v) => ms(v)).join(", ")],
    ],
    goals: [{ what: "warm start → ready", goal: "≤ 3 s", value: ms(warmMs), met: warmMs <= 3000 }],
    notes:
      status === 200
        ? []
        : [`\`GET /\` answered ${status}: no dashboard build (web/dist) in this checkout; the API answered.`],
    seconds: (performance.now() - t0) / 1000,
  };
}
