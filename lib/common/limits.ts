/*
 * Our own limits (not FSx's: those are in fsx.ts), each defined once. Constants only, so that
 * importing one loads nothing else (the configuration reads them at every function's start).
 */

/**
 * Default cap on a decompressed subscription payload (MAX_DECOMPRESSED_BYTES): real batches are
 * at most a few MB, and the cap stops a decompression bomb (docs/design.md#how-it-works).
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 32 * 1024 * 1024;
