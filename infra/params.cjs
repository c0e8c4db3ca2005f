// How infra/settings.cjs and infra/organization.cjs refuse a parameter at package time, and the
// rules of the parameters serverless.yml passes to the functions' environment: the same ranges
// and words lib/common/config.ts applies at every cold start, read from one data file
// (lib/common/env-rules.json), so a value the functions would refuse never gets deployed.
'use strict';

const { writeSync } = require('node:fs');
const RULES = require('../lib/common/env-rules.json');

/** A parameter refused at package time: the message names the parameter, on one line. */
class ParameterError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ParameterError';
  }
}

function fail(message) {
  throw new ParameterError(message);
}

/** A value as a refusal quotes it: one line, control characters escaped, at most 80 characters. */
function shown(value) {
  const text = String(value ?? '').replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/**
 * Ends an osls run with the refusal's one line. osls would otherwise print a thrown error as
 * "Cannot resolve serverless.yml: Variables resolution errored with: …", each variable that uses
 * the parameter on its own line, with the error's stack trace (it quotes `error.stack` of whatever
 * a variable file throws: node_modules/osls/lib/configuration/variables/sources/file.js).
 * Nothing is written before variables are resolved, so exiting here leaves nothing half done.
 */
function refuse(message) {
  writeSync(2, `Error: ${message}\n`);
  process.exit(1);
}

/**
 * Wraps each variable resolver of a module's exports: under osls, whose resolver context carries
 * `resolveConfigurationProperty`, a ParameterError ends the run with its one line (refuse);
 * called directly (tests), it is thrown as it is.
 */
function refusingResolvers(resolvers) {
  const wrap =
    (resolve) =>
    async (context = {}) => {
      try {
        return await resolve(context);
      } catch (error) {
        if (
          error instanceof ParameterError &&
          typeof context.resolveConfigurationProperty === 'function'
        ) {
          refuse(error.message);
        }
        throw error;
      }
    };
  return Object.fromEntries(
    Object.entries(resolvers).map(([name, resolve]) => [name, wrap(resolve)]),
  );
}

/** The "must be …" text of an integer variable, worded as lib/common/config.ts words it. */
function integerExpected(variable) {
  const rule = RULES.integers[variable];
  return `must be an integer from ${rule.minText ?? rule.min} to ${rule.maxText ?? rule.max}`;
}

/**
 * The value of a parameter that becomes the integer environment variable `variable`, refused
 * unless the function would accept it (lib/common/config.ts: digits, within the variable's
 * range). An empty value, which the function would replace by its default, is refused too: the
 * parameter was given with nothing in it.
 */
function checkIntegerVariable(name, variable, raw) {
  const rule = RULES.integers[variable];
  const text = String(raw ?? '').trim();
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < rule.min || value > rule.max) {
    fail(`Parameter ${name} (${variable}) ${integerExpected(variable)} (got "${shown(raw)}")`);
  }
  return value;
}

/** The parameter dryRun (DRY_RUN): one of the words the functions read as true or false. */
function checkBooleanVariable(name, variable, raw) {
  const text = String(raw ?? '')
    .trim()
    .toLowerCase();
  const { true: yes, false: no } = RULES.booleanWords;
  if (!yes.includes(text) && !no.includes(text)) {
    // Worded as lib/common/config.ts words DRY_RUN's rule: "true, false, 1, 0, yes or no".
    const words = yes.flatMap((word, index) => [word, no[index]]);
    fail(
      `Parameter ${name} (${variable}) must be ${words.slice(0, -1).join(', ')} or ` +
        `${words.at(-1)} (got "${shown(raw)}")`,
    );
  }
  return RULES.booleanWords.true.includes(text);
}

/** The reportPath parameter's length and start, as REPORT_PATH's rule has them (empty: unset). */
function checkReportPathVariable(name, variable, raw) {
  const text = String(raw ?? '');
  if (text.trim() === '') return;
  const { minLength, maxLength, start } = RULES.reportPath;
  if (
    text.length < minLength ||
    text.length > maxLength ||
    !new RegExp(start).test(text) ||
    new RegExp(RULES.forbiddenPathChars).test(text)
  ) {
    fail(
      `Parameter ${name} (${variable}) must be an s3://bucket/prefix path of ${minLength} to ` +
        `${maxLength} characters without line breaks or NUL (got "${shown(raw)}")`,
    );
  }
}

/** Edit distance between two names, case-insensitive: a misspelt parameter is near its name. */
function distance(a, b) {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  let row = Array.from({ length: y.length + 1 }, (_, index) => index);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[y.length];
}

/**
 * Refuses a parameter name serverless.yml does not declare (params.default): osls would take it
 * and ignore it, and the parameter meant would silently keep its default. Names the nearest
 * known one (within 3 edits), or else lists them all.
 */
function checkKnownName(name, known, where) {
  if (known.includes(name)) return;
  const [nearest] = known
    .map((candidate) => ({ candidate, edits: distance(name, candidate) }))
    .filter(({ edits }) => edits <= 3)
    .sort((a, b) => a.edits - b.edits);
  fail(
    nearest === undefined
      ? `Unknown parameter ${shown(name)}${where}: serverless.yml knows ${known.join(', ')}`
      : `Unknown parameter ${shown(name)}${where}: did you mean ${nearest.candidate}?`,
  );
}

module.exports = {
  ParameterError,
  checkBooleanVariable,
  checkIntegerVariable,
  checkKnownName,
  checkReportPathVariable,
  fail,
  integerExpected,
  refusingResolvers,
  shown,
};
