/**
 * Sets of IP addresses (IPv4 and IPv6) as sorted intervals, so that source-IP conditions are
 * judged by what they cover, not by how they are spelled: `0.0.0.0/1` plus `128.0.0.0/1` is the
 * whole IPv4 internet, `10.0.0.1/8` is `10.0.0.0/8`. Parsing uses ipaddr.js (MIT).
 */
import * as ipaddr from "ipaddr.js";

type Interval = readonly [bigint, bigint];
type Family = "v4" | "v6";

const BITS: Record<Family, number> = { v4: 32, v6: 128 };

function normalize(intervals: readonly Interval[]): Interval[] {
    const sorted = [...intervals].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const merged: [bigint, bigint][] = [];
    for (const [lo, hi] of sorted) {
        const last = merged[merged.length - 1];
        if (last && lo <= last[1] + 1n) last[1] = hi > last[1] ? hi : last[1];
        else merged.push([lo, hi]);
    }
    return merged;
}

function intersectIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
    const out: Interval[] = [];
    for (const [alo, ahi] of a) {
        for (const [blo, bhi] of b) {
            const lo = alo > blo ? alo : blo;
            const hi = ahi < bhi ? ahi : bhi;
            if (lo <= hi) out.push([lo, hi]);
        }
    }
    return normalize(out);
}

function subtractIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
    let current: Interval[] = [...a];
    for (const [blo, bhi] of b) {
        current = current.flatMap(([lo, hi]): Interval[] => {
            if (bhi < lo || blo > hi) return [[lo, hi]];
            const parts: Interval[] = [];
            if (blo > lo) parts.push([lo, blo - 1n]);
            if (bhi < hi) parts.push([bhi + 1n, hi]);
            return parts;
        });
    }
    return current;
}

export class AddressSet {
    private constructor(
        readonly v4: readonly Interval[],
        readonly v6: readonly Interval[],
    ) {}

    static readonly EMPTY = new AddressSet([], []);
    static readonly ALL = new AddressSet([[0n, (1n << 32n) - 1n]], [[0n, (1n << 128n) - 1n]]);

    static of(family: Family, interval: Interval): AddressSet {
        return family === "v4" ? new AddressSet([interval], []) : new AddressSet([], [interval]);
    }

    union(other: AddressSet): AddressSet {
        return new AddressSet(normalize([...this.v4, ...other.v4]), normalize([...this.v6, ...other.v6]));
    }

    intersect(other: AddressSet): AddressSet {
        return new AddressSet(intersectIntervals(this.v4, other.v4), intersectIntervals(this.v6, other.v6));
    }

    subtract(other: AddressSet): AddressSet {
        return new AddressSet(subtractIntervals(this.v4, other.v4), subtractIntervals(this.v6, other.v6));
    }

    isEmpty(): boolean {
        return this.v4.length === 0 && this.v6.length === 0;
    }

    /** One address of the set, for messages ("e.g. 8.8.8.8"); undefined if empty. */
    sample(): string | undefined {
        if (this.v4.length > 0) {
            const n = this.v4[0][0];
            return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
        }
        if (this.v6.length > 0) {
            const n = this.v6[0][0];
            const parts = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
            return ipaddr.fromByteArray(parts.flatMap((p) => [p >> 8, p & 255])).toString();
        }
        return undefined;
    }
}

function toBigInt(bytes: readonly number[]): bigint {
    return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

/**
 * The range a CIDR (or a bare address) names, or undefined if it is not one. IPv4 must be
 * four-part decimal (AWS does not read `010.0.0.0` as octal); host bits are ignored, as AWS
 * does; an IPv4-mapped IPv6 range is read as the IPv4 range it maps.
 */
export function parseCidr(text: string): AddressSet | undefined {
    if (typeof text !== "string") return undefined;
    const [address, prefixText, extra] = text.split("/");
    if (extra !== undefined) return undefined;
    let family: Family;
    let bytes: number[];
    if (ipaddr.IPv4.isValidFourPartDecimal(address)) {
        family = "v4";
        bytes = ipaddr.IPv4.parse(address).toByteArray();
    } else if (ipaddr.IPv6.isValid(address) && !address.includes("%")) {
        const v6 = ipaddr.IPv6.parse(address);
        family = "v6";
        bytes = v6.toByteArray();
    } else {
        return undefined;
    }
    let prefix = BITS[family];
    if (prefixText !== undefined) {
        if (!/^\d{1,3}$/.test(prefixText)) return undefined;
        prefix = Number(prefixText);
        if (prefix > BITS[family]) return undefined;
    }
    let value = toBigInt(bytes);
    if (family === "v6" && prefix >= 96 && value >> 32n === 0xffffn) {
        family = "v4";
        prefix -= 96;
        value &= 0xffffffffn;
    }
    const host = BigInt(BITS[family] - prefix);
    const start = (value >> host) << host;
    return AddressSet.of(family, [start, start + (1n << host) - 1n]);
}

/** The union of ranges; `invalid` receives the texts that are not ranges. */
export function parseCidrs(texts: readonly string[], invalid: string[] = []): AddressSet {
    let set = AddressSet.EMPTY;
    for (const text of texts) {
        const range = parseCidr(text);
        if (range) set = set.union(range);
        else invalid.push(text);
    }
    return set;
}

/**
 * Addresses no internet caller can have: "this network", RFC 1918, CGNAT, loopback, link-local,
 * IETF and documentation ranges, benchmarking, multicast and reserved; for IPv6 everything
 * outside global unicast 2000::/3 (loopback, ULA fc00::/7, link-local, multicast, mapped) and
 * the documentation prefixes. 6to4 and Teredo stay public: they carry internet traffic.
 */
const NOT_PUBLIC = parseCidrs([
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/0",
]).subtract(parseCidrs(["2000::/3"]).subtract(parseCidrs(["2001:db8::/32", "3fff::/20"])));

export const PUBLIC_ADDRESSES = AddressSet.ALL.subtract(NOT_PUBLIC);
