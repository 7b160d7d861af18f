/**
 * Deploy order and prerequisites as code, on every committed stack's plan: a resource whose input
 * names another resource of its stack depends on it; the prerequisites AWS checks at creation are
 * explicit dependencies; and policies name only roles that exist when they are created.
 */
import * as assert from "assert";
import { functionSource } from "../tools/local/deployedCode";
import { dependencyClosure, principalsOutsideStack, undeclaredReferences } from "../tools/local/deployOrder";
import { trustAdmits } from "../tools/local/localResponse";
import { ProgramRun, RecordedResource } from "../tools/local/mockEngine";
import { sqlStatementsIn, tablesNamedBy } from "../tools/local/planSql";
import { committedRun, committedRuns, ofType, only } from "./support/program";

const dependsOn = (run: ProgramRun, resource: RecordedResource, other: RecordedResource) =>
    dependencyClosure(run).get(resource.urn)?.has(other.urn) ?? false;

/** The run with one resource's recorded dependencies replaced. */
function withDependencies(run: ProgramRun, resource: RecordedResource, dependsOnUrns: string[]): ProgramRun {
    const changed: RecordedResource = { ...resource, dependsOn: dependsOnUrns, propertyDependencies: {} };
    return { ...run, resources: run.resources.map((r) => (r === resource ? changed : r)) };
}

/**
 * Tables named by the SQL of each deploy-time invocation (read from its function's deployed code)
 * that the invocation neither creates nor depends on.
 */
async function sqlOrderProblems(run: ProgramRun): Promise<string[]> {
    const problems: string[] = [];
    for (const invocation of ofType(run, "aws:lambda/invocation:Invocation")) {
        const fn = run.resources.find(
            (r) => r.type === "aws:lambda/function:Function" && r.state.name === invocation.inputs.functionName,
        );
        assert.ok(fn, `no function ${invocation.inputs.functionName}`);
        const statements = sqlStatementsIn(await functionSource(fn), fn.inputs.environment?.variables ?? {});
        const created = new Set(statements.flatMap((sql) => tablesNamedBy(sql).creates));
        for (const table of new Set(statements.flatMap((sql) => tablesNamedBy(sql).uses))) {
            if (created.has(table)) continue;
            const glue = ofType(run, "aws:glue/catalogTable:CatalogTable").find((t) => t.inputs.name === table);
            if (!glue)
                problems.push(`${invocation.name} runs SQL naming ${table}, which no resource of ${run.stack} creates`);
            else if (!dependsOn(run, invocation, glue)) {
                problems.push(`${invocation.name} runs SQL naming ${table} before ${glue.name} exists`);
            }
        }
    }
    return problems;
}

describe("deploy order and prerequisites", () => {
    let runs: ProgramRun[];
    let logging: ProgramRun;
    before(async () => {
        runs = await committedRuns();
        logging = await committedRun("logging");
    });

    it("no resource of any committed stack names another resource of its stack without depending on it", () => {
        for (const run of runs) assert.deepStrictEqual(undeclaredReferences(run), [], run.stack);
    });

    it("finds a reference whose dependency is missing, and ignores a policy condition's forward reference", () => {
        const notification = only(logging, "aws:s3/bucketNotification:BucketNotification");
        const bucket = only(logging, "aws:s3/bucket:Bucket", "central-waf-logs-bucket");
        // The notification names the bucket and the loader's ARN; with no recorded edges it depends on neither.
        const hostile = withDependencies(logging, notification, []);
        assert.deepStrictEqual(
            undeclaredReferences(hostile)
                .filter((u) => u.resource.endsWith("::search-loader-notification"))
                .map((u) => [u.resource, u.input, u.names]),
            [
                [
                    "aws:s3/bucketNotification:BucketNotification::search-loader-notification",
                    "bucket",
                    "aws:s3/bucket:Bucket::central-waf-logs-bucket",
                ],
                [
                    "aws:s3/bucketNotification:BucketNotification::search-loader-notification",
                    "lambdaFunctions[0].lambdaFunctionArn",
                    "aws:lambda/function:Function::search-loader-function",
                ],
            ],
        );
        assert.ok(dependsOn(logging, notification, bucket));
        // The log delivery policy names the domain only in its aws:SourceArn condition: not a dependency
        // (the domain must come after the policy, not before).
        const delivery = only(logging, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy");
        assert.match(delivery.inputs.policyDocument, /domain\/central-waf-logs/);
        assert.deepStrictEqual(
            undeclaredReferences(withDependencies(logging, delivery, [])).filter((u) => u.names.includes("Domain")),
            [],
        );
    });

    it("creates the OpenSearch domain after the log resource policy that lets it publish its logs", () => {
        for (const run of runs) {
            for (const domain of ofType(run, "aws:opensearch/domain:Domain")) {
                const groups: string[] = (domain.inputs.logPublishingOptions ?? []).map(
                    (o: any) => o.cloudwatchLogGroupArn,
                );
                assert.ok(groups.length > 0, "the domain publishes its logs");
                const policies = ofType(run, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy").filter((p) => {
                    const doc = JSON.parse(p.inputs.policyDocument);
                    return doc.Statement.some(
                        (s: any) =>
                            s.Principal?.Service === "es.amazonaws.com" &&
                            groups.every((g) => [s.Resource].flat().includes(`${g}:*`)),
                    );
                });
                assert.strictEqual(policies.length, 1, "one policy admits the domain's log delivery");
                assert.ok(dependsOn(run, domain, policies[0]), `${domain.name} must depend on ${policies[0].name}`);
            }
        }
    });

    it("runs deploy-time SQL only after every table it names exists", async () => {
        for (const run of runs) assert.deepStrictEqual(await sqlOrderProblems(run), [], run.stack);
        // It does check: without its recorded edges, the DDL invocation runs before the raw table exists.
        const invocation = only(logging, "aws:lambda/invocation:Invocation", "analytics-ddl-apply");
        const fn = only(logging, "aws:lambda/function:Function", "analytics-ddl-function");
        assert.deepStrictEqual(await sqlOrderProblems(withDependencies(logging, invocation, [fn.urn])), [
            "analytics-ddl-apply runs SQL naming waf_logs_raw before analytics-raw-table exists",
        ]);
    });

    it("puts each bucket notification after the permission that lets S3 invoke its function", () => {
        for (const run of runs) {
            for (const notification of ofType(run, "aws:s3/bucketNotification:BucketNotification")) {
                const bucket = run.resources.find(
                    (r) => r.type === "aws:s3/bucket:Bucket" && r.state.bucket === notification.inputs.bucket,
                );
                assert.ok(bucket);
                for (const target of notification.inputs.lambdaFunctions ?? []) {
                    const permission = ofType(run, "aws:lambda/permission:Permission").find((p) => {
                        const fn = run.resources.find(
                            (r) =>
                                r.type === "aws:lambda/function:Function" && r.state.arn === target.lambdaFunctionArn,
                        );
                        return (
                            p.inputs.principal === "s3.amazonaws.com" &&
                            p.inputs.sourceArn === bucket.state.arn &&
                            (p.inputs.function === fn?.state.name || p.inputs.function === fn?.state.arn)
                        );
                    });
                    assert.ok(permission, `${run.stack}: no permission for ${target.lambdaFunctionArn}`);
                    assert.ok(dependsOn(run, notification, permission), `${notification.name} -> ${permission.name}`);
                }
            }
        }
    });

    it("names in trust and resource policies only roles the same stack creates; others as account root with aws:PrincipalArn", () => {
        for (const run of runs) assert.deepStrictEqual(principalsOutsideStack(run), [], run.stack);
    });

    it("finds a trust policy that names a role of another stack or account", () => {
        const role = only(logging, "aws:iam/role:Role", "search-loader-role");
        const hostile: RecordedResource = {
            ...role,
            inputs: {
                ...role.inputs,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { AWS: ["arn:aws:iam::999999999999:role/elsewhere"] },
                            Action: "sts:AssumeRole",
                        },
                    ],
                }),
            },
        };
        const run = { ...logging, resources: logging.resources.map((r) => (r === role ? hostile : r)) };
        assert.deepStrictEqual(
            principalsOutsideStack(run).filter((p) => p.resource.endsWith("search-loader-role")),
            [
                {
                    resource: "aws:iam/role:Role::search-loader-role",
                    input: "assumeRolePolicy",
                    principal: "arn:aws:iam::999999999999:role/elsewhere",
                },
            ],
        );
    });
});

describe("the local STS stand-in judges trust as IAM does (IAM JSON policy elements: Principal, Condition)", () => {
    const role = "arn:aws:iam::111111111111:role/central-waf-logs-blocklist-publisher";
    const allow = (principal: string, condition?: Record<string, Record<string, string[]>>) => ({
        Effect: "Allow",
        Action: "sts:AssumeRole",
        Resource: [],
        Principal: { AWS: principal },
        ...(condition ? { Condition: condition } : {}),
    });

    it("admits a role named as principal, or its account root with aws:PrincipalArn naming it", () => {
        assert.ok(trustAdmits(allow(role), role));
        assert.ok(
            trustAdmits(allow("arn:aws:iam::111111111111:root", { ArnEquals: { "aws:PrincipalArn": [role] } }), role),
        );
        assert.ok(trustAdmits(allow("arn:aws:iam::111111111111:root"), role), "root alone admits the account");
    });

    it("refuses another role of the account, another account, a Deny, and conditions it does not model", () => {
        const other = "arn:aws:iam::111111111111:role/intruder";
        const rootOnly = allow("arn:aws:iam::111111111111:root", { ArnEquals: { "aws:PrincipalArn": [role] } });
        assert.ok(!trustAdmits(rootOnly, other));
        assert.ok(!trustAdmits(allow("arn:aws:iam::999999999999:root"), role));
        assert.ok(!trustAdmits({ ...allow(role), Effect: "Deny" }, role));
        assert.ok(
            !trustAdmits(
                allow("arn:aws:iam::111111111111:root", { StringEquals: { "aws:PrincipalTag/x": ["y"] } }),
                role,
            ),
        );
    });
});
