// Git's pkt-line framing (gitprotocol-common): four hex digits of length, then the payload;
// "0000" is a flush packet. https://git-scm.com/docs/gitprotocol-common#_pkt_line_format

export const FLUSH_PKT = Buffer.from('0000');

/** One pkt-line holding `payload`. */
export function pktLine(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body]);
}

/** Reads pkt-lines from a whole response body; `null` stands for a flush (or delim) packet. */
export class PktLineReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  /** The bytes after the last packet read (a raw pack when no side-band was negotiated). */
  rest(): Buffer {
    return this.buffer.subarray(this.offset);
  }

  /** Whether every byte has been read. */
  get done(): boolean {
    return this.offset >= this.buffer.length;
  }

  /** The next payload, null for a flush packet; throws on a malformed length. */
  next(): Buffer | null {
    if (this.offset + 4 > this.buffer.length) throw new Error('truncated pkt-line stream');
    const lengthText = this.buffer.toString('latin1', this.offset, this.offset + 4);
    const length = Number.parseInt(lengthText, 16);
    if (!/^[0-9a-f]{4}$/i.test(lengthText) || (length > 0 && length < 4)) throw new Error(`bad pkt-line length "${lengthText}"`);
    if (length <= 2) {
      // 0000 flush, 0001 delim (protocol v2): both end a section.
      this.offset += 4;
      return null;
    }
    if (this.offset + length > this.buffer.length) throw new Error('truncated pkt-line');
    const payload = this.buffer.subarray(this.offset + 4, this.offset + length);
    this.offset += length;
    return payload;
  }

  /** The next payload as text without its trailing newline, null for a flush packet. */
  nextText(): string | null {
    const payload = this.next();
    return payload === null ? null : payload.toString('utf8').replace(/\n$/, '');
  }
}

/**
 * Splits a side-band-64k stream (after the plain lines) into its bands: 1 is the data, 2 progress
 * ("remote: …" messages), 3 a fatal error from the server.
 */
export function demuxSideBand(reader: PktLineReader): { data: Buffer; progress: string; error: string | null } {
  const data: Buffer[] = [];
  let progress = '';
  while (!reader.done) {
    const packet = reader.next();
    if (packet === null) break;
    const band = packet[0];
    const body = packet.subarray(1);
    if (band === 1) data.push(body);
    else if (band === 2) progress += body.toString('utf8');
    else if (band === 3) return { data: Buffer.concat(data), progress, error: body.toString('utf8').trim() };
  }
  return { data: Buffer.concat(data), progress, error: null };
}
