import type { Locale, MemberProfile } from "../../src/client/index.ts";
import { dashboardStrings } from "./i18n.ts";

/** A member as people know them: display name, else email, else the role. */
export function personName(members: MemberProfile[], userId: string, locale: Locale): string {
  const m = members.find((x) => x.userId === userId);
  if (!m) return "—";
  return m.displayName ?? m.email ?? dashboardStrings(locale).role[m.role];
}
