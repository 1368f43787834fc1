import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import {
  type IntegrationAdminRepository,
  type Locale,
  type MemberProfile,
  type NotificationEvent,
  SyncError,
  syncErrorMessage,
} from "../../src/client/index.ts";
import { formatTime } from "../../src/react/index.ts";
import { adminStrings } from "./adminStrings.ts";
import { dashboardStrings } from "./i18n.ts";
import { personName } from "./people.ts";

const EVENTS: NotificationEvent[] = [
  "drift",
  "run_failed",
  "health_changed",
  "vouchers_rejected",
  "reconciliation_differences",
];
// Deliveries retry on their own schedule; the log refreshes often enough to watch a retry land.
const LOG_REFRESH_MS = 3_000;

/**
 * The org admin's own section: webhook targets (signing secret shown once), their delivery log,
 * and the admin audit with people's names. Rendered for admins only; RLS returns nothing to others.
 */
export function AdminPanel(props: {
  orgId: string;
  admin: IntegrationAdminRepository;
  members: MemberProfile[];
  locale: Locale;
}) {
  const { orgId, admin, members, locale } = props;
  const t = adminStrings(locale);
  const d = dashboardStrings(locale);
  const queryClient = useQueryClient();
  const targets = useQuery({
    queryKey: ["sync-scheduler", "targets", orgId],
    queryFn: () => admin.listNotificationTargets(orgId),
  });
  const deliveries = useQuery({
    queryKey: ["sync-scheduler", "deliveries", orgId],
    queryFn: () => admin.listDeliveries(orgId, { limit: 20 }),
    refetchInterval: LOG_REFRESH_MS,
  });
  const audit = useQuery({
    queryKey: ["sync-scheduler", "admin-audit", orgId],
    queryFn: () => admin.listAudit(orgId, { limit: 20 }),
    refetchInterval: LOG_REFRESH_MS * 5,
  });
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<NotificationEvent[]>(EVENTS);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = () => queryClient.invalidateQueries({ queryKey: ["sync-scheduler"] });
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const saved = await admin.saveNotificationTarget(orgId, { name, url, events });
      setSecret(saved.secret ?? null);
      setName("");
      setUrl("");
      await refresh();
    } catch (err) {
      setError(err instanceof SyncError ? err.userMessage(locale) : syncErrorMessage("unknown", locale));
    }
  };
  const targetName = (id: string) => targets.data?.find((x) => x.id === id)?.name ?? "—";

  return (
    <>
      <section aria-labelledby="notifications-heading" className="card admin">
        <h2 id="notifications-heading">{t.notifications}</h2>
        <p className="muted">{t.notificationsHelp}</p>
        {(targets.data ?? []).length === 0 && <p className="muted">{t.noTargets}</p>}
        <ul className="targets">
          {(targets.data ?? []).map((target) => (
            <li key={target.id}>
              <strong>{target.name}</strong> <code>{target.url}</code>{" "}
              <span className="muted">{target.events.map((e) => t.event[e]).join(", ")}</span>{" "}
              <button
                type="button"
                className="secondary"
                onClick={async () => {
                  await admin.deleteNotificationTarget(orgId, target.id).catch(() => {});
                  await refresh();
                }}
              >
                {t.deleteTarget} <span className="visually-hidden">{target.name}</span>
              </button>
            </li>
          ))}
        </ul>
        <form onSubmit={add} className="target-form">
          <label className="field">
            {t.targetName}
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
          </label>
          <label className="field">
            {t.targetUrl}
            <input
              type="url"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              required
              placeholder="https://"
            />
          </label>
          <fieldset>
            <legend>{t.targetEvents}</legend>
            {EVENTS.map((ev) => (
              <label key={ev} className="check">
                <input
                  type="checkbox"
                  checked={events.includes(ev)}
                  onChange={(e) =>
                    setEvents((xs) => (e.target.checked ? [...xs, ev] : xs.filter((x) => x !== ev)))
                  }
                />
                {t.event[ev]}
              </label>
            ))}
          </fieldset>
          <button type="submit">{t.addTarget}</button>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          {secret && (
            <p role="status">
              {t.secretOnce} <code data-testid="signing-secret">{secret}</code>
            </p>
          )}
        </form>
      </section>

      <section aria-labelledby="deliveries-heading" className="card admin">
        <h2 id="deliveries-heading">{t.deliveries}</h2>
        {(deliveries.data ?? []).length === 0 ? (
          <p className="muted">{t.noDeliveries}</p>
        ) : (
          <table className="runs">
            <thead>
              <tr>
                <th scope="col">{d.col.when}</th>
                <th scope="col">{t.targetName}</th>
                <th scope="col">{t.targetEvents}</th>
                <th scope="col">{d.col.outcome}</th>
              </tr>
            </thead>
            <tbody>
              {(deliveries.data ?? []).map((x) => (
                <tr key={x.id}>
                  <td data-label={d.col.when}>{formatTime(x.createdAt, locale)}</td>
                  <td data-label={t.targetName}>{targetName(x.targetId)}</td>
                  <td data-label={t.targetEvents}>{t.event[x.event]}</td>
                  <td data-label={d.col.outcome}>
                    <span>
                      {t.deliveryStatus[x.status]} · {t.attempts(x.attempts)}
                      {x.lastError && <span className="error-text"> — {x.lastError}</span>}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="audit-heading" className="card admin">
        <h2 id="audit-heading">{t.audit}</h2>
        {(audit.data ?? []).length === 0 ? (
          <p className="muted">{t.noAudit}</p>
        ) : (
          <table className="runs">
            <thead>
              <tr>
                <th scope="col">{d.col.when}</th>
                <th scope="col">{d.col.who}</th>
                <th scope="col">{d.col.integration}</th>
                <th scope="col">{d.col.outcome}</th>
              </tr>
            </thead>
            <tbody>
              {(audit.data ?? []).map((x) => (
                <tr key={x.id}>
                  <td data-label={d.col.when}>{formatTime(x.occurredAt, locale)}</td>
                  <td data-label={d.col.who}>{personName(members, x.actorUserId, locale)}</td>
                  <td data-label={d.col.integration}>
                    {x.integrationType ? d.integrationName[x.integrationType] : "—"}
                  </td>
                  <td data-label={d.col.outcome}>{t.auditAction[x.action] ?? x.action}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
