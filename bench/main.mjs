// `npm run bench`: the API server against a bare Fastify baseline, on the same machine, in the
// same run, interleaved, medians reported as ratios. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readOptions } from './options.mjs';
import { cpuSecondsOf, killAll, machineCpuTicks, pinning, rssOf, spawnPinned } from './processes.mjs';
import { formatTable, getShare, p99Ratio, ratiosOf, runRatio, summarize } from './report.mjs';
import { startApiServer, startBaseline } from './servers.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOADGEN = fileURLToPath(new URL('./loadgen.mjs', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));

async function main() {
  const options = readOptions(process.argv.slice(2));
  buildIfStale();
  // Only now: seeding imports the server's compiled modules, which a fresh checkout does not have yet.
  const { freshDatabase, seed } = await import('./seed.mjs');
  const machine = describeMachine();
  log(`machine: ${machine.cpus} x ${machine.cpuModel}, pinning: ${JSON.stringify(machine.pinning)}`);
  const runs = await benchDatabases(options, { freshDatabase, seed });
  const document = { date: new Date().toISOString(), options, machine, runs };
  writeFileSync(RESULTS, `${JSON.stringify(document, null, 2)}\n`);
  for (const run of runs) process.stdout.write(formatTable(run.title, run.rows, run.notes));
  log(`results written to ${RESULTS}`);
  // A run whose requests failed measured something else (a 401 is cheap): say so in the exit code.
  const failed = runs.flatMap((run) =>
    Object.entries(run.rows)
      .filter(([, row]) => row.errors > 0)
      .map(([name]) => `${run.title}: ${name}`),
  );
  if (failed.length > 0) {
    log(`errors (non-2xx, timeouts) in: ${failed.join('; ')}`);
    process.exitCode = 1;
  }
}

/**
 * The production build: `tsc --build` (incremental: about a second when current) and the bundle
 * the operator runs (dist/chekt-partner.mjs, under a second).
 */
function buildIfStale() {
  const steps = [
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '--build', 'packages/server'],
    [join(ROOT, 'scripts/bundle-server.mjs')],
  ];
  for (const args of steps) {
    const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`build failed: ${args.join(' ')}`);
  }
}

/**
 * Every database (one per site count) gets its own server, and one baseline serves them all. The
 * rounds interleave everything: the baseline, then each scenario on each database in turn (GET
 * with 10,000 sites, GET with 1,000,000, PATCH with 10,000, ...; the other way round in even
 * rounds), so drift in the machine hits the two databases' runs alike, and the target that
 * compares them (GET with 1,000,000 sites against the 10,000-site figure) pairs runs seconds apart
 * instead of ten minutes apart.
 */
async function benchDatabases(options, { freshDatabase, seed }) {
  const targets = [];
  let baseline;
  try {
    for (const siteCount of options.siteCounts) {
      targets.push(await startTarget(options, siteCount, { freshDatabase, seed }));
    }
    const baselineLog = join(targets[0].database.dir, 'baseline.log');
    baseline = await startBaseline({ logFile: baselineLog });
    const baselineTarget = { url: baseline.url, pid: baseline.pid, log: baselineLog };
    // Even rounds take the databases in the opposite order, so that neither always runs first.
    const databasesIn = (round) => (round % 2 === 0 ? [...targets].reverse() : targets);
    const runsOf = (scenario, round = 1) => {
      if (scenario === 'baseline') {
        return [{ job: jobFor('baseline', baselineTarget, targets[0]), target: baselineTarget }];
      }
      return databasesIn(round).map((target) => ({ job: jobFor(scenario, target.server, target), target }));
    };
    const order = ['baseline', ...options.scenarios];

    // One unrecorded pass over every scenario first: the JIT and the caches of every process get
    // warm before anything is measured (a first GET run was up to 3x slower than the next).
    for (const scenario of order) {
      for (const { job, target } of runsOf(scenario)) {
        await load({ ...options, durationS: options.warmupS, warmupS: 0 }, job);
        truncateSync(target.log);
      }
    }

    const baselineSamples = [];
    const measure = async (scenario, label, round) => {
      for (const { job, target } of runsOf(scenario, round)) {
        const isBaseline = scenario === 'baseline';
        const result = await measureRun(options, job, isBaseline || scenario === 'get');
        const samples = isBaseline ? baselineSamples : target.samples[scenario];
        samples.push(result);
        const where = isBaseline || targets.length === 1 ? '' : ` (${target.siteCount} sites)`;
        logRun(`${label} ${scenario}${where}`, result, isBaseline ? undefined : baselineSamples.at(-1));
        truncateSync(target.log);
      }
    };
    for (let round = 1; round <= options.repetitions; round += 1) {
      // Baseline and scenarios take turns within each round, so drift in the machine hits both.
      for (const scenario of order) await measure(scenario, `round ${round}`, round);
    }
    // One baseline run more, so that every scenario run has one after it as well as before it.
    await measure('baseline', 'closing');
    return targets.map((target, index) =>
      reportOf(options, target, baselineSamples, index > 0 ? targets[0] : undefined),
    );
  } finally {
    for (const target of targets) await target.server.stop();
    await baseline?.stop();
    for (const target of targets) await target.database.drop();
  }
}

/** A fresh database with `siteCount` sites, the server on it, and a token for its client. */
async function startTarget(options, siteCount, { freshDatabase, seed }) {
  const dialect = options.db === 'sqlite' ? 'sqlite' : 'postgres';
  const title = `${dialect}, ${siteCount.toLocaleString('en-US')} sites, ${options.connections} connections`;
  log(`== ${title}: seeding`);
  const database = await freshDatabase(options.db, String(siteCount));
  let server;
  try {
    const client = await seed(database.url, siteCount);
    log(`seeded ${siteCount} sites in ${Math.round(client.seedMs)} ms`);
    const serverLog = join(database.dir, 'server.log');
    server = await startApiServer({
      dbUrl: database.url,
      logFile: serverLog,
      cpuProfDir: options.cpuProfDir,
    });
    log(`server up in ${Math.round(server.startupMs)} ms at ${server.url} (pid ${server.pid})`);
    const token = await fetchToken(server.url, client);
    const samples = Object.fromEntries(options.scenarios.map((scenario) => [scenario, []]));
    return { title, dialect, siteCount, database, client, server, log: serverLog, token, samples };
  } catch (error) {
    await server?.stop();
    await database.drop();
    throw error;
  }
}

/** What the load generator needs for one run of `scenario` against `endpoint` (a server or the baseline). */
function jobFor(scenario, endpoint, target) {
  return {
    kind: scenario === 'baseline' ? 'get' : scenario,
    url: endpoint.url,
    serverPid: endpoint.pid,
    siteCount: target.siteCount,
    token: scenario === 'token' ? undefined : target.token,
    clientId: target.client.clientId,
    clientSecret: target.client.clientSecret,
  };
}

/**
 * One database's table: its scenarios against the shared baseline, and the notes under it. A
 * later database's GET is also set against the first one's (`first`), since its target is a
 * share of that figure.
 */
function reportOf(options, target, baselineSamples, first) {
  const samples = { baseline: baselineSamples, ...target.samples };
  logInterpolatedRatios(target.title, samples);
  const rows = summarize(samples);
  const notes = notesOf(options, target, samples, rows);
  const share =
    first && rows.get ? getShare(samples, { baseline: baselineSamples, ...first.samples }) : undefined;
  if (share) {
    notes.push(
      `GET ratio / the ${first.siteCount.toLocaleString('en-US')}-site GET ratio: ${share.ofMedians.toFixed(2)} ` +
        `(round by round: ${share.byRound.map((value) => value.toFixed(2)).join(', ')})`,
    );
  }
  return {
    title: target.title,
    dialect: target.dialect,
    siteCount: target.siteCount,
    startupMs: target.server.startupMs,
    seedMs: target.client.seedMs,
    rows,
    samples,
    notes,
  };
}

/** The lines under a table: start-up, the machine during the runs, the method, p99 and RSS. */
function notesOf(options, target, samples, rows) {
  const { siteCount, server, client } = target;
  const loads = rangeOf(samples, 'loadAverage', (load) => load.toFixed(1));
  const steal = rangeOf(samples, 'stealPercent', (percentage) => percentage.toFixed(0));
  const serverBusy = rangeOf(samples, 'serverBusy', percent);
  const loadBusy = rangeOf(samples, 'loadBusy', percent);
  const notes = [
    `server start-up with ${siteCount.toLocaleString('en-US')} sites: ${Math.round(server.startupMs)} ms ` +
      `(spawn to "server listening"); seeding ${Math.round(client.seedMs)} ms`,
    `machine load average (1 min) during the runs: ${loads} on ${cpus().length} CPUs ` +
      '(other work on the machine lowers req/s; CPU µs/req is steadier)',
    `CPU stolen by the hypervisor during the runs: ${steal ? `${steal}%` : 'unknown (no /proc/stat)'} ` +
      "of the machine's CPU time",
    `share of its CPU each process used during the measured runs: server ${serverBusy ?? 'unknown'}, ` +
      `load generator ${loadBusy ?? 'unknown'} (a server well below 100% was not the limit)`,
    `median of ${options.repetitions} x ${options.durationS} s after ${options.warmupS} s warm-up ` +
      '(the baseline one run more, after the last round); ratios: the median over the rounds of each ' +
      "run's ratio to the baseline interpolated between the baseline runs before and after it; " +
      'RSS after the GET (server) and baseline runs',
  ];
  const settings = serverSettings();
  if (settings) notes.push(`server settings from the environment: ${settings}`);
  if (rows.get && rows.baseline) {
    notes.push(
      `GET p99 / baseline p99: ${p99Ratio(rows.get.p99Ms, rows.baseline.p99Ms)}; ` +
        `server RSS / baseline RSS: ${(rows.get.rssBytes / rows.baseline.rssBytes).toFixed(2)}`,
    );
  }
  return notes;
}

/** One warm-up plus one measured autocannon run, in the load-generator process. */
async function load(options, job) {
  const child = spawnPinned(
    'load',
    process.execPath,
    [
      LOADGEN,
      JSON.stringify({
        ...job,
        connections: options.connections,
        durationS: options.durationS,
        warmupS: options.warmupS,
      }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`load generator failed (${code})`);
  return JSON.parse(stdout.trim().split('\n').pop());
}

/**
 * One measured run of a scenario against its target process: req/s and latency from the load
 * generator, plus the target's CPU per request, the machine's load and steal over the run, and
 * (`withRss`) the target's RSS right after the load, the memory it needed to serve it.
 */
async function measureRun(options, job, withRss) {
  const cpuBefore = await cpuSecondsOf(job.serverPid);
  const loadBefore = loadavg()[0];
  const machineBefore = await machineCpuTicks();
  const result = await load(options, job);
  // The middle of the measured part (the load generator's warm-up comes first): where baselineAt
  // reads the baseline for this run.
  result.measuredAtMs = performance.now() - (options.durationS * 1000) / 2;
  const cpuAfter = await cpuSecondsOf(job.serverPid);
  const machineAfter = await machineCpuTicks();
  if (cpuBefore !== undefined && cpuAfter !== undefined) {
    result.cpuMicrosPerRequest = ((cpuAfter - cpuBefore) * 1e6) / result.totalWithWarmup;
  }
  result.loadAverage = Math.max(loadBefore, loadavg()[0]);
  result.stealPercent = stealPercent(machineBefore, machineAfter);
  if (withRss) result.rssBytes = await rssOf(job.serverPid);
  return result;
}

/** A run's line as it finishes; its ratio so far is to the baseline run before it. */
function logRun(label, result, baselineBefore) {
  const ratio = baselineBefore ? runRatio(result, baselineBefore) : undefined;
  log(
    `${label.padEnd(17)} ${Math.round(result.requestsPerSecond)} req/s` +
      `${ratio === undefined ? '' : ` (ratio to the baseline before ${ratio.toFixed(3)})`}, ` +
      `p99 ${result.p99Ms} ms, errors ${result.errors}, ` +
      `${result.cpuMicrosPerRequest?.toFixed(0)} CPU µs/req, ` +
      `busy: server ${percent(result.serverBusy)}, load generator ${percent(result.loadBusy)}, ` +
      `load average ${result.loadAverage.toFixed(1)}, ` +
      `CPU steal ${result.stealPercent?.toFixed(0) ?? '?'}%`,
  );
}

/** Each scenario's ratio in every round, against the baseline interpolated around the run. */
function logInterpolatedRatios(title, samples) {
  for (const scenario of Object.keys(samples)) {
    if (scenario === 'baseline') continue;
    const ratios = ratiosOf(samples, scenario);
    log(
      `ratios to the interpolated baseline, ${title}, ${scenario}: ` +
        ratios.map((ratio) => ratio?.toFixed(3)).join(', '),
    );
  }
}

async function fetchToken(url, client) {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
    }),
  });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status}`);
  return (await response.json()).access_token;
}

function stealPercent(before, after) {
  if (!before || !after || after.total <= before.total) return undefined;
  return (100 * (after.steal - before.steal)) / (after.total - before.total);
}

/** One measure over every run: "min-max", each end formatted; undefined when no run has it. */
function rangeOf(samples, field, format) {
  const values = Object.values(samples)
    .flatMap((runs) => runs.map((run) => run[field]))
    .filter((value) => typeof value === 'number');
  if (values.length === 0) return undefined;
  return `${format(Math.min(...values))}-${format(Math.max(...values))}`;
}

function percent(share) {
  return typeof share === 'number' ? `${Math.round(share * 100)}%` : '?';
}

/**
 * The server inherits the bench's environment, so an operator setting there (e.g.
 * `SQLITE_MMAP_MB=256 npm run bench`) changes what is measured: the table says which were set.
 */
const SERVER_SETTINGS = ['SQLITE_MMAP_MB', 'PG_POOL_SIZE', 'PG_STATEMENT_TIMEOUT_MS', 'TOKEN_TTL_SECONDS'];

function serverSettings() {
  const set = SERVER_SETTINGS.filter((name) => process.env[name] !== undefined);
  if (set.length === 0) return undefined;
  return set.map((name) => `${name}=${process.env[name]}`).join(', ');
}

function describeMachine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    pinning: pinning ?? 'none (no taskset or one CPU)',
    serverSettings: serverSettings() ?? 'none',
  };
}

function log(line) {
  process.stderr.write(`${line}\n`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
} finally {
  killAll();
}
