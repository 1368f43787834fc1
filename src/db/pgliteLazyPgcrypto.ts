import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import type { Extension } from "@electric-sql/pglite";
import { type ParsedTarFileItem, parseTar } from "nanotar";

/**
 * pgcrypto for PGlite, linked on first use instead of at every start.
 *
 * PGlite's own `pgcrypto` extension unpacks its bundle and links `pgcrypto.so` (3.2 MB of WASM,
 * OpenSSL included) while the database starts: ≈ 170–210 ms of every `PGlite.create` here
 * (2-core machine, warm data dir: 550–590 ms with it, 350–370 ms without). A warm start calls no
 * pgcrypto function; only a password check (`extensions.crypt`) or the seed does.
 *
 * This extension writes the same files into PGlite's file system before PostgreSQL starts (its
 * `preRun`, part of the extension API's `emscriptenOpts`) but does not hand the library to
 * Emscripten's preloader. PostgreSQL then loads it with `dlopen` the first time a pgcrypto
 * function is called, and Emscripten links a side module that was not preloaded synchronously:
 * the first call pays ≈ 140 ms once, later calls nothing extra. `CREATE EXTENSION pgcrypto`
 * (a new database) links it at that point, as PostgreSQL does on a server.
 *
 * The bundle is PGlite's own `pgcrypto.tar.gz`, so the library always matches the PGlite
 * version installed; test/db/pgliteLazyPgcrypto.test.ts checks both paths.
 */
export const lazyPgcrypto: Extension = {
  name: "pgcrypto",
  async setup(_pg, emscriptenOpts: { preRun?: Array<(mod: EmscriptenModule) => void> }) {
    const files = bundleFiles();
    const install = (mod: EmscriptenModule) => {
      for (const file of files) {
        const path = `${mod.WASM_PREFIX}/${file.name}`;
        mod.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
        mod.FS.writeFile(path, file.data as Uint8Array);
      }
    };
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), install] } };
  },
};

let unpacked: ParsedTarFileItem[] | undefined;

/**
 * The bundle's files, unpacked once per process (≈ 12–18 ms: 1.15 MB gunzipped to 3.2 MB); every
 * PGlite opened after the first (tests open one per file, benchmarks several) reuses them.
 * Emscripten's file system copies what it is given, so sharing the buffers is safe.
 */
function bundleFiles(): ParsedTarFileItem[] {
  if (unpacked) return unpacked;
  // The bundle sits next to PGlite's dist/contrib/pgcrypto.* modules, one directory up.
  const contrib = createRequire(import.meta.url).resolve("@electric-sql/pglite/contrib/pgcrypto");
  const bundle = new URL("../pgcrypto.tar.gz", pathToFileURL(contrib));
  unpacked = parseTar(gunzipSync(readFileSync(bundle))).filter(
    (f) => f.type === "file" && f.data !== undefined,
  );
  return unpacked;
}

/** The parts of PGlite's Emscripten module the installer touches. */
interface EmscriptenModule {
  WASM_PREFIX: string;
  FS: {
    mkdirTree(path: string): void;
    writeFile(path: string, data: Uint8Array): void;
  };
}
