import type { Locale, SyncRun } from "../../src/client/index.ts";
import { formatTime } from "../../src/react/index.ts";
import { adminStrings } from "./adminStrings.ts";

const W = 240;
const H = 56;

/**
 * Recent runs of one integration at a glance: one bar per run (height = duration), records as a
 * thin line above, failures in red with a cross. Oldest left. Summarised for screen readers; each
 * bar's title gives the exact numbers.
 */
export function RunChart({ runs, name, locale }: { runs: SyncRun[]; name: string; locale: Locale }) {
  const t = adminStrings(locale);
  const done = runs
    .filter((r) => r.startedAt && r.finishedAt && r.status !== "skipped")
    .slice(0, 20)
    .reverse();
  if (done.length === 0) return null;
  const durations = done.map((r) =>
    Math.max(0, Date.parse(r.finishedAt ?? "") - Date.parse(r.startedAt ?? "")),
  );
  const maxDuration = Math.max(1, ...durations);
  const maxRecords = Math.max(1, ...done.map((r) => r.recordsExported));
  const slot = W / 20;
  const failed = done.filter((r) => r.status === "failed").length;
  return (
    <figure className="run-chart">
      <svg
        role="img"
        aria-label={`${t.chart(name)}. ${t.chartSummary(done.length, failed)}`}
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
      >
        {done.map((r, i) => {
          const ms = durations[i] ?? 0;
          const h = Math.max(2, (ms / maxDuration) * (H - 14));
          const x = i * slot + 2;
          const isFailed = r.status === "failed";
          const recordsH = (r.recordsExported / maxRecords) * (H - 14);
          return (
            <g key={r.id} data-status={r.status}>
              <title>
                {`${formatTime(r.triggeredAt, locale)} · ${t.duration} ${(ms / 1000).toFixed(1)} s · ${t.records} ${r.recordsExported}${isFailed ? ` · ${t.failedMarker}` : ""}`}
              </title>
              <rect
                x={x}
                y={H - h}
                width={slot - 4}
                height={h}
                className={isFailed ? "bar bar--failed" : "bar"}
              />
              {recordsH > 0 && (
                <rect x={x} y={H - recordsH - 2} width={slot - 4} height={2} className="bar-records" />
              )}
              {isFailed && (
                <text x={x + (slot - 4) / 2} y={10} textAnchor="middle" className="bar-cross">
                  ✕
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="muted">{t.chartSummary(done.length, failed)}</figcaption>
    </figure>
  );
}
