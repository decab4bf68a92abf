// What one cloud's workload identity must provide to open its registry (SPEC §1 registries[].auth.provider).
import type { AuthChallenge } from '../auth-challenge.js';
import type { Credentials } from '../credentials.js';

/** What a provider may use to mint credentials for one registry. */
export interface CloudCredentialRequest {
  /** The registry host as configured, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  host: string;
  /** The registry's challenge: ACR's token exchange lives at its realm's origin. */
  challenge: AuthChallenge;
  /** POSTs a form to the registry side, with the host's CA and timeouts; network failures arrive classified. */
  postForm(url: string, form: Record<string, string>): Promise<{ statusCode: number; body: string }>;
  env: NodeJS.ProcessEnv;
}

/** Registry credentials and when they stop working (ms since the epoch). */
export interface CloudCredentials {
  credentials: Credentials;
  expiresAt: number;
}

/** One cloud: how to mint credentials, and how to read its SDK's failures. */
export interface CloudCredentialProvider {
  /** The SDK's credential chain in words, for the message when it finds nothing. */
  sources: string;
  /** Loads the SDK (only now: start-up stays fast) and mints credentials for `request.host`. */
  obtain(request: CloudCredentialRequest): Promise<CloudCredentials>;
  /** Whether `err` means the chain found no identity at all (as opposed to one that was refused). */
  isUnavailable(err: unknown): boolean;
  /** The HTTP status of the SDK's failed token request, when it had one. */
  statusOf(err: unknown): number | undefined;
}
