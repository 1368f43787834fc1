import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "vite";
import type { SectionResult } from "../lib/report.ts";
import { median, ms } from "../lib/stats.ts";
import { startOnce } from "./startup.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const pkg = (await import("../../package.json", { with: { type: "json" } })).default as {
  devDependencies: Record<string, string>;
};

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

type Start = { readyMs: number; cpuMs: number | null };

/** Warm starts' CPU to ready, package vs checkout: the like-for-like comparison on a loaded machine. */
function cpuComparison(pkgStarts: readonly Start[], checkoutStarts: readonly Start[]): string[] {
  const cpu = (starts: readonly Start[]) =>
    median(starts.map((s) => s.cpuMs).filter((c): c is number => c !== null));
  const [pkgCpu, checkoutCpu] = [cpu(pkgStarts), cpu(checkoutStarts)];
  if (!(pkgCpu > 0 && checkoutCpu > 0)) return [];
  return [
    `Warm start CPU to ready: ${ms(pkgCpu)} from the package (compiled) vs ${ms(checkoutCpu)} from the checkout ` +
      `(tsx), ${Math.round((1 - pkgCpu / checkoutCpu) * 100)} % less.`,
  ];
}

/** Median wall time to ready, then each round's wall time and the process's CPU time up to ready. */
function startRow(what: string, starts: readonly Start[]): string[] {
  const cpu = starts.map((s) => s.cpuMs).filter((c): c is number => c !== null);
  return [
    what,
    ms(median(starts.map((s) => s.readyMs))),
    starts.map((s) => ms(s.readyMs)).join(", ") + (cpu.length > 0 ? `; CPU ${ms(median(cpu))} (median)` : ""),
  ];
}

/**
 * A browser app's production bundle of `source` (Vite's defaults: minified, tree-shaken), gzipped:
 * the bytes a user downloads. `import * as m` + `console.log(m)` keeps every export, the worst case.
 */
async function bundleBytes(
  app: string,
  name: string,
  source: string,
): Promise<{ min: number; gzip: number }> {
  const dir = join(app, "bundles", name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "main.js"), source);
  await writeFile(join(dir, "index.html"), '<!doctype html><script type="module" src="./main.js"></script>');
  const out = await build({
    configFile: false,
    logLevel: "silent",
    root: dir,
    build: { write: false, modulePreload: false },
  });
  const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => ("output" in o ? o.output : []));
  let min = 0;
  let gzip = 0;
  for (const chunk of outputs) {
    if (chunk.type !== "chunk") continue;
    min += Buffer.byteLength(chunk.code);
    gzip += gzipSync(chunk.code).length;
  }
  return { min, gzip };
}

/**
 * What a team adopting the package gets: `npm pack` (prepack builds dist/ and web/dist), install
 * into an empty project, `start` from the installed package (compiled JavaScript, no tsx), and the
 * SDK's weight in a browser app's bundle beyond the supabase-js (and React) the app already has.
 */
export async function packageSection(opts: { rounds: number }): Promise<SectionResult> {
  const t0 = performance.now();
  const work = await mkdtemp(join(tmpdir(), "sync-bench-pkg-"));
  try {
    // What prepack does, run first so its output stays out of `npm pack --json`.
    execFileSync("npm", ["run", "build"], { cwd: repo, stdio: "ignore" });
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
        cwd: repo,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }),
    ) as Array<{ filename: string; size: number; unpackedSize: number; entryCount: number }>;
    const tarball = packed[0];
    if (!tarball) throw new Error("npm pack reported no tarball");

    // Install time: an empty project, the tarball plus its required peer (npm installs supabase-js
    // itself). npm's cache is warm here (this checkout installed the same versions), so this is
    // install work, not download time.
    const installs: number[] = [];
    let app = "";
    for (let r = 0; r < opts.rounds; r++) {
      app = join(work, `app-${r}`);
      await mkdir(app);
      await writeFile(join(app, "package.json"), '{ "name": "app", "private": true, "type": "module" }\n');
      const t = performance.now();
      execFileSync(
        "npm",
        [
          "install",
          "--omit=dev",
          "--no-audit",
          "--no-fund",
          "--prefer-offline",
          join(work, tarball.filename),
        ],
        { cwd: app, stdio: "ignore" },
      );
      installs.push(performance.now() - t);
    }

    // Each round: cold and warm from the package, then warm from this checkout (tsx) on the same
    // data dir, interleaved so both see the same machine load.
    const bin = join(app, "node_modules", "sync-scheduler", "bin", "sync-scheduler.js");
    const cold: Start[] = [];
    const warm: Start[] = [];
    const checkout: Start[] = [];
    let status = 0;
    const load: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const dir = await mkdtemp(join(tmpdir(), "sync-bench-pkg-start-"));
      try {
        cold.push(await startOnce(dir, bin));
        const w = await startOnce(dir, bin);
        warm.push(w);
        status = w.dashboardStatus;
        checkout.push(await startOnce(dir));
        load.push(loadavg()[0] ?? 0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }

    // React and TanStack Query are the app's own (optional peers of the bindings).
    execFileSync(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        `react@${pkg.devDependencies.react}`,
        `@tanstack/react-query@${pkg.devDependencies["@tanstack/react-query"]}`,
      ],
      { cwd: app, stdio: "ignore" },
    );
    const supabase =
      'import { createClient } from "@supabase/supabase-js";\nconsole.log(createClient("http://x", "k"));\n';
    const reactBase =
      'import * as react from "react";\nimport * as query from "@tanstack/react-query";\nconsole.log(react, query);\n';
    const base = await bundleBytes(app, "supabase", supabase);
    const withSdk = await bundleBytes(
      app,
      "sdk",
      `${supabase}import * as sdk from "sync-scheduler/client";\nconsole.log(sdk);\n`,
    );
    const reactApp = await bundleBytes(app, "react", supabase + reactBase);
    const withBindings = await bundleBytes(
      app,
      "bindings",
      `${supabase}${reactBase}import * as bindings from "sync-scheduler/react";\nconsole.log(bindings);\n`,
    );
    const sdkGzip = withSdk.gzip - base.gzip;
    const warmMs = median(warm.map((w) => w.readyMs));

    return {
      id: "package",
      title: "8. The package (`npm pack` → install → start; SDK bundle size)",
      method:
        `\`npm pack\` (prepack runs \`npm run build\`), then \`npm install --omit=dev <tarball>\` into an empty project ` +
        `(${opts.rounds} round(s); npm's cache warm, so no download time), then \`start --port 0 --data-dir DIR\` from the ` +
        `installed package (compiled JavaScript) as in section 6, and warm from this checkout (tsx) for comparison. Bundle sizes: a Vite production build (minified, ` +
        `tree-shaken) of a browser entry with \`import * as m\` of each module (every export kept: the worst case), ` +
        `gzipped; the SDK's share is the difference to the same entry without it.`,
      header: ["what", "measured", "rounds / detail"],
      rows: [
        [
          "tarball",
          kB(tarball.size),
          `${kB(tarball.unpackedSize)} unpacked, ${tarball.entryCount} files (dist/, web/dist/, bin/, SQL)`,
        ],
        ["install into an empty project", ms(median(installs)), installs.map((v) => ms(v)).join(", ")],
        startRow("start from the package, cold (empty data dir)", cold),
        startRow("start from the package, warm (existing data dir)", warm),
        startRow("start from this checkout (tsx), warm, same data dir", checkout),
        ["browser bundle: supabase-js alone", kB(base.gzip), `${kB(base.min)} minified`],
        ["browser bundle: + sync-scheduler/client", kB(withSdk.gzip), `+${kB(sdkGzip)} gzipped`],
        [
          "browser bundle: supabase-js + React + TanStack Query",
          kB(reactApp.gzip),
          `${kB(reactApp.min)} minified`,
        ],
        [
          "browser bundle: + sync-scheduler/react (includes the SDK)",
          kB(withBindings.gzip),
          `+${kB(withBindings.gzip - reactApp.gzip)} gzipped`,
        ],
      ],
      goals: [
        {
          what: "warm start from the installed package",
          goal: "≤ 1 s",
          value: ms(warmMs),
          met: warmMs <= 1000,
        },
        {
          what: "SDK in a browser bundle beyond supabase-js (gzip)",
          goal: "≤ 15 kB",
          value: kB(sdkGzip),
          met: sdkGzip <= 15 * 1024,
        },
      ],
      notes: [
        ...cpuComparison(warm, checkout),
        `Load average (1 min) on this 2-core machine after each round: ${load.map((l) => l.toFixed(1)).join(", ")} ` +
          "(other sessions' tests and builds): wall times stretch with it, CPU times much less.",
        ...(status === 200 ? [] : [`\`GET /\` on the installed package answered ${status}.`]),
      ],
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
