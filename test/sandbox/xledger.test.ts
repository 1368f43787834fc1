/** The fake Xledger over raw HTTP: auth, error shape, mutation validation, Relay paging. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/local/sandbox/index.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.reset());

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { code?: string; message: string; extensions?: Record<string, unknown> }[];
}

async function gql(
  query: string,
  variables: Record<string, unknown> = {},
  auth = "token sandbox-xledger-token",
) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (auth !== "") headers.Authorization = auth;
  const res = await fetch(`${sandbox.url}/xledger/graphql`, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as GraphQLBody };
}

const ADD = `mutation($inputs: [AddGLImportItemsInput!]!) {
  addGLImportItems(inputs: $inputs) { edges { node { dbId extIdentifier amount } } }
}`;
const node = (ref: string, amount: unknown = "101.00") => ({
  node: { extIdentifier: ref, postedDate: "2026-01-31", account: { code: "1010" }, amount, text: "x" },
});

describe("fake Xledger", () => {
  it("answers the ping query", async () => {
    const res = await gql("query { __typename }");
    expect(res).toEqual({ status: 200, body: { data: { __typename: "Query" } } });
  });

  it.each([
    ["missing", ""],
    ["Bearer scheme", "Bearer sandbox-xledger-token"],
    ["two words", "token a b"],
  ])("rejects a %s Authorization header with Xledger's bad-format message (HTTP 200)", async (_l, auth) => {
    const res = await gql("query { __typename }", {}, auth);
    expect(res.status).toBe(200);
    expect(res.body.errors?.[0]?.message.toLowerCase()).toContain("bad format for api token");
  });

  it("rejects an unknown token with an UNAUTHORIZED code", async () => {
    const res = await gql("query { __typename }", {}, "token wrong-token");
    expect(res.status).toBe(200);
    expect(res.body.errors?.[0]?.code).toBe("UNAUTHORIZED.INVALID_TOKEN");
  });

  it("reports invalid queries as BAD_REQUEST errors with a top-level code", async () => {
    const res = await gql("query { nope }");
    expect(res.status).toBe(200);
    expect(res.body.errors?.[0]?.code).toMatch(/^BAD_REQUEST\./);
    expect(res.body.errors?.[0]?.message).toContain("nope");
  });

  it("adds GL import items, counts them by extIdentifier, and counts a duplicate twice", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const res = await gql(ADD, { inputs: [node(a), node(b, "-12.50")] });
    type Added = { edges: { node: { dbId: number; amount: string } }[] };
    const edges = (res.body.data as { addGLImportItems: Added }).addGLImportItems.edges;
    expect(edges.map((e) => e.node.amount)).toEqual(["101.00", "-12.50"]);
    expect(new Set(edges.map((e) => e.node.dbId)).size).toBe(2);
    await gql(ADD, { inputs: [node(a)] });
    expect(sandbox.state().xledger.received).toEqual({ [a]: 2, [b]: 1 });
  });

  it("rejects a batch with one invalid item as a whole (amount must be a decimal string)", async () => {
    const res = await gql(ADD, { inputs: [node(randomUUID()), node(randomUUID(), 101)] });
    expect(res.body.errors?.[0]?.code).toBe("BAD_REQUEST.INVALID_VALUE");
    expect(res.body.data).toBeNull();
    expect(sandbox.state().xledger.received).toEqual({});
  });

  it("rejects an impossible posted date", async () => {
    const bad = node(randomUUID());
    bad.node.postedDate = "2026-02-30";
    const res = await gql(ADD, { inputs: [bad] });
    expect(res.body.errors?.[0]?.code).toBe("BAD_REQUEST.INVALID_VALUE");
  });

  it("pages glImportItems Relay-style with cursors", async () => {
    const refs = Array.from({ length: 5 }, () => randomUUID());
    await gql(ADD, { inputs: refs.map((r) => node(r)) });
    const page = `query($after: String, $refs: [String!]!) {
      glImportItems(first: 2, after: $after, filter: { extIdentifier_in: $refs }) {
        edges { cursor node { extIdentifier } } pageInfo { hasNextPage endCursor }
      }
    }`;
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res = await gql(page, { after, refs: [...refs, "unknown"] });
      const conn = res.body.data?.glImportItems as {
        edges: { node: { extIdentifier: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      pages++;
      seen.push(...conn.edges.map((e) => e.node.extIdentifier));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(refs);
  });

  it("refuses more than 10,000 records per query", async () => {
    const res = await gql("query { glImportItems(first: 10001) { edges { cursor } } }");
    expect(res.body.errors?.[0]?.code).toBe("BAD_REQUEST.INVALID_VALUE");
  });

  it("answers Xledger throttling faults with HTTP 200 errors", async () => {
    sandbox.fault({ target: "xledger", kind: "burst_limit" });
    sandbox.fault({ target: "xledger", kind: "concurrency_limit" });
    sandbox.fault({ target: "xledger", kind: "credits", reset_at: "2026-01-01T00:20:00Z" });
    sandbox.fault({ target: "xledger", kind: "rate_limit", retry_after: 9 });
    const codes = [];
    for (let i = 0; i < 4; i++) {
      const res = await gql("query { __typename }");
      expect(res.status).toBe(200);
      codes.push([res.body.errors?.[0]?.code, res.body.errors?.[0]?.extensions?.resetAt]);
    }
    expect(codes).toEqual([
      ["BAD_REQUEST.BURST_RATE_LIMIT_REACHED", undefined],
      ["BAD_REQUEST.CONCURRENCY_LIMIT_REACHED", undefined],
      ["BAD_REQUEST.INSUFFICIENT_CREDITS", "2026-01-01T00:20:00Z"],
      ["BAD_REQUEST.BURST_RATE_LIMIT_REACHED", undefined],
    ]);
    expect((await gql("query { __typename }")).body.data).toEqual({ __typename: "Query" });
  });
});
