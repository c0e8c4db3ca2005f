import { type Io, UsageError } from './common.ts';

// Placeholder while `scan` is being built; replaced by its real module.
const help = 'Usage: fsx-export-analyzer scan (being built)\n';

async function command(_args: string[], _io: Io): Promise<number> {
  throw new UsageError('scan is not built yet', 'scan');
}

export { command, help };
