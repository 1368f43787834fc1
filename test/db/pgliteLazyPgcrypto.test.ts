import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openPglite } from "../../src/db/pglite.ts";

// openPglite installs pgcrypto's files without linking the library at start
// (src/db/pgliteLazyPgcrypto.ts). Both ways PostgreSQL can come to load it must work: CREATE
// EXTENSION on a new database, and the first call on a reopened one, where nothing linked it.
describe("pgcrypto on PGlite, linked on first use", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("is created on a new database and answers after a restart, bcrypt and digests alike", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pglite-pgcrypto-"));
    dirs.push(dir);
    const dataDir = join(dir, "pgdata");

    const first = await openPglite({ dataDir });
    let hash: string;
    try {
      await first.exec("create schema extensions; create extension pgcrypto with schema extensions");
      const { rows } = await first.query<{ hash: string }>(
        "select extensions.crypt('demo-password', extensions.gen_salt('bf', 4)) as hash",
      );
      hash = rows[0]?.hash ?? "";
      expect(hash).toMatch(/^\$2a\$04\$.{53}$/);
    } finally {
      await first.close();
    }

    // A new process would see the same: the files are there, the library is not linked yet.
    const again = await openPglite({ dataDir });
    try {
      const { rows } = await again.query<{ right: boolean; wrong: boolean; sha256: string }>(
        `select extensions.crypt('demo-password', $1) = $1 as right,
                extensions.crypt('wrong-password', $1) = $1 as wrong,
                encode(extensions.digest('abc', 'sha256'), 'hex') as sha256`,
        [hash],
      );
      expect(rows[0]).toEqual({
        right: true,
        wrong: false,
        // FIPS 180-2's test vector for "abc".
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      });
    } finally {
      await again.close();
    }
  });
});
