import { z } from "zod";

/**
 * Worker settings, each with its default next to it. Every option is also a CLI flag
 * (`--lease-seconds`, the key in kebab case) and an environment variable ({@link workerEnv}); the
 * `.describe()` texts are the help `sync-scheduler worker --help` prints (src/cli/options.ts).
 */
export const workerConfigSchema = z
  .object({
    /** Runs executed at once by one worker process. */
    concurrency: z.coerce
      .number()
      .int()
      .min(1)
      .max(256)
      .default(4)
      .describe("Runs executed at once by this worker"),
    /** A run whose holder has not heartbeated for this long is reaped. Below the Edge Function's 150 s wall clock. */
    leaseSeconds: z.coerce
      .number()
      .int()
      .min(5)
      .max(3600)
      .default(60)
      .describe("A run whose holder has not heartbeated for this long is reaped"),
    /** Four heartbeats per lease: a worker survives three lost heartbeats (e.g. a brief DB blip). */
    heartbeatSeconds: z.coerce
      .number()
      .int()
      .min(1)
      .max(1800)
      .default(15)
      .describe("Heartbeat interval for runs in flight (at most half the lease)"),
    /** Polling sweep: catches runs whose NOTIFY was lost (transaction poolers drop LISTEN) and due retries. */
    pollSeconds: z.coerce
      .number()
      .min(0.05)
      .max(300)
      .default(5)
      .describe("Polling sweep for runs whose NOTIFY was lost and for due retries"),
    /** Retry backoff: full jitter on base · 2^(attempt-1), capped. Attempt 5 waits at most 8 min. */
    backoffBaseSeconds: z.coerce
      .number()
      .min(0)
      .max(3600)
      .default(30)
      .describe("Retry backoff base: full jitter on base · 2^(attempt-1)"),
    backoffCapSeconds: z.coerce.number().min(1).max(86_400).default(3600).describe("Retry backoff cap"),
    /** On SIGTERM, in-flight runs get this long to finish before they are released to pending. */
    shutdownGraceSeconds: z.coerce
      .number()
      .min(0)
      .max(3600)
      .default(30)
      .describe("On SIGTERM, time for in-flight runs before they are released to pending"),
    /** Scheduler tick interval; cron has minute resolution, so 15 s keeps drift well under a minute. */
    schedulerSeconds: z.coerce.number().min(0.05).max(300).default(15).describe("Scheduler tick interval"),
    /**
     * Integrations per scheduler transaction: the tick's own batch, and the size of each schedule
     * group a claim applies (docs/engine.md "Schedule groups").
     */
    schedulerBatch: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(500)
      .describe(
        "Integrations per scheduler transaction (the tick's batch; each schedule group a claim applies)",
      ),
    /** After downtime, the latest missed period still runs if it is at most this old; else it is skipped too. */
    catchUpWindowSeconds: z.coerce
      .number()
      .int()
      .min(0)
      .max(31 * 86_400)
      .default(86_400)
      .describe("After downtime, the latest missed period still runs if at most this old"),
    /** Drift (start − scheduled time) above this raises an alert. At most 24 days: the SQL takes the threshold in ms as an integer. */
    driftAlertSeconds: z.coerce
      .number()
      .min(0)
      .max(2_000_000)
      .default(300)
      .describe("Drift (start − scheduled time) above this raises an alert"),
    /** Health pings: never more often than every 15 minutes per integration (enforced minimum). */
    healthIntervalSeconds: z.coerce
      .number()
      .min(900)
      .max(31 * 86_400)
      .default(900)
      .describe("Health ping interval per integration"),
    /** Cap for the exponential backoff after consecutive failed pings. */
    healthBackoffCapSeconds: z.coerce
      .number()
      .min(900)
      .max(31 * 86_400)
      .default(6 * 3600)
      .describe("Cap of the backoff after consecutive failed health pings"),
    /** How often the monitor looks for integrations whose ping is due. */
    healthCheckSeconds: z.coerce
      .number()
      .min(0.05)
      .max(86_400)
      .default(60)
      .describe("How often the health monitor looks for due pings"),
    /**
     * Share of an integration's monthly API allowance health pings may spend: 5 % of Xledger's 5,000
     * included requests is 250 pings a month, one every ≈ 3 h when nothing else proves health.
     */
    healthPingShare: z.coerce
      .number()
      .gt(0)
      .max(1)
      .default(0.05)
      .describe("Share of an integration's monthly API allowance health pings may spend"),
    /** A monitor that went passive because pings were rationed returns to active after this long quiet. */
    healthQuietSeconds: z.coerce
      .number()
      .min(900)
      .max(31 * 86_400)
      .default(3600)
      .describe("Quiet, healthy time after which a passive monitor returns to active"),
    /** Finished runs older than this are pruned from sync_run_log (the trigger audit is never pruned by it). */
    retentionDays: z.coerce
      .number()
      .min(1)
      .max(36_500)
      .default(90)
      .describe("Finished runs older than this are pruned from sync_run_log"),
    /** Alerts older than this are pruned, except unresolved health and parked alerts. */
    alertRetentionDays: z.coerce
      .number()
      .int()
      .min(1)
      .max(36_500)
      .default(90)
      .describe("Alerts older than this are pruned (unresolved ones are kept)"),
    /** Health-check history older than this is pruned (at most 100 checks per integration are kept anyway). */
    healthRetentionDays: z.coerce
      .number()
      .int()
      .min(1)
      .max(36_500)
      .default(30)
      .describe("Health-check history older than this is pruned"),
    /**
     * Deadline for one export call (lookups + send). While a batch is in flight the run's lease is
     * stretched to this + 15 s, so no other worker can look the batch up while the send may still be
     * landing; it is therefore also how long a run killed mid-send stays `running` before it is
     * reaped. 60 s fits Business Central's token + lookup + `$batch` at its 30 s request timeout.
     */
    sendDeadlineSeconds: z.coerce
      .number()
      .min(1)
      .max(3600)
      .default(60)
      .describe("Deadline for one export call; the lease is stretched to this + 15 s while it runs"),
    /** Notification outbox sweep: how often due webhook deliveries are sent (docs/notifications.md). */
    notifySeconds: z.coerce
      .number()
      .min(0.05)
      .max(300)
      .default(5)
      .describe("How often due webhook deliveries are sent"),
    /** Webhook retry backoff base; full jitter, capped at 1 h, 8 attempts (≈ 2 h of retrying at worst). */
    notifyBackoffBaseSeconds: z.coerce
      .number()
      .min(0)
      .max(3600)
      .default(30)
      .describe("Webhook retry backoff base: full jitter, capped at 1 h"),
    /** Off unless set: a worker on a shared host must not claim a port by default. */
    metricsPort: z.coerce
      .number()
      .int()
      .min(0)
      .max(65_535)
      .optional()
      .describe("Serve /metrics and /healthz on 127.0.0.1 at this port"),
  })
  .refine((c) => c.heartbeatSeconds * 2 <= c.leaseSeconds, {
    message: "heartbeat must be at most half the lease, or one late heartbeat loses the run",
    path: ["heartbeatSeconds"],
  });

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** The environment variable of each option (a Record over every key, so none can be left out). */
export const workerEnv: Record<keyof WorkerConfig, string> = {
  concurrency: "SYNC_WORKER_CONCURRENCY",
  leaseSeconds: "SYNC_LEASE_SECONDS",
  heartbeatSeconds: "SYNC_HEARTBEAT_SECONDS",
  pollSeconds: "SYNC_POLL_SECONDS",
  backoffBaseSeconds: "SYNC_BACKOFF_BASE_SECONDS",
  backoffCapSeconds: "SYNC_BACKOFF_CAP_SECONDS",
  shutdownGraceSeconds: "SYNC_SHUTDOWN_GRACE_SECONDS",
  schedulerSeconds: "SYNC_SCHEDULER_SECONDS",
  schedulerBatch: "SYNC_SCHEDULER_BATCH",
  catchUpWindowSeconds: "SYNC_CATCH_UP_WINDOW_SECONDS",
  driftAlertSeconds: "SYNC_DRIFT_ALERT_SECONDS",
  healthIntervalSeconds: "SYNC_HEALTH_INTERVAL_SECONDS",
  healthBackoffCapSeconds: "SYNC_HEALTH_BACKOFF_CAP_SECONDS",
  healthCheckSeconds: "SYNC_HEALTH_CHECK_SECONDS",
  healthPingShare: "SYNC_HEALTH_PING_SHARE",
  healthQuietSeconds: "SYNC_HEALTH_QUIET_SECONDS",
  retentionDays: "SYNC_RETENTION_DAYS",
  alertRetentionDays: "SYNC_ALERT_RETENTION_DAYS",
  healthRetentionDays: "SYNC_HEALTH_RETENTION_DAYS",
  sendDeadlineSeconds: "SYNC_SEND_DEADLINE_SECONDS",
  notifySeconds: "SYNC_NOTIFY_SECONDS",
  notifyBackoffBaseSeconds: "SYNC_NOTIFY_BACKOFF_BASE_SECONDS",
  metricsPort: "SYNC_METRICS_PORT",
};
