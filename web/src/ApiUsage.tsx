import type { Integration, Locale, ApiUsage as Usage } from "../../src/client/index.ts";
import { dashboardStrings } from "./i18n.ts";

const PURPOSES = ["export", "lookup", "reconcile", "ping", "token"] as const;

// Strings of this panel only (kept here so the panel is one file).
const STRINGS = {
  en: {
    title: "API requests this month",
    empty: "No requests to the accounting systems this month.",
    total: "Total",
    purpose: {
      export: "Export",
      lookup: "Look-up",
      reconcile: "Reconciliation",
      ping: "Health ping",
      token: "Token",
    },
    note: "Xledger includes 5,000 requests a month and charges for each one beyond; health pings spend at most 5 % of that.",
  },
  nb: {
    title: "API-kall denne måneden",
    empty: "Ingen kall til regnskapssystemene denne måneden.",
    total: "Totalt",
    purpose: {
      export: "Eksport",
      lookup: "Oppslag",
      reconcile: "Avstemming",
      ping: "Helsesjekk",
      token: "Token",
    },
    note: "Xledger inkluderer 5 000 kall i måneden og tar betalt for hvert kall utover det; helsesjekker bruker høyst 5 % av dem.",
  },
} satisfies Record<Locale, unknown>;

/**
 * Requests each integration made this month (`api_request_tally`), by purpose: what the organization
 * spends of Xledger's monthly allowance and on what.
 */
export function ApiUsage({
  usage,
  integrations,
  locale,
}: {
  usage: Usage[];
  integrations: Integration[];
  locale: Locale;
}) {
  const s = STRINGS[locale];
  const t = dashboardStrings(locale);
  const byIntegration = new Map<string, Map<string, number>>();
  for (const row of usage) {
    const counts = byIntegration.get(row.integrationId) ?? new Map<string, number>();
    counts.set(row.purpose, (counts.get(row.purpose) ?? 0) + row.requests);
    byIntegration.set(row.integrationId, counts);
  }
  const number = new Intl.NumberFormat(locale === "nb" ? "nb-NO" : "en-GB");
  const shown = integrations.filter((i) => byIntegration.has(i.id));
  return (
    <section aria-labelledby="api-usage-heading" className="api-usage">
      <h2 id="api-usage-heading">{s.title}</h2>
      {shown.length === 0 ? (
        <p className="muted">{s.empty}</p>
      ) : (
        // Scrolls sideways inside its own box at phone width instead of widening the page.
        <div className="usage__scroll">
          <table className="usage">
            <thead>
              <tr>
                <th scope="col">{t.col.integration}</th>
                {PURPOSES.map((p) => (
                  <th scope="col" key={p}>
                    {s.purpose[p]}
                  </th>
                ))}
                <th scope="col">{s.total}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((integration) => {
                const counts = byIntegration.get(integration.id) ?? new Map<string, number>();
                const total = [...counts.values()].reduce((a, b) => a + b, 0);
                return (
                  <tr key={integration.id}>
                    <th scope="row">{t.integrationName[integration.integrationType]}</th>
                    {PURPOSES.map((p) => (
                      <td key={p}>{number.format(counts.get(p) ?? 0)}</td>
                    ))}
                    <td>{number.format(total)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted">{s.note}</p>
    </section>
  );
}
