/**
 * A self-contained HTML report (inline SVG, no scripts, no network) from named-query rows: the
 * busiest client IPs over time, top countries, burst windows, the cross-account attackers, and
 * what candidate rate limits would have blocked. Every chart has a caption saying what it shows
 * and the hours it covers. Every value from the logs is escaped: client IPs and countries are
 * whatever the requests carried.
 */
import { allowlisted } from "../handlers/ipRange";
import { Row } from "./warehouse";

export interface ReportData {
    readonly title: string;
    /** The searched hours, `yyyy/MM/dd/HH`, both included. */
    readonly window: { readonly from_hour: string; readonly to_hour: string };
    /** The burst threshold the burst rows were found with: requests in 5 minutes. */
    readonly threshold: number;
    /** requests-per-client-ip rows. */
    readonly timeline: readonly Row[];
    /** requests-by-country rows. */
    readonly countries: readonly Row[];
    /** burst-detection rows. */
    readonly bursts: readonly Row[];
    /** cross-account-attackers rows. */
    readonly crossAccount: readonly Row[];
    /** threshold-tuning rows. */
    readonly tuning: readonly Row[];
    /** requests-by-location rows: requests, blocked and counted per account and Region. */
    readonly locations: readonly Row[];
    /** The flagged addresses' top URIs and user agents (top-uris and top-user-agents rows for `ips`). */
    readonly attackers: AttackerActivity;
    /** top-fingerprints rows; the section is left out when absent. */
    readonly fingerprints?: readonly Row[];
    /** The detector's threshold (`central-waf-logs:response.threshold`), stated beside the report's. */
    readonly detectorThreshold?: number;
    /** Ranges never blocked (`central-waf-logs:response.allowlist`): marked wherever they appear. */
    readonly allowlist?: readonly string[];
    /**
     * What the response loop did, from a blocklist state (the local run's); undefined when the
     * report runs on its own, which the report then says.
     */
    readonly response?: ResponseState;
}

/** What the addresses the report flags sent: the rows of top-uris and top-user-agents for `ips`. */
export interface AttackerActivity {
    /** The flagged addresses (see `flaggedAttackers`); empty when none was flagged. */
    readonly ips: readonly string[];
    readonly uris: readonly Row[];
    readonly userAgents: readonly Row[];
}

/** The blocklist as the report shows it. */
export interface ResponseState {
    /** Where it was read from, e.g. "the local run's DynamoDB blocklist". */
    readonly source: string;
    readonly blocked: readonly {
        readonly range: string;
        /** Accounts and Regions whose IP sets hold it, e.g. "222222222222/us-east-1". */
        readonly where: readonly string[];
        /** WAF scope: REGIONAL or CLOUDFRONT. */
        readonly scope: string;
        /** ISO time the block expires. */
        readonly until: string;
        readonly reason: string;
    }[];
}

/** The allowlisted range an IP falls in, if any (a malformed IP from a log is in none). */
function allowlistedRange(ip: string, allowlist: readonly string[] | undefined): string | undefined {
    if (!allowlist || allowlist.length === 0) return undefined;
    try {
        return allowlisted(ip.includes(":") ? `${ip}/128` : `${ip}/32`, allowlist);
    } catch {
        return undefined;
    }
}

/** `ip` with an "allowlisted" mark when it is, so no one reads it as a missed attacker. */
function ipLabel(ip: string, allowlist: readonly string[] | undefined): string {
    const range = allowlistedRange(ip, allowlist);
    return range
        ? `${escape(ip)} <span class="allowlisted">(allowlisted in ${escape(range)}: never blocked)</span>`
        : escape(ip);
}

/** Dash patterns, so series that coincide (identical counts) still show as distinct lines. */
const DASHES = ["", "6 3", "2 3", "10 4 2 4", "1 2", "8 2", "4 4", "12 3", "3 6", "6 2 2 2"];

const COLORS = [
    "#d62728",
    "#1f77b4",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
];
const escape = (text: unknown) =>
    String(text ?? "").replace(
        /[&<>"']/g,
        (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
    );
const count = (n: number) => n.toLocaleString("en-US");

const HOUR_MS = 3_600_000;
/** The timeline query's window: 5 minutes. */
export const STEP_MS = 300_000;

/** `yyyy/MM/dd/HH` → epoch ms of the hour's start (UTC). */
export function hourStart(hour: string): number {
    const m = /^(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})$/.exec(hour);
    if (!m) throw new Error(`"${hour}" is not an hour (yyyy/MM/dd/HH).`);
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]));
}

/** `YYYY-MM-DD HH:MM` (the queries' window_start, UTC) → epoch ms. */
function minuteStart(text: string): number {
    return Date.parse(`${text.replace(" ", "T")}:00Z`);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Tick spacing for a span: the first of these giving at most 12 ticks. */
const TICK_CHOICES = [5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * 60_000);

/** Time-axis ticks for [from, to): uniform, on round multiples of the spacing. */
export function timeTicks(from: number, to: number): { at: number; label: string }[] {
    const every = TICK_CHOICES.find((t) => (to - from) / t <= 12) ?? TICK_CHOICES[TICK_CHOICES.length - 1];
    const ticks: { at: number; label: string }[] = [];
    for (let at = Math.ceil(from / every) * every; at <= to; at += every) {
        const text = iso(at);
        const label = to - from <= 24 * HOUR_MS ? text.slice(11, 16) : `${text.slice(5, 10)} ${text.slice(11, 16)}`;
        ticks.push({ at, label: every >= 1440 * 60_000 ? text.slice(5, 10) : label });
    }
    return ticks;
}

function figure(body: string, caption: string): string {
    return `<figure>\n${body}\n<figcaption>${caption}</figcaption>\n</figure>`;
}

/**
 * Requests per 5-minute window per IP. The time axis is zoomed to where the charted IPs had
 * requests (with 15 minutes either side), uniform within it; the caption says what the whole
 * window held. Series are dashed differently and named in a legend, so identical ones stay visible.
 */
function timelineChart(
    rows: readonly Row[],
    window: ReportData["window"],
    hours: string,
    allowlist?: readonly string[],
): string {
    const caption = `Requests per 5-minute window of the busiest client IPs (up to 10, each with at least a tenth of the busiest IP's requests), ${hours}. The time axis is uniform: a window with no requests is drawn at 0.`;
    if (rows.length === 0) return figure("<p>No requests in these hours.</p>", caption);
    const whole = { from: hourStart(window.from_hour), to: hourStart(window.to_hour) + HOUR_MS };
    const times = rows.map((r) => minuteStart(String(r.window_start)));
    const pad = 3 * STEP_MS;
    const from = Math.max(whole.from, Math.min(...times) - pad);
    const to = Math.min(whole.to, Math.max(...times) + STEP_MS + pad);
    const zoomed = from > whole.from || to < whole.to;
    const steps = Math.round((to - from) / STEP_MS);
    const [width, height, left, right, top, bottom] = [900, 340, 70, 20, 15, 55];
    const plotWidth = width - left - right;
    const plotHeight = height - top - bottom;
    const max = Math.max(...rows.map((r) => Number(r.requests)), 1);
    const x = (ms: number) => left + ((ms - from) / (to - from)) * plotWidth;
    const y = (v: number) => top + plotHeight - (v / max) * plotHeight;

    const totals = new Map<string, number>();
    for (const r of rows) totals.set(String(r.client_ip), (totals.get(String(r.client_ip)) ?? 0) + Number(r.requests));
    const ips = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
    const pointsOf = new Map<string, string>();
    const series = ips.map((ip, s) => {
        const counts = new Map(
            rows
                .filter((r) => String(r.client_ip) === ip)
                .map((r) => [minuteStart(String(r.window_start)), Number(r.requests)]),
        );
        const points = Array.from({ length: steps }, (_, k) => {
            const at = from + k * STEP_MS;
            return `${x(at).toFixed(1)},${y(counts.get(at) ?? 0).toFixed(1)}`;
        }).join(" ");
        pointsOf.set(ip, points);
        const dash = DASHES[s % DASHES.length] ? ` stroke-dasharray="${DASHES[s % DASHES.length]}"` : "";
        return `<polyline class="series" data-ip="${escape(ip)}" fill="none" stroke="${COLORS[s % COLORS.length]}" stroke-width="${s === 0 ? 2.5 : 1.8}"${dash} points="${points}"><title>${escape(ip)}</title></polyline>`;
    });
    const xTicks = timeTicks(from, to).map(
        (t) =>
            `<line class="tick" x1="${x(t.at).toFixed(1)}" y1="${top + plotHeight}" x2="${x(t.at).toFixed(1)}" y2="${top + plotHeight + 5}" stroke="#999"/>` +
            `<text x="${x(t.at).toFixed(1)}" y="${top + plotHeight + 18}" font-size="11" text-anchor="middle">${t.label}</text>`,
    );
    const yTicks = [0, Math.round(max / 2), max].map(
        (v) =>
            `<line x1="${left}" y1="${y(v).toFixed(1)}" x2="${width - right}" y2="${y(v).toFixed(1)}" stroke="#eee"/>` +
            `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${count(v)}</text>`,
    );
    const legend = ips
        .map((ip, s) => {
            const same = ips.slice(0, s).find((other) => pointsOf.get(other) === pointsOf.get(ip));
            const dash = DASHES[s % DASHES.length] || "none";
            return (
                `<span class="key"><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="${COLORS[s % COLORS.length]}" stroke-width="2.5"${dash === "none" ? "" : ` stroke-dasharray="${dash}"`}/></svg> ` +
                `${ipLabel(ip, allowlist)} (${count(totals.get(ip)!)} requests)${same ? ` <em class="same">same counts as ${escape(same)}: drawn on top of it</em>` : ""}</span>`
            );
        })
        .join(" ");
    const span = `${iso(from).slice(0, 16).replace("T", " ")} to ${iso(to).slice(0, 16).replace("T", " ")} UTC`;
    const zoom = zoomed
        ? `<p class="zoom">Zoomed to ${span}, where these IPs had requests; the searched window is ${iso(whole.from).slice(0, 16).replace("T", " ")} to ${iso(whole.to).slice(0, 16).replace("T", " ")} UTC, in which they made ${count([...totals.values()].reduce((a, b) => a + b, 0))} requests in all.</p>`
        : "";
    const svg = `<svg class="timeline" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" role="img" aria-label="Requests per client IP over time" data-from="${iso(from)}" data-to="${iso(to)}" data-step-ms="${STEP_MS}">
${yTicks.join("\n")}
<line x1="${left}" y1="${top + plotHeight}" x2="${width - right}" y2="${top + plotHeight}" stroke="#999"/>
<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#999"/>
${xTicks.join("\n")}
<text class="axis-label" x="${left + plotWidth / 2}" y="${height - 8}" font-size="12" text-anchor="middle">time (UTC), 5-minute windows</text>
<text class="axis-label" transform="translate(14 ${top + plotHeight / 2}) rotate(-90)" font-size="12" text-anchor="middle">requests per 5 minutes</text>
${series.join("\n")}
</svg>
<p class="legend">${legend}</p>${zoom}`;
    return figure(svg, caption);
}

function barChart(items: readonly { label: string; value: number }[], color: string, label: string): string {
    if (items.length === 0) return "<p>None.</p>";
    const max = Math.max(...items.map((i) => i.value), 1);
    const rowHeight = 22;
    // Room for the longest label (digits are 7.6 px wide at 12 px: 8 a character), so no label runs
    // into its bar (a 36-character JA4 did at 7, seen in a headless Chromium screenshot).
    const left = Math.min(340, Math.max(60, Math.max(...items.map((i) => i.label.length)) * 8 + 10));
    const bars = items.map((item, i) => {
        const w = (item.value * 520) / max;
        return `<text x="0" y="${i * rowHeight + 15}" font-size="12">${escape(item.label)}</text>
<rect x="${left}" y="${i * rowHeight + 3}" width="${w.toFixed(1)}" height="16" fill="${color}"/>
<text x="${(left + 5 + w).toFixed(1)}" y="${i * rowHeight + 15}" font-size="12">${count(item.value)}</text>`;
    });
    const height = items.length * rowHeight + 5;
    return `<svg class="bars" viewBox="0 0 900 ${height}" width="100%" preserveAspectRatio="xMinYMin meet" role="img" aria-label="${escape(label)}">${bars.join("\n")}</svg>`;
}

/**
 * A table of rows. Column names may break after an underscore; with `breakFirst`, the first
 * column's values may break anywhere (a JA4 fingerprint has no space, and would widen the page).
 */
function table(
    rows: readonly Row[],
    columns: readonly string[] = rows.length > 0 ? Object.keys(rows[0]) : [],
    breakFirst = false,
): string {
    if (rows.length === 0) return "<p>None.</p>";
    return `<div class="scroll"><table${breakFirst ? ' class="break-first"' : ""}><thead><tr>${columns.map((c) => `<th>${escape(c).replace(/_/g, "_<wbr>")}</th>`).join("")}</tr></thead><tbody>
${rows.map((r) => `<tr>${columns.map((c) => `<td>${escape(typeof r[c] === "number" ? count(r[c]) : r[c])}</td>`).join("")}</tr>`).join("\n")}
</tbody></table></div>`;
}

/** Characters of a logged text shown in a table cell; the whole value is in the cell's title. */
export const TEXT_SHOWN = 120;

/**
 * A logged text (a URI, a user agent: whatever the client sent) as a table cell's content:
 * escaped, control characters shown as `\xNN` and bidirectional controls as `\uNNNN` (a
 * right-to-left override would show "evil" as "live"), cut at `TEXT_SHOWN` characters (whole code
 * points) with the full value in a title, and isolated (`<bdi>`) so right-to-left text in it cannot
 * reorder the text around it.
 */
export function loggedText(value: unknown): string {
    const visible = String(value ?? "").replace(
        // eslint-disable-next-line no-control-regex
        /[\u0000-\u001f\u007f]|[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
        (c) =>
            c.charCodeAt(0) < 0x100
                ? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`
                : `\\u${c.charCodeAt(0).toString(16)}`,
    );
    const chars = Array.from(visible);
    if (chars.length <= TEXT_SHOWN) return `<bdi>${escape(visible)}</bdi>`;
    return `<bdi title="${escape(visible)}">${escape(chars.slice(0, TEXT_SHOWN - 1).join(""))}…</bdi> <span class="cut">(${count(chars.length)} characters)</span>`;
}

/**
 * The addresses the report flags as attackers: those over its burst threshold and those seen
 * across accounts or Regions, each once, in that order; allowlisted ones left out (never blocked,
 * and their traffic is not an attacker's).
 */
export function flaggedAttackers(
    bursts: readonly Row[],
    crossAccount: readonly Row[],
    allowlist?: readonly string[],
): string[] {
    return [...new Set([...bursts, ...crossAccount].map((r) => String(r.client_ip)))].filter(
        (ip) => allowlistedRange(ip, allowlist) === undefined,
    );
}

/** Requests per account and Region, with blocked, counted and the share of all requests. */
function locationsSection(rows: readonly Row[], hours: string): string {
    const caption = `Requests per account and Region, ${hours}: blocked is WAF's terminating action BLOCK; counted is requests a rule in Count mode matched (a blocklist rule in response.mode count among them); share is of all requests in these hours.`;
    if (rows.length === 0) return figure("<p>No requests in these hours.</p>", caption);
    const total = rows.reduce((n, r) => n + Number(r.requests), 0);
    const share = (n: number) => `${((n / Math.max(1, total)) * 100).toFixed(1)} %`;
    const body = rows.map(
        (r) =>
            `<tr><td>${escape(r.account_id)}</td><td>${escape(r.region)}</td><td class="n">${count(Number(r.requests))}</td><td class="n">${count(Number(r.blocked))}</td><td class="n">${count(Number(r.counted))}</td><td class="n">${share(Number(r.requests))}</td></tr>`,
    );
    const sum = (column: string) => count(rows.reduce((n, r) => n + Number(r[column]), 0));
    const table = `<div class="scroll"><table class="locations"><thead><tr><th>account</th><th>Region</th><th>requests</th><th>blocked</th><th>counted</th><th>share</th></tr></thead><tbody>
${body.join("\n")}
<tr class="total"><td colspan="2">all</td><td class="n">${sum("requests")}</td><td class="n">${sum("blocked")}</td><td class="n">${sum("counted")}</td><td class="n">100.0 %</td></tr>
</tbody></table></div>`;
    return figure(table, caption);
}

/** One top list of logged texts (URIs, user agents): value, requests, the flagged IPs sending it, blocked. */
function topTextTable(rows: readonly Row[], column: string, heading: string): string {
    if (rows.length === 0) return "<p>None.</p>";
    return `<div class="scroll"><table class="texts"><thead><tr><th>${escape(heading)}</th><th>requests</th><th>flagged IPs</th><th>blocked</th></tr></thead><tbody>
${rows.map((r) => `<tr><td class="text">${loggedText(r[column])}</td><td class="n">${count(Number(r.requests))}</td><td class="n">${count(Number(r.client_ips))}</td><td class="n">${count(Number(r.blocked))}</td></tr>`).join("\n")}
</tbody></table></div>`;
}

/** What the flagged addresses asked for and what they claimed to be. */
function attackersSection(data: ReportData, hours: string): string {
    const { ips } = data.attackers;
    const named =
        ips.slice(0, 12).map(escape).join(", ") + (ips.length > 12 ? ` and ${count(ips.length - 12)} more` : "");
    const who =
        ips.length === 0
            ? "No address was flagged (none over the burst threshold or seen across accounts, allowlisted ones aside)"
            : `The ${count(ips.length)} flagged ${ips.length === 1 ? "address" : "addresses"} (over the burst threshold or seen across accounts; allowlisted ones left out): ${named}`;
    const caption = `${who}, ${hours}. Top 10 each, by requests; the values are what the clients sent, shown up to ${TEXT_SHOWN} characters (hover for the whole value).`;
    if (ips.length === 0) return figure("<p>No flagged addresses, so no URIs or user agents to show.</p>", caption);
    return figure(
        `<h3>Top URIs</h3>\n${topTextTable(data.attackers.uris, "uri", "URI")}\n<h3>Top user agents</h3>\n${topTextTable(data.attackers.userAgents, "user_agent", "user agent")}`,
        caption,
    );
}

/** Per candidate limit over all hours, and per hour with the busiest-5-minutes percentiles. */
function tuningSection(rows: readonly Row[], hours: string): string {
    const caption = `What a per-IP rate-based rule over 5 minutes would have blocked at each candidate limit, ${hours}: a request counts as blocked when its IP's requests in the 5 minutes ending with it are above the limit (an upper bound: WAF reacts within seconds). Percentiles are of each client IP's busiest 5 minutes in the hour, across the IPs active in it.`;
    if (rows.length === 0) return figure("<p>No requests in these hours.</p>", caption);
    const limits = [...new Set(rows.map((r) => Number(r.threshold)))].sort((a, b) => a - b);
    const hoursSeen = [...new Set(rows.map((r) => String(r.hour_start)))].sort();
    const total = rows.filter((r) => Number(r.threshold) === limits[0]).reduce((n, r) => n + Number(r.requests), 0);
    const perLimit = limits.map((limit) => {
        const of = rows.filter((r) => Number(r.threshold) === limit);
        const blocked = of.reduce((n, r) => n + Number(r.requests_blocked), 0);
        return {
            limit,
            hours_with_blocks: of.filter((r) => Number(r.client_ips_blocked) > 0).length,
            most_ips_blocked_in_an_hour: Math.max(...of.map((r) => Number(r.client_ips_blocked))),
            requests_blocked: blocked,
            share_blocked: `${((blocked / Math.max(1, total)) * 100).toFixed(2)} %`,
        };
    });
    const perHour = hoursSeen.map((hour) => {
        const of = rows.filter((r) => String(r.hour_start) === hour);
        const first = of[0];
        const row: Row = {
            hour: hour,
            client_ips: first.client_ips,
            requests: first.requests,
            p50: first.p50_5_minutes,
            p95: first.p95_5_minutes,
            p99: first.p99_5_minutes,
            max: first.max_5_minutes,
        };
        for (const limit of limits) {
            const at = of.find((r) => Number(r.threshold) === limit);
            const ips = Number(at?.client_ips_blocked ?? 0);
            row[`> ${limit}`] = at
                ? `${count(ips)} ${ips === 1 ? "IP" : "IPs"} / ${count(Number(at.requests_blocked))}`
                : "";
        }
        return row;
    });
    const bars = barChart(
        perLimit.map((p) => ({ label: `limit ${count(p.limit)}`, value: p.requests_blocked })),
        "#9467bd",
        "Requests blocked per candidate limit",
    );
    return figure(
        `${bars}\n${table(perLimit)}\n<h3>Per hour: IPs / requests blocked at each limit</h3>\n${table(perHour)}`,
        caption,
    );
}

/**
 * The top-fingerprints section, self-contained: the JA4 fingerprints behind the most client IPs,
 * as bars (distinct IPs) and a table (requests, blocked, where seen).
 */
export function fingerprintsSection(rows: readonly Row[], hours: string): string {
    const caption = `The JA4 TLS fingerprints behind the most distinct client IPs, ${hours}, with their requests and where they were seen. Browsers of one version share a JA4; a JA4 behind many addresses with few requests each, in several accounts, is one client stack behind many addresses (a residential-proxy botnet, a scraper fleet).`;
    const bars = barChart(
        rows.slice(0, 15).map((r) => ({ label: String(r.ja4), value: Number(r.client_ips) })),
        "#8c564b",
        "Distinct client IPs per JA4 fingerprint",
    );
    return `<h2>One client behind many addresses: top JA4 fingerprints</h2>\n${figure(`${bars}\n${table(rows, undefined, true)}`, caption)}`;
}

/** An ISO time as `2026-11-27 14:35 UTC`. */
function untilText(isoTime: string): string {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?Z$/.exec(isoTime);
    return m ? `${m[1]} ${m[2]} UTC` : isoTime;
}

/** What was blocked, where, in which scope and until when, and what the allowlist spared. */
export function responseSection(data: ReportData): string {
    const spared = [...new Set([...data.bursts, ...data.crossAccount].map((r) => String(r.client_ip)))]
        .map((ip) => ({ ip, range: allowlistedRange(ip, data.allowlist) }))
        .filter((a) => a.range !== undefined);
    const sparedText =
        spared.length === 0
            ? "<p>No allowlisted address is among the bursts or cross-account attackers.</p>"
            : `<p>Allowlisted, so never blocked whatever their rate (central-waf-logs:response.allowlist): ${spared
                  .map((a) => `${escape(a.ip)} (in ${escape(a.range)})`)
                  .join(", ")}.</p>`;
    if (!data.response) {
        return `<p class="no-response">No blocklist state was given to this report (forensics run on its own): it shows what the logs hold, not what was blocked. See <code>npm run blocklist -- list</code> for the blocklist.</p>\n${sparedText}`;
    }
    const { blocked } = data.response;
    // Written out rather than through table(): a location, and the time, never break inside (a
    // narrow window broke "us-east-1" and "2026-12-07" at their hyphens).
    const whole = (text: string) => `<span class="nowrap">${escape(text)}</span>`;
    const rows = blocked.map(
        (b) =>
            `<tr><td>${escape(b.range)}</td><td>${b.where.map(whole).join(", ") || "no IP set"}</td><td>${escape(b.scope)}</td><td class="nowrap">${escape(untilText(b.until))}</td><td>${escape(b.reason)}</td></tr>`,
    );
    const list =
        rows.length === 0
            ? "<p>None.</p>"
            : `<div class="scroll"><table><thead><tr><th>range</th><th>blocked in (account/Region)</th><th>scope</th><th>until</th><th>reason</th></tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table></div>`;
    return `<p>From ${escape(data.response.source)}: ${count(blocked.length)} ${blocked.length === 1 ? "range" : "ranges"} blocked.</p>\n${list}\n${sparedText}`;
}

/** The report's burst threshold beside the detector's, which decides what is blocked. */
function thresholdNote(data: ReportData): string {
    const detector =
        data.detectorThreshold === undefined
            ? "The detector's threshold (central-waf-logs:response.threshold) was not given to this report."
            : data.detectorThreshold === data.threshold
              ? `The detector (central-waf-logs:response.threshold) uses the same threshold.`
              : `The detector blocks above ${count(data.detectorThreshold)} (central-waf-logs:response.threshold): bursts between the two are shown here but were not blocked for their rate.`;
    return `<p class="threshold">This report's burst threshold: more than ${count(data.threshold)} requests in 5 minutes. ${detector}</p>`;
}

export function renderReport(data: ReportData): string {
    const hours = `hours ${data.window.from_hour} to ${data.window.to_hour} (UTC)`;
    const countries = new Map<string, number>();
    for (const row of data.countries)
        countries.set(String(row.country), (countries.get(String(row.country)) ?? 0) + Number(row.requests));
    const topCountries = [...countries.entries()]
        .map(([label, value]) => ({ label, value }))
        .sort((a, b) => b.value - a.value || a.label.localeCompare(b.label))
        .slice(0, 15);
    const bursts = data.bursts.map((r) => ({
        label: `${r.client_ip}${allowlistedRange(String(r.client_ip), data.allowlist) ? " (allowlisted)" : ""} @ ${r.window_start}`,
        value: Number(r.requests_in_5_minutes),
    }));
    const mark = (rows: readonly Row[]) =>
        rows.map((r) => ({
            ...r,
            ...(data.allowlist?.length
                ? { allowlisted: allowlistedRange(String(r.client_ip), data.allowlist) ? "yes: never blocked" : "" }
                : {}),
        }));
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(data.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5em auto;padding:0 1em;max-width:1100px;color:#222}h2{margin-top:2em}table{border-collapse:collapse;margin:0.5em 0}
td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:left}th{background:#f3f3f3}.scroll{overflow-x:auto;max-width:100%}
svg{max-width:100%;height:auto}figure{margin:0}figcaption,.zoom,.threshold{font-size:13px;color:#555;margin-top:0.4em}
.legend .key{display:inline-block;margin-right:1em;font-size:13px}.allowlisted{color:#2ca02c;font-weight:600}.same{color:#a00}
table.break-first td:first-child{overflow-wrap:anywhere}@media (max-width:900px){td,th{padding:3px 5px;font-size:12px}}
td.n{text-align:right;white-space:nowrap}.nowrap{white-space:nowrap}td.text{overflow-wrap:anywhere;word-break:break-word}.cut{color:#777;font-size:12px;white-space:nowrap}tr.total td{font-weight:600}</style></head>
<body><h1>${escape(data.title)}</h1>
<p>${escape(hours[0].toUpperCase() + hours.slice(1))}, every account and Region.</p>
<h2>Response: what was blocked, and what was not</h2>
${responseSection(data)}
<h2>Where the requests landed: per account and Region</h2>
${locationsSection(data.locations, escape(hours))}
<h2>Busiest client IPs over time</h2>
${timelineChart(data.timeline, data.window, escape(hours), data.allowlist)}
<h2>Top countries</h2>
${figure(barChart(topCountries, "#1f77b4", "Top countries"), `Requests by country (the 15 busiest; "-" is unknown), ${escape(hours)}.`)}
<h2>Burst windows</h2>
${thresholdNote(data)}
${figure(
    `${barChart(bursts, "#d62728", "Burst windows")}\n${table(mark(data.bursts))}`,
    `Client IPs with more than ${count(data.threshold)} requests in some 5 minutes, with their busiest 5 minutes and when they started, ${escape(hours)}. An allowlisted IP is marked: it was never blocked.`,
)}
<h2>Attackers seen across accounts or Regions</h2>
${figure(table(mark(data.crossAccount)), `Client IPs seen in several accounts or Regions with heavy traffic, ${escape(hours)}.`)}
<h2>What the flagged addresses sent: top URIs and user agents</h2>
${attackersSection(data, escape(hours))}
<h2>Threshold tuning: what candidate rate limits would have blocked</h2>
${tuningSection(data.tuning, escape(hours))}
${data.fingerprints ? fingerprintsSection(data.fingerprints, escape(hours)) : ""}
</body></html>
`;
}
