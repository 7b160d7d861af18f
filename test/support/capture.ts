/** What deployed code writes while it runs in this process: EMF metrics on stdout, console.log lines. */

/** Runs `f` capturing the EMF documents written to stdout and the lines logged with console.log. */
export async function metricsOf<T>(f: () => Promise<T>): Promise<{ result: T; metrics: any[]; logs: string[] }> {
    const lines: string[] = [];
    const logs: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
        lines.push(String(chunk));
        return true;
    }) as typeof process.stdout.write;
    const log = console.log;
    console.log = (line: unknown) => logs.push(String(line));
    try {
        const result = await f();
        return { result, metrics: lines.map((l) => JSON.parse(l)).filter((d) => d._aws), logs };
    } finally {
        process.stdout.write = write;
        console.log = log;
    }
}
