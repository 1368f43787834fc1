import type { Session } from "@supabase/supabase-js";
import { useQuery } from "@tanstack/react-query";
import {
  type IntegrationAdminRepository,
  type Locale,
  type SyncRun,
  type SyncSchedulerRepository,
  sessionScope,
} from "../../src/client/index.ts";
import { syncRunsKey } from "../../src/react/index.ts";
import { AdminPanel } from "./AdminPanel.tsx";
import { AlertList } from "./AlertList.tsx";
import { ApiUsage } from "./ApiUsage.tsx";
import { ColdStarts } from "./ColdStarts.tsx";
import { IntegrationCard } from "./IntegrationCard.tsx";
import { dashboardStrings } from "./i18n.ts";
import { Reconciliation } from "./Reconciliation.tsx";
import { RejectedVouchers } from "./RejectedVouchers.tsx";
import { RunHistory } from "./RunHistory.tsx";

// Background refresh of the lists (the run being watched is live over Realtime). Cheap reads of
// a few rows; 10 s keeps a scheduled run's appearance prompt without hammering the API.
const LIST_REFRESH_MS = 10_000;

export function Dashboard(props: {
  repository: SyncSchedulerRepository;
  admin: IntegrationAdminRepository;
  session: Session;
  locale: Locale;
}) {
  const { repository, admin, session, locale } = props;
  const t = dashboardStrings(locale);
  const scope = sessionScope(session.access_token);
  const orgId = scope.orgId ?? "";
  const enabled = Boolean(scope.orgId);

  const org = useQuery({
    queryKey: ["sync-scheduler", "org", orgId],
    queryFn: () => repository.getOrganization(orgId),
    enabled,
  });
  const members = useQuery({
    queryKey: ["sync-scheduler", "members", orgId],
    queryFn: () => repository.listMembers(orgId),
    enabled,
  });
  // Names for "who": members of the caller's own org only (org_member_directory).
  const directory = useQuery({
    queryKey: ["sync-scheduler", "directory", orgId],
    queryFn: () => admin.memberDirectory(orgId),
    enabled,
  });
  const credentials = useQuery({
    queryKey: ["sync-scheduler", "credentials", orgId],
    queryFn: () => admin.credentialsStatus(orgId),
    enabled,
  });
  const integrations = useQuery({
    queryKey: ["sync-scheduler", "integrations", orgId],
    queryFn: () => repository.listIntegrations(orgId),
    enabled,
    refetchInterval: LIST_REFRESH_MS,
  });
  const runs = useQuery({
    queryKey: [...syncRunsKey(orgId), "history"],
    queryFn: () => repository.listRuns(orgId, { limit: 25 }),
    enabled,
    refetchInterval: LIST_REFRESH_MS,
  });
  const alerts = useQuery({
    queryKey: ["sync-scheduler", "alerts", orgId],
    queryFn: () => repository.listAlerts(orgId, { limit: 20 }),
    enabled,
    refetchInterval: LIST_REFRESH_MS * 3,
  });

  const apiUsage = useQuery({
    queryKey: ["sync-scheduler", "api-usage", orgId],
    queryFn: () => repository.listApiUsage(orgId),
    enabled,
    refetchInterval: LIST_REFRESH_MS * 6,
  });
  const coldStarts = useQuery({
    queryKey: ["sync-scheduler", "cold-starts", orgId],
    queryFn: () => repository.listColdStarts(orgId, { limit: 50 }),
    enabled,
    refetchInterval: LIST_REFRESH_MS * 3,
  });

  if (!scope.orgId) return <p role="alert">{t.noOrg}</p>;
  const me = members.data?.find((m) => m.userId === scope.userId);
  const canTrigger = me?.role === "admin" || me?.role === "coordinator";
  const isAdmin = me?.role === "admin";
  const latestByType = new Map<string, SyncRun>();
  // The card's "Last run" and banner speak of exports; reconciliations have their own section.
  for (const run of runs.data ?? [])
    if (run.kind === "export" && !latestByType.has(run.integrationType))
      latestByType.set(run.integrationType, run);
  const failed = [org, members, integrations, runs].find((q) => q.status === "error");

  return (
    <div className="dashboard">
      <div className="dashboard__head">
        <h1>{org.data?.name ?? t.appName}</h1>
        {me && <p className="muted">{t.signedInAs(session.user.email ?? "", t.role[me.role])}</p>}
      </div>
      {failed?.error && (
        <p role="alert" className="error">
          {t.loadFailed}
        </p>
      )}

      <section aria-labelledby="integrations-heading">
        <h2 id="integrations-heading">{t.integrations}</h2>
        {integrations.status === "pending" && <p aria-busy="true">{t.loading}</p>}
        <div className="cards">
          {(integrations.data ?? []).map((integration) => (
            <IntegrationCard
              key={integration.id}
              integration={integration}
              latestRun={latestByType.get(integration.integrationType) ?? null}
              canTrigger={canTrigger && members.status === "success"}
              locale={locale}
              repository={repository}
              admin={admin}
              isAdmin={isAdmin}
              credentials={credentials.data?.[integration.integrationType]}
              recentRuns={(runs.data ?? []).filter(
                (r) => r.integrationType === integration.integrationType && r.kind === "export",
              )}
            />
          ))}
        </div>
      </section>

      <AlertList alerts={alerts.data ?? []} integrations={integrations.data ?? []} locale={locale} />
      <ColdStarts coldStarts={coldStarts.data ?? []} integrations={integrations.data ?? []} locale={locale} />

      <RejectedVouchers
        supabase={repository.supabase}
        orgId={orgId}
        integrations={integrations.data ?? []}
        canAct={canTrigger && members.status === "success"}
        locale={locale}
      />

      <Reconciliation
        orgId={orgId}
        integrations={integrations.data ?? []}
        canAct={canTrigger && members.status === "success"}
        locale={locale}
      />

      <ApiUsage usage={apiUsage.data ?? []} integrations={integrations.data ?? []} locale={locale} />

      <RunHistory
        runs={runs.data ?? []}
        members={directory.data ?? []}
        myUserId={scope.userId}
        locale={locale}
        loading={runs.status === "pending"}
      />

      {isAdmin && <AdminPanel orgId={orgId} admin={admin} members={directory.data ?? []} locale={locale} />}
    </div>
  );
}
