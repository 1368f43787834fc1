import type { SupabaseClient } from "@supabase/supabase-js";
import { type FormEvent, useId, useState } from "react";
import type { Locale } from "../../src/client/index.ts";
import { dashboardStrings } from "./i18n.ts";

/** Email + password sign-in through supabase-js (GoTrue's password grant). */
export function SignIn({ supabase, locale }: { supabase: SupabaseClient; locale: Locale }) {
  const t = dashboardStrings(locale);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const emailId = useId();
  const passwordId = useId();
  const errorId = useId();

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setFailed(false);
    const { error } = await supabase.auth.signInWithPassword({
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
    });
    setBusy(false);
    // The auth server's message is not shown: one localized text for every refusal.
    if (error) setFailed(true);
  };

  return (
    <form className="signin card" onSubmit={onSubmit} aria-describedby={failed ? errorId : undefined}>
      <h1>{t.signInTitle}</h1>
      <label htmlFor={emailId}>{t.email}</label>
      <input id={emailId} name="email" type="email" autoComplete="username" required />
      <label htmlFor={passwordId}>{t.password}</label>
      <input id={passwordId} name="password" type="password" autoComplete="current-password" required />
      {failed && (
        <p id={errorId} role="alert" className="error">
          {t.signInFailed}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? t.signingIn : t.signIn}
      </button>
    </form>
  );
}
