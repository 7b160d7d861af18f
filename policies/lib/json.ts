/**
 * A JSON reader for policy text that notices what `JSON.parse` hides: a key written twice in one
 * object. `JSON.parse` keeps the last value silently, while AWS may keep another or refuse the
 * document (Access Analyzer reports duplicate keys as errors), so a policy with a duplicate key
 * cannot be shown to mean what the pack reads. Objects given as values (not text) cannot carry
 * duplicates; `document.ts` checks them for keys that differ only in case.
 */

/** A key written more than once, and where: the keys and list positions leading to its object. */
export interface DuplicateKey {
    readonly key: string;
    readonly path: readonly (string | number)[];
}

export interface JsonReading {
    readonly value: unknown;
    readonly duplicates: readonly DuplicateKey[];
}

const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

class Reader {
    private i = 0;
    readonly duplicates: DuplicateKey[] = [];
    constructor(private readonly text: string) {}

    /** The whole text as one value, or undefined when it is not JSON. */
    document(): unknown {
        const value = this.value([]);
        this.space();
        if (this.i !== this.text.length) throw new SyntaxError("text after the value");
        return value;
    }

    private space(): void {
        while (this.i < this.text.length && " \t\n\r".includes(this.text[this.i])) this.i++;
    }

    private expect(literal: string): void {
        if (!this.text.startsWith(literal, this.i)) throw new SyntaxError(`expected ${literal}`);
        this.i += literal.length;
    }

    private value(path: readonly (string | number)[]): unknown {
        this.space();
        const ch = this.text[this.i];
        if (ch === "{") return this.object(path);
        if (ch === "[") return this.array(path);
        if (ch === '"') return this.string();
        if (ch === "t") return (this.expect("true"), true);
        if (ch === "f") return (this.expect("false"), false);
        if (ch === "n") return (this.expect("null"), null);
        return this.number();
    }

    private object(path: readonly (string | number)[]): Record<string, unknown> {
        this.i++;
        const out: Record<string, unknown> = {};
        const seen = new Set<string>();
        this.space();
        if (this.text[this.i] === "}") return (this.i++, out);
        for (;;) {
            this.space();
            if (this.text[this.i] !== '"') throw new SyntaxError("expected a key");
            const key = this.string();
            this.space();
            this.expect(":");
            const value = this.value([...path, key]);
            if (seen.has(key)) this.duplicates.push({ key, path });
            seen.add(key);
            // defineProperty: a key such as "__proto__" stays an ordinary key.
            Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
            this.space();
            const next = this.text[this.i++];
            if (next === "}") return out;
            if (next !== ",") throw new SyntaxError("expected , or }");
        }
    }

    private array(path: readonly (string | number)[]): unknown[] {
        this.i++;
        const out: unknown[] = [];
        this.space();
        if (this.text[this.i] === "]") return (this.i++, out);
        for (;;) {
            out.push(this.value([...path, out.length]));
            this.space();
            const next = this.text[this.i++];
            if (next === "]") return out;
            if (next !== ",") throw new SyntaxError("expected , or ]");
        }
    }

    private string(): string {
        this.i++;
        let out = "";
        for (;;) {
            const ch = this.text[this.i++];
            if (ch === undefined) throw new SyntaxError("unterminated string");
            if (ch === '"') return out;
            if (ch < " ") throw new SyntaxError("control character in a string");
            if (ch !== "\\") {
                out += ch;
                continue;
            }
            const escape = this.text[this.i++];
            if (escape === "u") {
                const hex = this.text.slice(this.i, this.i + 4);
                if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new SyntaxError("bad \\u escape");
                out += String.fromCharCode(parseInt(hex, 16));
                this.i += 4;
            } else if (escape in ESCAPES) {
                out += ESCAPES[escape];
            } else {
                throw new SyntaxError("bad escape");
            }
        }
    }

    private number(): number {
        const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.i));
        if (!m) throw new SyntaxError("expected a value");
        this.i += m[0].length;
        return Number(m[0]);
    }
}

/** Reads JSON text, listing every key written twice in one object; undefined when it is not JSON. */
export function readJson(text: string): JsonReading | undefined {
    const reader = new Reader(text);
    try {
        return { value: reader.document(), duplicates: reader.duplicates };
    } catch {
        return undefined;
    }
}
