// Reads CPU time and resident memory of a process tree from /proc (Linux only).
// CPU is utime+stime (fields 14 and 15 of /proc/<pid>/stat, in clock ticks), which covers every
// thread of the process; we sum it over the process and its descendants so that nginx's master
// and worker, or Node's helper threads, are all counted.
import { readdirSync, readFileSync } from 'node:fs';

// getconf CLK_TCK: 100 on every Linux we run on; the stat fields are in these ticks.
export const CLOCK_TICKS_PER_SECOND = 100;

function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field k is rest[k - 3].
  return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
}

/** The pid and all its descendants still alive. */
export function processTree(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { ppid } = statFields(name);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // The process ended while we listed /proc.
    }
  }
  const out = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop();
    out.push(pid);
    for (const c of children.get(pid) ?? []) todo.push(c);
  }
  return out;
}

/** utime+stime (or only one of them) of the given processes, in seconds. */
export function cpuSeconds(pids, which = 'both') {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = statFields(pid);
      ticks += which === 'user' ? f.utime : which === 'system' ? f.stime : f.utime + f.stime;
    } catch {
      // Gone: its time is lost, which only happens when a server dies mid-run (reported elsewhere).
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** Sum of VmRSS of the given processes, in bytes. */
export function rssBytes(pids) {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
      if (m) kb += Number(m[1]);
    } catch {
      // Gone.
    }
  }
  return kb * 1024;
}

/** Busy and total jiffies of each CPU from /proc/stat, to see what else ran on a CPU. */
export function cpuTimes() {
  const out = {};
  for (const line of readFileSync('/proc/stat', 'latin1').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    out[m[1]] = { busy: total - f[3] - f[4], total };
  }
  return out;
}

/** Share of CPU `cpu` that was busy between two cpuTimes() samples. */
export function busyShare(before, after, cpu) {
  const a = before[cpu];
  const b = after[cpu];
  if (!a || !b || b.total === a.total) return null;
  return (b.busy - a.busy) / (b.total - a.total);
}

/** The pid of ksoftirqd/<cpu>: network work deferred there is charged to it, not to the server. */
export function ksoftirqdPid(cpu) {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'latin1').trim() === `ksoftirqd/${cpu}`) return Number(name);
    } catch {
      // Gone.
    }
  }
  return null;
}

/** Bytes the process tree passed to write(2)/send(2) and friends (`wchar` of /proc/<pid>/io): socket writes included. */
export function bytesWritten(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'latin1'));
      if (m) total += Number(m[1]);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return total;
}

/**
 * CPU time of the given processes in seconds, in nanoseconds' precision: the scheduler's runtime
 * of each of their threads (/proc/<pid>/task/<tid>/schedstat, first field). Tick-based utime+stime
 * (cpuSeconds) moves in 10 ms steps, too coarse for a hub that is nearly idle at 0.1 updates per
 * second. null when the kernel has no schedstat.
 */
export function cpuSecondsPrecise(pids) {
  let ns = 0;
  for (const pid of pids) {
    let tids;
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
      } catch {
        if (tid === String(pid)) return null; // no schedstat at all
      }
    }
  }
  return ns / 1e9;
}

/** Bytes the process tree read and wrote with read(2)/write(2) and friends (rchar, wchar), sockets included. */
export function ioChars(pids) {
  let r = 0;
  let w = 0;
  for (const pid of pids) {
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'latin1');
      r += Number(/^rchar: (\d+)$/m.exec(io)?.[1] ?? 0);
      w += Number(/^wchar: (\d+)$/m.exec(io)?.[1] ?? 0);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return { read: r, written: w };
}
