// A commit's new objects as one pack and its index, the way `git index-pack` would index it, instead
// of one loose file each: isomorphic-git writes an object as a temporary file, renamed, after a probe
// of its fan-out folder, ~6 trips to the disk each and ~42 objects a commit (20 edited files and the
// folders above them). Here they are two files, and the pack is what the push sends. Every object is
// stored whole (no deltas): these are the few objects one commit adds, and the clone's housekeeping
// (merge-packs.ts) merges them later.
// Formats: git's Documentation/gitformat-pack.txt (pack version 2, index version 2); packIndexOids
// reads back the ids of any such index (merge-packs.ts).
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import type { GitObject, ObjectType } from './git-objects.js';

/** A pack's object types, as its entry headers number them. */
const TYPE_CODES: Readonly<Record<ObjectType, number>> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const INDEX_MAGIC = 0xff744f63;
/** Where an index's sorted ids begin: after the magic, the version and 256 fan-out counts. */
const INDEX_IDS = 8 + 256 * 4;
/** Offsets at or past this go to the index's table of 64-bit offsets. */
const LARGE_OFFSET = 0x80000000;

/** A pack built in memory: its name (`pack-<checksum>`, as git names one) and the bytes of the .pack and .idx files. */
export interface BuiltPack {
  name: string;
  pack: Buffer;
  index: Buffer;
}

/** Packs `objects`, each once (the first of an id). */
export function buildPack(objects: Iterable<GitObject>): BuiltPack {
  const entries: Array<{ oid: Buffer; offset: number; crc: number }> = [];
  const parts: Buffer[] = [];
  const seen = new Set<string>();
  let offset = 12;
  for (const { oid, type, content } of objects) {
    if (seen.has(oid)) continue;
    seen.add(oid);
    // Level 1: a commit's trees are mostly object ids, which no level compresses, and its blobs are
    // small; 1 packs them to within 1% of the default level in half the time. A merge packs them again.
    const entry = Buffer.concat([entryHeader(TYPE_CODES[type], content.length), zlib.deflateSync(content, { level: 1 })]);
    entries.push({ oid: Buffer.from(oid, 'hex'), offset, crc: crc32(entry) });
    parts.push(entry);
    offset += entry.length;
  }
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(entries.length, 8);
  const body = Buffer.concat([header, ...parts]);
  const checksum = createHash('sha1').update(body).digest();
  return { name: `pack-${checksum.toString('hex')}`, pack: Buffer.concat([body, checksum]), index: buildIndex(entries, checksum) };
}

/** An entry's header: type and the low four bits of the size, then seven bits a byte, the high bit saying more follow. */
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
 * Index version 2 for a pack's entries and checksum: fan-out counts, sorted ids, CRCs and offsets in
 * the same order, 64-bit offsets for those past 2 GiB, the pack's checksum and the index's own.
 */
export function buildIndex(entries: ReadonlyArray<{ oid: Buffer; offset: number; crc: number }>, packChecksum: Buffer): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(a.oid, b.oid));
  const count = sorted.length;
  const largeCount = sorted.filter((e) => e.offset >= LARGE_OFFSET).length;
  const index = Buffer.alloc(INDEX_IDS + count * (20 + 4 + 4) + largeCount * 8 + 40);
  index.writeUInt32BE(INDEX_MAGIC, 0);
  index.writeUInt32BE(2, 4);
  const fanout = 8;
  const ids = INDEX_IDS;
  const crcs = ids + count * 20;
  const offsets = crcs + count * 4;
  const largeOffsets = offsets + count * 4;
  const perFirstByte = new Uint32Array(256);
  let large = 0;
  sorted.forEach(({ oid, crc, offset }, i) => {
    perFirstByte[oid[0]!]! += 1;
    oid.copy(index, ids + i * 20);
    index.writeUInt32BE(crc, crcs + i * 4);
    if (offset < LARGE_OFFSET) index.writeUInt32BE(offset, offsets + i * 4);
    else {
      index.writeUInt32BE((LARGE_OFFSET | large) >>> 0, offsets + i * 4);
      index.writeBigUInt64BE(BigInt(offset), largeOffsets + large * 8);
      large += 1;
    }
  });
  let total = 0;
  for (let byte = 0; byte < 256; byte++) index.writeUInt32BE((total += perFirstByte[byte]!), fanout + byte * 4);
  const end = largeOffsets + largeCount * 8;
  packChecksum.copy(index, end);
  createHash('sha1').update(index.subarray(0, end + 20)).digest().copy(index, end + 20);
  return index;
}

/**
 * The object ids a pack index lists (version 2, the only one git and isomorphic-git write): after the
 * 8-byte header, 256 fan-out counts, the last of which is the number of objects, then their ids.
 */
export function packIndexOids(index: Uint8Array): string[] {
  const bytes = Buffer.from(index.buffer, index.byteOffset, index.byteLength);
  if (bytes.length < INDEX_IDS || bytes.readUInt32BE(0) !== INDEX_MAGIC || bytes.readUInt32BE(4) !== 2) {
    throw new Error('not a version 2 pack index');
  }
  const count = bytes.readUInt32BE(INDEX_IDS - 4);
  if (bytes.length < INDEX_IDS + count * 20) throw new Error(`a pack index of ${count} objects cut short`);
  return Array.from({ length: count }, (_, i) => bytes.toString('hex', INDEX_IDS + i * 20, INDEX_IDS + (i + 1) * 20));
}

/** zlib's CRC-32 (Node ≥ 22.2), else the same polynomial computed here. */
const crc32: (data: Uint8Array) => number = (zlib as { crc32?: (data: Uint8Array) => number }).crc32 ?? crc32ByTable;

let crcTable: Uint32Array | undefined;

/** CRC-32 as zlib computes it, for Node 22.0 and 22.1, which lack `zlib.crc32`. */
export function crc32ByTable(data: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
