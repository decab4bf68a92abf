// A webhook body that is not what its registry sends. Lives beside the sources rather than in
// src/errors.ts so this stage stays self-contained; it is still an InputError (not retried, → 400).
import { InputError } from '../errors.js';

/** The body of a webhook is not JSON, or not the shape its source expects; the message names the field. */
export class WebhookPayloadError extends InputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'WEBHOOK_PAYLOAD_INVALID' });
  }
}
