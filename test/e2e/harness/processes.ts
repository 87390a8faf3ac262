// Process bookkeeping through /proc: which processes the harness started (by an environment marker
// and by session id), their command lines and their trees, and killing a process group.
import fs from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  cmdline: string;
}

/** One process from /proc/<pid>/stat and cmdline, or undefined when it is gone (or a zombie). */
export function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: parse after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return undefined;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pid, ppid: Number(rest[1]), pgid: Number(rest[2]), sid: Number(rest[3]), cmdline };
  } catch {
    return undefined;
  }
}

export function allProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) out.push(p);
  }
  return out;
}

/** True when the process's environment carries `name=value` (a marker set on everything we start). */
function hasEnv(pid: number, entry: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry);
  } catch {
    return false;
  }
}

/** The processes the harness started: those in one of `sessions`, or carrying the marker entry. */
export function startedBy(sessions: number[], markerEntry: string): ProcInfo[] {
  return allProcesses().filter(
    (p) => p.pid !== process.pid && (sessions.includes(p.sid) || hasEnv(p.pid, markerEntry)),
  );
}

/** Every live descendant of `rootPid` (by parent links), the root included. */
export function descendants(rootPid: number): ProcInfo[] {
  const all = allProcesses();
  const out: ProcInfo[] = [];
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.shift()!;
    for (const p of all) {
      if (p.pid === pid || p.ppid === pid) {
        if (!out.some((o) => o.pid === p.pid)) {
          out.push(p);
          if (p.pid !== pid) queue.push(p.pid);
        }
      }
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  return readProc(pid) !== undefined;
}

/** Sends a signal to a whole process group; ignores a group that is already gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

export function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Resolves when `check()` is true, polling every `intervalMs`; rejects with `what` after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 100,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
