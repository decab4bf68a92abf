// Remote URLs appear in errors and logs; credentials written into them must not.

/** The URL without any user:password part, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}
