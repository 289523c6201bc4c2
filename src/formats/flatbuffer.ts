/**
 * A bounds-checked reader of FlatBuffers tables (https://flatbuffers.dev/internals/), enough to read the Arrow IPC
 * message headers (src/formats/arrow-ipc.ts). Every offset, vtable and vector length is checked against the bytes
 * that are there before it is followed, so a corrupt or hostile header ends in a FlatBufferError, never in a read
 * outside the buffer or an allocation sized by a length field. Nothing here allocates more than the strings it is
 * asked to decode.
 *
 * Why not the flatbuffers package that apache-arrow uses: it trusts offsets and lengths, which is what lets a
 * fuzzed Arrow message drive tableFromIPC into unbounded allocation (4 of 200 single-bit mutants, issue 19).
 */

/** A header that does not parse: an offset, vtable or vector that points outside the bytes present. */
export class FlatBufferError extends RangeError {}

/** One table of a FlatBuffer: typed access to its fields by index, each checked against the buffer's end. */
export class FlatTable {
  private constructor(
    private readonly view: DataView,
    /** Position of the table in the view. */
    readonly pos: number,
    private readonly vtable: number,
    private readonly vtableSize: number,
    private readonly tableSize: number,
  ) {}

  /** The root table of a FlatBuffer occupying the whole `view`. */
  static root(view: DataView): FlatTable {
    if (view.byteLength < 8) throw new FlatBufferError(`flatbuffer of ${view.byteLength} bytes has no root table`);
    return FlatTable.at(view, view.getUint32(0, true));
  }

  private static at(view: DataView, pos: number): FlatTable {
    const end = view.byteLength;
    if (pos < 0 || pos + 4 > end) throw new FlatBufferError(`table at ${pos} is outside the ${end}-byte header`);
    const vtable = pos - view.getInt32(pos, true);
    if (vtable < 0 || vtable + 4 > end)
      throw new FlatBufferError(`vtable of the table at ${pos} is outside the header`);
    const vtableSize = view.getUint16(vtable, true);
    const tableSize = view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > end)
      throw new FlatBufferError(`vtable of the table at ${pos} has a bad size ${vtableSize}`);
    if (tableSize < 4 || pos + tableSize > end)
      throw new FlatBufferError(`table at ${pos} declares ${tableSize} bytes, past the header's end`);
    return new FlatTable(view, pos, vtable, vtableSize, tableSize);
  }

  /** Offset of field `i` inside the table, or 0 when the field is absent. */
  private field(i: number, width: number): number {
    const slot = 4 + 2 * i;
    if (slot + 2 > this.vtableSize) return 0;
    const off = this.view.getUint16(this.vtable + slot, true);
    if (off === 0) return 0;
    if (off + width > this.tableSize) throw new FlatBufferError(`field ${i} of the table at ${this.pos} overruns it`);
    return off;
  }

  has(i: number): boolean {
    return this.field(i, 1) !== 0;
  }

  uint8(i: number, fallback = 0): number {
    const off = this.field(i, 1);
    return off ? this.view.getUint8(this.pos + off) : fallback;
  }

  int16(i: number, fallback = 0): number {
    const off = this.field(i, 2);
    return off ? this.view.getInt16(this.pos + off, true) : fallback;
  }

  int32(i: number, fallback = 0): number {
    const off = this.field(i, 4);
    return off ? this.view.getInt32(this.pos + off, true) : fallback;
  }

  /** A 64-bit integer field as a number; throws when it is not a safe integer (a length cannot be that long). */
  int64(i: number, fallback = 0): number {
    const off = this.field(i, 8);
    return off ? readInt64(this.view, this.pos + off) : fallback;
  }

  /** Where an offset field (table, vector, string) points, checked to be inside the buffer; 0 when absent. */
  private target(i: number): number {
    const off = this.field(i, 4);
    if (!off) return 0;
    const at = this.pos + off;
    const target = at + this.view.getUint32(at, true);
    if (target + 4 > this.view.byteLength)
      throw new FlatBufferError(`field ${i} of the table at ${this.pos} points outside the header`);
    return target;
  }

  table(i: number): FlatTable | undefined {
    const t = this.target(i);
    return t ? FlatTable.at(this.view, t) : undefined;
  }

  /** A vector field: its length and where its elements start, checked to fit `elementSize` bytes each. */
  vector(i: number, elementSize: number): { length: number; start: number } | undefined {
    const t = this.target(i);
    if (!t) return undefined;
    const length = this.view.getUint32(t, true);
    const start = t + 4;
    if (length > (this.view.byteLength - start) / elementSize)
      throw new FlatBufferError(
        `vector field ${i} of the table at ${this.pos} declares ${length} elements, past the end`,
      );
    return { length, start };
  }

  /** Element `k` of a vector of tables. */
  tableAt(vector: { length: number; start: number }, k: number): FlatTable {
    const at = vector.start + 4 * k;
    return FlatTable.at(this.view, at + this.view.getUint32(at, true));
  }

  /** A string field (UTF-8), at most `maxBytes` long. */
  string(i: number, maxBytes: number): string | undefined {
    const v = this.vector(i, 1);
    if (!v) return undefined;
    if (v.length > maxBytes) throw new FlatBufferError(`string field ${i} is ${v.length} bytes (at most ${maxBytes})`);
    const bytes = new Uint8Array(this.view.buffer, this.view.byteOffset + v.start, v.length);
    return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  }

  /** A 64-bit integer inside a vector of structs, as a safe number. */
  structInt64(at: number): number {
    return readInt64(this.view, at);
  }
}

function readInt64(view: DataView, at: number): number {
  const lo = view.getUint32(at, true);
  const hi = view.getInt32(at + 4, true);
  // Safe integers: |hi| < 2^21.
  if (hi >= 0x200000 || hi < -0x200000) throw new FlatBufferError(`64-bit value at ${at} is out of range`);
  return hi * 0x100000000 + lo;
}
