/**
 * The half-open (SYN-RECEIVED) connections of one listener, shared fairly
 * between sources.
 *
 * Behind the tunnel every source address belongs to one authenticated peer
 * (WireGuard's allowed IPs), so the threat is a mesh peer that sends SYNs and
 * never completes them. A plain cap lets such a peer fill the backlog and lock
 * every other peer out until its entries time out. Here, when the backlog is
 * full, a SYN from a source holding fewer entries evicts the oldest entry of
 * the source holding the most: the flooder can only ever push out itself, and
 * every other peer still gets a slot.
 */
export type SynAdmission<T> =
  | { readonly kind: "admit" }
  | { readonly kind: "evict"; readonly victim: T }
  | { readonly kind: "refuse" };

const ADMIT = { kind: "admit" } as const;
const REFUSE = { kind: "refuse" } as const;

export class SynBacklog<T> {
  /** Per source, oldest first. */
  private readonly bySource = new Map<number, T[]>();
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`syn backlog capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.count;
  }

  /** What to do with a new SYN from `source`. On "evict", drop the victim (remove() it) before add(). */
  admit(source: number): SynAdmission<T> {
    if (this.count < this.capacity) return ADMIT;
    const own = this.bySource.get(source)?.length ?? 0;
    let largest: T[] | undefined;
    for (const entries of this.bySource.values())
      if (largest === undefined || entries.length > largest.length) largest = entries;
    // Evicting only pays when it leaves the two sources no worse balanced than before.
    if (largest === undefined || largest.length < own + 2) return REFUSE;
    return { kind: "evict", victim: largest[0]! };
  }

  add(source: number, item: T): void {
    if (this.count >= this.capacity) throw new Error("syn backlog is full: admit() first");
    const entries = this.bySource.get(source);
    if (entries === undefined) this.bySource.set(source, [item]);
    else entries.push(item);
    this.count++;
  }

  /** Forgets an entry (established, closed or evicted); false if it was not held. */
  remove(source: number, item: T): boolean {
    const entries = this.bySource.get(source);
    const i = entries === undefined ? -1 : entries.indexOf(item);
    if (entries === undefined || i < 0) return false;
    entries.splice(i, 1);
    if (entries.length === 0) this.bySource.delete(source);
    this.count--;
    return true;
  }
}
