import { useCallback, useEffect, useState } from "react";
import type { Locale } from "../../src/client/index.ts";

const KEY = "sync-scheduler.locale";

function initialLocale(): Locale {
  const saved = window.localStorage.getItem(KEY);
  if (saved === "en" || saved === "nb") return saved;
  return /^(nb|no|nn)\b/i.test(window.navigator.language) ? "nb" : "en";
}

/**
 * The chosen UI language, remembered in localStorage and mirrored to `<html lang>` so screen
 * readers pronounce the page in the right language.
 * @example const [locale, setLocale] = useLocale();
 */
export function useLocale(): [Locale, (locale: Locale) => void] {
  const [locale, setState] = useState<Locale>(initialLocale);
  useEffect(() => {
    document.documentElement.lang = locale === "nb" ? "nb" : "en";
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    window.localStorage.setItem(KEY, next);
    setState(next);
  }, []);
  return [locale, setLocale];
}
