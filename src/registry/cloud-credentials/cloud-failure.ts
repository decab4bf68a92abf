// The one place a cloud SDK's failure is classified (STYLE rule 10): no identity found or a refused
// one is permanent, a token service that is down or unreachable is transient. Messages name the
// provider and where it looked, never a token.
import { InputError, TagpilotError, TransientError, UnauthorizedError, errorMessage } from '../../errors.js';
import { classifyStatus, statusError } from '../../failure-kind.js';
import type { CloudCredentialProvider } from './cloud-provider.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);
const MAX_REASON = 600;

/** `err` from `provider` while minting credentials for `host`, as one of our errors. */
export function cloudFailure(providerId: string, provider: CloudCredentialProvider, host: string, err: unknown): Error {
  if (err instanceof TagpilotError) return err;
  const what = `registries ${host}: ${providerId} credentials`;
  const reason = shortReason(err);
  if (provider.isUnavailable(err)) {
    return new InputError(`${what}: no identity found; tried ${provider.sources}: ${reason}`, { code: 'CLOUD_CREDENTIALS_UNAVAILABLE' });
  }
  const status = provider.statusOf(err);
  if (status === 401 || status === 403) return new UnauthorizedError(`${what}: the token service refused our identity (HTTP ${status}): ${reason}`);
  // What a status means is decided in one place for every peer (failure-kind.ts).
  if (status !== undefined && classifyStatus(status) === 'transient') return statusError(status, `${what}: the token service answered HTTP ${status}: ${reason}`);
  if (status === undefined && isNetworkFailure(err)) return new TransientError(`${what}: the token service is unreachable: ${reason}`);
  return new InputError(`${what}: ${reason}`, { code: 'CLOUD_CREDENTIALS_FAILED' });
}

function isNetworkFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (name === 'TimeoutError' || name === 'AbortError') return true;
  }
  return false;
}

/** The SDK's message on one line and capped: some list every source they tried, with links. */
function shortReason(err: unknown): string {
  const text = errorMessage(err).replace(/\s*\n\s*/g, '; ').trim();
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}
