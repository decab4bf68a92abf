// Remote URLs appear in errors and logs; credentials written into them must not.
import { isSshUrl } from './ssh-remote.js';

/** The URL without any password (and, for HTTP(S), without the user name either), for messages. */
export function redactUrl(url: string): string {
  // An SSH login name is not a secret and picks the account (git@…), so it stays; a password cannot log in anyway.
  if (isSshUrl(url)) return url.replace(/^(ssh:\/\/[^:@/]*):[^@/]*@/i, '$1@');
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}
