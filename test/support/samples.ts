import * as fs from "fs";
import * as path from "path";

/** The real WAF records in ../shared/waf-samples (one JSON document per line). */
export const SAMPLES_DIR = path.resolve(__dirname, "../../../shared/waf-samples");

export function sampleLines(): string[] {
    if (!fs.existsSync(SAMPLES_DIR)) {
        throw new Error(
            `The shared WAF samples are not at ${SAMPLES_DIR}; tests expect ../shared/waf-samples beside the repository.`,
        );
    }
    return fs
        .readdirSync(SAMPLES_DIR)
        .filter((f) => f.endsWith(".ndjson"))
        .sort()
        .flatMap((f) => fs.readFileSync(path.join(SAMPLES_DIR, f), "utf8").split("\n"))
        .filter((line) => line.trim() !== "");
}
