import type { ColdStart, Integration, Locale } from "../../src/client/index.ts";
import { formatTime } from "../../src/react/index.ts";
import { dashboardStrings } from "./i18n.ts";

// This panel's own strings (kept here so the panel stays one file).
const STRINGS = {
  en: {
    title: "Edge Function cold starts",
    empty: "No cold starts recorded (or the serverless dispatch is not installed).",
    count: (n: number) => (n === 1 ? "1 cold start" : `${n} cold starts`),
    latest: "latest",
    prewarmed: "a warm-up was sent before it",
    notPrewarmed: "no warm-up before it",
  },
  nb: {
    title: "Kaldstarter i Edge Function",
    empty: "Ingen kaldstarter registrert (eller serverløs utsending er ikke installert).",
    count: (n: number) => (n === 1 ? "1 kaldstart" : `${n} kaldstarter`),
    latest: "sist",
    prewarmed: "oppvarming ble sendt før",
    notPrewarmed: "ingen oppvarming før",
  },
} as const;

/**
 * Recent cold starts of the sync-worker Edge Function per integration (`function_cold_starts`):
 * how many, the latest, and whether a pre-warm went out before it — so a team can see whether
 * pre-warming helps (docs/serverless.md, "Pre-warm and cold starts").
 */
export function ColdStarts({
  coldStarts,
  integrations,
  locale,
}: {
  coldStarts: ColdStart[];
  integrations: Integration[];
  locale: Locale;
}) {
  const s = STRINGS[locale];
  const t = dashboardStrings(locale);
  const perIntegration = integrations
    .map((integration) => ({
      integration,
      incidents: coldStarts.filter((c) => c.integrationId === integration.id),
    }))
    .filter((g) => g.incidents.length > 0);
  return (
    <section aria-labelledby="cold-starts-heading" className="alerts">
      <h2 id="cold-starts-heading">{s.title}</h2>
      {perIntegration.length === 0 ? (
        <p className="muted">{s.empty}</p>
      ) : (
        <ul className="alert-list">
          {perIntegration.map(({ integration, incidents }) => {
            const latest = incidents[0] as ColdStart;
            return (
              <li
                key={integration.id}
                className="alert alert--info"
                data-integration={integration.integrationType}
              >
                <span className="alert__kind">
                  {t.integrationName[integration.integrationType]} · {s.count(incidents.length)}
                </span>
                <span className="muted">
                  {s.latest} <time dateTime={latest.occurredAt}>{formatTime(latest.occurredAt, locale)}</time>
                  {latest.isolateAgeMs !== null && ` · ${latest.isolateAgeMs} ms`} ·{" "}
                  {latest.prewarmSentAt ? s.prewarmed : s.notPrewarmed}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
