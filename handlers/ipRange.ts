/**
 * The one reader of IP addresses and CIDR ranges in the response loop: the detector's rows, the
 * operator CLI, the allowlist in the stack configuration and the publisher's entries all go
 * through `parseRange`, so a text means the same range everywhere.
 *
 * It is strict on purpose. AWS WAF writes client IPs as dotted decimal IPv4 or standard IPv6
 * text, and its IP sets take nothing else; the legacy spellings that inet_aton (and ipaddr.js's
 * `parse`) accept read as a different address than a person means (`198.051.100.007` is octal,
 * `1.2.3` is 1.2.0.3, `3232235777` is 192.168.1.1), so they are refused rather than guessed.
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is the IPv4 address it carries: it is read as IPv4, so the
 * allowlist and the breadth guards judge it in IPv4 space.
 *
 * Serialized into Lambdas: keep it free of Pulumi and AWS SDK imports.
 */
import ipaddr from "ipaddr.js";

export type AddressFamily = "ipv4" | "ipv6";

/** A range in the form AWS WAF accepts: the network address and an explicit prefix. */
export interface IpRange {
    /** `203.0.113.66/32`, `2001:db8::/48`: IPv6 in RFC 5952 form (lower case, `::` compressed). */
    readonly cidr: string;
    readonly family: AddressFamily;
}

export interface ParseOptions {
    /**
     * Refuse ranges broader than this prefix, per family. Default: /8 for IPv4 and /32 for IPv6,
     * the guard for ranges to block; `false` lifts it.
     */
    readonly narrowest?: { readonly ipv4: number; readonly ipv6: number } | false;
    /** What the breadth problem tells to do. Default: block narrower ranges. */
    readonly breadthFix?: string;
    /** Only a single address is valid (a client IP): any `/` is refused. Default false. */
    readonly singleAddress?: boolean;
}

/** Broader ranges are refused as blocks: one typo must not block a continent. */
export const BLOCK_NARROWEST_PREFIX = { ipv4: 8, ipv6: 32 } as const;

/**
 * Broader ranges are refused in the allowlist: an entry that exempts a large part of the internet
 * disables the loop for it. A /8 still admits 10.0.0.0/8 (own networks); a /16 of IPv6 is
 * narrower than any Regional Internet Registry's block, so neither ::/0 nor 2000::/3 passes.
 */
export const ALLOWLIST_NARROWEST_PREFIX = { ipv4: 8, ipv6: 16 } as const;

const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const IPV4_TEXT = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const HEXTET = /^[0-9a-fA-F]{1,4}$/;
const PREFIX_TEXT = /^(?:0|[1-9][0-9]{0,2})$/;
/** Text that a person may have meant as IPv4 in a legacy form: digits, dots, hex. */
const LEGACY_IPV4 = /^(?=.*[0-9])[0-9a-fA-FxX.]+$/;
/** ::ffff:0:0/96, where IPv4-mapped addresses live. */
const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0xffff];
const BLOCK_BREADTH_FIX = "block narrower ranges (this guard keeps one typo from blocking a continent)";

/** What `text` is, quoted and cut short, for messages (log text can be long or hostile). */
export function quoted(text: string, max = 64): string {
    const shown = JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
    return shown;
}

function ipv4Bytes(text: string): number[] | undefined {
    return IPV4_TEXT.test(text) ? text.split(".").map(Number) : undefined;
}

/** The eight 16-bit groups of standard IPv6 text (RFC 4291 section 2.2), or undefined. */
function ipv6Groups(text: string): number[] | undefined {
    if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
    const lastColon = text.lastIndexOf(":");
    if (lastColon < 0) return undefined;
    let body = text;
    let tail: number[] = [];
    if (text.includes(".")) {
        // Only the last 32 bits may be written as dotted decimal IPv4, strictly.
        const bytes = ipv4Bytes(text.slice(lastColon + 1));
        if (!bytes) return undefined;
        tail = [bytes[0] * 256 + bytes[1], bytes[2] * 256 + bytes[3]];
        body = text.slice(0, lastColon + 1);
        if (!body.endsWith("::")) body = body.slice(0, -1);
    }
    const halves = body.split("::");
    if (halves.length > 2) return undefined;
    const groupsOf = (part: string) => (part === "" ? [] : part.split(":"));
    const head = groupsOf(halves[0]);
    const rest = halves.length === 2 ? groupsOf(halves[1]) : [];
    if (![...head, ...rest].every((g) => HEXTET.test(g))) return undefined;
    const written = head.length + rest.length + tail.length;
    const compressed = halves.length === 2;
    if (compressed ? written > 7 : written !== 8) return undefined;
    return [
        ...head.map((g) => parseInt(g, 16)),
        ...Array<number>(8 - written).fill(0),
        ...rest.map((g) => parseInt(g, 16)),
        ...tail,
    ];
}

const isMapped = (groups: readonly number[]) => MAPPED_PREFIX.every((g, i) => groups[i] === g);

/** Why `value` (whose address part is `address`) is not an address, naming what was written. */
function problemOfAddress(value: string, address: string): string {
    const zone = address.indexOf("%");
    if (zone >= 0) {
        const id = address.slice(zone);
        return `${quoted(value)} has a zone ID (${quoted(id)}), which only means something on one host; write the address without it (${value.replace(id, "")})`;
    }
    if (!address.includes(":") && LEGACY_IPV4.test(address)) {
        return `${quoted(value)} is not an IP address or CIDR range: write IPv4 as four decimal numbers from 0 to 255 separated by dots, without leading zeros (e.g. 203.0.113.7)`;
    }
    return `${quoted(value)} is not an IP address or CIDR range`;
}

/**
 * The range `text` names, in the form AWS WAF accepts, or a sentence saying why it cannot be
 * used. An address alone is a /32 (IPv4) or /128 (IPv6). IPv4-mapped IPv6 addresses, and ranges
 * within ::ffff:0:0/96, are returned as IPv4 (`::ffff:198.51.100.0/120` is `198.51.100.0/24`); an
 * IPv6 range broader than that which contains it is refused (it would cover IPv4 in another form).
 */
export function parseRange(text: string, options: ParseOptions = {}): IpRange | { problem: string } {
    const value = text.trim();
    const slash = value.indexOf("/");
    if (slash >= 0 && options.singleAddress) {
        return { problem: `${quoted(value)} is a CIDR range; a client IP is a single address` };
    }
    const addressText = slash < 0 ? value : value.slice(0, slash);
    const prefixText = slash < 0 ? undefined : value.slice(slash + 1);

    let family: AddressFamily;
    let address: ipaddr.IPv4 | ipaddr.IPv6;
    let prefix: number;
    const bytes = ipv4Bytes(addressText);
    const groups = bytes ? undefined : ipv6Groups(addressText);
    if (bytes) {
        family = "ipv4";
        address = new ipaddr.IPv4(bytes);
        prefix = 32;
    } else if (groups) {
        family = "ipv6";
        address = new ipaddr.IPv6(groups);
        prefix = 128;
    } else {
        return { problem: problemOfAddress(value, addressText) };
    }
    if (prefixText !== undefined) {
        if (!PREFIX_TEXT.test(prefixText) || Number(prefixText) > prefix) {
            return {
                problem: `${quoted(value)} has an invalid prefix length: write /0 to /${prefix} in decimal, without leading zeros`,
            };
        }
        prefix = Number(prefixText);
    }
    let mappedNote = "";
    if (groups && isMapped(groups) && prefix >= 96) {
        family = "ipv4";
        address = new ipaddr.IPv4([groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255]);
        prefix -= 96;
        mappedNote = ` (${address.toString()}/${prefix} as IPv4)`;
    }
    const narrowest = options.narrowest === undefined ? BLOCK_NARROWEST_PREFIX : options.narrowest;
    if (narrowest !== false && prefix < narrowest[family]) {
        return {
            problem: `${value}${mappedNote} is broader than /${narrowest[family]}; ${options.breadthFix ?? BLOCK_BREADTH_FIX}`,
        };
    }
    if (
        family === "ipv6" &&
        prefix < 96 &&
        (address as ipaddr.IPv6).match(new ipaddr.IPv6([...MAPPED_PREFIX, 0, 0]), prefix)
    ) {
        return {
            problem: `${value} contains every IPv4-mapped address (::ffff:0:0/96), that is all of IPv4 in another form; write IPv4 ranges as IPv4, and IPv6 ranges outside ::ffff:0:0/96`,
        };
    }
    const network = networkAddress(address, prefix);
    if (network.toString() !== address.toString()) {
        return {
            problem: `${value} has host bits set; AWS WAF takes the network address: use ${network.toString()}/${prefix}`,
        };
    }
    return { cidr: `${network.toString()}/${prefix}`, family };
}

/** The network address of `address`'s `/prefix`: host bits cleared (byte by byte; ipaddr.js's own helper re-parses text). */
function networkAddress(address: ipaddr.IPv4 | ipaddr.IPv6, prefix: number): ipaddr.IPv4 | ipaddr.IPv6 {
    const networkBytes = address.toByteArray().map((byte, i) => {
        const bits = Math.min(8, Math.max(0, prefix - i * 8));
        return byte & ((0xff << (8 - bits)) & 0xff);
    });
    return address.kind() === "ipv4" ? new ipaddr.IPv4(networkBytes) : new ipaddr.IPv6(networkBytes);
}

/**
 * The `/prefix` range holding `cidr` (a range as `parseRange` returns it, at least that narrow):
 * `enclosingRange("203.0.113.7/32", 24)` is `203.0.113.0/24`.
 */
export function enclosingRange(cidr: string, prefix: number): string {
    const [address] = rangeOf(cidr);
    return `${networkAddress(address, prefix).toString()}/${prefix}`;
}

/**
 * Ranges already read, by text: ipaddr.js's parser takes tens of microseconds, and a publisher
 * run compares every entry with every special-purpose block and allowlisted range. A plain object
 * (a Map cannot be serialized into the Lambdas), emptied when it grows large.
 */
const parsedRanges: { size: number; ranges: Record<string, [ipaddr.IPv4 | ipaddr.IPv6, number]> } = {
    size: 0,
    ranges: {},
};

/** A range already in the form `parseRange` returns (the blocklist's keys, the parsed allowlist). */
function rangeOf(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
    let range = Object.prototype.hasOwnProperty.call(parsedRanges.ranges, cidr) ? parsedRanges.ranges[cidr] : undefined;
    if (range === undefined) {
        if (parsedRanges.size >= 100_000) [parsedRanges.ranges, parsedRanges.size] = [{}, 0];
        // By family: ipaddr.parseCIDR tries IPv6 first, several times slower for IPv4 text.
        range = cidr.includes(":") ? ipaddr.IPv6.parseCIDR(cidr) : ipaddr.IPv4.parseCIDR(cidr);
        parsedRanges.ranges[cidr] = range;
        parsedRanges.size++;
    }
    return range;
}

/** Whether two ranges share an address (one contains the other, as CIDR blocks cannot partly overlap). */
export function overlaps(a: string, b: string): boolean {
    const [aAddress, aPrefix] = rangeOf(a);
    const [bAddress, bPrefix] = rangeOf(b);
    if (aAddress.kind() !== bAddress.kind()) return false;
    const prefix = Math.min(aPrefix, bPrefix);
    return aAddress.match(bAddress as never, prefix);
}

/** The allowlisted range a CIDR overlaps, if any. */
export function allowlisted(cidr: string, allowlist: readonly string[]): string | undefined {
    return allowlist.find((allowed) => overlaps(cidr, allowed));
}

/**
 * Address blocks that are not globally reachable, from IANA's IPv4 and IPv6 Special-Purpose
 * Address Registries (RFC 6890 and its updates; the rows whose "Globally Reachable" column is
 * False), plus multicast (IPv4 224.0.0.0/4, RFC 5771; IPv6 ff00::/8, RFC 4291), which those
 * registries do not list but no client sends from. No client on the internet has such an address:
 * WAF sees one only from inside one's own networks, or in a record someone forged.
 *
 * Deliberate exceptions, left blockable: the documentation ranges 192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24 (RFC 5737), 2001:db8::/32 (RFC 3849) and 3fff::/20 (RFC 9637). Examples, tests
 * and the local run use them as stand-ins for internet addresses; real WAF logs never hold them.
 *
 * A listed block is refused whole even where the registry marks a more specific row inside it
 * globally reachable (192.0.0.9/32 and 192.0.0.10/32 in 192.0.0.0/24; anycast service addresses
 * and AS112/AMT/ORCHIDv2 blocks in 2001::/23): those are service addresses, not clients.
 * 192.88.99.0/24 (6to4 relay anycast) was deprecated by RFC 7526; it is listed here as well.
 */
// The most specific first where blocks nest, so the row named is the exact one.
export const NOT_GLOBALLY_REACHABLE: readonly (readonly [cidr: string, registryName: string])[] = [
    ["0.0.0.0/8", '"This network" (RFC 791)'],
    ["10.0.0.0/8", "Private-Use (RFC 1918)"],
    ["100.64.0.0/10", "Shared Address Space (RFC 6598)"],
    ["127.0.0.0/8", "Loopback (RFC 1122)"],
    ["169.254.0.0/16", "Link Local (RFC 3927)"],
    ["172.16.0.0/12", "Private-Use (RFC 1918)"],
    ["192.0.0.0/24", "IETF Protocol Assignments (RFC 6890)"],
    ["192.88.99.0/24", "Deprecated (6to4 Relay Anycast) (RFC 7526)"],
    ["192.168.0.0/16", "Private-Use (RFC 1918)"],
    ["198.18.0.0/15", "Benchmarking (RFC 2544)"],
    ["224.0.0.0/4", "Multicast (RFC 5771)"],
    ["255.255.255.255/32", "Limited Broadcast (RFC 919)"],
    ["240.0.0.0/4", "Reserved (RFC 1112)"],
    ["::/128", "Unspecified Address (RFC 4291)"],
    ["::1/128", "Loopback Address (RFC 4291)"],
    ["64:ff9b:1::/48", "IPv4-IPv6 Translation (RFC 8215)"],
    ["100::/64", "Discard-Only Address Block (RFC 6666)"],
    ["2001::/23", "IETF Protocol Assignments (RFC 2928)"],
    ["5f00::/16", "Segment Routing (SRv6) SIDs (RFC 9602)"],
    ["fc00::/7", "Unique-Local (RFC 4193)"],
    ["fe80::/10", "Link-Local Unicast (RFC 4291)"],
    ["ff00::/8", "Multicast (RFC 4291)"],
];

/**
 * The registry row (`10.0.0.0/8 Private-Use (RFC 1918)`) of the not-globally-reachable block that
 * `cidr` (a range as `parseRange` returns it, so IPv4-mapped forms are already IPv4) overlaps, or
 * undefined when it is all globally reachable. A range overlapping such a block is never blocked:
 * not by the detector, not by an operator, not by the publisher.
 */
export function notGloballyReachable(cidr: string): string | undefined {
    const hit = NOT_GLOBALLY_REACHABLE.find(([block]) => overlaps(cidr, block));
    return hit && `${hit[0]} ${hit[1]}`;
}

// Fast overlap checks for the applier, which judges up to 10,000 entries per request.

/** A range as a number: fast to compare when one request holds 10,000 of them. */
interface RangeBits {
    readonly family: AddressFamily;
    readonly value: bigint;
    readonly prefix: number;
}

/** `cidr` (in the form `parseRange` returns) as bits; dotted IPv4 is read without ipaddr.js (it is slow per call). */
function bitsOf(cidr: string): RangeBits {
    const [address, prefixText] = cidr.split("/");
    if (!address.includes(":")) {
        const value = address.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
        return { family: "ipv4", value, prefix: Number(prefixText) };
    }
    const value = ipaddr.IPv6.parse(address)
        .toByteArray()
        .reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
    return { family: "ipv6", value, prefix: Number(prefixText) };
}

/** Whether `a` and `b` share an address; with `inside`, whether `a` lies wholly inside `b`. */
function bitsMatch(a: RangeBits, b: RangeBits, inside = false): boolean {
    if (a.family !== b.family || (inside && a.prefix < b.prefix)) return false;
    const shift = BigInt((a.family === "ipv4" ? 32 : 128) - Math.min(a.prefix, b.prefix));
    return a.value >> shift === b.value >> shift;
}

/**
 * A finder of the first of `ranges` a CIDR overlaps (like `allowlisted`, with `ranges` parsed once):
 * for checking many entries against one list.
 */
export function overlapFinder(ranges: readonly string[]): (cidr: string) => string | undefined {
    const parsed = ranges.map((range) => ({ range, bits: bitsOf(range) }));
    return (cidr) => {
        const bits = bitsOf(cidr);
        return parsed.find((p) => bitsMatch(bits, p.bits))?.range;
    };
}
