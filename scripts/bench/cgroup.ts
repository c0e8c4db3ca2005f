import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/*
 * A Linux memory cgroup for the benchmark's fresh processes (scripts/bench.ts), so that their peak
 * RSS is also measured with the memory the function is given. Node.js sizes V8's heap from the
 * memory the process may use: its cgroup limit when it has one (`process.constrainedMemory()`),
 * else the machine's memory (https://nodejs.org/api/process.html#processconstrainedmemory).
 * Linux's two cgroup versions: https://docs.kernel.org/admin-guide/cgroup-v2.html and
 * https://docs.kernel.org/admin-guide/cgroup-v1/memory.html.
 */

/**
 * The analyzer's memory: `memorySize` in serverless.yml (`params.default.memorySize`, which the
 * analyzer's `memorySize: ${param:memorySize}` takes). test/scripts/bench/cgroup.test.ts checks
 * that the two agree. Lambda's unit is MB (docs/deploy.md); the bench's group takes it as MiB
 * (2^20 bytes), the larger reading, so the limited figures never have less memory than the function.
 */
export const ANALYZER_MEMORY_MB = 512;

/** Where the cgroup file systems are mounted on Linux. */
export const CGROUP_MOUNT = '/sys/fs/cgroup';

/** The cgroup hierarchy that has the memory controller, and the file that sets a group's limit. */
export interface MemoryHierarchy {
  readonly version: 1 | 2;
  /** The hierarchy's mount point: a group's folder is this plus its path. */
  readonly root: string;
  readonly limitFile: 'memory.max' | 'memory.limit_in_bytes';
}

/**
 * The hierarchy to use: cgroup v2 when its root's `cgroup.controllers` lists `memory`, else v1
 * when the memory controller has its own mount; undefined when there is neither.
 */
export function memoryHierarchy(
  v2Controllers: string | undefined,
  v1Mounted: boolean,
  mount = CGROUP_MOUNT,
): MemoryHierarchy | undefined {
  if (v2Controllers?.split(/\s+/).includes('memory')) {
    return { version: 2, root: mount, limitFile: 'memory.max' };
  }
  if (v1Mounted)
    return { version: 1, root: join(mount, 'memory'), limitFile: 'memory.limit_in_bytes' };
  return undefined;
}

/**
 * This process's group in the hierarchy, from the text of /proc/self/cgroup: the v2 line is
 * `0::/path`, a v1 line `id:controller,...:/path` (the one whose controllers include `memory`).
 */
export function ownCgroup(procSelfCgroup: string, version: 1 | 2): string | undefined {
  for (const line of procSelfCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (match === null) continue;
    const [, id, controllers = '', path] = match;
    if (version === 2 && id === '0' && controllers === '') return path;
    if (version === 1 && controllers.split(',').includes('memory')) return path;
  }
  return undefined;
}

/**
 * The folders to try for a new group called `name`, best first: a child of this process's own
 * group (nested, so it stays inside whatever limits this process already has), then a child of
 * the hierarchy's root. Under v2 the first often lacks the memory controller: a group that holds
 * processes cannot pass domain controllers to its children ("no internal processes").
 */
export function cgroupCandidates(
  hierarchy: MemoryHierarchy,
  own: string | undefined,
  name: string,
): string[] {
  const rootChild = join(hierarchy.root, name);
  if (own === undefined || own === '/') return [rootChild];
  return [join(hierarchy.root, own, name), rootChild];
}

/** A memory cgroup this process made: its processes' file, its limit, and how to remove it. */
export interface MemoryCgroup {
  readonly dir: string;
  readonly version: 1 | 2;
  readonly limitBytes: number;
  /** A process that writes its pid here moves into the group (then execs, keeping the group). */
  readonly procsFile: string;
  /**
   * Removes the group; call when its processes have exited. Never throws: a group that stays is
   * reported on stderr with its path, so that a leaked group can be removed by hand. Once removed,
   * later calls do nothing.
   */
  remove(): void;
}

/**
 * Removes the cgroup folder `dir`, synchronously (it also serves a process's `exit` event). True
 * when the group is gone, already gone included; else warns with the path and the errno (EBUSY:
 * a process is still in it) and returns false.
 */
export function removeCgroup(dir: string, warn: (message: string) => void = console.warn): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    if (reasonOf(error) === 'ENOENT') return true;
    warn(
      `bench: could not remove the memory cgroup ${dir} (${reasonOf(error)}); rmdir it once its processes have exited`,
    );
    return false;
  }
}

/** What the system offers, read from `mount` (the real one unless a test says otherwise). */
export interface CgroupSystem {
  readonly mount: string;
  readonly procSelfCgroup: string;
}

function liveSystem(): CgroupSystem {
  let procSelfCgroup = '';
  try {
    procSelfCgroup = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    // Not Linux: memoryHierarchy below finds nothing either.
  }
  return { mount: CGROUP_MOUNT, procSelfCgroup };
}

/** An errno code (EACCES, EROFS, ...) when there is one, else the message. */
const reasonOf = (error: unknown) =>
  error instanceof Error ? ('code' in error ? String(error.code) : error.message) : String(error);

/**
 * Makes a memory cgroup called `name` limited to `limitBytes`, or says why it could not: no
 * memory controller (not Linux, or none mounted), or no child group could be made and limited
 * (not root, a read-only mount, a controller not delegated). A group made but not limited is
 * removed again before the next candidate is tried.
 */
export function createMemoryCgroup(
  limitBytes: number,
  name: string,
  system: CgroupSystem = liveSystem(),
): MemoryCgroup | { readonly reason: string } {
  const v2Controllers = join(system.mount, 'cgroup.controllers');
  const hierarchy = memoryHierarchy(
    existsSync(v2Controllers) ? readFileSync(v2Controllers, 'utf8') : undefined,
    existsSync(join(system.mount, 'memory')),
    system.mount,
  );
  if (hierarchy === undefined) {
    return { reason: `no cgroup memory controller at ${system.mount}` };
  }
  const failures: string[] = [];
  const own = ownCgroup(system.procSelfCgroup, hierarchy.version);
  for (const dir of cgroupCandidates(hierarchy, own, name)) {
    try {
      mkdirSync(dir);
    } catch (error) {
      failures.push(`${dir}: ${reasonOf(error)}`);
      continue;
    }
    let removed = false;
    const remove = () => {
      if (!removed) removed = removeCgroup(dir);
    };
    try {
      const limitFile = join(dir, hierarchy.limitFile);
      if (!existsSync(limitFile)) throw new Error(`no ${hierarchy.limitFile}`);
      writeFileSync(limitFile, String(limitBytes));
      return {
        dir,
        version: hierarchy.version,
        limitBytes,
        procsFile: join(dir, 'cgroup.procs'),
        remove,
      };
    } catch (error) {
      remove();
      failures.push(`${dir}: ${reasonOf(error)}`);
    }
  }
  return { reason: `cgroup v${hierarchy.version}, ${failures.join('; ')}` };
}

/**
 * The memory limit a process saw, from `process.constrainedMemory()` and the machine's memory:
 * undefined when there is none. Node sizes its heap from the smaller of the two, so a limit at or
 * above the machine's memory (cgroup v2's "max" reads as UINT64_MAX, v1's as about 2^63) or 0 (no
 * cgroup) is no limit (https://nodejs.org/api/process.html#processconstrainedmemory).
 */
export function memoryLimit(constrainedMemory: number, totalMemory: number): number | undefined {
  return constrainedMemory > 0 && constrainedMemory < totalMemory ? constrainedMemory : undefined;
}

/** What a fresh process in the group reported of the memory Node sized its heap from. */
export interface HeapSizing {
  /** `process.constrainedMemory()`. */
  readonly constrainedMemory: number;
  /** V8's heap limit, bytes. */
  readonly heapLimit: number;
}

/**
 * Whether the group's limit did not reach Node in a run: Node neither reports `limitBytes` nor
 * chose a heap limit under half of the one it chose without the group. Either shows the limit
 * applied: the heap follows the memory (a 512 MiB group gives about 259 MiB, against GiBs).
 */
export function limitMissed(
  run: HeapSizing,
  limitBytes: number,
  unlimitedHeapLimit: number,
): boolean {
  return run.constrainedMemory !== limitBytes && run.heapLimit >= unlimitedHeapLimit / 2;
}

/** The pids in a group's processes file; none once the group is gone. */
function groupPids(procsFile: string): number[] {
  let text = '';
  try {
    text = readFileSync(procsFile, 'utf8');
  } catch {
    // The group is gone, and its processes with it.
  }
  return text
    .split('\n')
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
}

/**
 * Ends the group's processes (SIGKILL) and removes the group once they have left, waiting at most
 * `timeoutMs`: for a bench stopped by a signal. A Ctrl-C reaches the child too, but it may not
 * have exited yet; a SIGTERM to the bench alone leaves it running. A group still busy after
 * `timeoutMs` is reported by `remove`.
 */
export async function evictAndRemove(group: MemoryCgroup, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const pids = groupPids(group.procsFile);
    if (pids.length === 0 || performance.now() >= deadline) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited meanwhile (ESRCH): the next read of the file no longer lists it.
      }
    }
    await sleep(20);
  }
  group.remove();
}
