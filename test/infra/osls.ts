import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** The repository root: where serverless.yml is. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const OSLS = require.resolve('osls/bin/serverless.js');

interface Run {
  readonly code: number;
  readonly output: string;
}

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Condition?: string;
  readonly DependsOn?: unknown;
}

interface Template {
  readonly Resources: Record<string, Resource>;
  readonly Conditions?: Record<string, unknown>;
  readonly Outputs?: Record<string, unknown>;
}

/** An IAM, key or resource policy statement, as far as these tests read it. */
interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action?: string | readonly string[];
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: unknown;
}

/**
 * The environment osls runs in: no AWS credentials or profile of any kind and no instance
 * metadata, so a step that needed AWS would fail instead of quietly using what the machine has.
 */
function offlineEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^AWS_/.test(name) && name !== 'AWS_CA_BUNDLE') delete env[name];
  }
  for (const name of [
    'DRY_RUN',
    'SUMMARY_TOPIC_ARN',
    'REPORT_PATH',
    'DEFERRAL_QUEUE_URL',
    'LEDGER_TABLE',
  ]) {
    delete env[name];
  }
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: join(ROOT, 'no-such-aws-credentials'),
    AWS_CONFIG_FILE: join(ROOT, 'no-such-aws-config'),
  };
}

/** Runs `osls ...args` in the repository (or the service in `cwd`) with this Node.js, without stdin. */
function osls(args: readonly string[], cwd: string = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [OSLS, ...args],
      { cwd, env: offlineEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 150_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
    child.stdin?.end();
  });
}

/**
 * `osls package` into `directory` (not .serverless/, so packages can run side by side). osls
 * still empties the repository's .serverless/ first, as every `osls package` does.
 */
async function packageInto(directory: string, args: readonly string[] = []): Promise<Run> {
  return osls(['package', '--package', directory, ...args]);
}

async function readTemplate(directory: string): Promise<Template> {
  const text = await readFile(join(directory, 'cloudformation-template-update-stack.json'), 'utf8');
  return JSON.parse(text) as Template;
}

function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function resource(template: Template, logicalId: string): Resource {
  const found = template.Resources[logicalId];
  if (found === undefined) throw new Error(`the template has no resource ${logicalId}`);
  return found;
}

/** Every policy statement anywhere in the template: IAM, key, topic and queue policies. */
function allStatements(value: unknown): Statement[] {
  if (Array.isArray(value)) return value.flatMap(allStatements);
  if (value === null || typeof value !== 'object') return [];
  const entries = Object.entries(value);
  const own = entries.flatMap(([key, child]) =>
    key === 'Statement' && Array.isArray(child) ? (child as Statement[]) : [],
  );
  return [...own, ...entries.flatMap(([, child]) => allStatements(child))];
}

function actionsOf(statement: Statement): string[] {
  const action = statement.Action;
  if (action === undefined) return [];
  return typeof action === 'string' ? [action] : [...action];
}

/** The names of the files in a zip archive, read from its central directory. */
function zipEntries(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip archive');
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let index = 0; index < count; index++) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

/**
 * What CloudFormation's Fn::Sub makes of `text`: `${Name}` and `${Name.Attribute}` become
 * `<Name.Attribute>` (and are returned, to check they exist), `${!Literal}` becomes `${Literal}`.
 */
function substitute(text: string): { readonly result: string; readonly references: string[] } {
  const references: string[] = [];
  const result = text.replace(/\$\{(!?)([^}]*)\}/g, (_match, literal: string, name: string) => {
    if (literal === '!') return `\${${name}}`;
    references.push(name);
    return `<${name}>`;
  });
  return { result, references };
}

/** A resource type as the CloudFormation resource specification describes it. */
interface ResourceSpec {
  readonly properties: Record<string, { readonly required?: boolean }>;
  readonly attributes: Record<string, unknown>;
}

/**
 * The CloudFormation resource types by name, from @aws-cdk/aws-service-spec: AWS's resource
 * specification and registry schemas, packaged offline.
 */
function resourceSpecs(): ReadonlyMap<string, ResourceSpec> {
  const file = require.resolve('@aws-cdk/aws-service-spec/db.json.gz');
  const db = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
    schema: {
      resource: { entities: Record<string, ResourceSpec & { cloudFormationType: string }> };
    };
  };
  return new Map(
    Object.values(db.schema.resource.entities).map((spec) => [spec.cloudFormationType, spec]),
  );
}

/**
 * What the template gets wrong against the specification: unknown types or properties, missing
 * required properties, Fn::GetAtt of attributes that do not exist, Refs to nothing. Empty when
 * CloudFormation would accept every resource's shape.
 */
function specProblems(template: Template, specs: ReadonlyMap<string, ResourceSpec>): string[] {
  const problems: string[] = [];
  for (const [logicalId, { Type, Properties = {} }] of Object.entries(template.Resources)) {
    const spec = specs.get(Type);
    if (spec === undefined) {
      problems.push(`${logicalId}: unknown type ${Type}`);
      continue;
    }
    for (const name of Object.keys(Properties)) {
      if (spec.properties[name] === undefined) problems.push(`${logicalId}: unknown ${name}`);
    }
    for (const [name, property] of Object.entries(spec.properties)) {
      if (property.required === true && !(name in Properties)) {
        problems.push(`${logicalId}: missing ${name}`);
      }
    }
  }
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'Fn::GetAtt' && Array.isArray(child)) {
        const [logicalId, attribute] = child as [string, string];
        const target = template.Resources[logicalId];
        const spec = target === undefined ? undefined : specs.get(target.Type);
        if (spec?.attributes[attribute] === undefined) {
          problems.push(`Fn::GetAtt ${logicalId}.${attribute} does not exist`);
        }
      }
      if (key === 'Ref' && typeof child === 'string' && !child.startsWith('AWS::')) {
        if (template.Resources[child] === undefined) problems.push(`Ref ${child} does not exist`);
      }
      visit(child);
    }
  };
  visit(template);
  return problems;
}

export type { Resource, ResourceSpec, Run, Statement, Template };
export {
  actionsOf,
  allStatements,
  osls,
  packageInto,
  ROOT,
  readTemplate,
  resource,
  resourceSpecs,
  resourcesOfType,
  specProblems,
  substitute,
  zipEntries,
};
