import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import {
  type Integration,
  type IntegrationAdminRepository,
  isTerminal,
  type Locale,
  type SyncRun,
  type SyncSchedulerRepository,
} from "../../src/client/index.ts";
import {
  componentStrings,
  formatTime,
  ManualSyncButton,
  SyncStatusBanner,
  syncRunsKey,
  useSyncRun,
} from "../../src/react/index.ts";
import { adminStrings } from "./adminStrings.ts";
import { CancelRunButton } from "./CancelRunButton.tsx";
import { IntegrationSettings } from "./IntegrationSettings.tsx";
import { dashboardStrings } from "./i18n.ts";
import { RunChart } from "./RunChart.tsx";
import { describeCron, viewerTimeZone } from "./schedule.ts";

interface Props {
  integration: Integration;
  latestRun: SyncRun | null;
  canTrigger: boolean;
  locale: Locale;
  repository: SyncSchedulerRepository;
  admin: IntegrationAdminRepository;
  isAdmin: boolean;
  credentials: { stored: boolean; updatedAt: string | null } | undefined;
  /** This integration's recent runs, newest first (for the chart). */
  recentRuns: SyncRun[];
}

/** One integration: a region named after it with health, schedule, runs, "Sync now" and live status. */
export function IntegrationCard(props: Props) {
  const { integration, latestRun, canTrigger, locale, repository, admin, isAdmin, credentials, recentRuns } =
    props;
  const t = dashboardStrings(locale);
  const a = adminStrings(locale);
  const c = componentStrings(locale);
  const name = t.integrationName[integration.integrationType];
  const headingId = useId();
  const queryClient = useQueryClient();
  // The run this card follows: the one "Sync now" started or attached to, else the latest.
  const [chosenRunId, setChosenRunId] = useState<string | null>(null);
  const runId = chosenRunId ?? latestRun?.id ?? null;
  const run = useSyncRun(runId);
  const finishedStatus =
    run.status === "data" && run.data && isTerminal(run.data.status) ? run.data.status : null;

  useEffect(() => {
    // A finished run changes the history, "last run" and (passive mode) health: refresh them.
    if (!finishedStatus) return;
    void queryClient.invalidateQueries({ queryKey: syncRunsKey(integration.orgId) });
    void queryClient.invalidateQueries({ queryKey: ["sync-scheduler", "integrations", integration.orgId] });
  }, [finishedStatus, queryClient, integration.orgId]);

  const schedule = integration.scheduleCron
    ? (describeCron(integration.scheduleCron, locale) ?? integration.scheduleCron)
    : t.noSchedule;

  return (
    <section className="card integration" aria-labelledby={headingId}>
      <div className="integration__head">
        <h3 id={headingId}>{name}</h3>
        <span className={`badge badge--${integration.healthStatus}`}>
          {t.healthStatus[integration.healthStatus]}
        </span>
      </div>
      <dl className="facts">
        <div>
          <dt>{t.health}</dt>
          <dd>
            {t.healthStatus[integration.healthStatus]} · {t.healthMode[integration.healthMode]}
            {integration.healthCheckedAt && (
              <>
                {" · "}
                {t.checked} {formatTime(integration.healthCheckedAt, locale)}
              </>
            )}
            {integration.healthLastError && (
              <span className="error-text"> — {integration.healthLastError}</span>
            )}
          </dd>
        </div>
        <div>
          <dt>{t.schedule}</dt>
          <dd>
            {schedule}
            {integration.scheduleCron && (
              <span className="muted">
                {" "}
                ({t.timezone} {integration.scheduleTimezone})
              </span>
            )}
            {!integration.enabled && <strong> · {t.disabled}</strong>}
          </dd>
        </div>
        <div>
          <dt>{t.nextRun}</dt>
          <dd>
            {integration.nextRunAt ? (
              <>
                <time dateTime={integration.nextRunAt}>{formatTime(integration.nextRunAt, locale)}</time>{" "}
                <span className="muted">({a.nextRunIn(viewerTimeZone())})</span>
              </>
            ) : (
              "—"
            )}
          </dd>
        </div>
        <div>
          <dt>{t.lastRun}</dt>
          <dd>
            {latestRun
              ? `${c.status[latestRun.status]} · ${formatTime(latestRun.finishedAt ?? latestRun.triggeredAt, locale)}`
              : t.never}
          </dd>
        </div>
      </dl>
      <ManualSyncButton
        orgId={integration.orgId}
        integrationType={integration.integrationType}
        runId={runId}
        onRunIdChange={setChosenRunId}
        disabled={!canTrigger || !integration.enabled}
        {...(!integration.enabled ? { disabledReason: t.disabled } : {})}
      />
      <CancelRunButton
        run={run.status === "data" ? (run.data ?? null) : null}
        repository={repository}
        canCancel={canTrigger}
        locale={locale}
      />
      <SyncStatusBanner runId={runId} label={t.statusOf(name)} />
      <RunChart runs={recentRuns} name={name} locale={locale} />
      <IntegrationSettings
        integration={integration}
        name={name}
        admin={admin}
        isAdmin={isAdmin}
        credentials={credentials}
        locale={locale}
      />
    </section>
  );
}
