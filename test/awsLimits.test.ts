/**
 * The documented AWS limits and formats of tools/local/awsLimits.ts (each row names its AWS documentation
 * page) against every committed stack's plan, and the table's checks against broken resources.
 */
import * as assert from "assert";
import { INLINE_ROLE_POLICIES_MAX, LIMITS, limitViolations } from "../tools/local/awsLimits";
import { ProgramRun, RecordedResource } from "../tools/local/mockEngine";
import { committedRun, ofType, committedRuns, only } from "./support/program";

/** The run with one resource's inputs changed. */
function withInputs(run: ProgramRun, resource: RecordedResource, inputs: Record<string, unknown>): ProgramRun {
    const changed: RecordedResource = { ...resource, inputs: { ...resource.inputs, ...inputs } };
    return { ...run, resources: run.resources.map((r) => (r === resource ? changed : r)) };
}

describe("documented AWS limits and formats", () => {
    let logging: ProgramRun;
    before(async () => {
        logging = await committedRun("logging");
    });

    it("every row names its documentation page, and every type the table covers appears in some committed plan", async () => {
        const types = new Set((await committedRuns()).flatMap((run) => run.resources.map((r) => r.type)));
        for (const row of LIMITS) {
            assert.ok(row.doc.length > 5, `${row.type} ${row.what}`);
            // A row for a type no stack has would check nothing: keep the table to what we deploy.
            if (row.type !== "aws:sqs/queuePolicy:QueuePolicy") assert.ok(types.has(row.type), row.type);
        }
    });

    it("no committed stack breaks a documented limit", async () => {
        for (const run of await committedRuns()) assert.deepStrictEqual(limitViolations(run), [], run.stack);
    });

    it("finds names that are too long or badly formed, with the documentation page", () => {
        const role = only(logging, "aws:iam/role:Role", "search-master-role");
        const domain = only(logging, "aws:opensearch/domain:Domain");
        const broken = withInputs(withInputs(logging, role, { name: `r${"x".repeat(64)}` }), domain, {
            domainName: "Central_WAF",
        });
        assert.deepStrictEqual(
            limitViolations(broken).map((v) => [v.resource, v.message, v.doc]),
            [
                [
                    "aws:iam/role:Role::search-master-role",
                    "name is 65 characters, over the limit of 64",
                    "IAM and AWS STS quotas",
                ],
                [
                    "aws:opensearch/domain:Domain::search-domain",
                    'domain name "Central_WAF" is not a lowercase letter, then lowercase letters, digits and -',
                    "Creating and managing Amazon OpenSearch Service domains",
                ],
            ],
        );
    });

    it("counts IAM policy size without whitespace, a role's inline policies together, and bucket policies in bytes", () => {
        const statement = (i: number) => ({
            Sid: `S${i}`,
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::bucket/${"k".repeat(200)}`,
        });
        const big = (n: number) =>
            JSON.stringify(
                { Version: "2012-10-17", Statement: Array.from({ length: n }, (_, i) => statement(i)) },
                null,
                4,
            );
        const policy = only(logging, "aws:iam/rolePolicy:RolePolicy", "search-loader-policy");
        // Pretty-printed whitespace does not count; 50 statements of ~270 characters do.
        const broken = withInputs(logging, policy, { policy: big(50) });
        const [violation] = limitViolations(broken);
        assert.strictEqual(violation.resource, "aws:iam/role:Role::search-loader-role");
        assert.match(
            violation.message,
            new RegExp(
                `^inline policies total \\d+ characters without whitespace, over the limit of ${INLINE_ROLE_POLICIES_MAX}$`,
            ),
        );
        assert.strictEqual(violation.doc, "IAM and AWS STS quotas");
        assert.deepStrictEqual(limitViolations(withInputs(logging, policy, { policy: big(20) })), []);

        const bucketPolicy = only(logging, "aws:s3/bucketPolicy:BucketPolicy", "central-waf-logs-policy");
        assert.deepStrictEqual(
            limitViolations(withInputs(logging, bucketPolicy, { policy: "é".repeat(10_241) })).map((v) => v.message),
            ["bucket policy is 20482 bytes, over the limit of 20480"],
        );
    });

    it("requires the aws-waf-logs- prefix of every WAF logging destination", async () => {
        const usEast = await committedRun("resource-us-east-1");
        // The stack's own web ACL's configuration (adopted ACLs have their own, named `...-adopts-...`).
        const logging = only(
            usEast,
            "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
            ofType(usEast, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").find(
                (r) => !r.name.includes("-adopts-"),
            )!.name,
        );
        const broken = withInputs(usEast, logging, {
            logDestinationConfigs: ["arn:aws:firehose:us-east-1:222222222222:deliverystream/waf-stream"],
        });
        assert.deepStrictEqual(
            limitViolations(broken).map((v) => [v.message, v.doc]),
            [
                [
                    'logging destination "arn:aws:firehose:us-east-1:222222222222:deliverystream/waf-stream" is not a Firehose stream, bucket or log group whose name starts with aws-waf-logs-',
                    "AWS WAF logging destinations",
                ],
            ],
        );
    });
});
