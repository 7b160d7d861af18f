/**
 * Storage classes the readers can read, derived from the plan: what the Glue tables, the Iceberg
 * table and the view read (their locations, projection templates and the deploy-time SQL), against
 * the lifecycle rules of the buckets they read from.
 *
 * AWS documentation: "Query restored Amazon S3 Glacier objects" (Athena): Athena skips objects in
 * S3 Glacier Flexible Retrieval and Deep Archive, reads restored objects only for Hive tables, and
 * reads S3 Glacier Instant Retrieval like Standard. "Transitioning objects using Amazon S3
 * Lifecycle": an object stays 30 days in Standard-IA before a rule moves it to a Glacier class.
 */
import * as assert from "assert";
import { ATHENA_COMPACTION_WORKGROUP, ATHENA_DATABASE } from "../names";
import { MIN_RAW_EXPIRE_DAYS } from "../config";
import { functionSource } from "../tools/local/deployedCode";
import { ProgramRun, RecordedResource } from "../tools/local/mockEngine";
import { sqlStatementsIn } from "../tools/local/planSql";
import { ReadLocation, glueTableLocations, sqlReadLocations, storageProblems } from "../tools/local/readableStorage";
import { committedRun, committedRuns, failureOf, ofType, only, policyDocument } from "./support/program";

/** What every table and view of a plan reads: its Glue tables, and what its deploy-time SQL creates. */
export async function readLocations(run: ProgramRun): Promise<ReadLocation[]> {
    const glue = glueTableLocations(run);
    const statements: string[] = [];
    for (const invocation of ofType(run, "aws:lambda/invocation:Invocation")) {
        const fn = run.resources.find(
            (r) => r.type === "aws:lambda/function:Function" && r.state.name === invocation.inputs.functionName,
        );
        assert.ok(fn, `no function ${invocation.inputs.functionName} for ${invocation.name}`);
        statements.push(...sqlStatementsIn(await functionSource(fn), fn.inputs.environment?.variables ?? {}));
    }
    return [...glue, ...sqlReadLocations(statements, glue)];
}

/** The run with the central bucket's lifecycle rules replaced. */
function withCentralRules(run: ProgramRun, rules: unknown[]): ProgramRun {
    const lifecycle = only(
        run,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "central-waf-logs-lifecycle",
    );
    const changed: RecordedResource = { ...lifecycle, inputs: { ...lifecycle.inputs, rules } };
    return { ...run, resources: run.resources.map((r) => (r === lifecycle ? changed : r)) };
}

describe("storage classes the readers can read", () => {
    let run: ProgramRun;
    let locations: ReadLocation[];
    let bucket: string;
    before(async () => {
        run = await committedRun("logging");
        bucket = run.outputs.centralBucketName;
        locations = await readLocations(run);
    });

    it("derives what the tables read: each writer's stream prefixes, the Iceberg location, and the view over both", () => {
        const raw = locations.filter((l) => l.reader === "Glue table waf_logs_raw");
        // The projection's enums: 2 accounts x 4 Regions (global included) x 4 streams.
        assert.strictEqual(raw.length, 32);
        assert.ok(
            raw.some(
                (l) =>
                    l.bucket === bucket &&
                    l.prefix === "222222222222/us-east-1/aws-waf-logs-central-us-east-1/" &&
                    !l.iceberg,
            ),
        );
        assert.deepStrictEqual(
            locations.filter((l) => l.iceberg && l.reader === "table waf_logs_compacted"),
            [{ reader: "table waf_logs_compacted", bucket, prefix: "_compacted/", iceberg: true }],
        );
        assert.deepStrictEqual(
            [...new Set(locations.filter((l) => l.reader.startsWith("view")).map((l) => l.reader))],
            ["view waf_logs (through waf_logs_compacted)", "view waf_logs (through waf_logs_raw)"],
        );
    });

    it("no lifecycle rule of any committed stack moves what a table reads out of Athena's reach, or touches Iceberg files", async () => {
        for (const stack of await committedRuns()) {
            const read = stack === run ? locations : await readLocations(stack);
            assert.deepStrictEqual(storageProblems(stack, read, MIN_RAW_EXPIRE_DAYS), [], stack.stack);
        }
    });

    it("refuses a lifecycle that would put the Iceberg prefix under Glacier, or raw logs in Deep Archive or expired before compaction", () => {
        const hostile = withCentralRules(run, [
            { id: "everything", status: "Enabled", filter: { prefix: "" }, expiration: { days: 400 } },
            {
                id: "iceberg-cold",
                status: "Enabled",
                filter: { prefix: "_compacted/" },
                transitions: [{ days: 90, storageClass: "GLACIER" }],
            },
            {
                id: "raw-deep",
                status: "Enabled",
                filter: { prefix: "333333333333/" },
                transitions: [{ days: 120, storageClass: "DEEP_ARCHIVE" }],
                expiration: { days: 10 },
            },
            // Disabled, or on a prefix nothing reads: not a problem.
            {
                id: "off",
                status: "Disabled",
                filter: { prefix: "" },
                transitions: [{ days: 1, storageClass: "GLACIER" }],
            },
            {
                id: "errors",
                status: "Enabled",
                filter: { prefix: "_errors/" },
                transitions: [{ days: 1, storageClass: "GLACIER" }],
            },
        ]);
        const problems = storageProblems(hostile, locations, MIN_RAW_EXPIRE_DAYS);
        const iceberg = problems.filter((p) => p.reader === "table waf_logs_compacted");
        assert.deepStrictEqual(iceberg, [
            {
                reader: "table waf_logs_compacted",
                rule: 'central-waf-logs-lifecycle rule everything (prefix "")',
                problem: "expires Iceberg files the current snapshot may reference",
            },
            {
                reader: "table waf_logs_compacted",
                rule: 'central-waf-logs-lifecycle rule iceberg-cold (prefix "_compacted/")',
                problem: "transitions Iceberg files (GLACIER)",
            },
        ]);
        const raw = problems.filter((p) => p.reader === "Glue table waf_logs_raw" && p.rule.includes("raw-deep"));
        assert.deepStrictEqual(
            raw.map((p) => p.problem),
            [
                "moves objects to DEEP_ARCHIVE after 120 days, which Athena skips",
                `expires objects after 10 days, before compaction is sure to have taken them (${MIN_RAW_EXPIRE_DAYS})`,
            ],
        );
        assert.ok(!problems.some((p) => p.rule.includes(" off ") || p.rule.includes(" errors ")));
    });

    it("keeps raw logs readable: Standard-IA, then Glacier Instant Retrieval, expiry, per writer account", () => {
        const rules = only(
            run,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "central-waf-logs-lifecycle",
        ).inputs.rules;
        const retention = (id: string, prefix: string) => ({
            id,
            status: "Enabled",
            filter: { prefix },
            transitions: [
                { days: 30, storageClass: "STANDARD_IA" },
                { days: 90, storageClass: "GLACIER_IR" },
            ],
            expiration: { days: 400 },
            noncurrentVersionExpiration: { noncurrentDays: 30 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        });
        assert.deepStrictEqual(rules, [
            retention("waf-logs-222222222222", "222222222222/"),
            retention("waf-logs-333333333333", "333333333333/"),
            retention("loader-rejects", "_errors/"),
            {
                // Iceberg retires its own files (VACUUM); only the versions it deleted are removed here.
                id: "compacted-deleted-versions",
                status: "Enabled",
                filter: { prefix: "_compacted/" },
                noncurrentVersionExpiration: { noncurrentDays: 30 },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            },
        ]);
    });

    it("refuses an archive transition S3 would reject: less than 30 days after Standard-IA", async () => {
        assert.strictEqual(
            await failureOf("logging", {
                configOverrides: {
                    "central-waf-logs:centralBucket": JSON.stringify({
                        infrequentAccessAfterDays: 30,
                        glacierAfterDays: 45,
                        expireAfterDays: 400,
                    }),
                },
            }),
            "Invalid config central-waf-logs:centralBucket.glacierAfterDays in Pulumi.logging.yaml: 45 days is 15 days after infrequentAccessAfterDays (30), but S3 keeps an object in Standard-IA at least 30 days before moving it to Glacier Instant Retrieval. Fix: use 60 or more.",
        );
    });

    it("maintains the Iceberg table on a weekly schedule of its own: retention, bin-pack, vacuum", () => {
        const schedules = ofType(run, "aws:scheduler/schedule:Schedule").filter((s) =>
            s.name.startsWith("analytics-maintenance-"),
        );
        const input = (sql: string) => ({
            QueryString: sql,
            WorkGroup: ATHENA_COMPACTION_WORKGROUP,
            QueryExecutionContext: { Database: ATHENA_DATABASE },
        });
        assert.deepStrictEqual(
            schedules.map((s) => [s.name, s.inputs.scheduleExpression, JSON.parse(s.inputs.target.input)]),
            [
                [
                    "analytics-maintenance-retention",
                    "cron(0 3 ? * SUN *)",
                    input(
                        "DELETE FROM waf_logs_compacted WHERE hour < date_format(current_date - INTERVAL '400' DAY, '%Y/%m/%d')",
                    ),
                ],
                [
                    "analytics-maintenance-optimize",
                    "cron(0 4 ? * SUN *)",
                    input(
                        "OPTIMIZE waf_logs_compacted REWRITE DATA USING BIN_PACK WHERE hour >= date_format(current_date - INTERVAL '8' DAY, '%Y/%m/%d')",
                    ),
                ],
                ["analytics-maintenance-vacuum", "cron(0 5 ? * SUN *)", input("VACUUM waf_logs_compacted")],
            ],
        );
        for (const s of schedules) {
            assert.deepStrictEqual(
                [s.inputs.groupName, s.inputs.scheduleExpressionTimezone, s.inputs.target.arn],
                ["central-waf-logs-maintenance", "UTC", "arn:aws:scheduler:::aws-sdk:athena:startQueryExecution"],
            );
            assert.strictEqual(
                s.inputs.target.deadLetterConfig.arn,
                only(run, "aws:sqs/queue:Queue", "analytics-maintenance-failures").state.arn,
            );
        }
        const policy = policyDocument(
            only(run, "aws:iam/rolePolicy:RolePolicy", "analytics-maintenance-policy").inputs.policy,
        ).Statement;
        const writes = policy.find((s) => s.Sid === "WriteCompacted");
        assert.deepStrictEqual(writes.Resource, `arn:aws:s3:::${bucket}/_compacted/*`);
        assert.ok(!policy.some((s) => [s.Action].flat().includes("glue:CreateTable")));
        // The workgroup its statements run in is the one its role may use.
        const workgroups = policy.find((s) => [s.Action].flat().includes("athena:StartQueryExecution"));
        assert.ok(
            [workgroups?.Resource].flat().some((r) => String(r).endsWith(`:workgroup/${ATHENA_COMPACTION_WORKGROUP}`)),
        );
    });

    it("keeps a week of snapshots and retires older ones through VACUUM (table properties)", async () => {
        const ddl = only(run, "aws:lambda/function:Function", "analytics-ddl-function");
        const [create] = sqlStatementsIn(await functionSource(ddl), ddl.inputs.environment.variables);
        assert.match(create, /'vacuum_max_snapshot_age_seconds' = '604800'/);
        assert.match(create, /'vacuum_min_snapshots_to_keep' = '1'/);
    });
});
