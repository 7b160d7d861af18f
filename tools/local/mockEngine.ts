/**
 * Runs the real Pulumi program for one committed stack under Pulumi's mock engine, with no
 * CLI and no cloud: the stack's own Pulumi.<stack>.yaml is the configuration, every resource
 * registration is recorded (type, name, parent, provider, inputs), StackReferences are answered
 * from other stacks' recorded outputs, and any invoke without a mock throws.
 *
 * Used by `npm start` (the plan), the policy gate and the tests, so all three see the same thing.
 */
import { createHash } from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { PROJECT } from "../../config";
import { wafHomeOf } from "../../layout";
import { ORGANIZATION, PROJECT_ROOT, committedStacks, qualifiedStackName, readStackConfig } from "../cli/stackFiles";
import { cacheRerunCosts, withPlainStackTraces } from "./rerunCosts";

export {
    ORGANIZATION,
    PROJECT_ROOT,
    committedStacks,
    parseStackFile,
    qualifiedStackName,
    readStackConfig,
} from "../cli/stackFiles";

export interface RecordedResource {
    readonly urn: string;
    /** The ID the mock returned (`<name>-id`; a StackReference's is the stack's name). */
    readonly id: string;
    readonly type: string;
    readonly name: string;
    /** URN of the parent, undefined for the stack's top-level resources. */
    readonly parent?: string;
    /** Provider reference (`<urn>::<id>`); undefined when none was given (the default provider). */
    readonly provider?: string;
    readonly custom: boolean;
    /** URNs this resource depends on (`dependsOn` and the resources its inputs came from). */
    readonly dependsOn: readonly string[];
    /** Per input property, the URNs its value came from. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** Input properties whose changes the engine ignores (`ignoreChanges`). */
    readonly ignoreChanges: readonly string[];
    readonly inputs: Record<string, any>;
    /** The state the mock returned (inputs plus provider-computed fields). */
    readonly state: Record<string, any>;
}

export interface RecordedInvoke {
    readonly token: string;
    readonly inputs: Record<string, any>;
    readonly provider?: string;
}

export interface ProgramRun {
    readonly stack: string;
    readonly config: Readonly<Record<string, string>>;
    readonly resources: readonly RecordedResource[];
    readonly invokes: readonly RecordedInvoke[];
    readonly outputs: Record<string, any>;
    /** Fully qualified names of the stacks this one read through a StackReference. */
    readonly references: readonly string[];
}

export interface RunOptions {
    /** Config to set (full `<project>:<key>` names) on top of the stack file; undefined removes a key. */
    readonly configOverrides?: Readonly<Record<string, string | undefined>>;
    /** Outputs returned to StackReferences, by fully qualified stack name. */
    readonly stackOutputs?: Readonly<Record<string, Record<string, unknown>>>;
    /** The program to run. Default: the project's index.ts. */
    readonly entrypoint?: string;
    /**
     * What AWS holds before the deployment: web ACL ARN → the destinations of its current logging
     * configuration. Default: no web ACL has one (the plan of a first deployment).
     */
    readonly loggingConfigurations?: Readonly<Record<string, readonly string[]>>;
}

/** The invokes the program makes, answered as the AWS provider would from `options`' state of AWS. */
function mockedCall(token: string, inputs: Record<string, any>, options: RunOptions): Record<string, unknown> {
    if (
        token === "aws:cloudcontrol/getResource:getResource" &&
        inputs.typeName === "AWS::WAFv2::LoggingConfiguration"
    ) {
        const destinations = options.loggingConfigurations?.[inputs.identifier];
        if (!destinations) {
            // The provider's words for Cloud Control's ResourceNotFoundException (its cloudcontrol data
            // source), as a gRPC error: the SDK rethrows an invoke's failure from its `details`.
            const message = `invocation of ${token} returned an error: reading Cloud Control API (${inputs.typeName}) Resource (${inputs.identifier}): couldn't find resource`;
            throw Object.assign(new Error(message), { details: message });
        }
        const properties = { ResourceArn: inputs.identifier, LogDestinationConfigs: destinations };
        return { ...inputs, id: inputs.identifier, region: "", properties: JSON.stringify(properties) };
    }
    throw new Error(`Unmocked invoke ${token}: add a mock to tools/local/mockEngine.ts if the program needs it.`);
}

/** Runs the program once for `stack`; rejects with the program's own error if it fails. */
export async function runProgram(stack: string, options: RunOptions = {}): Promise<ProgramRun> {
    cacheRerunCosts();
    return withPlainStackTraces(() => runOnce(stack, options));
}

async function runOnce(stack: string, options: RunOptions): Promise<ProgramRun> {
    const config = applyOverrides(readStackConfig(stack), options.configOverrides);
    const resources: RecordedResource[] = [];
    const invokes: RecordedInvoke[] = [];
    const references: string[] = [];
    const states = new MockState(stack, config);

    pulumi.runtime.setAllConfig(config);
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                if (args.type === "pulumi:pulumi:StackReference") {
                    const name = String(args.inputs.name);
                    references.push(name);
                    const outputs = options.stackOutputs?.[name];
                    if (!outputs) throw new Error(`No outputs recorded for referenced stack ${name}.`);
                    return { id: name, state: { name, outputs, secretOutputNames: [] } };
                }
                return { id: `${args.name}-id`, state: states.stateFor(args.type, args.name, args.inputs) };
            },
            call(args) {
                invokes.push({ token: args.token, inputs: args.inputs, provider: args.provider });
                return mockedCall(args.token, args.inputs, options);
            },
        },
        PROJECT,
        stack,
        false,
        ORGANIZATION,
    );
    recordRegistrations(resources);

    forgetProjectModules();
    const waitForRPCs = () => (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    const run = async () => {
        let exported: unknown;
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            exported = await require(options.entrypoint ?? path.join(PROJECT_ROOT, "index.ts"));
        } catch (err) {
            // A program that fails half-way (a component refusing its args after its siblings
            // started registering) still has registrations in flight: let them land here, not in
            // the next run's mock monitor, where their parents are unknown.
            await waitForRPCs().catch(() => undefined);
            throw err;
        }
        const outputs = await resolveDeep(exported);
        // Registrations the outputs did not depend on may still be in flight: let them land. A
        // component's registerOutputs starts its RPC only once its outputs resolve, which can be after
        // the last RPC settled (its children wait on dependencies): settle a few rounds, or the late
        // call would reach the next run's mock monitor ("unknown resource").
        for (let round = 0; round < 5; round++) {
            await waitForRPCs();
            await new Promise((resolve) => setImmediate(resolve));
        }
        return { stack, config, resources, invokes, outputs, references };
    };
    // A registration that fails (a Lambda callback that cannot be serialized, say) rejects a
    // promise nothing awaits, and the run would never settle: fail the run with that error instead.
    let failRun: (reason: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (failRun = reject));
    const onRejection = (reason: unknown) => failRun(reason);
    process.on("unhandledRejection", onRejection);
    try {
        return await Promise.race([run(), failed]);
    } finally {
        process.off("unhandledRejection", onRejection);
    }
}

/**
 * Runs every committed stack in deploy order, feeding each resource stack the logging stack's
 * recorded outputs, so the wiring between stacks is exercised end to end.
 */
export async function runAllStacks(): Promise<ProgramRun[]> {
    const runs: ProgramRun[] = [];
    const stackOutputs: Record<string, Record<string, unknown>> = {};
    for (const stack of committedStacks()) {
        const run = await runProgram(stack, { stackOutputs });
        stackOutputs[qualifiedStackName(stack)] = run.outputs;
        runs.push(run);
    }
    return runs;
}

function applyOverrides(
    config: Record<string, string>,
    overrides: RunOptions["configOverrides"] = {},
): Record<string, string> {
    const result = { ...config };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) delete result[key];
        else result[key] = value;
    }
    return result;
}

/** Wraps the mock monitor to see what MockResourceArgs omits: the parent and the URN. */
function recordRegistrations(resources: RecordedResource[]): void {
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: unknown, res: any) => void) =>
        register(req, (err: unknown, res: any) => {
            if (!err) {
                resources.push({
                    urn: res.getUrn(),
                    id: res.getId(),
                    type: req.getType(),
                    name: req.getName(),
                    parent: req.getParent() || undefined,
                    provider: req.getProvider() || undefined,
                    custom: req.getCustom(),
                    dependsOn: req.getDependenciesList(),
                    propertyDependencies: propertyDependenciesOf(req),
                    ignoreChanges: req.getIgnorechangesList(),
                    inputs: decodeProviderInputs(req.getType(), deserializeProperties(req.getObject())),
                    state: deserializeProperties(res.getObject()),
                });
            }
            callback(err, res);
        });
}

function propertyDependenciesOf(req: any): Record<string, string[]> {
    const result: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
        result[key] = deps.getUrnsList();
    });
    return result;
}

/** Providers receive structured settings as JSON text; decode them so tests compare values. */
function decodeProviderInputs(type: string, inputs: Record<string, any>): Record<string, any> {
    if (!type.startsWith("pulumi:providers:")) return inputs;
    return Object.fromEntries(
        Object.entries(inputs).map(([key, value]) => {
            if (typeof value !== "string" || !/^[[{]/.test(value)) return [key, value];
            try {
                return [key, JSON.parse(value)];
            } catch {
                return [key, value];
            }
        }),
    );
}

/** Drops the project's own modules so the next `require` runs the program afresh. */
function forgetProjectModules(): void {
    for (const file of Object.keys(require.cache)) {
        if (file.startsWith(PROJECT_ROOT) && !file.includes(`${path.sep}node_modules${path.sep}`)) {
            delete require.cache[file];
        }
    }
}

async function resolveDeep(value: unknown): Promise<any> {
    return new Promise((resolve) => pulumi.output(value as pulumi.Input<any>).apply((v) => resolve(v)));
}

/**
 * Provider-computed fields the program reads (ARNs, physical names, IDs). Mocks have no
 * provider, so they are derived here from the stack's account and Region.
 */
class MockState {
    private readonly account: string;
    private readonly region: string;
    /** Stands in for the random suffix of auto-names; differs per stack, as real names do. */
    private readonly suffix: string;

    constructor(stack: string, config: Readonly<Record<string, string>>) {
        this.suffix = createHash("sha1").update(stack).digest("hex").slice(0, 7);
        this.account = config[`${PROJECT}:accountId`] ?? "000000000000";
        // A `global` (CloudFront) stack's resources live in us-east-1.
        this.region = wafHomeOf(config[`${PROJECT}:region`] ?? "us-east-1").region;
    }

    stateFor(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
        const { account, region } = this;
        const physical = inputs.name ?? `${name}-${this.suffix}`;
        const extra: Record<string, any> = {};
        switch (type) {
            case "aws:s3/bucket:Bucket": {
                const bucket = inputs.bucket ?? `${name}-${this.suffix}`;
                Object.assign(extra, { bucket, arn: `arn:aws:s3:::${bucket}`, region });
                break;
            }
            case "aws:kms/key:Key":
                Object.assign(extra, {
                    keyId: `${name}-key-id`,
                    arn: `arn:aws:kms:${region}:${account}:key/${name}-key-id`,
                });
                break;
            case "aws:iam/role:Role":
                Object.assign(extra, { name: physical, arn: `arn:aws:iam::${account}:role/${physical}` });
                break;
            case "aws:iam/policy:Policy":
                Object.assign(extra, { name: physical, arn: `arn:aws:iam::${account}:policy/${physical}` });
                break;
            case "aws:lambda/function:Function":
                Object.assign(extra, {
                    name: physical,
                    arn: `arn:aws:lambda:${region}:${account}:function:${physical}`,
                    invokeArn: `arn:aws:apigateway:${region}:lambda:path/functions/${physical}/invocations`,
                });
                break;
            case "aws:cloudwatch/logGroup:LogGroup":
                Object.assign(extra, {
                    name: physical,
                    arn: `arn:aws:logs:${region}:${account}:log-group:${physical}`,
                });
                break;
            case "aws:opensearch/domain:Domain":
                Object.assign(extra, {
                    arn: `arn:aws:es:${region}:${account}:domain/${inputs.domainName}`,
                    endpoint: `vpc-${inputs.domainName}-${this.suffix}.${region}.es.amazonaws.com`,
                });
                break;
            case "aws:dynamodb/table:Table": {
                const arn = `arn:aws:dynamodb:${region}:${account}:table/${physical}`;
                Object.assign(extra, {
                    name: physical,
                    arn,
                    streamArn: inputs.streamEnabled ? `${arn}/stream/2026-11-01T00:00:00.000` : undefined,
                });
                break;
            }
            case "aws:wafv2/ipSet:IpSet":
            case "aws:wafv2/webAcl:WebAcl":
            case "aws:wafv2/ruleGroup:RuleGroup": {
                // CLOUDFRONT-scope ARNs say `global`, REGIONAL ones `regional`.
                const scope = inputs.scope === "CLOUDFRONT" ? "global" : "regional";
                const kind = type.split("/")[1].split(":")[0].toLowerCase();
                extra.arn = `arn:aws:wafv2:${region}:${account}:${scope}/${kind}/${physical}/${name}-id`;
                break;
            }
            case "aws:quicksight/dataSet:DataSet":
                extra.arn = `arn:aws:quicksight:${region}:${account}:dataset/${inputs.dataSetId}`;
                break;
            case "aws:ec2/vpcEndpoint:VpcEndpoint":
                Object.assign(extra, { prefixListId: "pl-63a5400a" });
                break;
            case "aws:sqs/queue:Queue":
                Object.assign(extra, {
                    name: physical,
                    arn: `arn:aws:sqs:${region}:${account}:${physical}`,
                    url: `https://sqs.${region}.amazonaws.com/${account}/${physical}`,
                });
                break;
            case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
                Object.assign(extra, {
                    name: physical,
                    arn: `arn:aws:firehose:${region}:${account}:deliverystream/${physical}`,
                });
                break;
            case "aws:sns/topic:Topic":
                Object.assign(extra, { name: physical, arn: `arn:aws:sns:${region}:${account}:${physical}` });
                break;
            case "aws:cloudwatch/eventBus:EventBus":
                Object.assign(extra, {
                    name: physical,
                    arn: `arn:aws:events:${region}:${account}:event-bus/${physical}`,
                });
                break;
            case "aws:cloudwatch/eventRule:EventRule": {
                const bus = inputs.eventBusName && inputs.eventBusName !== "default" ? `${inputs.eventBusName}/` : "";
                Object.assign(extra, {
                    name: physical,
                    arn: `arn:aws:events:${region}:${account}:rule/${bus}${physical}`,
                });
                break;
            }
            case "aws:cloudwatch/metricAlarm:MetricAlarm":
                Object.assign(extra, {
                    name: physical,
                    arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${physical}`,
                });
                break;
            // awsx components are remote: under mocks they have no children, only these outputs.
            case "awsx:ec2:Vpc":
                Object.assign(extra, {
                    vpcId: `vpc-${name}`,
                    publicSubnetIds: [`subnet-${name}-public-a`, `subnet-${name}-public-b`],
                    privateSubnetIds: [`subnet-${name}-private-a`, `subnet-${name}-private-b`],
                    isolatedSubnetIds: [
                        `subnet-${name}-isolated-a`,
                        `subnet-${name}-isolated-b`,
                        `subnet-${name}-isolated-c`,
                    ],
                    routeTables: [{ id: `rtb-${name}-a` }, { id: `rtb-${name}-b` }],
                });
                break;
            case "awsx:lb:ApplicationLoadBalancer":
                Object.assign(extra, {
                    loadBalancer: {
                        arn: `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/0123456789abcdef`,
                        dnsName: `${name}-123456789.${region}.elb.amazonaws.com`,
                    },
                });
                break;
            default:
                extra.arn = `arn:aws:${type.split(":")[1]?.split("/")[0] ?? "mock"}:${region}:${account}:${name}`;
        }
        return { ...inputs, ...extra };
    }
}
