import { describe, expect, it } from "vitest";
import { CoalescedTask } from "../../src/engine/run/coalesced.ts";

describe("CoalescedTask", () => {
  it("runs once more after the current run however many triggers arrive meanwhile, never two at once", async () => {
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    let afterEach = 0;
    const task = new CoalescedTask(
      async () => {
        runs++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((resolve) => setTimeout(resolve, 5));
        concurrent--;
      },
      () => true,
      () => afterEach++,
    );
    for (let i = 0; i < 10; i++) task.trigger();
    while (task.running) await task.running;
    expect(runs).toBe(2);
    expect(maxConcurrent).toBe(1);
    expect(afterEach).toBe(2);
  });

  it("ignores triggers while not allowed, including the repeat", async () => {
    let allowed = true;
    let runs = 0;
    const task = new CoalescedTask(
      async () => {
        runs++;
        allowed = false;
      },
      () => allowed,
    );
    task.trigger();
    task.trigger();
    while (task.running) await task.running;
    task.trigger();
    expect(task.running).toBeNull();
    expect(runs).toBe(1);
  });
});
