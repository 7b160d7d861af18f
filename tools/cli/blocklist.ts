/**
 * `npm run blocklist -- list | add <ip> --reason .. [--minutes N] | remove <ip> --reason .. | promote <ip> --reason .. | history <ip>`
 *
 * The operator's hand on the central blocklist the detector writes and the publisher syncs into
 * every WAF IP set. It reads the DynamoDB tables with the user's own credentials; it changes them
 * only through the blocklist operator function (handlers/blocklistChange.ts), whose URL it signs
 * for: the function checks the change (never an address that is not globally reachable or is
 * allowlisted) and writes it with its audit record naming the caller AWS authenticated. With
 * --endpoint, a local sandbox serves both.
 */
import { BlockEntry, isActive } from "../../handlers/blocklist";
import {
    isChangeRefused,
    ChangeRequest,
    MAX_REASON_LENGTH,
    printable,
    rangeOf,
    reasonProblem,
} from "../../handlers/blocklistChange";
import { BlocklistStore, dynamoBlocklistStore } from "../../handlers/blocklistStore";
import { allowlisted } from "../../handlers/ipRange";
import { BLOCKLIST_AUDIT_TABLE, BLOCKLIST_OPERATOR_FUNCTION, BLOCKLIST_TABLE } from "../../names";
import { unreachable } from "./awsErrors";
import { postChange } from "./operatorUrl";
import { runCli, usageError, userError } from "./shell";

export { MAX_REASON_LENGTH, printable, reasonProblem };

export const USAGE = `usage: npm run blocklist -- <command> [options]

Reads and changes the central blocklist (the DynamoDB table the detector writes and the publisher
syncs into every account's and Region's WAF IP sets). Every change is audited: who, what, why, when.

commands:
  list                         active entries (--all: every entry, expired and released included)
  add <ip|cidr>                block for --minutes (default: the stack's response.blockMinutes);
                               --reason is required; allowlisted ranges and address space
                               that is not globally reachable (private, loopback, link-local,
                               ... per IANA's special-purpose registries) are refused. add never
                               shortens an active block: a later expiry already set is kept (to
                               shorten a block, remove it, then add it again)
  remove <ip|cidr>             release now, and keep the detector from blocking it again for
                               --minutes (default 60); --reason is required. A release marks a
                               false positive: the range's repeat count starts over, so if it
                               returns it is blocked as a first offense (blockMinutes), not longer
  promote <ip|cidr>            make an active local entry (blocked only where its evidence was
                               seen) global: blocked in every account and Region; --reason is
                               required
  history <ip|cidr>            the audit trail of one range, oldest first

  <ip|cidr> is IPv4 in dotted decimal (203.0.113.7, no leading zeros) or IPv6 in standard text
  (2001:db8::7), optionally with a prefix (/24, /64); IPv4-mapped IPv6 (::ffff:203.0.113.7) is
  read as IPv4. Ranges broader than /8 (IPv4) or /32 (IPv6) are refused.

options:
  --reason <text>              why (kept in the entry and the audit trail): one line of plain
                               text, at most ${MAX_REASON_LENGTH} characters
  --minutes <n>                how long, in minutes: a whole number from 1 to 43200, in digits
  --stack <name>               the logging stack whose Pulumi.<stack>.yaml gives the allowlist,
                               durations and Region (default logging)
  --region <region>            the table's Region (default: the logging stack's)
  --table <name>               default ${BLOCKLIST_TABLE}
  --audit-table <name>         default ${BLOCKLIST_AUDIT_TABLE}
  --endpoint <url>             a local sandbox serving DynamoDB and Lambda (npm run sandbox)
                               instead of AWS
  --help                       this text

Credentials are the usual AWS ones (AWS_PROFILE, environment, SSO...). The logging stack's output
blocklistOperatorPolicyArn is a managed policy with exactly what this needs.`;

export interface BlocklistArgs {
    readonly command: "list" | "add" | "remove" | "promote" | "history";
    readonly target?: string;
    readonly reason?: string;
    readonly minutes?: number;
    readonly all: boolean;
    readonly stack: string;
    readonly region?: string;
    readonly table: string;
    readonly auditTable: string;
    readonly endpoint?: string;
}

const COMMANDS = ["list", "add", "remove", "promote", "history"] as const;
const VALUE_FLAGS = ["--reason", "--minutes", "--stack", "--region", "--table", "--audit-table", "--endpoint"];

export function parseBlocklistArgs(argv: readonly string[]): BlocklistArgs {
    const values: Record<string, string> = {};
    const positional: string[] = [];
    let all = false;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].startsWith("--") ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
        if (flag === "--all") {
            all = true;
        } else if (VALUE_FLAGS.includes(flag)) {
            const value = inline ?? argv[++i];
            if (value === undefined || value.startsWith("--")) throw usageError(`${flag} needs a value.`);
            values[flag] = value;
        } else if (flag.startsWith("-")) {
            throw usageError(`Unknown option ${flag}.`);
        } else {
            positional.push(flag);
        }
    }
    const [command, target, ...extra] = positional;
    if (!COMMANDS.includes(command as never)) {
        throw usageError(
            command === undefined
                ? `Give a command: ${COMMANDS.join(", ")}.`
                : `Unknown command "${command}"; use ${COMMANDS.join(", ")}.`,
        );
    }
    if (extra.length > 0) throw usageError(`Unexpected argument ${extra[0]}; give one IP or CIDR range.`);
    if (command === "list" && target !== undefined) throw usageError(`list takes no range; got ${target}.`);
    if (command !== "list" && target === undefined) throw usageError(`${command} needs an IP address or CIDR range.`);
    if ((command === "add" || command === "remove" || command === "promote") && !values["--reason"]?.trim()) {
        throw usageError(`${command} needs --reason "<why>": the audit trail keeps it.`);
    }
    const reason = values["--reason"]?.trim();
    const problem = reason === undefined ? undefined : reasonProblem(reason);
    if (problem) throw usageError(problem);
    let minutes: number | undefined;
    if (values["--minutes"] !== undefined) {
        // Plain digits only: Number() would also read "1e3", "0x10" and " 5".
        minutes = /^[0-9]{1,5}$/.test(values["--minutes"]) ? Number(values["--minutes"]) : NaN;
        if (!(minutes >= 1 && minutes <= 43_200)) {
            throw usageError(
                `--minutes takes a whole number from 1 to 43200 (30 days) in plain digits, got ${JSON.stringify(values["--minutes"])}.`,
            );
        }
    }
    const endpoint = values["--endpoint"];
    if (endpoint !== undefined && !isHttpUrl(endpoint)) {
        throw usageError(
            `--endpoint takes the URL of a local sandbox (npm run sandbox prints it), such as http://127.0.0.1:8000, got ${JSON.stringify(endpoint)}.`,
        );
    }
    return {
        command: command as BlocklistArgs["command"],
        target,
        reason,
        minutes,
        all,
        stack: values["--stack"] ?? "logging",
        region: values["--region"],
        table: values["--table"] ?? BLOCKLIST_TABLE,
        auditTable: values["--audit-table"] ?? BLOCKLIST_AUDIT_TABLE,
        endpoint,
    };
}

function isHttpUrl(text: string): boolean {
    try {
        const url = new URL(text);
        return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    } catch {
        return false;
    }
}

export interface BlocklistDependencies {
    /** Reads the tables (list, history). */
    readonly store: BlocklistStore;
    /**
     * Applies add, remove or promote and returns what happened: in AWS, through the blocklist
     * operator function (the operator's credentials may not write the tables). Throws
     * `ChangeRefused` (or a user error) for a change it refuses.
     */
    readonly change: (request: ChangeRequest) => Promise<string>;
    readonly now: () => number;
    readonly out: (line: string) => void;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");

function status(entry: BlockEntry, now: number): string {
    if (isActive(entry, now)) return `blocked until ${iso(entry.blockedUntil)}`;
    if (entry.suppressedUntil !== undefined && entry.suppressedUntil > now) {
        return `released; not re-blocked before ${iso(entry.suppressedUntil)}`;
    }
    return `expired ${iso(entry.blockedUntil)}`;
}

function checkedRange(target: string, command: BlocklistArgs["command"]) {
    try {
        return rangeOf(target, command === "list" ? "history" : command);
    } catch (err) {
        if (isChangeRefused(err)) throw userError(err.message);
        throw err;
    }
}

/** Runs one parsed command; returns what it printed, line by line, through `deps.out`. */
export async function runBlocklistCommand(args: BlocklistArgs, deps: BlocklistDependencies): Promise<void> {
    const now = deps.now();
    if (args.command === "list") {
        const entries = (await deps.store.all())
            .filter((e) => args.all || isActive(e, now))
            .sort((a, b) => b.blockedUntil - a.blockedUntil || a.cidr.localeCompare(b.cidr));
        if (entries.length === 0) {
            deps.out(
                args.all ? "The blocklist is empty." : "No active entries (--all shows expired and released ones).",
            );
            return;
        }
        for (const e of entries) {
            const offense = e.offenses > 0 ? `offense ${e.offenses}` : "repeat count reset";
            const scope =
                (e.scope ?? "global") === "global"
                    ? "global"
                    : `local to ${(e.locations ?? []).join(" ") || "nowhere"}`;
            deps.out(
                printable(
                    `${e.cidr}  ${status(e, now)}  ${scope}, ${e.source}, ${offense}` +
                        `${e.seenIn.length > 0 ? `, seen in ${e.seenIn.join(" ")}` : ""}  "${e.reason}"  (${e.updatedBy}, ${iso(e.updatedAt)})`,
                ),
            );
        }
        deps.out(`${entries.length} ${args.all ? "entries" : "active entries"}.`);
        return;
    }
    const range = checkedRange(args.target!, args.command);
    if (args.command === "history") {
        const records = await deps.store.history(range.cidr);
        if (records.length === 0) deps.out(`No changes recorded for ${range.cidr}.`);
        for (const r of records) deps.out(printable(`${iso(r.at)}  ${r.action}  by ${r.actor}: "${r.reason}"`));
        return;
    }
    const request: ChangeRequest = {
        command: args.command as ChangeRequest["command"],
        target: range.cidr,
        reason: args.reason!,
        ...(args.minutes === undefined ? {} : { minutes: args.minutes }),
    };
    let message: string;
    try {
        message = await deps.change(request);
    } catch (err) {
        const refusal = isChangeRefused(err) ? err.message : userMessage(err);
        if (refusal === undefined) throw err;
        const hint = /is not blocked;/.test(refusal) ? await coveredBy(range.cidr, deps, now) : "";
        throw userError(`${refusal}${hint}`);
    }
    deps.out(message);
}

/** A user error's message (the operator function's refusal, as the CLI reports it), or undefined. */
function userMessage(err: unknown): string | undefined {
    return (err as { userError?: boolean })?.userError ? (err as Error).message : undefined;
}

/**
 * For remove and promote of a range that is not blocked itself: the active entries that cover it
 * (a prefix the detector or an operator blocked), so "not blocked" does not read as "reachable".
 */
async function coveredBy(cidr: string, deps: BlocklistDependencies, now: number): Promise<string> {
    const covering = (await deps.store.all().catch(() => []))
        .filter((e) => isActive(e, now) && e.cidr !== cidr && allowlisted(cidr, [e.cidr]) !== undefined)
        .map((e) => e.cidr);
    if (covering.length === 0) return "";
    return ` But it is inside the active ${covering.length > 1 ? "entries" : "entry"} ${covering.join(", ")}, which still ${covering.length > 1 ? "block" : "blocks"} it: remove or promote that range instead, or add the address to central-waf-logs:response.allowlist to spare it within the range.`;
}

/** The command as `npm run blocklist` runs it: arguments, the stack's configuration, DynamoDB. */
export async function blocklistMain(argv: readonly string[]): Promise<void> {
    const args = parseBlocklistArgs(argv);
    // Loaded here, after the arguments are read: --help and typos answer at once.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { parseStackConfig } = require("../../config");
    const { PROJECT_ROOT, committedStacks, readStackConfig } = require("./stackFiles");
    const dynamoSdk = require("@aws-sdk/client-dynamodb");
    const lambdaSdk = require("@aws-sdk/client-lambda");
    /* eslint-enable @typescript-eslint/no-require-imports */
    if (!committedStacks().includes(args.stack)) {
        throw userError(
            `--stack ${printable(args.stack)}: there is no Pulumi.${printable(args.stack)}.yaml in ${PROJECT_ROOT}. Fix: give the logging stack's name (stacks here: ${committedStacks().join(", ")}).`,
        );
    }
    const config = parseStackConfig(args.stack, readStackConfig(args.stack));
    if (config.role !== "logging") {
        throw userError(`Stack ${args.stack} is a ${config.role} stack; give the logging stack with --stack.`);
    }
    const region = args.region ?? config.region;
    // A local sandbox takes any key; without AWS credentials in the environment, give it one
    // rather than fail in the SDK's provider chain.
    const localCredentials =
        args.endpoint && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE
            ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } }
            : {};
    const client = new dynamoSdk.DynamoDBClient({
        region,
        ...(args.endpoint ? { endpoint: args.endpoint, ...localCredentials } : {}),
    });
    const lambda = new lambdaSdk.LambdaClient({
        region,
        ...(args.endpoint ? { endpoint: args.endpoint, ...localCredentials } : {}),
    });
    try {
        await runBlocklistCommand(args, {
            store: dynamoBlocklistStore(dynamoSdk, client, { blocklist: args.table, audit: args.auditTable }),
            change: async (request) => {
                const functionUrl = await operatorUrl(lambda);
                return postChange(functionUrl, request, await lambda.config.credentials(), region);
            },
            now: Date.now,
            out: (line) => console.log(line),
        });
    } catch (err: any) {
        if (err?.name === "ResourceNotFoundException") {
            throw userError(
                `Table ${args.table} was not found in ${region}${args.endpoint ? ` at ${args.endpoint}` : ""}: deploy the logging stack with response.mode count or block, or pass --region/--table.`,
            );
        }
        const network = unreachable(err);
        if (network) {
            throw userError(
                args.endpoint
                    ? `Cannot reach DynamoDB at ${args.endpoint} (${network}). Fix: start the sandbox (npm run sandbox) and use the endpoint it prints, or leave out --endpoint to use the table in AWS.`
                    : `Cannot reach DynamoDB in ${region} (${network}). Fix: check the network and --region.`,
            );
        }
        if (err?.name === "CredentialsProviderError") {
            throw userError(
                `No AWS credentials found (${err.message}). Fix: sign in to the logging account (e.g. aws sso login, or set AWS_PROFILE), or pass --endpoint for a local sandbox.`,
            );
        }
        if (err?.name === "AccessDeniedException" || err?.name === "UnrecognizedClientException") {
            throw userError(
                `${err.name}: ${err.message} Fix: use credentials of the logging account with the policy the logging stack exports as blocklistOperatorPolicyArn.`,
            );
        }
        throw err;
    } finally {
        client.destroy();
        lambda.destroy();
    }
}

/** The operator function's URL, as Lambda reports it. */
async function operatorUrl(lambda: { send(command: unknown): Promise<any> }): Promise<string> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lambdaSdk = require("@aws-sdk/client-lambda");
    try {
        const { FunctionUrl } = await lambda.send(
            new lambdaSdk.GetFunctionUrlConfigCommand({ FunctionName: BLOCKLIST_OPERATOR_FUNCTION }),
        );
        return FunctionUrl;
    } catch (err: any) {
        if (err?.name === "ResourceNotFoundException") {
            throw userError(
                `The logging account has no blocklist operator function (${BLOCKLIST_OPERATOR_FUNCTION}) with a URL: changes go through it. Fix: deploy the logging stack with response.mode count or block.`,
            );
        }
        throw err;
    }
}

if (require.main === module) runCli(blocklistMain, { usage: USAGE, help: "npm run blocklist -- --help" });
