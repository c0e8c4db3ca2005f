import packageJson from '../../package.json' with { type: 'json' };

/*
 * The release of this code: package.json's `version` (semantic versioning) is the one place it
 * is written. Every bundle (CLI and Lambda functions) inlines it at build time, and it appears in
 * `--version`, every email footer, the analyzer's Lambda result and the stack's tag and output
 * (docs/deploy.md#releases).
 */

/** The semantic version of this release, e.g. `0.1.0`. */
const VERSION: string = packageJson.version;

export { VERSION };
