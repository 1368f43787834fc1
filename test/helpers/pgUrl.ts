/** The same server as `url`, database `name`. */
export function databaseUrlFor(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A connection for CREATE/DROP DATABASE: the `postgres` maintenance database on the same server. */
export function adminUrl(url: string): string {
  return databaseUrlFor(url, "postgres");
}
