import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useState } from "react";
import {
  type Integration,
  isTerminal,
  type Locale,
  type Reconciliation as ReconciliationRun,
  reconciliationCsv,
} from "../../src/client/index.ts";
import {
  formatTime,
  intlLocale,
  reconciliationKey,
  useReconcileIntegration,
  useReconciliationFindings,
  useReconciliations,
  useReconciliationTotals,
  useSyncRun,
} from "../../src/react/index.ts";
import { dashboardStrings } from "./i18n.ts";
import { ReconciliationFindings } from "./ReconciliationFindings.tsx";
import { reconciliationStrings } from "./reconciliationStrings.ts";

// Background refresh: a scheduled reconciliation (03:00) appears without a reload; a few rows, cheap.
const REFRESH_MS = 30_000;
// Periods shown per integration: the default period (previous + current month) and a couple of manual ones.
const PERIODS_SHOWN = 3;

/** A `YYYY-MM-DD` date as "1 Nov 2026" / "1. nov. 2026" (a calendar date: no time zone shift). */
function dateText(date: string, locale: Locale): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return date;
  return new Intl.DateTimeFormat(intlLocale(locale), { dateStyle: "medium", timeZone: "UTC" }).format(d);
}

/** The newest run of each distinct period, newest first (a run not yet started has no period: its own entry). */
function latestPerPeriod(runs: ReconciliationRun[]): ReconciliationRun[] {
  const seen = new Set<string>();
  const out: ReconciliationRun[] = [];
  for (const r of runs) {
    const key = r.periodStart && r.periodEnd ? `${r.periodStart}/${r.periodEnd}` : `run:${r.run.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out.slice(0, PERIODS_SHOWN);
}

/**
 * Reconciliation for every integration of the org: per integration and period a badge ("Reconciled ✓
 * at …" or "N differences"), "Reconcile now" for admins and coordinators, the latest run's findings
 * with their actions, and its month-end CSV report.
 */
export function Reconciliation(props: {
  orgId: string;
  integrations: Integration[];
  canAct: boolean;
  locale: Locale;
}) {
  const { orgId, integrations, canAct, locale } = props;
  const s = reconciliationStrings(locale);
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="alerts reconciliation">
      <h2 id={headingId}>{s.heading}</h2>
      <p className="muted">{s.intro}</p>
      {integrations.map((integration) => (
        <IntegrationReconciliation
          key={integration.id}
          orgId={orgId}
          integration={integration}
          canAct={canAct}
          locale={locale}
        />
      ))}
    </section>
  );
}

function IntegrationReconciliation(props: {
  orgId: string;
  integration: Integration;
  canAct: boolean;
  locale: Locale;
}) {
  const { orgId, integration, canAct, locale } = props;
  const s = reconciliationStrings(locale);
  const name = dashboardStrings(locale).integrationName[integration.integrationType];
  const headingId = useId();
  const readOnlyId = useId();
  const type = integration.integrationType;
  const queryClient = useQueryClient();

  const runs = useReconciliations(orgId, { integrationType: type, limit: 20, refetchIntervalMs: REFRESH_MS });
  const list = runs.status === "data" ? runs.data : [];
  const latestDone = list.find((r) => r.run.status === "succeeded") ?? null;
  const doneRunId = latestDone?.run.id;
  // Findings and totals are for admins and coordinators (RLS); others are not asked.
  const findings = useReconciliationFindings(orgId, {
    ...(doneRunId ? { runId: doneRunId } : {}),
    enabled: canAct && Boolean(doneRunId),
  });
  const totals = useReconciliationTotals(orgId, {
    ...(doneRunId ? { runId: doneRunId } : {}),
    enabled: canAct && Boolean(doneRunId),
  });

  // "Reconcile now": the run it started (or found already running) is followed live.
  const { state, reconcile } = useReconcileIntegration();
  const [followed, setFollowed] = useState<string | null>(null);
  const run = useSyncRun(followed);
  const active = run.status === "data" && run.data !== null && !isTerminal(run.data.status);
  const finished = run.status === "data" && run.data !== null && isTerminal(run.data.status);
  useEffect(() => {
    if (finished) void queryClient.invalidateQueries({ queryKey: reconciliationKey(orgId) });
  }, [finished, queryClient, orgId]);
  const press = () =>
    reconcile(orgId, type)
      .then(setFollowed)
      .catch((e: unknown) => {
        const id = (e as { code?: string; details?: { activeRunId?: string } }).details?.activeRunId;
        if ((e as { code?: string }).code === "reconciliation_already_in_progress" && id) setFollowed(id);
      });
  const refused =
    state.status === "error" && state.error.code !== "reconciliation_already_in_progress"
      ? state.error
      : null;

  const findingRows = findings.status === "data" ? findings.data : null;
  const totalRows = totals.status === "data" ? totals.data : null;
  const csv = useMemo(
    () => (findingRows && totalRows ? reconciliationCsv(totalRows, findingRows) : null),
    [findingRows, totalRows],
  );
  const csvUrl = useObjectUrl(csv, "text/csv;charset=utf-8");

  return (
    // An article, not a region: a region named "Xledger reconciliation" would also answer to "Xledger".
    <article aria-labelledby={headingId} className="card reconciliation__integration">
      <h3 id={headingId}>{s.regionOf(name)}</h3>
      {list.length === 0 ? (
        <p className="muted">{s.never}</p>
      ) : (
        <ul className="reconciliation__periods">
          {latestPerPeriod(list).map((r) => (
            <li key={r.run.id}>
              <PeriodBadge reconciliation={r} locale={locale} />
            </li>
          ))}
        </ul>
      )}
      <div className="reconciliation__actions">
        <button
          type="button"
          disabled={!canAct || !integration.enabled || state.status === "loading" || active}
          aria-describedby={canAct ? undefined : readOnlyId}
          onClick={() => void press()}
        >
          {state.status === "loading" || active ? s.reconciling : s.reconcileNow}
        </button>
        {active && (
          <span role="progressbar" aria-label={s.inProgress} className="ss-sync__progress">
            <span className="ss-spinner" aria-hidden="true" />
          </span>
        )}
        {csvUrl && latestDone && (
          <a
            href={csvUrl}
            download={`reconciliation-${type}-${latestDone.periodStart ?? "period"}-${latestDone.periodEnd ?? ""}.csv`}
          >
            {s.downloadCsv}
          </a>
        )}
      </div>
      {!canAct && (
        <p id={readOnlyId} className="muted">
          {s.readOnly}
        </p>
      )}
      {refused && (
        <p role="alert" className="error">
          {refused.userMessage(locale)}
        </p>
      )}
      {canAct && latestDone && findings.status === "data" && (
        <ReconciliationFindings
          orgId={orgId}
          name={name}
          findings={findings.data}
          canAct={canAct}
          locale={locale}
        />
      )}
      {!canAct && latestDone && <p className="muted">{s.findingsHidden}</p>}
    </article>
  );
}

/** One period's state: in progress, failed, reconciled ✓, or the number of differences. */
function PeriodBadge({ reconciliation: r, locale }: { reconciliation: ReconciliationRun; locale: Locale }) {
  const s = reconciliationStrings(locale);
  const period =
    r.periodStart && r.periodEnd
      ? s.period(dateText(r.periodStart, locale), dateText(r.periodEnd, locale))
      : null;
  let badge: { className: string; text: string };
  if (!isTerminal(r.run.status)) badge = { className: "badge--unknown", text: s.inProgress };
  else if (r.run.status !== "succeeded")
    badge = { className: "badge--unhealthy", text: s.failed(r.run.errorMessage ?? r.run.status) };
  else if (r.findings === 0)
    badge = { className: "badge--healthy", text: s.reconciledAt(formatTime(r.run.finishedAt, locale)) };
  else badge = { className: "badge--degraded", text: s.differences(r.findings) };
  return (
    <span data-run-id={r.run.id} data-status={r.run.status}>
      {period && <span className="reconciliation__period">{period}: </span>}
      <span className={`badge ${badge.className}`}>{badge.text}</span>
      {r.run.status === "succeeded" && <span className="muted"> · {s.checked(r.checked)}</span>}
      {!isTerminal(r.run.status) && r.linesRead > 0 && (
        <span className="muted"> · {s.linesRead(r.linesRead)}</span>
      )}
    </span>
  );
}

/** An object URL for text (the CSV link's target), revoked when the text changes or the link goes. */
function useObjectUrl(text: string | null, type: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (text === null) {
      setUrl(null);
      return;
    }
    const next = URL.createObjectURL(new Blob([text], { type }));
    setUrl(next);
    return () => URL.revokeObjectURL(next);
  }, [text, type]);
  return url;
}
