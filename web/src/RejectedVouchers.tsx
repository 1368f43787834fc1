import type { SupabaseClient } from "@supabase/supabase-js";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { Integration, Locale } from "../../src/client/index.ts";
import { formatTime, syncRunsKey } from "../../src/react/index.ts";
import { dashboardStrings } from "./i18n.ts";

/** One row of `public.export_rejections` as the list shows it. */
interface RejectedVoucher {
  id: string;
  integration_type: "xledger" | "dynamics";
  voucher_number: string;
  status: "rejected" | "requeued" | "skipped";
  error_code: string;
  error_message: string;
  remote_code: string | null;
  lines: number;
  rejected_at: string;
  resolution_reason: string | null;
}

const strings = {
  en: {
    heading: "Rejected vouchers",
    empty: "No voucher was refused.",
    intro:
      "Vouchers the accounting system refused (or that cannot be booked) are set aside here; the rest keep exporting. Fix the voucher, then re-queue it, or skip it with a reason.",
    voucher: (n: string, lines: number) => `Voucher ${n} · ${lines} line${lines === 1 ? "" : "s"}`,
    requeue: "Re-queue",
    skip: "Skip",
    reason: "Reason for skipping",
    confirmSkip: "Skip voucher",
    status: { rejected: "Rejected", requeued: "Re-queued", skipped: "Skipped" },
    failed: (message: string) => `Could not change the voucher: ${message}`,
  },
  nb: {
    heading: "Avviste bilag",
    empty: "Ingen bilag er avvist.",
    intro:
      "Bilag som regnskapssystemet avviste (eller som ikke kan bokføres) legges til side her; resten eksporteres videre. Rett bilaget og legg det i kø igjen, eller hopp over det med en begrunnelse.",
    voucher: (n: string, lines: number) => `Bilag ${n} · ${lines} linje${lines === 1 ? "" : "r"}`,
    requeue: "Legg i kø igjen",
    skip: "Hopp over",
    reason: "Begrunnelse for å hoppe over",
    confirmSkip: "Hopp over bilaget",
    status: { rejected: "Avvist", requeued: "I kø igjen", skipped: "Hoppet over" },
    failed: (message: string) => `Kunne ikke endre bilaget: ${message}`,
  },
} as const;

const COLUMNS =
  "id,integration_type,voucher_number,status,error_code,error_message,remote_code,lines,rejected_at,resolution_reason";

/**
 * The dead-letter list of every integration of the org (`public.export_rejections`, newest first), with
 * the two coordinator actions: re-queue (`public.requeue_rejected_voucher`) and skip with a reason
 * (`public.skip_rejected_voucher`). Both are checked and audited in SQL; the buttons only show for
 * admins and coordinators.
 */
export function RejectedVouchers(props: {
  supabase: SupabaseClient;
  orgId: string;
  integrations: Integration[];
  canAct: boolean;
  locale: Locale;
}) {
  const { supabase, orgId, canAct, locale } = props;
  const s = strings[locale];
  const t = dashboardStrings(locale);
  const headingId = useId();
  const queryClient = useQueryClient();
  // Under the runs key: a finished run invalidates it (IntegrationCard), and a run is what adds rows.
  const key = [...syncRunsKey(orgId), "rejected-vouchers"];
  const list = useQuery({
    queryKey: key,
    queryFn: async (): Promise<RejectedVoucher[]> => {
      const { data, error } = await supabase
        .from("export_rejections")
        .select(COLUMNS)
        .eq("org_id", orgId)
        .order("rejected_at", { ascending: false })
        .limit(50);
      if (error) throw new Error(error.message);
      return (data ?? []) as unknown as RejectedVoucher[];
    },
    refetchInterval: 30_000,
  });
  const act = useMutation({
    mutationFn: async (action: { kind: "requeue" | "skip"; id: string; reason?: string }) => {
      const { error } =
        action.kind === "requeue"
          ? await supabase.rpc("requeue_rejected_voucher", { org_id: orgId, rejection_id: action.id })
          : await supabase.rpc("skip_rejected_voucher", {
              org_id: orgId,
              rejection_id: action.id,
              reason: action.reason ?? "",
            });
      if (error) throw new Error(error.message);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
  });

  const rows = list.data ?? [];
  return (
    <section aria-labelledby={headingId} className="alerts rejected-vouchers">
      <h2 id={headingId}>{s.heading}</h2>
      <p className="muted">{s.intro}</p>
      {act.error && (
        <p role="alert" className="error">
          {s.failed(act.error.message)}
        </p>
      )}
      {rows.length === 0 ? (
        <p className="muted">{s.empty}</p>
      ) : (
        <ul className="alert-list">
          {rows.map((row) => (
            <RejectedRow
              key={row.id}
              row={row}
              canAct={canAct && row.status === "rejected"}
              busy={act.isPending}
              onRequeue={() => act.mutate({ kind: "requeue", id: row.id })}
              onSkip={(reason) => act.mutate({ kind: "skip", id: row.id, reason })}
              integrationName={t.integrationName[row.integration_type]}
              locale={locale}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function RejectedRow(props: {
  row: RejectedVoucher;
  canAct: boolean;
  busy: boolean;
  onRequeue: () => void;
  onSkip: (reason: string) => void;
  integrationName: string;
  locale: Locale;
}) {
  const { row, canAct, busy, locale } = props;
  const s = strings[locale];
  const [reason, setReason] = useState("");
  const reasonId = useId();
  return (
    <li className={`alert alert--warning${row.status === "rejected" ? "" : " alert--resolved"}`}>
      <span className="alert__kind">
        {s.voucher(row.voucher_number, row.lines)} · {props.integrationName} · {s.status[row.status]}
      </span>
      <span className="alert__message">
        {row.error_code}
        {row.remote_code ? ` (${row.remote_code})` : ""}: {row.error_message}
      </span>
      <span className="muted">
        <time dateTime={row.rejected_at}>{formatTime(row.rejected_at, locale)}</time>
        {row.resolution_reason && ` · ${row.resolution_reason}`}
      </span>
      {canAct && (
        <span className="rejected-vouchers__actions">
          <button type="button" disabled={busy} onClick={props.onRequeue}>
            {s.requeue}
          </button>
          <label htmlFor={reasonId}>{s.reason}</label>
          <input id={reasonId} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
          <button
            type="button"
            className="secondary"
            disabled={busy || reason.trim() === ""}
            onClick={() => props.onSkip(reason.trim())}
          >
            {s.confirmSkip}
          </button>
        </span>
      )}
    </li>
  );
}
