/**
 * The report of what the loader parked for one object, `_errors/<key>.rejected.ndjson` in the
 * central bucket: one JSON line per parked line, `{source, line, reason, text}` with the line's
 * full text, so a replay can re-index it without the source object; and, when a gzip stream was
 * unreadable, one line `{source, line, reason, byteOffset, compressedByteOffset, text}` for the
 * tail (text: the incomplete line read before the damage).
 *
 * Streamed, never held whole: kept in memory up to a bound (the common case, a few lines), then
 * spilled to a temporary file that is uploaded with one PutObject. Not a multipart upload: the
 * central bucket policy refuses a PutObject without the SSE-KMS headers, and UploadPart cannot
 * carry them.
 */
import * as fs from "fs";
import * as path from "path";
import { crc32 } from "zlib";

export interface ReportOptions {
    /** Bytes held in memory before spilling to a file. */
    readonly memoryBytes: number;
    /** Directory of the spill file (Lambda: /tmp, its ephemeral storage). */
    readonly spillDir: string;
}

/**
 * A finished report, in memory or in a file, with its CRC32: the upload sends it as its checksum
 * (S3 Object Lock refuses a PUT without one, and a stream body with one stays a plain body).
 */
export type ReportBody =
    | { readonly kind: "memory"; readonly data: Buffer; readonly crc32: number }
    | { readonly kind: "file"; readonly path: string; readonly bytes: number; readonly crc32: number };

/** Prefix of spill directories, so that stale ones can be found. */
const SPILL_PREFIX = "parked-";

/**
 * Removes spill directories left in `dir` by invocations that were killed (a timeout, running
 * out of memory) rather than failing cleanly: Lambda keeps /tmp across invocations of a warm
 * environment. Only directories older than `olderThanMs` (Lambda's 15-minute maximum) go, so an
 * invocation running beside this one (a local run in one process) is never touched.
 */
export async function removeStaleSpills(dir: string, olderThanMs: number, now = Date.now()): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) {
        if (!name.startsWith(SPILL_PREFIX)) continue;
        const full = path.join(dir, name);
        const stat = await fs.promises.stat(full).catch(() => undefined);
        if (stat?.isDirectory() && now - stat.mtimeMs > olderThanMs) {
            await fs.promises.rm(full, { recursive: true, force: true });
            removed.push(name);
        }
    }
    return removed;
}

/** Spill-file writes are gathered to this size first: one system call per line would be slow. */
const FILE_WRITE_BYTES = 1024 * 1024;

const quoted = (text: string) => JSON.stringify(text).slice(1, -1);

export class ParkedReport {
    /** JSON lines written so far. */
    entries = 0;
    private held: Buffer[] = [];
    private heldBytes = 0;
    private file?: { handle: fs.promises.FileHandle; path: string };
    private bytes = 0;
    private crc = 0;

    constructor(
        private readonly source: string,
        private readonly options: ReportOptions,
    ) {}

    /** Parks one complete line. */
    async park(line: number, reason: string, text: string): Promise<void> {
        this.entries++;
        await this.write(`${JSON.stringify({ source: this.source, line, reason, text })}\n`);
    }

    /** Records the unreadable tail of a gzip stream. */
    async unreadable(tail: {
        line: number;
        reason: string;
        byteOffset: number;
        compressedByteOffset: number;
        text: string;
    }): Promise<void> {
        this.entries++;
        await this.write(`${JSON.stringify({ source: this.source, ...tail })}\n`);
    }

    /** Starts parking a line too long to hold: its text follows in pieces, then `endLongLine`. */
    async startLongLine(line: number, reason: string, text: string): Promise<void> {
        this.entries++;
        const head = JSON.stringify({ source: this.source, line, reason, text: "" }).slice(0, -2);
        await this.write(`${head}${quoted(text)}`);
    }

    async continueLongLine(text: string): Promise<void> {
        await this.write(quoted(text));
    }

    async endLongLine(): Promise<void> {
        await this.write('"}\n');
    }

    /** The finished report, or undefined when nothing was parked. */
    async finish(): Promise<ReportBody | undefined> {
        if (this.entries === 0) return undefined;
        if (!this.file) return { kind: "memory", data: Buffer.concat(this.held, this.heldBytes), crc32: this.crc };
        await this.flushToFile();
        await this.file.handle.close();
        return { kind: "file", path: this.file.path, bytes: this.bytes, crc32: this.crc };
    }

    /** Removes the spill file, if any (after the upload, or when the invocation fails). */
    async discard(): Promise<void> {
        const file = this.file;
        this.file = undefined;
        this.held = [];
        if (!file) return;
        await file.handle.close().catch(() => undefined);
        await fs.promises.rm(path.dirname(file.path), { recursive: true, force: true });
    }

    private async write(text: string): Promise<void> {
        const data = Buffer.from(text);
        this.bytes += data.length;
        this.crc = crc32(data, this.crc);
        this.held.push(data);
        this.heldBytes += data.length;
        if (!this.file && this.heldBytes > this.options.memoryBytes) {
            const dir = await fs.promises.mkdtemp(path.join(this.options.spillDir, SPILL_PREFIX));
            const file = path.join(dir, "report.ndjson");
            this.file = { handle: await fs.promises.open(file, "w"), path: file };
        }
        if (this.file && this.heldBytes >= FILE_WRITE_BYTES) await this.flushToFile();
    }

    private async flushToFile(): Promise<void> {
        if (!this.file || this.heldBytes === 0) return;
        const data = Buffer.concat(this.held, this.heldBytes);
        this.held = [];
        this.heldBytes = 0;
        // writeFile on a handle writes all of it from the current position (write() may stop short).
        await this.file.handle.writeFile(data);
    }
}
