import { parseArgs } from 'node:util';

/** What one `npm run bench` does, from its flags. Defaults are the full run the README quotes. */
export function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      db: { type: 'string', default: 'sqlite' },
      sites: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      repetitions: { type: 'string' },
      connections: { type: 'string', default: '50' },
      scenarios: { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  // Smoke mode proves the harness still works end to end; its numbers mean nothing.
  const smoke = values.smoke;
  const options = {
    smoke,
    db: values.db,
    siteCounts: list(values.sites ?? (smoke ? '1000' : '10000,1000000')).map((text) =>
      integer('sites', text),
    ),
    durationS: integer('duration', values.duration ?? (smoke ? '2' : '10')),
    warmupS: integer('warmup', values.warmup ?? (smoke ? '1' : '3')),
    repetitions: integer('repetitions', values.repetitions ?? (smoke ? '1' : '5')),
    connections: integer('connections', values.connections),
    scenarios: list(values.scenarios ?? 'get,patch,token'),
    cpuProfDir: values['cpu-prof'],
  };
  if (!/^(sqlite|postgres(ql)?:\/\/.+)$/.test(options.db)) {
    throw new Error(`--db must be "sqlite" or postgres://..., got ${options.db}`);
  }
  for (const name of options.scenarios) {
    if (!['get', 'patch', 'token'].includes(name)) throw new Error(`unknown scenario ${name}`);
  }
  return options;
}

const USAGE = `npm run bench -- [options]
  --smoke               a few seconds per step, 1,000 sites: checks the harness works
  --db sqlite|postgres://user:pass@host/db   (PostgreSQL: a scratch database is created beside it)
  --sites 10000,1000000 site counts, one full run each
  --duration 10         measured seconds per scenario and repetition
  --warmup 3            unmeasured seconds before each measurement
  --repetitions 5       rounds; each round interleaves the baseline and every scenario
  --connections 50      concurrent connections of the load generator
  --scenarios get,patch,token
  --cpu-prof DIR        run the server with node --cpu-prof, profiles written to DIR
`;

function list(text) {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

function integer(name, text) {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`--${name} must be a positive integer`);
  return Number(text);
}
