/** Types for scripts/waiting-files.mjs, which its test imports. */
export function waitingFilesEntry(files: ReadonlyArray<{ path: string; url: string }>): string;
