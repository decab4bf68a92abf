// Secrets are compared by their SHA-256 digests: timingSafeEqual needs equal lengths, and comparing
// fixed-size digests means neither the content nor the length of the secret leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

/** True when `given` equals `expected`, in time that does not depend on where or whether they differ. */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
