// The one string order tagpilot ranks and breaks ties by.

/**
 * Plain string order: negative, 0 or positive. JS compares UTF-16 code units, which equals byte-wise
 * order for ASCII; OCI tags are ASCII by grammar ([A-Za-z0-9_.-]), so SPEC §2's "byte-wise" holds.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
