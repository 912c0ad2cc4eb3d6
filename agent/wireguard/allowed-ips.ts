import { parseIpv4 } from "./ipv4.ts";

export interface Cidr {
  network: number;
  prefix: number;
}

interface Entry extends Cidr {
  mask: number;
  peer: string;
}

export function parseCidr(s: string): Cidr {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(s.trim());
  const ip = m ? parseIpv4(m[1]!) : null;
  const prefix = m ? Number(m[2]) : Number.NaN;
  if (ip === null || !(prefix >= 0 && prefix <= 32)) throw new Error(`invalid IPv4 CIDR "${s}"`);
  return { network: (ip & maskOf(prefix)) >>> 0, prefix };
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Cryptokey routing table: each CIDR belongs to exactly one peer (a later
 * claim moves it), lookups pick the longest matching prefix. Kept as a list
 * sorted by prefix length; peer counts here are small.
 */
export class AllowedIps {
  private entries: Entry[] = [];

  /** Replaces the peer's CIDRs. Throws on malformed input before changing anything. */
  set(peer: string, cidrs: readonly string[]): void {
    const parsed = cidrs.map(parseCidr);
    this.entries = this.entries.filter(
      (e) => e.peer !== peer && !parsed.some((c) => c.network === e.network && c.prefix === e.prefix),
    );
    for (const c of parsed) {
      if (this.entries.some((e) => e.peer === peer && e.network === c.network && e.prefix === c.prefix))
        continue;
      this.entries.push({ ...c, mask: maskOf(c.prefix), peer });
    }
    this.entries.sort((a, b) => b.prefix - a.prefix);
  }

  remove(peer: string): void {
    this.entries = this.entries.filter((e) => e.peer !== peer);
  }

  lookup(address: number): string | undefined {
    for (const e of this.entries) if ((address & e.mask) >>> 0 === e.network) return e.peer;
    return undefined;
  }

  cidrsOf(peer: string): Cidr[] {
    return this.entries.filter((e) => e.peer === peer).map(({ network, prefix }) => ({ network, prefix }));
  }
}
