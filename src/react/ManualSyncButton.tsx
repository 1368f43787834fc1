import { useEffect, useId, useState } from "react";
import { type IntegrationType, isSyncTriggerError, isTerminal } from "../client/index.ts";
import { useSyncScheduler } from "./context.tsx";
import { componentStrings, formatTime } from "./strings.ts";
import { useSyncRun } from "./useSyncRun.ts";
import { useTriggerManualSync } from "./useTriggerManualSync.ts";

export interface ManualSyncButtonProps {
  orgId: string;
  integrationType: IntegrationType;
  /**
   * The run the button follows (e.g. the integration's latest run, so a scheduled run in progress
   * disables it too). Omit to let the button track the runs it starts itself.
   */
  runId?: string | null;
  /** Called with the run the button started or attached to (after `sync_already_in_progress`). */
  onRunIdChange?: (runId: string) => void;
  /** Disable regardless of state (e.g. the user's role may not trigger); `disabledReason` says why. */
  disabled?: boolean;
  disabledReason?: string;
  className?: string;
}

/**
 * "Sync now" for one integration. While the trigger is in flight and while the run it follows is
 * pending or running it shows a `role="progressbar"` indicator and is disabled. A
 * `sync_already_in_progress` refusal attaches it to the active run instead of showing an error; a
 * `rate_limited` one says when it can be pressed again (and keeps it disabled until then). Other
 * refusals show the SDK's message for the code in the provider's locale (`role="alert"`).
 * @example
 * const [runId, setRunId] = useState<string | null>(latestRunId);
 * <ManualSyncButton orgId={orgId} integrationType="xledger" runId={runId} onRunIdChange={setRunId} />
 * <SyncStatusBanner runId={runId} />
 */
export function ManualSyncButton(props: ManualSyncButtonProps) {
  const { orgId, integrationType, onRunIdChange } = props;
  const { locale } = useSyncScheduler();
  const t = componentStrings(locale);
  const { state, trigger, reset } = useTriggerManualSync();
  const [ownRunId, setOwnRunId] = useState<string | null>(null);
  const [blockedUntil, setBlockedUntil] = useState<Date | null>(null);
  const followed = props.runId !== undefined ? props.runId : ownRunId;
  const run = useSyncRun(followed);
  const messageId = useId();

  useEffect(() => {
    if (!blockedUntil) return;
    // Re-enabled (and the rate-limit message cleared) when the server's Retry-After has passed.
    const timer = setTimeout(
      () => {
        setBlockedUntil(null);
        reset();
      },
      Math.max(0, blockedUntil.getTime() - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [blockedUntil, reset]);

  const attach = (runId: string) => {
    setOwnRunId(runId);
    onRunIdChange?.(runId);
  };

  const onClick = () => {
    trigger(orgId, integrationType).then(attach, (error: unknown) => {
      if (!isSyncTriggerError(error)) return;
      if (error.code === "sync_already_in_progress" && error.details.activeRunId)
        attach(error.details.activeRunId);
      if (error.code === "rate_limited" && error.details.retryAt) setBlockedUntil(error.details.retryAt);
    });
  };

  const triggering = state.status === "loading";
  // A run the button itself just started counts as active until its first read says otherwise.
  const runActive =
    Boolean(followed) &&
    (run.status === "data"
      ? run.data !== null && !isTerminal(run.data.status)
      : run.status === "loading" && followed === ownRunId);
  const busy = triggering || runActive;
  const rateLimited = blockedUntil !== null;

  let message: string | null = null;
  if (state.status === "error" && state.error.code !== "sync_already_in_progress") {
    message = state.error.userMessage(locale);
    if (state.error.code === "rate_limited" && state.error.details.retryAt) {
      message = `${message} ${t.availableAgainAt(formatTime(state.error.details.retryAt.toISOString(), locale, "time"))}`;
    }
  }
  const note = props.disabled ? (props.disabledReason ?? t.readOnly) : null;

  return (
    <div className={props.className ?? "ss-sync"}>
      <button
        type="button"
        className="ss-sync__button"
        onClick={onClick}
        disabled={busy || rateLimited || props.disabled === true}
        aria-describedby={message || note ? messageId : undefined}
      >
        {t.syncNow}
      </button>
      {busy && (
        <span role="progressbar" aria-label={t.syncInProgress} className="ss-sync__progress">
          <span className="ss-spinner" aria-hidden="true" />
          <span aria-hidden="true">{t.syncing}</span>
        </span>
      )}
      {message && (
        <p id={messageId} role="alert" className="ss-sync__message">
          {message}
        </p>
      )}
      {!message && note && (
        <p id={messageId} className="ss-sync__note">
          {note}
        </p>
      )}
    </div>
  );
}
