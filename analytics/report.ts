/**
 * A self-contained HTML report (inline SVG, no scripts, no network): requests per client IP over
 * time, top countries, burst windows and the cross-account attackers, from named-query rows.
 */
import { Row } from "./warehouse";

export interface ReportData {
    readonly title: string;
    readonly window: { readonly from_hour: string; readonly to_hour: string };
    readonly timeline: readonly Row[];
    readonly countries: readonly Row[];
    readonly bursts: readonly Row[];
    readonly crossAccount: readonly Row[];
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

function lineChart(rows: readonly Row[]): string {
    const windows = [...new Set(rows.map((r) => String(r.window_start)))].sort();
    const ips = [...new Set(rows.map((r) => String(r.client_ip)))];
    if (windows.length === 0) return "<p>No requests in this window.</p>";
    const width = 900;
    const height = 300;
    const max = Math.max(...rows.map((r) => Number(r.requests)), 1);
    const x = (i: number) => 50 + (i * (width - 70)) / Math.max(1, windows.length - 1);
    const y = (v: number) => height - 30 - (v * (height - 50)) / max;
    const series = ips.map((ip, s) => {
        const counts = new Map(
            rows.filter((r) => r.client_ip === ip).map((r) => [String(r.window_start), Number(r.requests)]),
        );
        const points = windows.map((w, i) => `${x(i).toFixed(1)},${y(counts.get(w) ?? 0).toFixed(1)}`).join(" ");
        return `<polyline fill="none" stroke="${COLORS[s % COLORS.length]}" stroke-width="2" points="${points}"><title>${escape(ip)}</title></polyline>`;
    });
    const legend = ips
        .map((ip, s) => `<span style="color:${COLORS[s % COLORS.length]}">&#9632;</span> ${escape(ip)}`)
        .join(" &nbsp; ");
    return `<svg width="${width}" height="${height}" role="img" aria-label="Requests per client IP over time">
<line x1="50" y1="${height - 30}" x2="${width - 20}" y2="${height - 30}" stroke="#999"/><line x1="50" y1="10" x2="50" y2="${height - 30}" stroke="#999"/>
<text x="5" y="20" font-size="11">${max}</text><text x="50" y="${height - 10}" font-size="11">${escape(windows[0])}</text>
<text x="${width - 160}" y="${height - 10}" font-size="11">${escape(windows[windows.length - 1])}</text>
${series.join("\n")}</svg><p>${legend}</p>`;
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
<text x="${(left + 5 + w).toFixed(1)}" y="${i * rowHeight + 15}" font-size="12">${item.value.toLocaleString("en-US")}</text>`;
    });
    return `<svg width="860" height="${items.length * rowHeight + 5}" role="img" aria-label="${escape(label)}">${bars.join("\n")}</svg>`;
}

function table(rows: readonly Row[]): string {
    if (rows.length === 0) return "<p>None.</p>";
    const columns = Object.keys(rows[0]);
    return `<table><thead><tr>${columns.map((c) => `<th>${escape(c)}</th>`).join("")}</tr></thead><tbody>
${rows.map((r) => `<tr>${columns.map((c) => `<td>${escape(r[c])}</td>`).join("")}</tr>`).join("\n")}
</tbody></table>`;
}

export function renderReport(data: ReportData): string {
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
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}h2{margin-top:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:left}th{background:#f3f3f3}</style></head>
<body><h1>${escape(data.title)}</h1>
<p>Hours ${escape(data.window.from_hour)} to ${escape(data.window.to_hour)} (UTC), every account and Region.</p>
<h2>Requests per client IP over time (5-minute windows, 10 busiest IPs)</h2>
${lineChart(data.timeline)}
<h2>Top countries</h2>
${barChart(topCountries, "#1f77b4", "Top countries")}
<h2>Burst windows (peak requests in any 5 minutes)</h2>
${barChart(bursts, "#d62728", "Burst windows")}
${table(data.bursts)}
<h2>Attackers seen across accounts or Regions</h2>
${table(data.crossAccount)}
</body></html>
`;
}
