import { type Io, UsageError } from './common.ts';

// Placeholder while `reexport` is being built; replaced by its real module.
const help = 'Usage: fsx-export-analyzer reexport (being built)\n';

async function command(_args: string[], _io: Io): Promise<number> {
  throw new UsageError('reexport is not built yet', 'reexport');
}

export { command, help };
