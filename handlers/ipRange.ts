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
    const network =
        family === "ipv4"
            ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${prefix}`)
            : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${prefix}`);
    if (network.toString() !== address.toString()) {
        return {
            problem: `${value} has host bits set; AWS WAF takes the network address: use ${network.toString()}/${prefix}`,
        };
    }
    return { cidr: `${network.toString()}/${prefix}`, family };
}

/** A range already in the form `parseRange` returns (the blocklist's keys, the parsed allowlist). */
function rangeOf(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
    return ipaddr.parseCIDR(cidr);
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

/** Address space no client on the internet has; WAF sees it only from inside one's own networks. */
const NOT_PUBLIC: readonly (readonly [string, string])[] = [
    ["0.0.0.0/8", '"this network"'],
    ["10.0.0.0/8", "private-use, RFC 1918"],
    ["100.64.0.0/10", "carrier-grade NAT, RFC 6598"],
    ["127.0.0.0/8", "loopback"],
    ["169.254.0.0/16", "link-local (and the instance metadata service)"],
    ["172.16.0.0/12", "private-use, RFC 1918"],
    ["192.168.0.0/16", "private-use, RFC 1918"],
    ["::1/128", "loopback"],
    ["fc00::/7", "unique local, RFC 4193"],
    ["fe80::/10", "link-local"],
];

/** The non-public range `cidr` overlaps and what it is, for a warning; undefined for public space. */
export function notPublic(cidr: string): string | undefined {
    const hit = NOT_PUBLIC.find(([range]) => overlaps(cidr, range));
    return hit && `${hit[0]} (${hit[1]})`;
}

// ---------------------------------------------------------------------------------------------
// Global reachability (issue 18, item 5: the applier's containment in each resource account).
// The "evidence" helper adds a function of the same name and signature; the lead merges the two.
// ---------------------------------------------------------------------------------------------

/**
 * Blocks of the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and updates)
 * whose "Globally Reachable" column is False (or N/A), with the globally reachable exceptions
 * inside them. Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
 * 2001:db8::/32, 3fff::/20) are left out on purpose: examples and tests use them. IPv4-mapped
 * IPv6 (::ffff:0:0/96) never gets here as IPv6: `parseRange` reads it as the IPv4 it carries.
 */
const NOT_GLOBALLY_REACHABLE: readonly { range: string; what: string; except?: readonly string[] }[] = [
    { range: "0.0.0.0/8", what: '"this network" (RFC 791), 0.0.0.0 unspecified' },
    { range: "10.0.0.0/8", what: "private-use (RFC 1918)" },
    { range: "100.64.0.0/10", what: "shared address space, carrier-grade NAT (RFC 6598)" },
    { range: "127.0.0.0/8", what: "loopback (RFC 1122)" },
    { range: "169.254.0.0/16", what: "link-local (RFC 3927)" },
    { range: "172.16.0.0/12", what: "private-use (RFC 1918)" },
    {
        range: "192.0.0.0/24",
        what: "IETF protocol assignments (RFC 6890)",
        except: ["192.0.0.9/32", "192.0.0.10/32"],
    },
    { range: "192.88.99.0/24", what: "deprecated 6to4 relay anycast (RFC 7526)" },
    { range: "192.168.0.0/16", what: "private-use (RFC 1918)" },
    { range: "198.18.0.0/15", what: "benchmarking (RFC 2544)" },
    { range: "224.0.0.0/4", what: "multicast (RFC 5771)" },
    { range: "240.0.0.0/4", what: "reserved (RFC 1112), 255.255.255.255 limited broadcast" },
    { range: "::/128", what: "unspecified address (RFC 4291)" },
    { range: "::1/128", what: "loopback (RFC 4291)" },
    { range: "64:ff9b:1::/48", what: "local-use IPv4/IPv6 translation (RFC 8215)" },
    { range: "100::/64", what: "discard-only (RFC 6666)" },
    {
        range: "2001::/23",
        what: "IETF protocol assignments (RFC 2928)",
        except: [
            "2001:1::1/128",
            "2001:1::2/128",
            "2001:1::3/128",
            "2001:3::/32",
            "2001:4:112::/48",
            "2001:20::/28",
            "2001:30::/28",
        ],
    },
    { range: "2002::/16", what: "6to4 (RFC 3056)" },
    { range: "5f00::/16", what: "segment routing SIDs (RFC 9602)" },
    { range: "fc00::/7", what: "unique-local (RFC 4193)" },
    { range: "fe80::/10", what: "link-local unicast (RFC 4291)" },
    { range: "ff00::/8", what: "multicast (RFC 4291)" },
];

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

/** The table, parsed once. */
let parsedBlocks: { range: string; what: string; bits: RangeBits; except: RangeBits[] }[] | undefined;

/**
 * Why `range` (in the form `parseRange` returns) holds an address that is not globally reachable,
 * naming the special-purpose block, or undefined when every address in it is. A range that
 * contains such a block (0.0.0.0/1 contains 10.0.0.0/8) is refused too: no client on the
 * internet has those addresses, so blocking them only ever hits one's own networks.
 */
export function notGloballyReachable(range: string): string | undefined {
    parsedBlocks ??= NOT_GLOBALLY_REACHABLE.map((b) => ({
        range: b.range,
        what: b.what,
        bits: bitsOf(b.range),
        except: (b.except ?? []).map(bitsOf),
    }));
    const candidate = bitsOf(range);
    for (const block of parsedBlocks) {
        if (!bitsMatch(candidate, block.bits)) continue;
        if (block.except.some((allowed) => bitsMatch(candidate, allowed, true))) continue;
        return `${range} ${bitsMatch(candidate, block.bits, true) ? "is in" : "contains"} ${block.range}, ${block.what}, which is not globally reachable`;
    }
    return undefined;
}
