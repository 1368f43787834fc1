import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { header, paths, plan, staleFiles } from "../../scripts/buildFunctions.ts";

// `supabase functions deploy` uploads only supabase/functions/: the engine the function runs is the
// generated copy in _shared/, so a commit that changes src/ without regenerating it must fail here.
describe("supabase/functions/_shared (npm run build:functions)", () => {
  it("is exactly what src/ generates (run `npm run build:functions` and commit when this fails)", async () => {
    expect(await staleFiles()).toEqual([]);
  });

  it("holds the worker handler and its whole import graph, each file marked as generated", () => {
    const files = plan();
    expect(files.has("engine/edge/workerHandler.ts")).toBe(true);
    expect(files.has("engine/edge/session.ts")).toBe(true);
    expect(files.has("db/postgres.ts")).toBe(true);
    const copy = files.get("engine/edge/budget.ts") as string;
    expect(copy).toBe(
      header("src/engine/edge/budget.ts") + readFileSync(join(paths.src, "engine/edge/budget.ts"), "utf8"),
    );
    // Nothing the function does not import (the gateway, the sandbox, the CLI) is deployed.
    expect([...files.keys()].filter((f) => /^(gateway|sandbox|cli|local|stack)\//.test(f))).toEqual([]);
  });
});
