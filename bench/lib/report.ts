/** One benchmark's outcome: a table, goal checks and notes, rendered to the terminal and Markdown. */
export interface Goal {
  what: string;
  goal: string;
  value: string;
  met: boolean;
}

export interface SectionResult {
  id: string;
  title: string;
  /** What was measured and how, one paragraph. */
  method: string;
  header: string[];
  rows: string[][];
  goals: Goal[];
  notes: string[];
  seconds: number;
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function goalRows(goals: Goal[]): string[][] {
  return goals.map((g) => [g.what, g.goal, g.value, g.met ? "met" : "NOT met"]);
}
