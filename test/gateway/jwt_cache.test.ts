import { describe, expect, it } from "vitest";
import { DEFAULT_JWT_SECRET, signJwt, verifyJwt } from "../../src/local/gateway/jwt.ts";

// verifyJwt keeps verified tokens; these check that the cache never changes an answer.
describe("verifyJwt with its verified-token cache", () => {
  const now = Date.UTC(2030, 0, 1);
  const sec = now / 1000;

  it("refuses a cached token once it has expired (30 s of skew), and again after", async () => {
    const token = await signJwt({ sub: "u1", role: "authenticated", exp: sec + 60 }, DEFAULT_JWT_SECRET);
    expect((await verifyJwt(token, DEFAULT_JWT_SECRET, now)).ok).toBe(true);
    expect((await verifyJwt(token, DEFAULT_JWT_SECRET, now + 89_000)).ok).toBe(true);
    const late = await verifyJwt(token, DEFAULT_JWT_SECRET, now + 91_000);
    expect(late).toMatchObject({ ok: false, failure: { kind: "claims", message: "JWT expired" } });
    expect((await verifyJwt(token, DEFAULT_JWT_SECRET, now + 120_000)).ok).toBe(false);
  });

  it("re-checks nbf on every use", async () => {
    const token = await signJwt({ role: "anon", nbf: sec + 100 }, DEFAULT_JWT_SECRET);
    expect((await verifyJwt(token, DEFAULT_JWT_SECRET, now + 100_000)).ok).toBe(true);
    expect(await verifyJwt(token, DEFAULT_JWT_SECRET, now)).toMatchObject({
      ok: false,
      failure: { message: "JWT not yet valid" },
    });
  });

  it("never answers from a token verified under another secret", async () => {
    const token = await signJwt({ role: "service_role", exp: sec + 3600 }, DEFAULT_JWT_SECRET);
    expect((await verifyJwt(token, DEFAULT_JWT_SECRET, now)).ok).toBe(true);
    const other = await verifyJwt(token, "another-secret-that-is-at-least-32-characters", now);
    expect(other).toMatchObject({ ok: false, failure: { kind: "decode" } });
    expect((await verifyJwt(token, DEFAULT_JWT_SECRET, now)).ok).toBe(true);
  });

  it("hands out claims a caller cannot change for the next request", async () => {
    const token = await signJwt(
      { role: "authenticated", app: { x: 1 }, exp: sec + 3600 },
      DEFAULT_JWT_SECRET,
    );
    const first = await verifyJwt(token, DEFAULT_JWT_SECRET, now);
    if (!first.ok) throw new Error("expected ok");
    first.claims.role = "service_role";
    (first.claims.app as { x: number }).x = 2;
    const second = await verifyJwt(token, DEFAULT_JWT_SECRET, now);
    expect(second).toMatchObject({ ok: true, claims: { role: "authenticated", app: { x: 1 } } });
  });
});
