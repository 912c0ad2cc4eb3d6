/**
 * A binary min-heap of (deadline, item) pairs: the TCP layer's timer queue.
 * With thousands of connections, scanning every one for the earliest deadline
 * on each packet cost more than the packet; the heap answers in O(1) and
 * schedules in O(log n). Entries are never removed from the middle: the owner
 * recognises stale ones when they reach the top (see TcpLayer).
 */
export class DeadlineHeap<T> {
  private readonly at: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.at.length;
  }

  /** The earliest deadline, or Infinity when empty. */
  get topAt(): number {
    return this.at.length > 0 ? this.at[0]! : Number.POSITIVE_INFINITY;
  }

  /** The item with the earliest deadline; only meaningful when size > 0. */
  get topItem(): T {
    return this.items[0]!;
  }

  push(at: number, item: T): void {
    const a = this.at;
    const it = this.items;
    let i = a.length;
    a.push(at);
    it.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= at) break;
      a[i] = a[parent]!;
      it[i] = it[parent]!;
      i = parent;
    }
    a[i] = at;
    it[i] = item;
  }

  /** Removes the top entry. */
  pop(): void {
    const a = this.at;
    const it = this.items;
    const lastAt = a.pop();
    const lastItem = it.pop();
    const n = a.length;
    if (n === 0 || lastAt === undefined) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && a[r]! < a[l]! ? r : l;
      if (a[c]! >= lastAt) break;
      a[i] = a[c]!;
      it[i] = it[c]!;
      i = c;
    }
    a[i] = lastAt;
    it[i] = lastItem as T;
  }
}
