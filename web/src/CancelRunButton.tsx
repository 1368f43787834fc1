import { useState } from "react";
import {
  type Locale,
  SyncError,
  type SyncRun,
  type SyncSchedulerRepository,
} from "../../src/client/index.ts";
import { adminStrings } from "./adminStrings.ts";

/**
 * "Cancel" for an active run (admins and coordinators; `cancel_integration_sync`). A pending run
 * ends at once; a running one is stopped by its worker at the next heartbeat. The outcome shows
 * live in the card's status banner; refusals show here.
 */
export function CancelRunButton(props: {
  run: SyncRun | null;
  repository: SyncSchedulerRepository;
  canCancel: boolean;
  locale: Locale;
}) {
  const { run, repository, canCancel, locale } = props;
  const t = adminStrings(locale);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!run || (run.status !== "pending" && run.status !== "running")) return null;
  const stopping = busy || run.cancelRequestedAt !== null;
  return (
    <div className="cancel">
      <button
        type="button"
        className="secondary"
        disabled={!canCancel || stopping}
        title={canCancel ? undefined : t.cancelDenied}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            await repository.cancelRun(run.id);
          } catch (e) {
            setError(e instanceof SyncError ? e.userMessage(locale) : String(e));
            setBusy(false);
          }
        }}
      >
        {stopping ? t.cancelling : t.cancel}
      </button>
      {!canCancel && <span className="muted"> {t.cancelDenied}</span>}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  );
}
