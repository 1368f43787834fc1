/** The claims of a Supabase access token the dashboard needs (unverified: the server verifies). */
export interface SessionScope {
  userId: string;
  /** The organization the token is scoped to (`org_id`, set by the custom access token hook). */
  orgId: string | null;
}

function base64UrlDecode(part: string): string {
  const b64 = part
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * Reads `sub` and `org_id` from an access token. Only for choosing what to show: every rule is
 * enforced by the database from the verified token, never from this.
 * @example const { orgId } = sessionScope(session.access_token);
 */
export function sessionScope(accessToken: string): SessionScope {
  try {
    const claims = JSON.parse(base64UrlDecode(accessToken.split(".")[1] ?? "")) as Record<string, unknown>;
    return {
      userId: typeof claims.sub === "string" ? claims.sub : "",
      orgId: typeof claims.org_id === "string" ? claims.org_id : null,
    };
  } catch {
    return { userId: "", orgId: null };
  }
}
