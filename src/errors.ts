// Every error tagpilot raises on purpose. STYLE rule 5: absent is a value, transient is retried,
// bad input names the input and is not retried.

/** Base class: a stable machine-readable `code` and the underlying `cause`. */
export class TagpilotError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A failure that may pass if tried again later: timeouts, 429, 5xx, connection resets. */
export class TransientError extends TagpilotError {
  /** Milliseconds the peer asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number; code?: string }) {
    super(options?.code ?? 'TRANSIENT', message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Bad input that will fail the same way every time: a config, a file, a request. */
export class InputError extends TagpilotError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'BAD_INPUT', message, options);
  }
}

/** One problem in the config, with where it is. */
export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** The config is invalid; carries every problem found, not just the first. */
export class ConfigError extends InputError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'), { code: 'CONFIG_INVALID' });
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`;
}

/** A registry, git server or API refused our credentials. */
export class UnauthorizedError extends TagpilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAUTHORIZED', message, options);
  }
}

/** The named thing does not exist at the peer (repository, branch, manifest). */
export class NotFoundError extends TagpilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
  }
}

/**
 * The git server refused a push for a reason another try will not change: a server hook, a protected
 * branch. Not a race (the branch did not move); shown with the server's own words and not retried.
 */
export class PushDeclinedError extends TagpilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PUSH_DECLINED', message, options);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A webhook body that is not JSON, or not the shape its source sends; the message names the field (→ 400). */
export class WebhookPayloadError extends InputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'WEBHOOK_PAYLOAD_INVALID' });
  }
}

/** Our own disk failed us (stateDir full, read-only, not ours): never the peer's fault. Space can come back, so it is retried. */
export class LocalDiskError extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'LOCAL_DISK' });
  }
}

/** A peer's answer larger than we accept (a registry's tags/list, token or manifest): refused unread, the same next time. */
export class ResponseTooLargeError extends InputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'RESPONSE_TOO_LARGE' });
  }
}
