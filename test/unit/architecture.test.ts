import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FEATURES = ['input', 'analyze', 'reexport', 'digest', 'doctor', 'scan', 'chat'];
const LIB_FOLDERS = ['common', 'render', 'aws', ...FEATURES];
const LAYERS = ['functions', 'cli', ...LIB_FOLDERS.map((folder) => `lib/${folder}`)];
/** The only imports allowed between two different feature folders. */
const FEATURE_EDGES = new Set([
  'input -> analyze',
  'digest -> analyze',
  'scan -> analyze',
  'scan -> input',
  'analyze -> reexport',
  'chat -> analyze',
  'chat -> digest',
  'chat -> reexport',
  'chat -> doctor',
]);
const AWS_PACKAGE = /^@aws-(?:sdk|lambda-powertools)\//;

/** One import: `target` is a repo path for a relative specifier, else the package; `to` its layer. */
interface Edge {
  readonly file: string;
  readonly target: string;
  readonly from: string;
  readonly to: string;
  readonly dynamic: boolean;
}

/** Blanks `//` and block comments (keeping line breaks); strings, templates and regexes stay. */
function stripComments(source: string): string {
  let out = '';
  for (let i = 0, end = 1; i < source.length; i = end) {
    const [char = '', next = ''] = [source[i], source[i + 1]];
    end = i + 1;
    if (char === '/' && (next === '/' || next === '*')) {
      const close = next === '/' ? source.indexOf('\n', i) : source.indexOf('*/', i + 2);
      end = close === -1 ? source.length : next === '/' ? close : close + 2;
      out += source.slice(i, end).replace(/[^\n]/g, ' ');
      continue;
    }
    const regexMayStart = /(?:^|[(,=:[!&|?{};]|\breturn)\s*$/.test(out.slice(-20));
    if (`'"\``.includes(char) || (char === '/' && regexMayStart)) end = endOfLiteral(source, i);
    out += source.slice(i, end);
  }
  return out;
}

/** Index just past the string, template or regex literal that opens at `start`. */
function endOfLiteral(source: string, start: number): number {
  const quote = source[start];
  let inClass = false; // a `/` inside a regex [...] does not close it
  for (let i = start + 1; i < source.length; i += 1) {
    const char = source[i];
    if (char === '\\') i += 1;
    else if (char === '\n' && quote !== '`') return i;
    else if (quote === '/' && (char === '[' || char === ']')) inClass = char === '[';
    else if (char === quote && !inClass) return i + 1;
  }
  return source.length;
}

const STATIC_IMPORT = /^\s*(?:import|export)\s[\w$\s{},*]*?\bfrom\s*(['"])([^'"\n]+)\1/gm;
const BARE_IMPORT = /^\s*import\s*(['"])([^'"\n]+)\1/gm;
const DYNAMIC_IMPORT = /(?<![\w$.])import\s*\(\s*(['"`])([^'"`\n]+)\1\s*\)/g;

/** What a source imports or re-exports (`import type` too), in order of appearance. */
function scanImports(source: string): { specifier: string; dynamic: boolean }[] {
  const code = stripComments(source);
  return [STATIC_IMPORT, BARE_IMPORT, DYNAMIC_IMPORT]
    .flatMap((pattern) =>
      [...code.matchAll(pattern)].map((m) => ({
        at: m.index,
        specifier: m[2] ?? '',
        dynamic: pattern === DYNAMIC_IMPORT,
      })),
    )
    .sort((a, b) => a.at - b.at)
    .map(({ specifier, dynamic }) => ({ specifier, dynamic }));
}

/** `functions`, `cli`, or `lib/<folder>` for a repo path. */
function layerOf(path: string): string {
  const [top = '', folder = '', file] = path.split('/');
  return top === 'lib' && file !== undefined ? `lib/${folder}` : top;
}

const featureOf = (layer: string): string | undefined =>
  layer.startsWith('lib/') && FEATURES.includes(layer.slice(4)) ? layer.slice(4) : undefined;
const line = (edge: Edge): string => `${edge.file} -> ${edge.target}`;

const FILES = ['lib', 'functions', 'cli']
  .flatMap((dir) =>
    readdirSync(`${ROOT}/${dir}`, { recursive: true, encoding: 'utf8' }).map((f) => `${dir}/${f}`),
  )
  .map((file) => file.replaceAll('\\', '/')) // Windows separators
  .filter((file) => file.endsWith('.ts'))
  .sort();

const EDGES: Edge[] = FILES.flatMap((file) =>
  scanImports(readFileSync(`${ROOT}/${file}`, 'utf8')).map(({ specifier, dynamic }) => {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    const target = relative ? posix.join(posix.dirname(file), specifier) : specifier;
    const to = relative ? layerOf(target) : 'package';
    return { file, target, from: layerOf(file), to, dynamic };
  }),
);

const only = (from: string, allowed: readonly string[]) => (e: Edge) =>
  e.from === from && e.to !== 'package' && !allowed.includes(e.to);

const EDGE_RULES: Record<string, (edge: Edge) => boolean> = {
  'functions/ does not import cli/': (e) => e.from === 'functions' && e.to === 'cli',
  'cli/ imports functions/ only lazily': (e) =>
    e.from === 'cli' && e.to === 'functions' && !e.dynamic,
  'a feature imports only render, common, itself and the allowed features': (e) => {
    const [from, to] = [featureOf(e.from), featureOf(e.to)];
    if (from === undefined || ['package', 'lib/render', 'lib/common'].includes(e.to)) return false;
    return to === undefined || (to !== from && !FEATURE_EDGES.has(`${from} -> ${to}`));
  },
  'lib/render/ imports only lib/common/ and itself': only('lib/render', [
    'lib/common',
    'lib/render',
  ]),
  // package.json: the release version is read there once (lib/common/version.ts).
  'lib/common/ imports only itself and package.json': only('lib/common', [
    'lib/common',
    'package.json',
  ]),
  'lib/aws/ imports only lib/common/ and itself': only('lib/aws', ['lib/common', 'lib/aws']),
  'only lib/aws/ imports @aws-sdk and Powertools': (e) =>
    e.from.startsWith('lib/') && e.from !== 'lib/aws' && AWS_PACKAGE.test(e.target),
  'lib/ does not import functions/ or cli/': (e) =>
    e.from.startsWith('lib/') && (e.to === 'functions' || e.to === 'cli'),
};
const CYCLE_RULE = 'feature folders import each other without a cycle';

/** Offending `file -> target` lines per rule; for the cycle rule, the imports on a cycle. */
function violations(edges: readonly Edge[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const [rule, breaks] of Object.entries(EDGE_RULES)) {
    result.set(rule, [...new Set(edges.filter(breaks).map(line))]);
  }
  const featureEdges = edges
    .map((edge) => ({ edge, from: featureOf(edge.from) ?? '', to: featureOf(edge.to) ?? '' }))
    .filter(({ from, to }) => from !== '' && to !== '' && from !== to);
  const reaches = (start: string, goal: string): boolean => {
    const [seen, todo] = [new Set<string>(), [start]];
    for (let at = todo.pop(); at !== undefined; at = todo.pop()) {
      if (at === goal) return true;
      if (!seen.has(at)) todo.push(...featureEdges.filter((f) => f.from === at).map((f) => f.to));
      seen.add(at);
    }
    return false;
  };
  const onCycle = featureEdges.filter(({ from, to }) => reaches(to, from));
  result.set(CYCLE_RULE, [...new Set(onCycle.map(({ edge }) => line(edge)))]);
  return result;
}

describe('Architecture: import directions', () => {
  it.each([...Object.keys(EDGE_RULES), CYCLE_RULE])('%s', (rule) => {
    // Act
    const offending = violations(EDGES).get(rule);

    // Assess
    expect(offending, `${rule}; offending imports:\n${offending?.join('\n')}\n`).toEqual([]);
  });

  it('places every file in a known layer and resolves every relative import', () => {
    // Prepare / Act
    const strays = FILES.filter((file) => !LAYERS.includes(layerOf(file)));
    const missing = EDGES.filter((e) => e.to !== 'package' && !existsSync(`${ROOT}/${e.target}`));

    // Assess
    expect(FILES.length).toBeGreaterThan(40);
    expect(strays, 'files outside the known layers').toEqual([]);
    expect(missing.map(line), 'relative imports of missing files').toEqual([]);
  });
});

describe('Function: scanImports', () => {
  it('finds every kind of import and ignores those in comments', () => {
    // Prepare
    const source = `
import {
  a,
  b,
} from './multi.ts';
import type { T } from '../types.ts';
export { x } from './re.ts';
export * from 'zod/mini';
import './side.ts';
const url = 'http://example.com'; // import { c } from './line-comment.ts';
/* import d from './block.ts';
   import('./block-dynamic.ts'); */
const re = /['"]/; // ' import e from './after-regex.ts';
const load = () => import('./lazy.ts');
`;

    // Act
    const found = scanImports(source);

    // Assess
    expect(found).toEqual([
      ...['./multi.ts', '../types.ts', './re.ts', 'zod/mini', './side.ts'].map((specifier) => ({
        specifier,
        dynamic: false,
      })),
      { specifier: './lazy.ts', dynamic: true },
    ]);
  });
});
