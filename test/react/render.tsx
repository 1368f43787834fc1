import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import type { Locale } from "../../src/client/index.ts";
import { SyncSchedulerProvider } from "../../src/react/index.ts";
import type { FakeSource } from "./fakeSource.ts";

/** Renders `ui` inside a fresh QueryClient and the provider, over `source`. */
export function renderWith(source: FakeSource, ui: ReactNode, locale: Locale = "en") {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={queryClient}>
      <SyncSchedulerProvider repository={source} locale={locale}>
        {ui}
      </SyncSchedulerProvider>
    </QueryClientProvider>,
  );
}
