import type { Integration, Locale, SyncAlert } from "../../src/client/index.ts";
import { formatTime } from "../../src/react/index.ts";
import { dashboardStrings } from "./i18n.ts";

/** Drift, health and missed-run alerts the engine recorded (`sync_alerts`), newest first. */
export function AlertList({
  alerts,
  integrations,
  locale,
}: {
  alerts: SyncAlert[];
  integrations: Integration[];
  locale: Locale;
}) {
  const t = dashboardStrings(locale);
  const nameOf = (id: string | null) => {
    const integration = integrations.find((i) => i.id === id);
    return integration ? t.integrationName[integration.integrationType] : null;
  };
  return (
    <section aria-labelledby="alerts-heading" className="alerts">
      <h2 id="alerts-heading">{t.alerts}</h2>
      {alerts.length === 0 ? (
        <p className="muted">{t.alertsEmpty}</p>
      ) : (
        <ul className="alert-list">
          {alerts.map((alert) => (
            <li
              key={alert.id}
              className={`alert alert--${alert.severity}${alert.resolvedAt ? " alert--resolved" : ""}`}
            >
              <span className="alert__kind">
                {t.severity[alert.severity]} · {t.alertKind[alert.kind]}
                {nameOf(alert.integrationId) && ` · ${nameOf(alert.integrationId)}`}
              </span>
              <span className="alert__message">{alert.message}</span>
              <span className="muted">
                <time dateTime={alert.createdAt}>{formatTime(alert.createdAt, locale)}</time>
                {alert.resolvedAt && ` · ${t.resolved}`}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
