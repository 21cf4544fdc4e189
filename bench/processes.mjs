import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';

/**
 * Every process the bench starts, so that each one is ended by its own PID whatever happens:
 * normal end, a thrown error, or Ctrl-C. Nothing is ever killed by name.
 */
const children = new Set();

export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }
}

process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Ends one child by PID, politely first, and waits for it. */
export async function stop(child, timeoutMs = 10000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }, timeoutMs);
  await exited;
  clearTimeout(timer);
}

const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Server and load generator on different CPUs, so the load generator never steals the server's
 * core: the first two this process may run on (a container or CI runner may allow only, say,
 * CPUs 2-3). On one CPU (or without taskset) nothing is pinned and the report says so.
 */
const allowed = allowedCpus();
export const pinning =
  hasTaskset && allowed.length >= 2 ? { server: allowed[0], load: allowed[1] } : undefined;

/** The CPUs this process may run on (its affinity), from /proc; else 0..n-1. */
function allowedCpus() {
  try {
    const list = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (list) return expandCpuList(list);
  } catch {
    // not Linux: fall through
  }
  return Array.from({ length: availableParallelism() }, (_, cpu) => String(cpu));
}

/** A kernel CPU list as taskset takes it, one CPU at a time: "0-2,5" -> ["0", "1", "2", "5"]. */
export function expandCpuList(list) {
  return list.split(',').flatMap((range) => {
    const [first, last = first] = range.split('-').map(Number);
    return Array.from({ length: last - first + 1 }, (_, offset) => String(first + offset));
  });
}

export function spawnPinned(role, command, args, options) {
  const cpu = pinning?.[role];
  const child = cpu
    ? spawn('taskset', ['-c', cpu, command, ...args], options)
    : spawn(command, args, options);
  return track(child);
}

const clockTicksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere.
 * On a shared machine, CPU per request is steadier than requests per second: a neighbour that
 * steals the CPU lowers the rate but not the work each request costs.
 */
export async function cpuSecondsOf(pid) {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * The machine's CPU time so far, from the first line of /proc/stat (Linux; undefined elsewhere):
 * all of it, and the part stolen by the hypervisor (time this virtual machine wanted a CPU and
 * the host gave it to someone else). Between two readings, steal / total is the share of the
 * machine other tenants took: a run with much steal measured a slower machine.
 */
export async function machineCpuTicks() {
  try {
    const [line] = (await readFile('/proc/stat', 'utf8')).split('\n', 1);
    // cpu user nice system idle iowait irq softirq steal guest guest_nice
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: ticks.reduce((sum, value) => sum + value, 0), steal: ticks[7] ?? 0 };
  } catch {
    return undefined;
  }
}

/** Resident set size in bytes, from /proc (Linux); undefined elsewhere. */
export async function rssOf(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
