/**
 * The local operator sandbox: after `npm start -- --keep` (alias `npm run sandbox`) has run the
 * platform, every stand-in stays up behind one endpoint (tools/local/aws/serviceRouter.ts), with the
 * delivered data, the plan's tables and the blocklist, the failure queues and the Lambda, STS and
 * WAFV2 stand-ins, so the operator tools can be tried against it. It prints the endpoint and
 * ready-to-paste commands, and stops on Ctrl-C (SIGINT) or SIGTERM.
 */
import type { LocalWorld } from "./localRun";
import { ServiceRouter, startServiceRouter } from "./aws/serviceRouter";

/** What an operator needs to reach the world: one endpoint, the environment, the commands. */
export interface SandboxGuide {
    readonly endpoint: string;
    /** `export ...` lines: credentials the stand-ins accept and the logging Region. */
    readonly environment: readonly string[];
    /** Ready-to-paste commands, one per tool, with what each shows. */
    readonly commands: readonly { readonly tool: string; readonly command: string; readonly shows: string }[];
}

/** Starts the router in front of the world's stand-ins. */
export async function routeWorld(world: LocalWorld): Promise<ServiceRouter> {
    const { platform, response } = world;
    return startServiceRouter({
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
export function sandboxGuide(world: LocalWorld, router: ServiceRouter): SandboxGuide {
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
            shows: "the blocklist the detector wrote (add, remove, history work too)",
        },
        ...replays,
        {
            tool: "forensics",
            command: `npm run forensics -- --data ${world.centralCopy} --query top-client-ips`,
            shows: "a named query on the delivered central layout (--html writes the report)",
        },
    ];
    return {
        endpoint,
        // s3rver accepts only its own key; the other stand-ins take any signed request.
        environment: ["export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER", `export AWS_REGION=${region}`],
        commands,
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
    const router = await routeWorld(world);
    try {
        const guide = sandboxGuide(world, router);
        log("\n== Sandbox: the local world keeps running until Ctrl-C\n");
        log(`  one endpoint for every stand-in: ${guide.endpoint}`);
        for (const [service, target] of Object.entries(router.routes).sort()) log(`    ${service.padEnd(9)}${target}`);
        log("\n  In another terminal, in this directory:\n");
        for (const line of guide.environment) log(`    ${line}`);
        for (const { command, shows } of guide.commands) log(`    ${command}\n      # ${shows}`);
        log("");
        await until(guide);
        log("Sandbox stopped; every stand-in closed and the working directory removed.");
    } finally {
        await router.close();
    }
}
