// The load generator, a process of its own (pinned to the other CPU): one warm-up run whose
// numbers are thrown away, then the measured run. Prints one JSON line with the result.
import autocannon from 'autocannon';
import { dealerOf } from './workload.mjs';

const job = JSON.parse(process.argv[2]);

function requestsFor(job) {
  const siteCount = job.siteCount;
  const randomSite = () => 1 + Math.floor(Math.random() * siteCount);
  const path = (site) => `/partner/v1/dealers/${dealerOf(site)}/sites/${site}/arming-settings`;
  switch (job.kind) {
    case 'get':
      return [{ method: 'GET', setupRequest: (request) => ({ ...request, path: path(randomSite()) }) }];
    case 'patch':
      return [
        {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => ({
            ...request,
            path: path(randomSite()),
            body: `{"security_type":${1 + Math.floor(Math.random() * 4)}}`,
          }),
        },
      ];
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

function run(durationS) {
  return autocannon({
    url: job.url,
    connections: job.connections,
    pipelining: 1,
    duration: durationS,
    headers: job.token ? { authorization: `Bearer ${job.token}` } : {},
    requests: requestsFor(job),
  });
}

if (job.warmupS > 0) await run(job.warmupS);
const result = await run(job.durationS);
const non2xx = result.non2xx ?? 0;
process.stdout.write(
  `${JSON.stringify({
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + non2xx,
    non2xx,
    statusCodes: result.statusCodeStats,
  })}\n`,
);
