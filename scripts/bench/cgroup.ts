import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * A Linux memory cgroup for the benchmark's fresh processes (scripts/bench.ts), so that their peak
 * RSS is also measured with the memory the function is given. Node.js sizes V8's heap from the
 * memory the process may use: its cgroup limit when it has one (`process.constrainedMemory()`),
 * else the machine's memory (https://nodejs.org/api/process.html#processconstrainedmemory).
 * Linux's two cgroup versions: https://docs.kernel.org/admin-guide/cgroup-v2.html and
 * https://docs.kernel.org/admin-guide/cgroup-v1/memory.html.
 */

/**
 * The analyzer's memory, MB: `memorySize` in serverless.yml (`params.default.memorySize`, which
 * the analyzer's `memorySize: ${param:memorySize}` takes). test/scripts/bench/cgroup.test.ts
 * checks that the two agree.
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
  /** Removes the group; call when its processes have exited. Never throws. */
  remove(): void;
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
    const remove = () => {
      try {
        rmdirSync(dir);
      } catch {
        // Still busy or already gone: nothing more this process can do.
      }
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
