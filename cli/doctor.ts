import { type Io, UsageError } from './common.ts';

// Placeholder while `doctor` is being built; replaced by its real module.
const help = 'Usage: fsx-export-analyzer doctor (being built)\n';

async function command(_args: string[], _io: Io): Promise<number> {
  throw new UsageError('doctor is not built yet', 'doctor');
}

export { command, help };
