import type { Locale, MemberProfile, SyncRun } from "../../src/client/index.ts";
import { componentStrings, formatTime } from "../../src/react/index.ts";
import { dashboardStrings, formatDrift } from "./i18n.ts";
import { personName } from "./people.ts";

interface Props {
  runs: SyncRun[];
  /** The org's members with names (org_member_directory). */
  members: MemberProfile[];
  myUserId: string;
  locale: Locale;
  loading: boolean;
}

/**
 * The organization's newest runs: when, which integration, manual or scheduled, who, drift and
 * outcome. A table for wide screens; on a phone each row stacks as a card (styles.css), with
 * each cell labelled by its column through `data-label`.
 */
export function RunHistory({ runs, members, myUserId, locale, loading }: Props) {
  const t = dashboardStrings(locale);
  const c = componentStrings(locale);
  const who = (run: SyncRun) => {
    if (run.triggeredBy === "scheduled" || !run.triggeredByUserId) return "—";
    if (run.triggeredByUserId === myUserId) return t.you;
    return personName(members, run.triggeredByUserId, locale);
  };
  return (
    <section aria-labelledby="history-heading" className="history">
      <h2 id="history-heading">{t.history}</h2>
      {loading && <p aria-busy="true">{t.loading}</p>}
      {!loading && runs.length === 0 && <p className="muted">{t.historyEmpty}</p>}
      {runs.length > 0 && (
        <table className="runs">
          <thead>
            <tr>
              <th scope="col">{t.col.when}</th>
              <th scope="col">{t.col.integration}</th>
              <th scope="col">{t.col.trigger}</th>
              <th scope="col">{t.col.who}</th>
              <th scope="col">{t.col.drift}</th>
              <th scope="col">{t.col.outcome}</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id}>
                <td data-label={t.col.when}>
                  <time dateTime={run.triggeredAt}>{formatTime(run.triggeredAt, locale)}</time>
                </td>
                <td data-label={t.col.integration}>
                  {t.integrationName[run.integrationType]}
                  {run.kind === "reconcile" && <span className="muted"> · {t.reconciliation}</span>}
                </td>
                <td data-label={t.col.trigger}>{t.triggerType[run.triggeredBy]}</td>
                <td data-label={t.col.who}>{who(run)}</td>
                <td data-label={t.col.drift}>
                  {run.triggeredBy === "scheduled" ? formatDrift(run.driftMs, locale) : "—"}
                </td>
                <td data-label={t.col.outcome}>
                  {/* One child: on a phone the cell is a two-column grid (label, value). */}
                  <span>
                    <span className={`pill pill--${run.status}`}>{c.status[run.status]}</span>{" "}
                    {run.kind === "export" && t.records(run.recordsExported)}
                    {run.errorMessage && <span className="error-text"> — {run.errorMessage}</span>}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
