// The load generator, a process of its own (pinned to the other CPU): one warm-up run whose
// numbers are thrown away, then the measured run. Prints one JSON line with the result.
import autocannon from 'autocannon';
import { cpuSecondsOf } from './processes.mjs';
import { dealerOf } from './workload.mjs';

const job = JSON.parse(process.argv[2]);

// Each connection gets its own pre-built list of random requests: autocannon rebuilds a request
// with setupRequest on every send, which made the load generator, not the server, the bottleneck
// (about 18k req/s against the baseline instead of 33k+). 2,000 per connection x 50 connections
// draws 100,000 sites uniformly from the whole table, so the database still sees a spread.
const REQUESTS_PER_CONNECTION = 2000;

function requestsFor(job) {
  const siteCount = job.siteCount;
  const randomSite = () => 1 + Math.floor(Math.random() * siteCount);
  const path = (site) => `/partner/v1/dealers/${dealerOf(site)}/sites/${site}/arming-settings`;
  const many = (make) => Array.from({ length: REQUESTS_PER_CONNECTION }, make);
  switch (job.kind) {
    case 'get':
      return many(() => ({ method: 'GET', path: path(randomSite()) }));
    case 'patch':
      return many(() => ({
        method: 'PATCH',
        path: path(randomSite()),
        headers: { ...authorization(job), 'content-type': 'application/json' },
        body: `{"security_type":${1 + Math.floor(Math.random() * 4)}}`,
      }));
    case 'token':
      return [
        {
          method: 'POST',
          path: '/oauth/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: job.clientId,
            client_secret: job.clientSecret,
          }).toString(),
        },
      ];
    default:
      throw new Error(`unknown load kind ${job.kind}`);
  }
}

function authorization(job) {
  return job.token ? { authorization: `Bearer ${job.token}` } : {};
}

function run(durationS) {
  return autocannon({
    url: job.url,
    connections: job.connections,
    pipelining: 1,
    duration: durationS,
    headers: authorization(job),
    // Requests with their own headers replace the defaults, hence the authorization in both.
    setupClient: (client) => client.setRequests(requestsFor(job)),
  });
}

const warmup = job.warmupS > 0 ? await run(job.warmupS) : undefined;
const busy = await busyDuring(() => run(job.durationS));
const result = busy.result;
const non2xx = result.non2xx ?? 0;
process.stdout.write(
  `${JSON.stringify({
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    // With the warm-up's: the server's CPU time is read around both runs.
    totalWithWarmup: result.requests.total + (warmup?.requests.total ?? 0),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + non2xx,
    non2xx,
    statusCodes: result.statusCodeStats,
    serverBusy: busy.server,
    loadBusy: busy.load,
  })}\n`,
);

/**
 * The share of one CPU the server and this process used while the load ran (from autocannon's
 * start event, after the requests are built, to its result). A server well below 100% was not
 * the limit: when the load generator nears 100%, it sets the pace instead.
 */
async function busyDuring(measure) {
  const run = measure();
  let before;
  run.once('start', () => {
    before = readCpu();
  });
  const result = await run;
  const after = await readCpu();
  const start = await before;
  const wallSeconds = (after.at - start.at) / 1000;
  const load = process.cpuUsage(start.load);
  const serverKnown = start.server !== undefined && after.server !== undefined;
  return {
    result,
    server: serverKnown ? (after.server - start.server) / wallSeconds : undefined,
    load: (load.user + load.system) / 1e6 / wallSeconds,
  };
}

async function readCpu() {
  const at = performance.now();
  const load = process.cpuUsage();
  return { at, load, server: await cpuSecondsOf(job.serverPid) };
}
