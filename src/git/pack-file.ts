// Pack files and their v2 indexes, natively: what we push and store is one pack of the objects a
// run wrote, and a clone's pack is indexed here (inflate and SHA-1 in C) instead of in
// isomorphic-git's JavaScript, which spent ~650 ms on 5,000 objects.
// https://git-scm.com/docs/gitformat-pack
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { deflateSync, inflateSync } from 'node:zlib';
import { objectId, type GitObject, type ObjectType } from './git-object.js';

const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const CODE_TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
const REF_DELTA = 7;

/** One object found while indexing a pack. */
export interface IndexedObject extends GitObject {
  oid: string;
}

/** A pack with no deltas holding `objects`, as git stores and sends them. */
export function encodePack(objects: readonly GitObject[]): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  const parts: Buffer[] = [header];
  for (const object of objects) {
    parts.push(entryHeader(TYPE_CODES[object.type], object.content.length), deflateSync(object.content, { level: 1 }));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

function entryHeader(type: number, size: number): Buffer {
  const bytes = [(type << 4) | (size & 0x0f)];
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes[bytes.length - 1]! |= 0x80;
    bytes.push(rest & 0x7f);
    rest = Math.floor(rest / 128);
  }
  return Buffer.from(bytes);
}

/**
 * Reads every object of `pack`, resolving deltas, and builds its v2 index. `external` supplies a
 * ref-delta base that is not in the pack (a thin pack); we never ask for thin packs, so it is rare.
 */
export function indexPack(pack: Buffer, external?: (oid: string) => GitObject | undefined): { index: Buffer; objects: IndexedObject[] } {
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') throw new Error('not a pack file');
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new Error(`pack version ${version} is not supported`);
  const count = pack.readUInt32BE(8);
  const trailer = pack.subarray(pack.length - 20);
  if (!createHash('sha1').update(pack.subarray(0, pack.length - 20)).digest().equals(trailer)) {
    throw new Error('pack checksum mismatch: the download is damaged');
  }

  interface Entry {
    offset: number;
    crc: number;
    object?: IndexedObject;
    deltaBase?: { offset: number } | { oid: string };
    delta?: Buffer;
  }
  const entries: Entry[] = [];
  const byOffset = new Map<number, Entry>();
  let at = 12;
  for (let i = 0; i < count; i++) {
    const start = at;
    let byte = pack[at++]!;
    const type = (byte >> 4) & 0x07;
    let size = byte & 0x0f;
    let shift = 4;
    while (byte & 0x80) {
      byte = pack[at++]!;
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    let deltaBase: Entry['deltaBase'];
    if (type === OFS_DELTA) {
      byte = pack[at++]!;
      let distance = byte & 0x7f;
      while (byte & 0x80) {
        byte = pack[at++]!;
        distance = (distance + 1) * 128 + (byte & 0x7f);
      }
      deltaBase = { offset: start - distance };
    } else if (type === REF_DELTA) {
      deltaBase = { oid: pack.toString('hex', at, at + 20) };
      at += 20;
    } else if (!CODE_TYPES[type]) {
      throw new Error(`unknown object type ${type} at offset ${start}`);
    }
    // chunkSize = the known size: the default 16 KiB output buffer per object is what a clone spent its time allocating.
    const inflated = inflateSync(pack.subarray(at), { info: true, chunkSize: Math.max(64, size) }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    if (inflated.buffer.length !== size) throw new Error(`object at offset ${start} inflates to the wrong size`);
    at += inflated.engine.bytesWritten;
    const entry: Entry = { offset: start, crc: crc32(pack.subarray(start, at)) };
    if (deltaBase) {
      entry.deltaBase = deltaBase;
      entry.delta = inflated.buffer;
    } else {
      const object = { type: CODE_TYPES[type]!, content: inflated.buffer };
      entry.object = { ...object, oid: objectId(object) };
    }
    entries.push(entry);
    byOffset.set(start, entry);
  }
  if (at !== pack.length - 20) throw new Error('pack has trailing bytes after its objects');

  // Deltas may name bases that come later (ref-delta), so resolve until nothing more can be.
  const byOid = new Map<string, IndexedObject>();
  for (const e of entries) if (e.object) byOid.set(e.object.oid, e.object);
  let pending = entries.filter((e) => !e.object);
  while (pending.length > 0) {
    const before = pending.length;
    pending = pending.filter((e) => {
      const base = 'offset' in e.deltaBase! ? byOffset.get(e.deltaBase.offset)?.object : byOid.get(e.deltaBase!.oid) ?? externalObject(e.deltaBase!.oid);
      if (!base) return true;
      const object = { type: base.type, content: applyDelta(base.content, e.delta!) };
      e.object = { ...object, oid: objectId(object) };
      e.delta = undefined;
      byOid.set(e.object.oid, e.object);
      return false;
    });
    if (pending.length === before) throw new Error(`pack has ${pending.length} deltas whose base is missing`);
  }
  return { index: encodeIndex(entries.map((e) => ({ oid: e.object!.oid, crc: e.crc, offset: e.offset })), trailer), objects: entries.map((e) => e.object!) };

  function externalObject(oid: string): IndexedObject | undefined {
    const object = external?.(oid);
    return object ? { ...object, oid } : undefined;
  }
}

/** The v2 .idx for a pack whose objects are at these offsets. */
export function encodeIndex(entries: ReadonlyArray<{ oid: string; crc: number; offset: number }>, packChecksum: Buffer): Buffer {
  const sorted = [...entries].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const n = sorted.length;
  const large = sorted.filter((e) => e.offset >= 0x80000000);
  const out = Buffer.alloc(8 + 256 * 4 + n * (20 + 4 + 4) + large.length * 8 + 40);
  out.writeUInt32BE(0xff744f63, 0);
  out.writeUInt32BE(2, 4);
  const fanout = new Array<number>(256).fill(0);
  for (const e of sorted) fanout[Number.parseInt(e.oid.slice(0, 2), 16)]!++;
  let pos = 8;
  let running = 0;
  for (let i = 0; i < 256; i++) {
    running += fanout[i]!;
    out.writeUInt32BE(running, pos);
    pos += 4;
  }
  for (const e of sorted) {
    out.write(e.oid, pos, 'hex');
    pos += 20;
  }
  for (const e of sorted) {
    out.writeUInt32BE(e.crc >>> 0, pos);
    pos += 4;
  }
  let largeIndex = 0;
  for (const e of sorted) {
    out.writeUInt32BE(e.offset >= 0x80000000 ? (0x80000000 | largeIndex++) >>> 0 : e.offset, pos);
    pos += 4;
  }
  for (const e of large) {
    out.writeBigUInt64BE(BigInt(e.offset), pos);
    pos += 8;
  }
  packChecksum.copy(out, pos);
  pos += 20;
  createHash('sha1').update(out.subarray(0, pos)).digest().copy(out, pos);
  return out;
}

/** Rebuilds an object from its base and a git delta (copy and insert instructions). */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = delta[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const baseSize = varint();
  if (baseSize !== base.length) throw new Error('delta does not fit its base');
  const out = Buffer.alloc(varint());
  let written = 0;
  while (at < delta.length) {
    const op = delta[at++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit++) if (op & (1 << bit)) offset |= delta[at++]! << (8 * bit);
      for (let bit = 0; bit < 3; bit++) if (op & (0x10 << bit)) size |= delta[at++]! << (8 * bit);
      if (size === 0) size = 0x10000;
      base.copy(out, written, offset >>> 0, (offset >>> 0) + size);
      written += size;
    } else if (op > 0) {
      delta.copy(out, written, at, at + op);
      written += op;
      at += op;
    } else {
      throw new Error('delta has a reserved instruction');
    }
  }
  if (written !== out.length) throw new Error('delta result has the wrong size');
  return out;
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

const nativeCrc32 = (zlib as { crc32?: (data: Buffer) => number }).crc32;

/** CRC-32 as the .idx stores it per object; zlib's own from Node 20.15, a table before that. */
export function crc32(data: Buffer): number {
  if (nativeCrc32) return nativeCrc32(data) >>> 0;
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
