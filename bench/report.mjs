/** Medians over repetitions, ratios to the baseline of the same run, and the printed table. */

export function median(values) {
  const sorted = values.filter((value) => typeof value === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * One row per scenario: the median of each measure over the repetitions. Ratios are per round,
 * each run against the baseline run of its own round (minutes apart at most), and then the
 * median of those: on a shared host the ceiling itself moves between rounds, and a ratio of
 * medians would pair runs from different rounds.
 */
export function summarize(samples) {
  const baselineRuns = samples.baseline ?? [];
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
      ratio: median(runs.map((run, round) => roundRatio(run, baselineRuns[round]))),
      // The same ratio in CPU terms: baseline CPU per request over this scenario's.
      cpuRatio: median(runs.map((run, round) => roundCpuRatio(run, baselineRuns[round]))),
    };
  }
  return rows;
}

/** This run's req/s over its round's baseline req/s. */
export function roundRatio(run, baseline) {
  if (!baseline?.requestsPerSecond) return undefined;
  return run.requestsPerSecond / baseline.requestsPerSecond;
}

function roundCpuRatio(run, baseline) {
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

function fixed(value, digits) {
  return typeof value === 'number' ? value.toFixed(digits) : '-';
}
