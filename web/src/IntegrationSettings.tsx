import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import {
  type Integration,
  type IntegrationAdminRepository,
  type Locale,
  SyncError,
  syncErrorMessage,
} from "../../src/client/index.ts";
import { formatTime } from "../../src/react/index.ts";
import { adminStrings } from "./adminStrings.ts";
import { reconciliationStrings } from "./reconciliationStrings.ts";
import { describeCron, formatInZone, nextRuns, timeZones, viewerTimeZone } from "./schedule.ts";

interface Props {
  integration: Integration;
  name: string;
  admin: IntegrationAdminRepository;
  /** The signed-in user is an admin of the org. */
  isAdmin: boolean;
  credentials: { stored: boolean; updatedAt: string | null } | undefined;
  locale: Locale;
}

const CREDENTIAL_FIELDS: Record<Integration["integrationType"], string[]> = {
  xledger: ["token"],
  dynamics: ["client_id", "client_secret"],
};

function errorText(error: unknown, locale: Locale): string {
  return error instanceof SyncError ? error.userMessage(locale) : syncErrorMessage("unknown", locale);
}

/**
 * An integration's settings for admins: pause/resume, schedule with a five-run preview in the
 * integration's zone and the viewer's, zone picker, write-only credentials, connection test and
 * health mode. Others see the same panel disabled, with the reason.
 */
export function IntegrationSettings({ integration, name, admin, isAdmin, credentials, locale }: Props) {
  const t = adminStrings(locale);
  const r = reconciliationStrings(locale);
  const queryClient = useQueryClient();
  const ids = { cron: useId(), zone: useId(), reason: useId(), preview: useId(), reconcile: useId() };
  const [cron, setCron] = useState(integration.scheduleCron ?? "");
  const [reconcileCron, setReconcileCron] = useState(integration.reconcileCron ?? "");
  const [zone, setZone] = useState(integration.scheduleTimezone);
  const [secretValues, setSecretValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string; where: string } | null>(null);
  const [testRequestedAt, setTestRequestedAt] = useState<string | null>(null);
  const mine = viewerTimeZone();
  const preview = cron.trim() === "" ? [] : nextRuns(cron, zone, 5);
  const disabled = !isAdmin || busy !== null;
  const orgId = integration.orgId;
  const type = integration.integrationType;

  async function act(where: string, fn: () => Promise<unknown>, okText = t.saved) {
    setBusy(where);
    setMessage(null);
    try {
      await fn();
      setMessage({ kind: "ok", text: okText, where });
      await queryClient.invalidateQueries({ queryKey: ["sync-scheduler"] });
    } catch (error) {
      setMessage({ kind: "error", text: errorText(error, locale), where });
    } finally {
      setBusy(null);
    }
  }

  const feedback = (where: string) =>
    message?.where === where ? (
      <p
        role={message.kind === "error" ? "alert" : "status"}
        className={message.kind === "error" ? "error" : "muted"}
      >
        {message.text}
      </p>
    ) : null;

  const saveSchedule = (e: FormEvent) => {
    e.preventDefault();
    void act("schedule", () =>
      admin.configureIntegration(orgId, type, {
        scheduleCron: cron.trim() === "" ? null : cron.trim(),
        scheduleTimezone: zone,
      }),
    );
  };
  const saveReconcileSchedule = (e: FormEvent) => {
    e.preventDefault();
    void act("reconcile", () =>
      admin.configureIntegration(orgId, type, {
        reconcileCron: reconcileCron.trim() === "" ? null : reconcileCron.trim(),
      }),
    );
  };
  // The saved schedule in words ("Daily at 03:00"), else the expression; the zone is the integration's.
  const reconcileNow = reconcileCron.trim();
  const reconcileNext = reconcileNow === "" ? null : nextRuns(reconcileNow, zone, 1)?.[0];
  const saveCredentials = (e: FormEvent) => {
    e.preventDefault();
    void act("credentials", async () => {
      await admin.setCredentials(orgId, type, secretValues);
      setSecretValues({});
    });
  };

  // The test's result is the first health check after it was requested (the list refreshes live).
  const tested =
    testRequestedAt &&
    integration.healthCheckedAt &&
    Date.parse(integration.healthCheckedAt) >= Date.parse(testRequestedAt)
      ? t.testResult(
          integration.healthLastError === null,
          formatTime(integration.healthCheckedAt, locale),
          integration.healthLastError,
        )
      : null;

  return (
    <details className="settings">
      <summary>{t.settings}</summary>
      <section aria-label={t.settingsOf(name)}>
        {!isAdmin && (
          <p id={ids.reason} className="muted">
            {t.onlyAdmins}
          </p>
        )}
        <fieldset disabled={disabled} aria-describedby={isAdmin ? undefined : ids.reason}>
          <legend>{t.status}</legend>
          <p>
            <strong>{integration.enabled ? t.running : t.paused}</strong>
          </p>
          {!integration.enabled && <p className="muted">{t.pausedNote}</p>}
          <button
            type="button"
            onClick={() =>
              void act("status", () =>
                admin.configureIntegration(orgId, type, { enabled: !integration.enabled }),
              )
            }
          >
            {integration.enabled ? t.pause : t.resume}
          </button>
          {feedback("status")}
        </fieldset>

        <form onSubmit={saveSchedule}>
          <fieldset disabled={disabled} aria-describedby={isAdmin ? undefined : ids.reason}>
            <legend>{t.scheduleCron}</legend>
            <label htmlFor={ids.cron}>{t.scheduleCron}</label>
            <input
              id={ids.cron}
              value={cron}
              onChange={(e) => setCron(e.target.value)}
              placeholder="0 2 * * *"
              autoComplete="off"
              spellCheck={false}
              aria-describedby={ids.preview}
            />
            <p className="muted">{t.scheduleHelp}</p>
            <label htmlFor={ids.zone}>{t.timezone}</label>
            <select id={ids.zone} value={zone} onChange={(e) => setZone(e.target.value)}>
              {timeZones(integration.scheduleTimezone).map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
            <div id={ids.preview} aria-live="polite">
              {cron.trim() === "" ? (
                <p className="muted">{t.manualOnly}</p>
              ) : preview === null ? (
                <p className="muted">{t.previewInvalid}</p>
              ) : (
                <table className="preview" aria-label={t.preview}>
                  <thead>
                    <tr>
                      <th scope="col">{t.previewIn(zone)}</th>
                      {mine !== zone && <th scope="col">{t.yourTime(mine)}</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {preview.map((d) => (
                      <tr key={d.toISOString()}>
                        <td>{formatInZone(d, zone, locale)}</td>
                        {mine !== zone && <td>{formatInZone(d, mine, locale)}</td>}
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
            <button type="submit">{busy === "schedule" ? t.saving : t.saveSchedule}</button>
            {feedback("schedule")}
          </fieldset>
        </form>

        <form onSubmit={saveReconcileSchedule}>
          <fieldset disabled={disabled} aria-describedby={isAdmin ? undefined : ids.reason}>
            <legend>{r.scheduleLegend}</legend>
            <label htmlFor={ids.reconcile}>{r.scheduleLabel}</label>
            <input
              id={ids.reconcile}
              value={reconcileCron}
              onChange={(e) => setReconcileCron(e.target.value)}
              placeholder="0 3 * * *"
              autoComplete="off"
              spellCheck={false}
            />
            <p className="muted">{r.scheduleHelp}</p>
            <p className="muted" aria-live="polite">
              {reconcileNow === ""
                ? r.scheduleOff
                : reconcileNext
                  ? `${describeCron(reconcileNow, locale) ?? reconcileNow} · ${r.nextReconcile}: ${formatInZone(reconcileNext, zone, locale)}`
                  : t.previewInvalid}
            </p>
            <button type="submit">{busy === "reconcile" ? t.saving : r.saveSchedule}</button>
            {feedback("reconcile")}
          </fieldset>
        </form>

        <form onSubmit={saveCredentials}>
          <fieldset disabled={disabled} aria-describedby={isAdmin ? undefined : ids.reason}>
            <legend>{t.credentials}</legend>
            <p className="muted">
              {credentials?.stored
                ? t.credentialsStored(formatTime(credentials.updatedAt, locale))
                : t.credentialsMissing}{" "}
              {t.credentialsNeverShown}
            </p>
            {CREDENTIAL_FIELDS[type].map((field) => (
              <label key={field} className="field">
                {t.credentialFields[field] ?? field}
                <input
                  type={field === "client_id" ? "text" : "password"}
                  autoComplete="off"
                  required
                  value={secretValues[field] ?? ""}
                  onChange={(e) => setSecretValues((v) => ({ ...v, [field]: e.target.value }))}
                />
              </label>
            ))}
            <button type="submit">{t.saveCredentials}</button>
            {feedback("credentials")}
          </fieldset>
        </form>

        <fieldset disabled={disabled} aria-describedby={isAdmin ? undefined : ids.reason}>
          <legend>{t.healthMode}</legend>
          <p>{integration.healthMode === "active" ? t.healthModeActive : t.healthModePassive}</p>
          {integration.healthMode === "passive" ? (
            <button type="button" onClick={() => void act("health", () => admin.resumeHealth(orgId, type))}>
              {t.resumeHealth}
            </button>
          ) : (
            <button
              type="button"
              onClick={() =>
                void act(
                  "health",
                  async () => setTestRequestedAt(await admin.testConnection(orgId, type)),
                  t.testRequested,
                )
              }
            >
              {t.testConnection}
            </button>
          )}
          {feedback("health")}
          {tested && <p role="status">{tested}</p>}
        </fieldset>
      </section>
    </details>
  );
}
