import { describe, expect, it } from "vitest";
import { splitSql } from "../../src/db/splitSql.ts";

describe("splitSql", () => {
  it("splits on top-level semicolons only", () => {
    const script = `
      -- a comment; with a semicolon
      create table t (x text default 'a;b', "we;ird" int);
      /* block; /* nested; */ still comment */
      create function f() returns int language plpgsql as $body$ begin return 1; end; $body$;
      select $$;$$, E'it''s;';
      select 1`;
    expect(splitSql(script)).toEqual([
      `-- a comment; with a semicolon
      create table t (x text default 'a;b', "we;ird" int)`,
      `/* block; /* nested; */ still comment */
      create function f() returns int language plpgsql as $body$ begin return 1; end; $body$`,
      "select $$;$$, E'it''s;'",
      "select 1",
    ]);
  });
  it("drops empty and comment-only statements", () => {
    expect(splitSql(";; -- nothing\n;")).toEqual([]);
  });
  it("treats a positional parameter as text, not a dollar quote", () => {
    expect(splitSql("select $1; select 2")).toEqual(["select $1", "select 2"]);
  });
});
