// `npm run bench`: the API server against a bare Fastify baseline, on the same machine, in the
// same run, interleaved, medians reported as ratios. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readOptions } from './options.mjs';
import { cpuSecondsOf, killAll, machineCpuTicks, pinning, rssOf, spawnPinned } from './processes.mjs';
import { formatTable, ratiosOf, runRatio, summarize } from './report.mjs';
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
  const runs = [];
  for (const siteCount of options.siteCounts) {
    runs.push(await benchOneDatabase(options, siteCount, { freshDatabase, seed }));
  }
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

async function benchOneDatabase(options, siteCount, { freshDatabase, seed }) {
  const dialect = options.db === 'sqlite' ? 'sqlite' : 'postgres';
  const title = `${dialect}, ${siteCount.toLocaleString('en-US')} sites, ${options.connections} connections`;
  log(`== ${title}: seeding`);
  const database = await freshDatabase(options.db, String(siteCount));
  let server;
  let baseline;
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
    const baselineLog = join(database.dir, 'baseline.log');
    baseline = await startBaseline({ logFile: baselineLog });
    const token = await fetchToken(server.url, client);
    const jobFor = (scenario, target) => ({
      kind: scenario === 'baseline' ? 'get' : scenario,
      url: target.url,
      serverPid: target.pid,
      siteCount,
      token: scenario === 'token' ? undefined : token,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
    });

    // One unrecorded pass over every scenario first: the JIT and the caches of both processes get
    // warm before anything is measured (a first GET run was up to 3x slower than the next).
    for (const scenario of ['baseline', ...options.scenarios]) {
      const target = scenario === 'baseline' ? baseline : server;
      await load({ ...options, durationS: options.warmupS, warmupS: 0 }, jobFor(scenario, target));
      truncateSync(scenario === 'baseline' ? baselineLog : serverLog);
    }

    const samples = { baseline: [] };
    for (const scenario of options.scenarios) samples[scenario] = [];
    const measure = async (scenario, label) => {
      const target = scenario === 'baseline' ? baseline : server;
      const result = await measureRun(
        options,
        jobFor(scenario, target),
        scenario === 'baseline' || scenario === 'get',
      );
      samples[scenario].push(result);
      logRun(label, scenario, result, scenario === 'baseline' ? undefined : samples.baseline.at(-1));
      truncateSync(scenario === 'baseline' ? baselineLog : serverLog);
    };
    for (let round = 1; round <= options.repetitions; round += 1) {
      // Baseline and scenarios take turns within each round, so drift in the machine hits both.
      for (const scenario of ['baseline', ...options.scenarios]) await measure(scenario, `round ${round}`);
    }
    // One baseline run more, so that every scenario run has one after it as well as before it.
    await measure('baseline', 'closing');
    logInterpolatedRatios(samples);
    const rows = summarize(samples);
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
    if (rows.get && rows.baseline) {
      notes.push(
        `GET p99 / baseline p99: ${(rows.get.p99Ms / rows.baseline.p99Ms).toFixed(2)}; ` +
          `server RSS / baseline RSS: ${(rows.get.rssBytes / rows.baseline.rssBytes).toFixed(2)}`,
      );
    }
    return {
      title,
      dialect,
      siteCount,
      startupMs: server.startupMs,
      seedMs: client.seedMs,
      rows,
      samples,
      notes,
    };
  } finally {
    await server?.stop();
    await baseline?.stop();
    await database.drop();
  }
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
function logRun(label, scenario, result, baselineBefore) {
  const ratio = baselineBefore ? runRatio(result, baselineBefore) : undefined;
  log(
    `${label} ${scenario.padEnd(8)} ${Math.round(result.requestsPerSecond)} req/s` +
      `${ratio === undefined ? '' : ` (ratio to the baseline before ${ratio.toFixed(3)})`}, ` +
      `p99 ${result.p99Ms} ms, errors ${result.errors}, ` +
      `${result.cpuMicrosPerRequest?.toFixed(0)} CPU µs/req, ` +
      `busy: server ${percent(result.serverBusy)}, load generator ${percent(result.loadBusy)}, ` +
      `load average ${result.loadAverage.toFixed(1)}, ` +
      `CPU steal ${result.stealPercent?.toFixed(0) ?? '?'}%`,
  );
}

/** Each scenario's ratio in every round, against the baseline interpolated around the run. */
function logInterpolatedRatios(samples) {
  for (const scenario of Object.keys(samples)) {
    if (scenario === 'baseline') continue;
    const ratios = ratiosOf(samples, scenario);
    log(
      `ratios to the interpolated baseline, ${scenario}: ${ratios.map((ratio) => ratio?.toFixed(3)).join(', ')}`,
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

function describeMachine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    pinning: pinning ?? 'none (no taskset or one CPU)',
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
