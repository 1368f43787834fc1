import { useId, useState } from "react";
import type { FindingLine, Locale, ReconciliationFinding } from "../../src/client/index.ts";
import { intlLocale, useFindingAction } from "../../src/react/index.ts";
import { reconciliationStrings } from "./reconciliationStrings.ts";

// Rows the table renders; the CSV (built from every finding of the run) has them all.
const SHOWN = 200;

/** An amount from the SDK's two-decimal text, in the reader's locale ("1 250,00" in bokmål). */
function amountText(line: FindingLine | null, locale: Locale): string {
  if (!line?.amount) return "—";
  const n = Number(line.amount);
  const shown = Number.isFinite(n)
    ? new Intl.NumberFormat(intlLocale(locale), {
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
      }).format(n)
    : line.amount;
  return line.currency ? `${shown} ${line.currency}` : shown;
}

/** "6300" when both sides agree or one is absent, "6300 → 6310" when they differ. */
function pair(a: string | null | undefined, b: string | null | undefined): string {
  if (a && b && a !== b) return `${a} → ${b}`;
  return a ?? b ?? "—";
}

/**
 * The findings of one reconciliation run: a table (caption names the integration) with what we
 * exported and what the accounting system holds, and per open finding its action — re-queue for a
 * `missing` entry, acknowledge with a note for any other kind (the RPCs check role and kind again).
 */
export function ReconciliationFindings(props: {
  orgId: string;
  name: string;
  findings: ReconciliationFinding[];
  canAct: boolean;
  locale: Locale;
}) {
  const { orgId, name, findings, canAct, locale } = props;
  const s = reconciliationStrings(locale);
  const act = useFindingAction();
  const busy = act.state.status === "loading";
  if (findings.length === 0) return <p className="muted">{s.noFindings}</p>;
  return (
    <>
      {findings.length > SHOWN && <p className="muted">{s.showing(SHOWN, findings.length)}</p>}
      {act.state.status === "error" && (
        <p role="alert" className="error">
          {s.actionFailed(act.state.error.userMessage(locale))}
        </p>
      )}
      <div className="usage__scroll">
        <table className="runs findings">
          <caption>{s.findingsOf(name)}</caption>
          <thead>
            <tr>
              <th scope="col">{s.col.kind}</th>
              <th scope="col">{s.col.voucher}</th>
              <th scope="col">{s.col.account}</th>
              <th scope="col">{s.col.date}</th>
              <th scope="col">{s.col.exported}</th>
              <th scope="col">{s.col.theirs}</th>
              <th scope="col">{s.col.status}</th>
              {canAct && <th scope="col">{s.col.action}</th>}
            </tr>
          </thead>
          <tbody>
            {findings.slice(0, SHOWN).map((f) => (
              <FindingRow
                key={f.id}
                finding={f}
                canAct={canAct}
                busy={busy}
                locale={locale}
                onRequeue={() => act.requeue(orgId, f.id).catch(() => {})}
                onAcknowledge={(note) => act.acknowledge(orgId, f.id, note).catch(() => {})}
              />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function FindingRow(props: {
  finding: ReconciliationFinding;
  canAct: boolean;
  busy: boolean;
  locale: Locale;
  onRequeue: () => void;
  onAcknowledge: (note: string) => void;
}) {
  const { finding: f, canAct, busy, locale } = props;
  const s = reconciliationStrings(locale);
  const [note, setNote] = useState("");
  const noteId = useId();
  const open = f.status === "open";
  return (
    <tr data-kind={f.kind}>
      <td data-label={s.col.kind}>{s.kind[f.kind]}</td>
      <td data-label={s.col.voucher}>{f.expected?.voucherNumber ?? f.actual?.voucherNumber ?? "—"}</td>
      <td data-label={s.col.account}>{pair(f.expected?.account, f.actual?.account)}</td>
      <td data-label={s.col.date}>{pair(f.expected?.postingDate, f.actual?.postingDate)}</td>
      <td data-label={s.col.exported}>{amountText(f.expected, locale)}</td>
      <td data-label={s.col.theirs}>{amountText(f.actual, locale)}</td>
      <td data-label={s.col.status}>
        <span>
          {s.status[f.status]}
          {f.note && <span className="muted"> — {f.note}</span>}
        </span>
      </td>
      {canAct && (
        <td data-label={s.col.action}>
          {open && f.kind === "missing" && (
            <button type="button" disabled={busy} onClick={props.onRequeue}>
              {s.requeue}
            </button>
          )}
          {open && f.kind !== "missing" && (
            <span className="rejected-vouchers__actions">
              <label htmlFor={noteId}>{s.note}</label>
              <input id={noteId} value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
              <button
                type="button"
                className="secondary"
                disabled={busy || note.trim() === ""}
                onClick={() => props.onAcknowledge(note.trim())}
              >
                {s.acknowledge}
              </button>
            </span>
          )}
        </td>
      )}
    </tr>
  );
}
