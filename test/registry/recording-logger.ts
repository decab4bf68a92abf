// A RegistryLogger that keeps every line, so tests can assert what was logged and what never was.
import type { RegistryLogger } from '../../src/registry/registry-client.js';

/** One logged line. */
export interface LogLine {
  level: 'warn' | 'debug';
  obj: object;
  msg: string;
}

/** Records warn and debug lines; `text()` is everything logged, serialised as pino would. */
export class RecordingLogger implements RegistryLogger {
  readonly lines: LogLine[] = [];

  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }

  debug(obj: object, msg: string): void {
    this.lines.push({ level: 'debug', obj, msg });
  }

  text(): string {
    return this.lines.map((line) => JSON.stringify({ ...line.obj, msg: line.msg })).join('\n');
  }
}
