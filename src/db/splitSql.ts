/**
 * Splits a SQL script into statements the way the Supabase CLI records them in
 * `supabase_migrations.schema_migrations.statements`: on top-level semicolons, respecting
 * quotes, dollar-quoted bodies and comments. Used for the record only; scripts are executed
 * whole.
 * @example splitSql("select 1; create function f() returns int language sql as $$ select 1; $$;")
 *   // → ["select 1", "create function f() returns int language sql as $$ select 1; $$"]
 */
export function splitSql(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  const push = (end: number) => {
    const text = script.slice(start, end).trim();
    if (text.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, "").trim()) statements.push(text);
  };
  while (i < n) {
    const ch = script[i];
    const next = script[i + 1];
    if (ch === "-" && next === "-") {
      const eol = script.indexOf("\n", i);
      i = eol === -1 ? n : eol + 1;
    } else if (ch === "/" && next === "*") {
      // PostgreSQL block comments nest.
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (script[i] === "/" && script[i + 1] === "*") {
          depth++;
          i += 2;
        } else if (script[i] === "*" && script[i + 1] === "/") {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (ch === "'" || ch === '"') {
      i++;
      while (i < n) {
        if (script[i] === ch) {
          if (script[i + 1] === ch) i += 2;
          else {
            i++;
            break;
          }
        } else i++;
      }
    } else if (ch === "$") {
      const tag = /^\$[A-Za-z_][A-Za-z0-9_]*\$|^\$\$/.exec(script.slice(i, i + 64));
      if (tag) {
        const close = script.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? n : close + tag[0].length;
      } else i++;
    } else if (ch === ";") {
      push(i);
      i++;
      start = i;
    } else i++;
  }
  push(n);
  return statements;
}
