import { type Compilable, CompiledQuery, type Kysely } from 'kysely';

/**
 * A query built and compiled once per dialect, then bound to new parameter values: a hot query
 * pays neither Kysely's builder nor its compiler per call. The SQL still comes from the builder,
 * in the repository that owns it, which runs the result (`db.executeQuery`, `store.queryFirst`).
 *
 * `build` receives placeholders for the named parameters; each placeholder is an object that
 * Kysely passes through to the compiled parameter list untouched, which is how its position is
 * found. Literals the builder itself adds stay as they are.
 */
export function reusableQuery<DB, P extends object, R>(
  names: readonly (keyof P & string)[],
  build: (db: Kysely<DB>, params: P) => Compilable<R>,
): (db: Kysely<DB>, params: P) => CompiledQuery<R> {
  // Keyed by the dialect adapter, which a transaction shares with its parent Kysely instance.
  const compiledByDialect = new WeakMap<object, Compiled<R>>();
  return (db, params) => {
    const adapter = db.getExecutor().adapter;
    let compiled = compiledByDialect.get(adapter);
    if (!compiled) {
      compiled = compile(db, names, build);
      compiledByDialect.set(adapter, compiled);
    }
    const values = params as Record<string, unknown>;
    const parameters = compiled.slots.map((slot) =>
      slot.name === undefined ? slot.value : values[slot.name],
    );
    return CompiledQuery.raw(compiled.sql, parameters) as CompiledQuery<R>;
  };
}

interface Compiled<R> {
  sql: string;
  slots: { name?: string; value?: unknown }[];
  /** Keeps R attached to the compiled form. */
  readonly _result?: R;
}

class Placeholder {
  constructor(readonly name: string) {}
}

function compile<DB, P extends object, R>(
  db: Kysely<DB>,
  names: readonly (keyof P & string)[],
  build: (db: Kysely<DB>, params: P) => Compilable<R>,
): Compiled<R> {
  const placeholders = Object.fromEntries(names.map((name) => [name, new Placeholder(name)])) as unknown as P;
  const { sql, parameters } = build(db, placeholders).compile();
  const slots = parameters.map((value) => (value instanceof Placeholder ? { name: value.name } : { value }));
  const missing = names.filter((name) => !slots.some((slot) => slot.name === name));
  if (missing.length > 0) throw new Error(`reusable query does not use parameter(s) ${missing.join(', ')}`);
  return { sql, slots };
}
