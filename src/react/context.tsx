import { createContext, type ReactNode, useContext, useMemo } from "react";
import type { Locale, SyncRunSource } from "../client/index.ts";

interface SyncSchedulerContextValue {
  repository: SyncRunSource;
  locale: Locale;
}

const SyncSchedulerContext = createContext<SyncSchedulerContextValue | null>(null);

/**
 * Hands the repository and the locale to the hooks and components below it (the Riverpod
 * equivalent is a `Provider<SyncSchedulerRepository>` override plus a locale provider). Needs a
 * TanStack `QueryClientProvider` above it.
 * @example
 * <QueryClientProvider client={queryClient}>
 *   <SyncSchedulerProvider repository={new SyncSchedulerRepository(supabase)} locale="nb">
 *     <ManualSyncButton orgId={orgId} integrationType="xledger" />
 *   </SyncSchedulerProvider>
 * </QueryClientProvider>
 */
export function SyncSchedulerProvider(props: {
  repository: SyncRunSource;
  locale?: Locale;
  children: ReactNode;
}) {
  const { repository, locale = "en", children } = props;
  const value = useMemo(() => ({ repository, locale }), [repository, locale]);
  return <SyncSchedulerContext.Provider value={value}>{children}</SyncSchedulerContext.Provider>;
}

/**
 * The repository and locale from the nearest {@link SyncSchedulerProvider}.
 * @example const { repository, locale } = useSyncScheduler();
 */
export function useSyncScheduler(): SyncSchedulerContextValue {
  const value = useContext(SyncSchedulerContext);
  if (!value) throw new Error("useSyncScheduler: wrap the tree in <SyncSchedulerProvider repository={…}>");
  return value;
}
