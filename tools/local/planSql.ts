/**
 * The SQL a deploy-time function carries, read back from its deployed code: the statements are
 * captured string literals of its `__index.js`, with `{{placeholder}}` values filled from the
 * function's environment (`{{compacted_location}}` from `COMPACTED_LOCATION`), as the function does.
 */

const SQL_START = /^\s*(CREATE|ALTER|MERGE|INSERT|DELETE|OPTIMIZE|VACUUM|SELECT|DROP)\b/;

/** Every string literal of the source that is a SQL statement, placeholders filled from `env`. */
export function sqlStatementsIn(source: string, env: Readonly<Record<string, string>> = {}): string[] {
    const statements: string[] = [];
    for (const literal of source.match(/"(?:[^"\\\n]|\\.)*"/g) ?? []) {
        let value: string;
        try {
            value = JSON.parse(literal);
        } catch {
            continue;
        }
        if (!SQL_START.test(value)) continue;
        statements.push(value.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => env[name.toUpperCase()] ?? whole));
    }
    return statements;
}

/** The tables and views a statement creates, and those it reads or writes without creating them. */
export function tablesNamedBy(sql: string): { creates: string[]; uses: string[] } {
    const code = sql.replace(/--[^\n]*/g, "");
    const names = (pattern: RegExp) => [...code.matchAll(pattern)].map((m) => m[1].toLowerCase());
    const creates = names(
        /\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:EXTERNAL\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/gi,
    );
    const uses = names(/\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/gi).filter(
        (name) => !creates.includes(name),
    );
    return { creates, uses: [...new Set(uses)] };
}

/** The S3 location a CREATE TABLE statement gives its table, and whether the table is Iceberg. */
export function createdTableLocation(sql: string): { table: string; location: string; iceberg: boolean } | undefined {
    const table = /\bCREATE\s+(?:EXTERNAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/i.exec(sql)?.[1];
    const location = /\bLOCATION\s+'([^']+)'/i.exec(sql)?.[1];
    if (!table || !location) return undefined;
    return { table: table.toLowerCase(), location, iceberg: /'table_type'\s*=\s*'ICEBERG'/i.test(sql) };
}
