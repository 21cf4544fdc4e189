// The bench's arithmetic (report.mjs): how a run's ratio to the baseline is read; and which CPUs it pins to.
import { describe, expect, it } from 'vitest';
import { expandCpuList } from './processes.mjs';
import { baselineAt, getShare, median, p99Ratio, runRatio, summarize } from './report.mjs';

const baselineRun = (measuredAtMs, requestsPerSecond, cpuMicrosPerRequest) => ({
  measuredAtMs,
  requestsPerSecond,
  cpuMicrosPerRequest,
  p50Ms: 1,
  p99Ms: 2,
  errors: 0,
});

describe('baselineAt', () => {
  const runs = [baselineRun(0, 1000, 20), baselineRun(40_000, 2000, 10), baselineRun(80_000, 1500, 12)];

  it('reads the baseline off the line between the runs before and after', () => {
    expect(baselineAt(runs, 10_000)).toEqual({ requestsPerSecond: 1250, cpuMicrosPerRequest: 17.5 });
    expect(baselineAt(runs, 60_000)).toEqual({ requestsPerSecond: 1750, cpuMicrosPerRequest: 11 });
  });

  it('takes the only run there is on one side', () => {
    expect(baselineAt(runs, 90_000)).toBe(runs[2]);
    expect(baselineAt(runs, -5)).toBe(runs[0]);
    expect(baselineAt([], 10)).toBeUndefined();
  });

  it('is the run itself at the moment a baseline run was measured', () => {
    expect(baselineAt(runs, 40_000)).toEqual({ requestsPerSecond: 2000, cpuMicrosPerRequest: 10 });
  });
});

describe('summarize', () => {
  it("takes each run's ratio to the interpolated baseline, then the median", () => {
    // The machine speeds up through the run: against only the baseline run before it, each run
    // would look better than it was (800 / 1000 and 1000 / 1200).
    const samples = {
      baseline: [baselineRun(0, 1000, 20), baselineRun(30_000, 1200, 18), baselineRun(60_000, 1400, 16)],
      get: [
        { ...baselineRun(10_000, 800, 25), rssBytes: 1 },
        { ...baselineRun(40_000, 1000, 22), rssBytes: 3 },
      ],
    };
    const rows = summarize(samples);
    // 800 / 1066.7 and 1000 / 1266.7
    expect(rows.get.ratio).toBeCloseTo((800 / (1000 + 200 / 3) + 1000 / (1200 + 200 / 3)) / 2, 10);
    expect(rows.get.cpuRatio).toBeCloseTo(((20 - 2 / 3) / 25 + (18 - 2 / 3) / 22) / 2, 10);
    expect(rows.baseline.ratio).toBe(1);
    expect(rows.baseline.requestsPerSecond).toBe(1200);
    expect(rows.get.rssBytes).toBe(2);
  });
});

describe('runRatio and median', () => {
  it('divides req/s, and is undefined without a baseline', () => {
    expect(runRatio({ requestsPerSecond: 50 }, { requestsPerSecond: 200 })).toBe(0.25);
    expect(runRatio({ requestsPerSecond: 50 }, undefined)).toBeUndefined();
  });

  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([undefined])).toBeUndefined();
  });
});

describe('getShare', () => {
  // One baseline for both databases: 1000 req/s, then 2000 (the machine got faster).
  const baseline = [baselineRun(0, 1000, 20), baselineRun(100_000, 2000, 10)];
  const getAt = (measuredAtMs, requestsPerSecond) => baselineRun(measuredAtMs, requestsPerSecond, 20);

  it("sets one database's GET ratio against the other's: of the medians, and round by round", () => {
    const first = { baseline, get: [getAt(10_000, 880), getAt(50_000, 1200), getAt(90_000, 1520)] };
    const second = { baseline, get: [getAt(20_000, 960), getAt(60_000, 1040), getAt(95_000, 1755)] };
    // first: 880/1100, 1200/1500, 1520/1900 = 0.8 each; second: 0.8, 0.65, 0.9
    const share = getShare(second, first);
    expect(share?.ofMedians).toBeCloseTo(1, 10);
    expect(share?.byRound.map((value) => Number(value.toFixed(4)))).toEqual([1, 0.8125, 1.125]);
  });

  it('is undefined when either side has no GET runs', () => {
    expect(getShare({ baseline, get: [] }, { baseline, get: [getAt(10_000, 880)] })).toBeUndefined();
    expect(getShare({ baseline }, { baseline, get: [getAt(10_000, 880)] })).toBeUndefined();
  });
});

describe('expandCpuList (which CPUs the bench pins to)', () => {
  it("reads the kernel's list of allowed CPUs, ranges and single ones", () => {
    expect(expandCpuList('0-1')).toEqual(['0', '1']);
    expect(expandCpuList('2-3')).toEqual(['2', '3']);
    expect(expandCpuList('0,2-4,7')).toEqual(['0', '2', '3', '4', '7']);
    expect(expandCpuList('5')).toEqual(['5']);
  });
});

describe('p99Ratio', () => {
  it('divides, and says so when the baseline p99 is under the 1 ms resolution instead of printing Infinity', () => {
    expect(p99Ratio(3, 2)).toBe('1.50');
    expect(p99Ratio(1, 0)).toMatch(/^n\/a .*GET p99 1 ms/);
    expect(p99Ratio(0, 0)).toMatch(/^n\/a/);
  });
});
