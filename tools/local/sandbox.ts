/**
 * The local operator sandbox: after `npm start -- --keep` (alias `npm run sandbox`) has run the
 * platform, every stand-in stays up behind one endpoint (tools/local/aws/serviceRouter.ts), with the
 * delivered data, the plan's tables and the blocklist, the failure queues and the Lambda, STS and
 * WAFV2 stand-ins, so the operator tools can be tried against it. For `coverage` it serves the
 * deployed coverage Lambda (with the run's hand-made web ACL that does not log), and for `verify`
 * a Firehose stand-in, the deployed detector behind the Lambda stand-in and a file of the plan's
 * stack outputs (there is no Pulumi CLI to ask). It prints the endpoint and ready-to-paste
 * commands, and stops on Ctrl-C (SIGINT) or SIGTERM.
 */
import * as fs from "fs";
import * as path from "path";
import type { LocalWorld } from "./localRun";
import { FirehoseServer } from "./aws/firehoseServer";
import { ServiceRouter, startServiceRouter } from "./aws/serviceRouter";
import { registerDetector, startCanaryFirehose } from "./localCanary";
import { LocalCoverage, UNMANAGED_WEB_ACL, serveLocalCoverage } from "./localCoverage";

/** What an operator needs to reach the world: one endpoint, the environment, the commands. */
export interface SandboxGuide {
    readonly endpoint: string;
    /** `export ...` lines: credentials the stand-ins accept and the logging Region. */
    readonly environment: readonly string[];
    /** Ready-to-paste commands, one per tool, with what each shows. */
    readonly commands: readonly { readonly tool: string; readonly command: string; readonly shows: string }[];
}

/** What the sandbox serves beside the finished run, for `npm run coverage` and `npm run verify`. */
export interface SandboxExtras {
    readonly coverage: LocalCoverage;
    /** Absent when response.mode is off: the canary's athena hop has no Athena to ask. */
    readonly firehose?: FirehoseServer;
    /** `{ <stack>: <outputs> }` for every planned stack, as `pulumi stack output --json` prints each. */
    readonly outputsFile: string;
    close(): Promise<void>;
}

/** Serves the coverage Lambda, and for the canary a Firehose stand-in, the detector and the outputs file. */
export async function startSandboxExtras(world: LocalWorld): Promise<SandboxExtras> {
    const { runs, platform, response } = world;
    const coverage = await serveLocalCoverage(runs, platform.lambda, () => undefined);
    let firehose: FirehoseServer | undefined;
    if (response) {
        firehose = await startCanaryFirehose(runs, platform, world.centralCopy);
        registerDetector(runs, platform, response);
        // Operators' changes go through the operator function's URL, as in AWS.
        const operator = response.operatorFunction;
        if (operator) {
            platform.lambda.register(operator.arn, operator.handler, {
                timeoutSeconds: operator.timeoutSeconds,
                functionUrl: true,
            });
        }
    }
    const outputsFile = path.join(world.workDir, "stack-outputs.json");
    fs.writeFileSync(outputsFile, JSON.stringify(Object.fromEntries(runs.map((r) => [r.stack, r.outputs])), null, 2));
    return {
        coverage,
        firehose,
        outputsFile,
        async close() {
            await firehose?.settle().catch(() => undefined);
            await Promise.all([firehose?.close(), coverage.close()]);
        },
    };
}

/** Starts the router in front of the world's stand-ins (and the extras' Firehose). */
export async function routeWorld(world: LocalWorld, extras?: SandboxExtras): Promise<ServiceRouter> {
    const { platform, response } = world;
    return startServiceRouter({
        ...(extras?.firehose ? { firehose: extras.firehose.url } : {}),
        s3: platform.s3.endpoint,
        sqs: platform.sqs.url,
        lambda: platform.lambda.url,
        ...(platform.search ? { es: platform.search.url } : {}),
        ...(response
            ? {
                  dynamodb: response.dynamo.endpoint,
                  sts: response.sts.url,
                  wafv2: response.waf.url,
                  athena: response.athena.url,
              }
            : {}),
    });
}

/** The endpoint, environment and commands that work against `world` through `router`. */
export function sandboxGuide(world: LocalWorld, router: ServiceRouter, extras?: SandboxExtras): SandboxGuide {
    const logging = world.runs.find((r) => r.config["central-waf-logs:role"] === "logging")!;
    const region: string = logging.outputs.region ?? logging.config["central-waf-logs:region"];
    const endpoint = router.url;
    // Local queue URLs name no Region, and a queue answers only in its own: one command per Region.
    const regionOf = new Map(world.platform.subscriptions.map((s) => [s.functionName, s.region]));
    const queuesByRegion = new Map<string, string[]>([[region, []]]);
    for (const q of world.platform.failureQueues) {
        const where = regionOf.get(q.functionName) ?? region;
        queuesByRegion.set(where, [...(queuesByRegion.get(where) ?? []), q.queueUrl]);
    }
    const replays = [...queuesByRegion].map(([where, urls]) => ({
        tool: "replay",
        command: [
            `npm run replay -- --endpoint ${endpoint} --region ${where}`,
            ...urls.map((u) => `--queue ${u}`),
            ...(where === region ? [`--errors ${logging.outputs.centralBucketName}`] : []),
        ].join(" "),
        shows:
            where === region
                ? `re-drives the failure queues in ${where} and the parked objects`
                : `re-drives the failure queues in ${where}`,
    }));
    const commands = [
        {
            tool: "blocklist",
            command: `npm run blocklist -- list --endpoint ${endpoint}`,
            shows: "the blocklist the detector wrote (add, remove and promote go through the operator function; history works too)",
        },
        ...replays,
        {
            tool: "forensics",
            command: `npm run forensics -- --data ${world.centralCopy} --query top-client-ips`,
            shows: "a named query on the delivered central layout (--html writes the report)",
        },
        ...(extras
            ? [
                  {
                      tool: "coverage",
                      command: `npm run coverage -- --endpoint ${endpoint}`,
                      shows: `the deployed coverage scan: every planned web ACL covered, ${UNMANAGED_WEB_ACL} (made by hand) not logging`,
                  },
              ]
            : []),
        ...(extras?.firehose
            ? [verifyCommand(world, endpoint, extras.outputsFile, Boolean(world.platform.search))]
            : []),
    ];
    return {
        endpoint,
        // s3rver accepts only its own key; the other stand-ins take any signed request.
        environment: ["export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER", `export AWS_REGION=${region}`],
        commands,
    };
}

/** The canary through the first regional resource stack's Firehose stream, with the plan's outputs. */
function verifyCommand(world: LocalWorld, endpoint: string, outputsFile: string, standInSearch: boolean) {
    const stack = world.runs.find(
        (r) => r.config["central-waf-logs:role"] === "resource" && r.outputs.region !== "global",
    )!.stack;
    return {
        tool: "verify",
        command: [
            `npm run verify -- --stack ${stack} --endpoint ${endpoint}`,
            // The search stand-in answers through the router too (requests signed for "es").
            ...(standInSearch ? [`--search-url ${endpoint}`] : []),
            `--outputs ${outputsFile} --timeout 60`,
        ].join(" "),
        shows: `a canary record through ${stack}'s Firehose stream, hop by hop to the index, Athena and the detector`,
    };
}

/** Resolves on the first SIGINT or SIGTERM. */
function nextStopSignal(): Promise<NodeJS.Signals> {
    return new Promise((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
            resolve(signal);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
    });
}

/**
 * Keeps `world` serving until `until` resolves (by default the next SIGINT or SIGTERM), printing
 * how to reach it; then closes the router (the run closes the stand-ins).
 */
export async function holdWorld(
    world: LocalWorld,
    log: (line: string) => void,
    until: (guide: SandboxGuide) => Promise<unknown> = () => nextStopSignal(),
): Promise<void> {
    const extras = await startSandboxExtras(world);
    const router = await routeWorld(world, extras).catch(async (err) => {
        await extras.close();
        throw err;
    });
    try {
        const guide = sandboxGuide(world, router, extras);
        log("\n== Sandbox: the local world keeps running until Ctrl-C\n");
        log(`  one endpoint for every stand-in: ${guide.endpoint}`);
        for (const [service, target] of Object.entries(router.routes).sort()) log(`    ${service.padEnd(9)}${target}`);
        log("\n  In another terminal, in this directory:\n");
        for (const line of guide.environment) log(`    ${line}`);
        for (const { command, shows } of guide.commands) log(`    ${command}\n      # ${shows}`);
        // The working directory goes when the sandbox stops: the report can be opened until then.
        log(`\n  The run's HTML report, with what it blocked (until Ctrl-C): ${world.summary.reportPath}`);
        log("");
        await until(guide);
        log("Sandbox stopped; every stand-in closed and the working directory removed.");
    } finally {
        await router.close();
        await extras.close();
    }
}
