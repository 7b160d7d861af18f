/**
 * `npm run blocklist -- list | add <ip> --reason .. [--minutes N] | remove <ip> --reason .. | history <ip>`
 *
 * The operator's hand on the central blocklist: reads and changes the DynamoDB table the detector
 * writes and the publisher syncs into every WAF IP set, with the user's own credentials (or a
 * local DynamoDB with --endpoint). Every change is conditional on what was read and is appended to
 * the audit table with who (the caller's IAM identity), what, why and when. The allowlist and the
 * block durations are the logging stack's own configuration.
 */
import * as os from "os";
import { BlockEntry, BlockPolicy, auditOf, isActive, operatorBlock, operatorRelease } from "../handlers/blocklist";
import { BlocklistStore, dynamoBlocklistStore } from "../handlers/blocklistStore";
import { allowlisted, parseRange } from "../handlers/ipRange";
import { BLOCKLIST_AUDIT_TABLE, BLOCKLIST_TABLE } from "../names";
import { runCli, usageError, userError } from "./cli";

export const USAGE = `usage: npm run blocklist -- <command> [options]

Reads and changes the central blocklist (the DynamoDB table the detector writes and the publisher
syncs into every account's and Region's WAF IP sets). Every change is audited: who, what, why, when.

commands:
  list                         active entries (--all: every entry, expired and released included)
  add <ip|cidr>                block for --minutes (default: the stack's response.blockMinutes);
                               --reason is required; allowlisted ranges are refused
  remove <ip|cidr>             release now, and keep the detector from blocking it again for
                               --minutes (default 60); --reason is required
  history <ip|cidr>            the audit trail of one range, oldest first

options:
  --reason <text>              why (kept in the entry and the audit trail)
  --minutes <n>                how long, in minutes
  --stack <name>               the logging stack whose Pulumi.<stack>.yaml gives the allowlist,
                               durations and Region (default logging)
  --region <region>            the table's Region (default: the logging stack's)
  --table <name>               default ${BLOCKLIST_TABLE}
  --audit-table <name>         default ${BLOCKLIST_AUDIT_TABLE}
  --endpoint <url>             a local DynamoDB (e.g. http://127.0.0.1:8000) instead of AWS
  --help                       this text

Credentials are the usual AWS ones (AWS_PROFILE, environment, SSO...). The logging stack's output
blocklistOperatorPolicyArn is a managed policy with exactly what this needs.`;

export interface BlocklistArgs {
    readonly command: "list" | "add" | "remove" | "history";
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

const COMMANDS = ["list", "add", "remove", "history"] as const;
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
    if ((command === "add" || command === "remove") && !values["--reason"]?.trim()) {
        throw usageError(`${command} needs --reason "<why>": the audit trail keeps it.`);
    }
    let minutes: number | undefined;
    if (values["--minutes"] !== undefined) {
        minutes = Number(values["--minutes"]);
        if (!Number.isInteger(minutes) || minutes < 1 || minutes > 43_200) {
            throw usageError(`--minutes takes a whole number from 1 to 43200 (30 days), got "${values["--minutes"]}".`);
        }
    }
    return {
        command: command as BlocklistArgs["command"],
        target,
        reason: values["--reason"]?.trim(),
        minutes,
        all,
        stack: values["--stack"] ?? "logging",
        region: values["--region"],
        table: values["--table"] ?? BLOCKLIST_TABLE,
        auditTable: values["--audit-table"] ?? BLOCKLIST_AUDIT_TABLE,
        endpoint: values["--endpoint"],
    };
}

export interface BlocklistDependencies {
    readonly store: BlocklistStore;
    /** The caller's identity, as the audit trail records it. */
    readonly actor: () => Promise<string>;
    readonly now: () => number;
    readonly policy: BlockPolicy;
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

function rangeOf(target: string): { cidr: string; family: "ipv4" | "ipv6" } {
    const range = parseRange(target);
    if ("problem" in range) throw userError(`Cannot use ${target}: ${range.problem}.`);
    return range;
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
            deps.out(
                `${e.cidr}  ${status(e, now)}  ${e.source}, offense ${e.offenses}` +
                    `${e.seenIn.length > 0 ? `, seen in ${e.seenIn.join(" ")}` : ""}  "${e.reason}"  (${e.updatedBy}, ${iso(e.updatedAt)})`,
            );
        }
        deps.out(`${entries.length} ${args.all ? "entries" : "active entries"}.`);
        return;
    }
    const range = rangeOf(args.target!);
    if (args.command === "history") {
        const records = await deps.store.history(range.cidr);
        if (records.length === 0) deps.out(`No changes recorded for ${range.cidr}.`);
        for (const r of records) deps.out(`${iso(r.at)}  ${r.action}  by ${r.actor}: "${r.reason}"`);
        return;
    }
    const actor = await deps.actor();
    for (let attempt = 1; attempt <= 3; attempt++) {
        const existing = await deps.store.get(range.cidr);
        let entry: BlockEntry;
        if (args.command === "add") {
            const protectedBy = allowlisted(range.cidr, deps.policy.allowlist);
            if (protectedBy) {
                await deps.store.audit(
                    auditOf("refuse", { cidr: range.cidr, reason: args.reason! }, actor, now, {
                        allowlisted: protectedBy,
                    }),
                );
                throw userError(
                    `Refused: ${range.cidr} overlaps the allowlisted range ${protectedBy} (central-waf-logs:response.allowlist), which is never blocked. Fix: remove it from the allowlist in Pulumi.<logging stack>.yaml first if it really must be blocked.`,
                );
            }
            entry = operatorBlock(
                existing,
                range,
                args.minutes ?? deps.policy.blockMinutes,
                args.reason!,
                now,
                deps.policy,
                actor,
            );
        } else {
            if (!existing || (!isActive(existing, now) && (existing.suppressedUntil ?? 0) <= now)) {
                throw userError(`${range.cidr} is not blocked; nothing to remove (list shows the active entries).`);
            }
            entry = operatorRelease(existing, args.minutes ?? 60, args.reason!, now, deps.policy, actor);
        }
        if (await deps.store.put(entry)) {
            await deps.store.audit(auditOf(args.command === "add" ? "add" : "release", entry, actor, now, entry));
            deps.out(
                args.command === "add"
                    ? `Blocked ${entry.cidr} until ${iso(entry.blockedUntil)} (offense ${entry.offenses}). The publisher writes it to every IP set within minutes.`
                    : `Released ${entry.cidr}; the detector leaves it alone until ${iso(entry.suppressedUntil!)}. The publisher removes it from every IP set within minutes.`,
            );
            return;
        }
    }
    throw userError(`${range.cidr} kept changing while this command ran (the detector writes it too); run it again.`);
}

async function main(argv: readonly string[]): Promise<void> {
    const args = parseBlocklistArgs(argv);
    // Loaded here, after the arguments are read: --help and typos answer at once.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { parseStackConfig } = require("../config");
    const { readStackConfig } = require("./mockEngine");
    const dynamoSdk = require("@aws-sdk/client-dynamodb");
    const stsSdk = require("@aws-sdk/client-sts");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const config = parseStackConfig(args.stack, readStackConfig(args.stack));
    if (config.role !== "logging") {
        throw userError(`Stack ${args.stack} is a ${config.role} stack; give the logging stack with --stack.`);
    }
    const region = args.region ?? config.region;
    const client = new dynamoSdk.DynamoDBClient({ region, ...(args.endpoint ? { endpoint: args.endpoint } : {}) });
    try {
        await runBlocklistCommand(args, {
            store: dynamoBlocklistStore(dynamoSdk, client, { blocklist: args.table, audit: args.auditTable }),
            actor: async () => {
                if (args.endpoint) return `local:${os.userInfo().username}`;
                const sts = new stsSdk.STSClient({ region });
                try {
                    return (await sts.send(new stsSdk.GetCallerIdentityCommand({}))).Arn;
                } finally {
                    sts.destroy();
                }
            },
            now: Date.now,
            policy: config.response,
            out: (line) => console.log(line),
        });
    } catch (err: any) {
        if (err?.name === "ResourceNotFoundException") {
            throw userError(
                `Table ${args.table} was not found in ${region}${args.endpoint ? ` at ${args.endpoint}` : ""}: deploy the logging stack with response.mode count or block, or pass --region/--table.`,
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
    }
}

if (require.main === module) runCli(main, { usage: USAGE, help: "npm run blocklist -- --help" });
