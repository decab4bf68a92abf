// The token realm's answer (distribution token spec): `token` or OAuth's `access_token`, `expires_in`.
import * as z from '../zod.js';
import { InputError } from '../errors.js';

/** What a realm may send; both token fields exist in the wild and either one is enough. */
export const TokenResponse = z.object({
  token: z.optional(z.string()),
  access_token: z.optional(z.string()),
  expires_in: z.optional(z.number()),
});
export type TokenResponse = z.output<typeof TokenResponse>;

/** The spec's lifetime for a token whose answer names none. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;

/**
 * The bearer token and its lifetime. `source` starts each error ("docker.io/library/nginx: token service
 * https://auth.docker.io/token"); errors never quote the body, which may hold the token.
 */
export function parseTokenResponse(body: string, source: string): { token: string; lifetimeSeconds: number } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InputError(`${source} sent a body that is not JSON`);
  }
  const parsed = TokenResponse.safeParse(json);
  const token = parsed.success ? parsed.data.token || parsed.data.access_token : undefined;
  if (!parsed.success || !token) throw new InputError(`${source} sent no token`);
  const expiresIn = parsed.data.expires_in;
  return { token, lifetimeSeconds: expiresIn && expiresIn > 0 ? expiresIn : DEFAULT_TOKEN_LIFETIME_SECONDS };
}
