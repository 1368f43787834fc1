import { createClient, type Session, type SupabaseClient } from "@supabase/supabase-js";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { IntegrationAdminRepository, type Locale, SyncSchedulerRepository } from "../../src/client/index.ts";
import { SyncSchedulerProvider } from "../../src/react/index.ts";
import { loadConfig } from "./config.ts";
import { Dashboard } from "./Dashboard.tsx";
import { dashboardStrings } from "./i18n.ts";
import { SignIn } from "./SignIn.tsx";
import { useLocale } from "./useLocale.ts";

interface Api {
  supabase: SupabaseClient;
  repository: SyncSchedulerRepository;
  admin: IntegrationAdminRepository;
}

function LanguageToggle({ locale, onChange }: { locale: Locale; onChange: (l: Locale) => void }) {
  const t = dashboardStrings(locale);
  return (
    <fieldset className="lang">
      <legend className="visually-hidden">{t.language}</legend>
      <button type="button" lang="en" aria-pressed={locale === "en"} onClick={() => onChange("en")}>
        English
      </button>
      <button type="button" lang="nb" aria-pressed={locale === "nb"} onClick={() => onChange("nb")}>
        Norsk
      </button>
    </fieldset>
  );
}

/** Loads the API config, follows the auth session, and shows the sign-in form or the dashboard. */
export function App() {
  const [locale, setLocale] = useLocale();
  const t = dashboardStrings(locale);
  const queryClient = useQueryClient();
  const [api, setApi] = useState<Api | null>(null);
  const [failed, setFailed] = useState(false);
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    loadConfig().then(
      ({ supabaseUrl, anonKey }) => {
        if (cancelled) return;
        const supabase = createClient(supabaseUrl, anonKey);
        setApi({
          supabase,
          repository: new SyncSchedulerRepository(supabase),
          admin: new IntegrationAdminRepository(supabase),
        });
      },
      () => setFailed(true),
    );
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(() => {
    if (!api) return;
    api.supabase.auth.getSession().then(({ data }) => setSession(data.session));
    const { data } = api.supabase.auth.onAuthStateChange((_event, next) => setSession(next));
    return () => data.subscription.unsubscribe();
  }, [api]);

  const signOut = async () => {
    if (!api) return;
    await api.supabase.auth.signOut();
    await api.supabase.removeAllChannels();
    queryClient.clear();
  };

  return (
    <div className="app">
      <a className="skip" href="#main">
        {locale === "nb" ? "Hopp til innhold" : "Skip to content"}
      </a>
      <header className="topbar">
        <span className="brand">{t.appName}</span>
        <div className="topbar__actions">
          <LanguageToggle locale={locale} onChange={setLocale} />
          {session && (
            <button type="button" className="secondary" onClick={signOut}>
              {t.signOut}
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {failed && <p role="alert">{t.loadFailed}</p>}
        {!failed && (!api || session === undefined) && <p aria-busy="true">{t.loading}</p>}
        {api && session === null && <SignIn supabase={api.supabase} locale={locale} />}
        {api && session && (
          <SyncSchedulerProvider repository={api.repository} locale={locale}>
            <Dashboard repository={api.repository} admin={api.admin} session={session} locale={locale} />
          </SyncSchedulerProvider>
        )}
      </main>
    </div>
  );
}
