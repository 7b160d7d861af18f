/**
 * Delivered objects generated in time order, one at a time: the local run's traffic at any size
 * with memory bounded by one minute of traffic per location, instead of every record at once.
 * Each flow spreads its requests evenly over its span, as in tools/traffic/traffic.ts, and every object
 * holds one location's records of one arrival hour, at most `maxRecordsPerObject`.
 */
import { DeliveredObject, Flow, Location, hourOf, prng, wafRecord } from "./traffic";

export interface StreamOptions {
    readonly maxRecordsPerObject: number;
    /** Width of the time slices records are generated and sorted in. Default one minute. */
    readonly sliceMs?: number;
    readonly webAclName?: string;
    readonly seed?: number;
}

/** The time of a flow's request `i` (nondecreasing in i). */
const timeOf = (flow: Flow, i: number) => flow.startMs + Math.floor((i * flow.spanMs) / flow.count);

/** The first request of `flow` at or after `t`. */
function firstAtOrAfter(flow: Flow, t: number): number {
    if (flow.spanMs === 0) return flow.startMs >= t ? 0 : flow.count;
    let i = Math.max(0, Math.ceil(((t - flow.startMs) * flow.count) / flow.spanMs));
    while (i > 0 && timeOf(flow, i - 1) >= t) i--;
    while (i < flow.count && timeOf(flow, i) < t) i++;
    return Math.min(i, flow.count);
}

export function* streamDeliveredObjects(
    flows: readonly Flow[],
    streamNameOf: (location: Location) => string,
    options: StreamOptions,
): Generator<DeliveredObject> {
    if (flows.length === 0) return;
    const random = prng(options.seed ?? 42);
    const slice = options.sliceMs ?? 60_000;
    // A loop, not Math.min(...): a large run has more flows than a call can take arguments.
    let start = Infinity;
    let end = -Infinity;
    for (const f of flows) {
        start = Math.min(start, f.startMs);
        end = Math.max(end, f.startMs + f.spanMs + 1);
    }
    const pending = new Map<string, { location: Location; hour: string; lines: string[]; first: number }>();
    const objectOf = (p: { location: Location; hour: string; lines: string[]; first: number }, part: number) => {
        const streamName = streamNameOf(p.location);
        const stamp = new Date(p.first).toISOString().slice(0, 19).replace(/[T:]/g, "-");
        const id = `${Math.floor(random() * 0xffffffff)
            .toString(16)
            .padStart(8, "0")}-${part}`;
        return {
            location: p.location,
            streamName,
            hour: p.hour,
            fileName: `${streamName}-1-${stamp}-${id}.gz`,
            lines: p.lines,
        };
    };
    let part = 0;
    for (let t = start; t < end; t += slice) {
        const byLocation = new Map<string, { location: Location; records: { ts: number; line: string }[] }>();
        for (const flow of flows) {
            const traffic = {
                ...flow.location,
                webAclName: options.webAclName ?? "shop",
                startMs: flow.startMs,
                spanMs: flow.spanMs,
            };
            for (let i = firstAtOrAfter(flow, t); i < flow.count; i++) {
                const timestamp = timeOf(flow, i);
                if (timestamp >= t + slice) break;
                const key = `${flow.location.accountId}/${flow.location.region}`;
                const group = byLocation.get(key) ?? { location: flow.location, records: [] };
                const shape = {
                    timestamp,
                    clientIp: flow.clientIp,
                    country: flow.country,
                    action: flow.action,
                    rateLimited: flow.rateLimited,
                    stack: flow.stack,
                };
                group.records.push({ ts: timestamp, line: JSON.stringify(wafRecord(traffic, shape, random)) });
                byLocation.set(key, group);
            }
        }
        for (const [key, group] of [...byLocation.entries()].sort(([a], [b]) => a.localeCompare(b))) {
            group.records.sort((a, b) => a.ts - b.ts);
            for (const record of group.records) {
                const hour = hourOf(record.ts);
                let open = pending.get(key);
                if (open && (open.hour !== hour || open.lines.length >= options.maxRecordsPerObject)) {
                    yield objectOf(open, part++);
                    open = undefined;
                }
                if (!open) {
                    open = { location: group.location, hour, lines: [], first: record.ts };
                    pending.set(key, open);
                }
                open.lines.push(record.line);
            }
        }
    }
    for (const open of pending.values()) if (open.lines.length > 0) yield objectOf(open, part++);
}
