// The production build of the server: one ES module, packages/server/dist/chekt-partner.mjs.
//
// Why: start-up was mostly module loading. TypeBox alone is ~700 ES modules and the whole server
// ~1,000 files; as one file the server listens in ~0.6 s instead of ~1.7 s (1M sites, see the
// README's Performance section). The unbundled tsc output in dist/ stays for tests and types.
//
// Native or file-reading packages stay outside the bundle and load from node_modules as usual:
// better-sqlite3 (a .node addon), pg (optional pg-native), swagger-ui-dist (its files are served).
//
// Whitespace and syntax are minified, names are not: V8 keeps a script's whole source in memory
// (the 3.1 MB bundle was 2.9 MB of the heap's 17.5 MB live, its line table 0.6 MB more), and the
// minified one left the server ~2 MB smaller in RSS. Stack traces keep every function's name; for
// their positions in the TypeScript sources, run node with --enable-source-maps (the map is
// beside the bundle).
//
// The WAL checkpointer thread's file is a second output, beside the bundle: the bundled code starts
// it from there (new URL('./wal-checkpointer.worker.mjs', import.meta.url)).
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'pg', 'pg-native', 'swagger-ui-dist'],
  sourcemap: 'linked',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: ['packages/server/dist/store/wal-checkpointer.worker.mjs'],
  outfile: 'packages/server/dist/wal-checkpointer.worker.mjs',
});

await build({
  ...common,
  entryPoints: ['packages/server/dist/cli/main.js'],
  outfile: 'packages/server/dist/chekt-partner.mjs',
  // CommonJS dependencies inside an ES module bundle still call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
  },
});
