import type { SyncRun } from "../client/index.ts";
import { useSyncScheduler } from "./context.tsx";
import { type ComponentStrings, componentStrings, formatTime } from "./strings.ts";
import { useSyncRun } from "./useSyncRun.ts";

export interface SyncStatusBannerProps {
  runId: string | null | undefined;
  /** Accessible name of the status region, e.g. "Xledger sync status". */
  label?: string;
  className?: string;
}

function RunDetails({ run, t, locale }: { run: SyncRun; t: ComponentStrings; locale: "en" | "nb" }) {
  return (
    <>
      <span className="ss-banner__status">{t.status[run.status]}</span>
      <span className="ss-banner__records">{t.records(run.recordsExported)}</span>
      <span className="ss-banner__times">
        {run.startedAt ? (
          <>
            {t.started} <time dateTime={run.startedAt}>{formatTime(run.startedAt, locale)}</time>
          </>
        ) : (
          <>
            {t.queued} <time dateTime={run.triggeredAt}>{formatTime(run.triggeredAt, locale)}</time>
          </>
        )}
        {run.finishedAt && (
          <>
            {" · "}
            {t.finished} <time dateTime={run.finishedAt}>{formatTime(run.finishedAt, locale)}</time>
          </>
        )}
      </span>
      {run.errorMessage && (
        <span className="ss-banner__error">
          {t.error}: {run.errorMessage}
        </span>
      )}
    </>
  );
}

/**
 * Live status of one run in a `role="status"` live region: Pending / Running / Succeeded / Failed /
 * Cancelled (or Skipped), records exported, the error message of a failed run, and its times. The
 * region stays mounted while the run changes, so screen readers announce each transition.
 * `data-status` carries the raw status for styling.
 * @example <SyncStatusBanner runId={runId} label="Xledger sync status" />
 */
export function SyncStatusBanner({ runId, label, className }: SyncStatusBannerProps) {
  const { locale } = useSyncScheduler();
  const t = componentStrings(locale);
  const run = useSyncRun(runId);
  const status = run.status === "data" ? (run.data?.status ?? "missing") : run.status;
  return (
    <div
      role="status"
      aria-live="polite"
      aria-atomic="true"
      aria-label={label}
      data-status={status}
      className={`${className ?? "ss-banner"} ss-banner--${status}`}
    >
      {run.status === "idle" && <span>{t.noRun}</span>}
      {run.status === "loading" && <span>{t.loadingRun}</span>}
      {run.status === "error" && <span>{run.error.userMessage(locale)}</span>}
      {run.status === "data" &&
        (run.data ? <RunDetails run={run.data} t={t} locale={locale} /> : <span>{t.runNotFound}</span>)}
    </div>
  );
}
