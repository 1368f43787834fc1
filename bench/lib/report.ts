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

/** One section as docs/benchmarks.md shows it: `## title`, method, table, notes. */
export function sectionMarkdown(r: SectionResult): string[] {
  return [
    `## ${r.title}`,
    "",
    r.method,
    "",
    markdownTable(r.header, r.rows),
    "",
    ...r.notes.map((n) => `- ${n}`),
    ...(r.notes.length > 0 ? [""] : []),
  ];
}

/**
 * `npm run bench -- --only X --update`: replaces the sections of `results` (found by their number,
 * `## 7.`) and their rows of the Goals table in an existing docs/benchmarks.md, appending what is
 * new; every other section stays as its last full run wrote it.
 */
export function updateSections(md: string, results: readonly SectionResult[]): string {
  const lines = md.split("\n");
  for (const r of results) {
    const prefix = `## ${r.title.split(" ")[0]} `;
    const start = lines.findIndex((l) => l.startsWith(prefix));
    const block = sectionMarkdown(r);
    if (start === -1) {
      if (lines.at(-1) !== "") lines.push("");
      lines.push(...block);
    } else {
      const next = lines.findIndex((l, i) => i > start && l.startsWith("## "));
      lines.splice(start, (next === -1 ? lines.length : next) - start, ...block);
    }
    const goalsAt = lines.indexOf("## Goals");
    for (const row of goalRows(r.goals)) {
      const line = `| ${row.join(" | ")} |`;
      const existing = lines.findIndex((l) => l.startsWith(`| ${row[0]} |`));
      if (existing !== -1) {
        lines[existing] = line;
      } else if (goalsAt !== -1) {
        let end = goalsAt + 1;
        while (end < lines.length && !lines[end]?.startsWith("|")) end++;
        while (end < lines.length && lines[end]?.startsWith("|")) end++;
        lines.splice(end, 0, line);
      }
    }
  }
  return lines.join("\n");
}
