/** Medians over repetitions, ratios to the baseline of the same run, and the printed table. */

export function median(values) {
  const sorted = values.filter((value) => typeof value === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * One row per scenario: the median of each measure over the repetitions. Ratios are per run, each
 * against the baseline at the moment it ran (baselineAt), and then the median of those: on a
 * shared host the ceiling itself moves between rounds, and a ratio of medians would pair runs
 * from different rounds.
 */
export function summarize(samples) {
  const rows = {};
  for (const [scenario, runs] of Object.entries(samples)) {
    rows[scenario] = {
      requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
      p50Ms: median(runs.map((run) => run.p50Ms)),
      p99Ms: median(runs.map((run) => run.p99Ms)),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      rssBytes: median(runs.map((run) => run.rssBytes)),
      cpuMicrosPerRequest: median(runs.map((run) => run.cpuMicrosPerRequest)),
      repetitions: runs.length,
      ratio: median(ratiosOf(samples, scenario)),
      // The same ratio in CPU terms: baseline CPU per request over this scenario's.
      cpuRatio: median(ratiosOf(samples, scenario, runCpuRatio)),
    };
  }
  return rows;
}

/** Each run's ratio (req/s unless `ratio` says otherwise) to the baseline as it was then. */
export function ratiosOf(samples, scenario, ratio = runRatio) {
  const runs = samples[scenario] ?? [];
  if (scenario === 'baseline') return runs.map((run) => ratio(run, run));
  return runs.map((run) => ratio(run, baselineAt(samples.baseline ?? [], run.measuredAtMs)));
}

/**
 * The baseline's req/s and CPU per request at `atMs`, read off a straight line between the
 * baseline runs just before and just after it (the run's own round's and the next round's; a
 * closing baseline run follows the last round). Drift that builds up over a round then cancels,
 * and each ratio leans on two baseline runs instead of one. With a baseline run on one side
 * only, that run.
 */
export function baselineAt(baselineRuns, atMs) {
  const timed = baselineRuns.filter((run) => typeof run.measuredAtMs === 'number');
  const before = timed.filter((run) => run.measuredAtMs <= atMs).at(-1);
  const after = timed.find((run) => run.measuredAtMs > atMs);
  if (!before || !after) return before ?? after;
  const share = (atMs - before.measuredAtMs) / (after.measuredAtMs - before.measuredAtMs);
  const between = (field) =>
    typeof before[field] === 'number' && typeof after[field] === 'number'
      ? before[field] + (after[field] - before[field]) * share
      : undefined;
  return {
    requestsPerSecond: between('requestsPerSecond'),
    cpuMicrosPerRequest: between('cpuMicrosPerRequest'),
  };
}

/**
 * One database's GET ratio as a share of another's, whose rounds ran alongside it (the target
 * "GET with 1,000,000 sites ≥ 0.90 × the 10,000-site figure"): the share of the two medians, and
 * each round's share of its pair of runs, which shows how much the rounds agree. Undefined when
 * either has no GET ratio.
 */
export function getShare(samples, otherSamples) {
  const mine = ratiosOf(samples, 'get');
  const theirs = ratiosOf(otherSamples, 'get');
  const ofMedians = median(mine) / median(theirs);
  if (!Number.isFinite(ofMedians)) return undefined;
  const byRound = mine.map((ratio, round) => ratio / theirs[round]).filter(Number.isFinite);
  return { ofMedians, byRound };
}

/** This run's req/s over the baseline's (as baselineAt gives it). */
export function runRatio(run, baseline) {
  if (!baseline?.requestsPerSecond) return undefined;
  return run.requestsPerSecond / baseline.requestsPerSecond;
}

function runCpuRatio(run, baseline) {
  if (!baseline?.cpuMicrosPerRequest || !run.cpuMicrosPerRequest) return undefined;
  return baseline.cpuMicrosPerRequest / run.cpuMicrosPerRequest;
}

export function formatTable(title, rows, extra) {
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'server RSS MB',
    'ratio',
    'CPU µs/req',
    'CPU ratio',
  ];
  const lines = Object.entries(rows).map(([name, row]) => [
    name,
    fixed(row.requestsPerSecond, 0),
    fixed(row.p50Ms, 1),
    fixed(row.p99Ms, 1),
    String(row.errors),
    row.rssBytes === undefined ? '-' : fixed(row.rssBytes / 2 ** 20, 1),
    fixed(row.ratio, 3),
    fixed(row.cpuMicrosPerRequest, 0),
    fixed(row.cpuRatio, 3),
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...lines.map((line) => line[i].length)));
  const format = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [
    `\n### ${title}`,
    format(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(format),
    ...extra.map((line) => `${line}`),
    '',
  ].join('\n');
}

/**
 * The GET p99 as a multiple of the baseline's. autocannon records latencies in whole
 * milliseconds, so a baseline p99 under 1 ms reads 0, and there is then no ratio to give.
 */
export function p99Ratio(getP99Ms, baselineP99Ms) {
  if (!(baselineP99Ms > 0))
    return `n/a (baseline p99 under autocannon's 1 ms resolution; GET p99 ${getP99Ms} ms)`;
  return (getP99Ms / baselineP99Ms).toFixed(2);
}

function fixed(value, digits) {
  return typeof value === 'number' ? value.toFixed(digits) : '-';
}
