/**
 * A bounded FIFO of bytes. The send buffer lives here so that unacked data is
 * stored once, in one block, and copied straight into outgoing packets: no
 * per-write chunk objects on the hot path. No block is held while the ring
 * is empty (an idle connection's unacked data is usually none), and a block
 * starts small and doubles up to the capacity, so thousands of mostly idle
 * connections pin no send buffer at all.
 */
const MIN_BLOCK = 4 * 1024;
const EMPTY = new Uint8Array(0);

export class ByteRing {
  private buf: Uint8Array;
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`bad ring capacity: ${capacity}`);
    this.buf = EMPTY;
  }

  /** Bytes currently allocated (for memory accounting and tests). */
  get allocated(): number {
    return this.buf.length;
  }

  get length(): number {
    return this.size;
  }

  get free(): number {
    return this.capacity - this.size;
  }

  /** Appends as much of data as fits; returns how many bytes were taken. */
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.capacity - this.size);
    if (n === 0) return 0;
    if (this.size + n > this.buf.length) this.grow(this.size + n);
    const len = this.buf.length;
    const tail = (this.head + this.size) % len;
    const first = Math.min(n, len - tail);
    this.buf.set(data.subarray(0, first), tail);
    if (first < n) this.buf.set(data.subarray(first, n), 0);
    this.size += n;
    return n;
  }

  /** Copies len bytes starting `from` bytes after the head into dest at destOffset. */
  copyTo(dest: Uint8Array, destOffset: number, from: number, len: number): void {
    if (from < 0 || len < 0 || from + len > this.size) throw new RangeError("ring read out of range");
    if (len === 0) return;
    const start = (this.head + from) % this.buf.length;
    const first = Math.min(len, this.buf.length - start);
    dest.set(this.buf.subarray(start, start + first), destOffset);
    if (first < len) dest.set(this.buf.subarray(0, len - first), destOffset + first);
  }

  /** Drops n bytes from the head (they were acknowledged). */
  discard(n: number): void {
    if (n < 0 || n > this.size) throw new RangeError("ring discard out of range");
    if (n === 0) return;
    this.size -= n;
    if (this.size === 0) {
      // Everything was acknowledged: give the block back until the next write.
      this.head = 0;
      this.buf = EMPTY;
    } else this.head = (this.head + n) % this.buf.length;
  }

  private grow(needed: number): void {
    let len = Math.max(this.buf.length, MIN_BLOCK);
    while (len < needed) len *= 2;
    const next = new Uint8Array(Math.min(len, this.capacity));
    this.copyTo(next, 0, 0, this.size);
    this.buf = next;
    this.head = 0;
  }
}
