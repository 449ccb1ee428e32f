/**
 * A minimal, bounds-checked flatbuffer reader: just tables, scalars, strings and vectors, which is all the
 * TFLite schema needs. Every offset is checked against the buffer before it is followed, so a truncated or
 * hostile file ends in `InvalidModelError` rather than a RangeError, a garbage read or a long loop.
 */
import { InvalidModelError } from '../errors.ts';

/** A view over the whole flatbuffer; tables hold it plus their own position. */
export class FlatBuffer {
  readonly view: DataView;
  readonly length: number;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.byteLength;
  }

  check(position: number, size: number, what: string): void {
    if (!Number.isInteger(position) || position < 0 || size < 0 || position + size > this.length) {
      throw new InvalidModelError(
        `TFLite file is truncated or corrupt: ${what} at byte ${position} (+${size}) lies outside the ${this.length}-byte file`,
      );
    }
  }

  u8(position: number): number {
    this.check(position, 1, 'a byte');
    return this.view.getUint8(position);
  }

  i8(position: number): number {
    this.check(position, 1, 'a byte');
    return this.view.getInt8(position);
  }

  u16(position: number): number {
    this.check(position, 2, 'a 16-bit field');
    return this.view.getUint16(position, true);
  }

  i32(position: number): number {
    this.check(position, 4, 'a 32-bit field');
    return this.view.getInt32(position, true);
  }

  u32(position: number): number {
    this.check(position, 4, 'a 32-bit field');
    return this.view.getUint32(position, true);
  }

  f32(position: number): number {
    this.check(position, 4, 'a float field');
    return this.view.getFloat32(position, true);
  }

  /** 64-bit integers as numbers: exact up to 2^53, far beyond any zero point or byte offset we meet. */
  i64(position: number): number {
    this.check(position, 8, 'a 64-bit field');
    return Number(this.view.getBigInt64(position, true));
  }

  u64(position: number): number {
    this.check(position, 8, 'a 64-bit field');
    return Number(this.view.getBigUint64(position, true));
  }

  /** Follows the uoffset stored at `position` (offsets are relative to where they are stored). */
  indirect(position: number): number {
    const target = position + this.u32(position);
    this.check(target, 1, 'an offset target');
    return target;
  }

  /** The root table; checks the 4-byte file identifier that follows the root offset. */
  root(identifier: string): Table {
    if (this.length < 8) throw new InvalidModelError(`TFLite file is ${this.length} bytes; a flatbuffer needs at least 8`);
    let found = '';
    for (let i = 0; i < 4; i++) found += String.fromCharCode(this.bytes[4 + i]);
    if (found !== identifier) {
      throw new InvalidModelError(
        `not a TFLite model: file identifier is ${JSON.stringify(found)}, expected ${JSON.stringify(identifier)} (a .tflite flatbuffer)`,
      );
    }
    return new Table(this, this.indirect(0));
  }
}

/** One flatbuffer table: fields are looked up by slot index (their order in the schema). */
export class Table {
  private readonly vtable: number;
  private readonly vtableSize: number;

  constructor(
    readonly fb: FlatBuffer,
    readonly position: number,
  ) {
    this.vtable = position - fb.i32(position);
    this.vtableSize = fb.u16(this.vtable);
    if (this.vtableSize < 4 || this.vtableSize % 2 !== 0) {
      throw new InvalidModelError(`TFLite file is corrupt: a table at byte ${position} has a vtable of ${this.vtableSize} bytes`);
    }
    fb.check(this.vtable, this.vtableSize, 'a vtable');
  }

  /** Absolute position of field `slot`, or 0 when the field is absent (it then takes its default). */
  private field(slot: number): number {
    const entry = 4 + 2 * slot;
    if (entry >= this.vtableSize) return 0;
    const offset = this.fb.u16(this.vtable + entry);
    return offset === 0 ? 0 : this.position + offset;
  }

  has(slot: number): boolean {
    return this.field(slot) !== 0;
  }

  u8(slot: number, fallback = 0): number {
    const at = this.field(slot);
    return at ? this.fb.u8(at) : fallback;
  }

  i8(slot: number, fallback = 0): number {
    const at = this.field(slot);
    return at ? this.fb.i8(at) : fallback;
  }

  i32(slot: number, fallback = 0): number {
    const at = this.field(slot);
    return at ? this.fb.i32(at) : fallback;
  }

  u32(slot: number, fallback = 0): number {
    const at = this.field(slot);
    return at ? this.fb.u32(at) : fallback;
  }

  f32(slot: number, fallback = 0): number {
    const at = this.field(slot);
    return at ? this.fb.f32(at) : fallback;
  }

  u64(slot: number, fallback = 0): number {
    const at = this.field(slot);
    return at ? this.fb.u64(at) : fallback;
  }

  table(slot: number): Table | null {
    const at = this.field(slot);
    return at ? new Table(this.fb, this.fb.indirect(at)) : null;
  }

  string(slot: number): string | null {
    const bytes = this.bytes(slot);
    return bytes ? new TextDecoder('utf-8').decode(bytes) : null;
  }

  /** Start and length of a vector field, checked to fit the file for elements of `elementSize` bytes. */
  private vector(slot: number, elementSize: number): { start: number; length: number } | null {
    const at = this.field(slot);
    if (!at) return null;
    const header = this.fb.indirect(at);
    const length = this.fb.u32(header);
    this.fb.check(header + 4, length * elementSize, `a vector of ${length} elements`);
    return { start: header + 4, length };
  }

  /** A `[ubyte]` (or string) field as a view into the file, not a copy. */
  bytes(slot: number): Uint8Array | null {
    const v = this.vector(slot, 1);
    return v ? this.fb.bytes.subarray(v.start, v.start + v.length) : null;
  }

  i32Vector(slot: number): number[] | null {
    const v = this.vector(slot, 4);
    if (!v) return null;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.fb.view.getInt32(v.start + 4 * i, true);
    return out;
  }

  f32Vector(slot: number): number[] | null {
    const v = this.vector(slot, 4);
    if (!v) return null;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.fb.view.getFloat32(v.start + 4 * i, true);
    return out;
  }

  i64Vector(slot: number): number[] | null {
    const v = this.vector(slot, 8);
    if (!v) return null;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = Number(this.fb.view.getBigInt64(v.start + 8 * i, true));
    return out;
  }

  tables(slot: number): Table[] {
    const v = this.vector(slot, 4);
    if (!v) return [];
    const out = new Array<Table>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = new Table(this.fb, this.fb.indirect(v.start + 4 * i));
    return out;
  }
}
