/**
 * A self-contained HTML report (inline SVG, no scripts, no network) from named-query rows: the
 * busiest client IPs over time, top countries, burst windows, the cross-account attackers, and
 * what candidate rate limits would have blocked. Every chart has a caption saying what it shows
 * and the hours it covers. Every value from the logs is escaped: client IPs and countries are
 * whatever the requests carried.
 */
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
    /** top-fingerprints rows; the section is left out when absent. */
    readonly fingerprints?: readonly Row[];
}

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

/** Requests per 5-minute window per IP, on a time axis uniform over the whole searched window. */
function timelineChart(rows: readonly Row[], window: ReportData["window"], hours: string): string {
    const caption = `Requests per 5-minute window of the busiest client IPs (up to 10, each with at least a tenth of the busiest IP's requests), ${hours}. The time axis is uniform: a window with no requests is drawn at 0.`;
    if (rows.length === 0) return figure("<p>No requests in these hours.</p>", caption);
    const from = hourStart(window.from_hour);
    const to = hourStart(window.to_hour) + HOUR_MS;
    const steps = Math.round((to - from) / STEP_MS);
    const [width, height, left, right, top, bottom] = [900, 320, 60, 20, 15, 40];
    const plotWidth = width - left - right;
    const plotHeight = height - top - bottom;
    const max = Math.max(...rows.map((r) => Number(r.requests)), 1);
    const x = (ms: number) => left + ((ms - from) / (to - from)) * plotWidth;
    const y = (v: number) => top + plotHeight - (v / max) * plotHeight;

    const totals = new Map<string, number>();
    for (const r of rows) totals.set(String(r.client_ip), (totals.get(String(r.client_ip)) ?? 0) + Number(r.requests));
    const ips = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
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
        return `<polyline class="series" data-ip="${escape(ip)}" fill="none" stroke="${COLORS[s % COLORS.length]}" stroke-width="1.5" points="${points}"><title>${escape(ip)}</title></polyline>`;
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
        .map(
            (ip, s) =>
                `<span style="color:${COLORS[s % COLORS.length]}">&#9632;</span> ${escape(ip)} (${count(totals.get(ip)!)})`,
        )
        .join(" &nbsp; ");
    const svg = `<svg class="timeline" width="${width}" height="${height}" role="img" aria-label="Requests per client IP over time" data-from="${iso(from)}" data-to="${iso(to)}" data-step-ms="${STEP_MS}">
${yTicks.join("\n")}
<line x1="${left}" y1="${top + plotHeight}" x2="${width - right}" y2="${top + plotHeight}" stroke="#999"/>
<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#999"/>
${xTicks.join("\n")}
<text x="${left + plotWidth / 2}" y="${height - 4}" font-size="11" text-anchor="middle">UTC</text>
${series.join("\n")}
</svg>
<p class="legend">${legend}</p>`;
    return figure(svg, caption);
}

function barChart(items: readonly { label: string; value: number }[], color: string, label: string): string {
    if (items.length === 0) return "<p>None.</p>";
    const max = Math.max(...items.map((i) => i.value), 1);
    const rowHeight = 22;
    // Room for the longest label (about 7 px a character at 12 px), so no label runs into its bar.
    const left = Math.min(340, Math.max(60, Math.max(...items.map((i) => i.label.length)) * 7 + 10));
    const bars = items.map((item, i) => {
        const w = (item.value * 520) / max;
        return `<text x="0" y="${i * rowHeight + 15}" font-size="12">${escape(item.label)}</text>
<rect x="${left}" y="${i * rowHeight + 3}" width="${w.toFixed(1)}" height="16" fill="${color}"/>
<text x="${(left + 5 + w).toFixed(1)}" y="${i * rowHeight + 15}" font-size="12">${count(item.value)}</text>`;
    });
    return `<svg class="bars" width="900" height="${items.length * rowHeight + 5}" role="img" aria-label="${escape(label)}">${bars.join("\n")}</svg>`;
}

function table(rows: readonly Row[], columns: readonly string[] = rows.length > 0 ? Object.keys(rows[0]) : []): string {
    if (rows.length === 0) return "<p>None.</p>";
    return `<table><thead><tr>${columns.map((c) => `<th>${escape(c)}</th>`).join("")}</tr></thead><tbody>
${rows.map((r) => `<tr>${columns.map((c) => `<td>${escape(typeof r[c] === "number" ? count(r[c]) : r[c])}</td>`).join("")}</tr>`).join("\n")}
</tbody></table>`;
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
    return `<h2>One client behind many addresses: top JA4 fingerprints</h2>\n${figure(`${bars}\n${table(rows)}`, caption)}`;
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
        label: `${r.client_ip} @ ${r.window_start}`,
        value: Number(r.requests_in_5_minutes),
    }));
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(data.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}h2{margin-top:2em}table{border-collapse:collapse;margin:0.5em 0}
td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:left}th{background:#f3f3f3}
figure{margin:0}figcaption{font-size:13px;color:#555;max-width:900px;margin-top:0.4em}</style></head>
<body><h1>${escape(data.title)}</h1>
<p>${escape(hours[0].toUpperCase() + hours.slice(1))}, every account and Region.</p>
<h2>Busiest client IPs over time</h2>
${timelineChart(data.timeline, data.window, escape(hours))}
<h2>Top countries</h2>
${figure(barChart(topCountries, "#1f77b4", "Top countries"), `Requests by country (the 15 busiest; "-" is unknown), ${escape(hours)}.`)}
<h2>Burst windows</h2>
${figure(
    `${barChart(bursts, "#d62728", "Burst windows")}\n${table(data.bursts)}`,
    `Client IPs with more than ${count(data.threshold)} requests in some 5 minutes, with their busiest 5 minutes and when they started, ${escape(hours)}.`,
)}
<h2>Attackers seen across accounts or Regions</h2>
${figure(table(data.crossAccount), `Client IPs seen in several accounts or Regions with heavy traffic, ${escape(hours)}.`)}
<h2>Threshold tuning: what candidate rate limits would have blocked</h2>
${tuningSection(data.tuning, escape(hours))}
${data.fingerprints ? fingerprintsSection(data.fingerprints, escape(hours)) : ""}
</body></html>
`;
}
