/**
 * The optional service control policy for the logging account (issue 18, item 7): the document
 * exactly, its size against AWS Organizations' limit, and the component under the mock engine.
 */
import * as assert from "assert";
import * as path from "path";
import { SCP_MAX_CHARACTERS, archiveGuardrailsDocument } from "../components/archiveGuardrails";
import { runProgram } from "../tools/local/mockEngine";

const INPUTS = {
    partition: "aws",
    bucketName: "central-waf-logs-bucket-42f7b07",
    keyArn: "arn:aws:kms:us-east-1:111111111111:key/central-waf-logs-key-key-id",
    breakGlassRoleArn: "arn:aws:iam::111111111111:role/central-waf-logs-break-glass",
    deploymentRoleArn: "arn:aws:iam::111111111111:role/central-waf-logs-deployer",
};
const BUCKET = "arn:aws:s3:::central-waf-logs-bucket-42f7b07";

describe("archive guardrails: the logging account's service control policy", () => {
    it("denies, even to the account's root user, what would unprotect or destroy the archive, to all but break-glass (and the deployer where it must deploy)", () => {
        assert.deepStrictEqual(archiveGuardrailsDocument(INPUTS), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "DenyArchiveTampering",
                    Effect: "Deny",
                    Action: [
                        "s3:BypassGovernanceRetention",
                        "s3:DeleteBucketPolicy",
                        "s3:DeleteObjectVersion",
                        "s3:PutBucketObjectLockConfiguration",
                        "s3:PutBucketPolicy",
                        "s3:PutBucketVersioning",
                        "s3:PutLifecycleConfiguration",
                        "s3:DeleteBucket",
                    ],
                    Resource: [BUCKET, `${BUCKET}/*`],
                    Condition: {
                        ArnNotLike: { "aws:PrincipalArn": [INPUTS.breakGlassRoleArn, INPUTS.deploymentRoleArn] },
                    },
                },
                {
                    Sid: "DenyKeyPolicyChanges",
                    Effect: "Deny",
                    Action: "kms:PutKeyPolicy",
                    Resource: INPUTS.keyArn,
                    Condition: {
                        ArnNotLike: { "aws:PrincipalArn": [INPUTS.breakGlassRoleArn, INPUTS.deploymentRoleArn] },
                    },
                },
                {
                    Sid: "DenyKeyDestruction",
                    Effect: "Deny",
                    Action: ["kms:DisableKey", "kms:ScheduleKeyDeletion"],
                    Resource: INPUTS.keyArn,
                    Condition: { ArnNotLike: { "aws:PrincipalArn": INPUTS.breakGlassRoleArn } },
                },
            ],
        });
        // SCPs take no Principal and grant nothing.
        for (const s of archiveGuardrailsDocument(INPUTS).Statement) {
            assert.strictEqual(s.Effect, "Deny");
            assert.strictEqual((s as { Principal?: unknown }).Principal, undefined);
        }
        assert.ok(JSON.stringify(archiveGuardrailsDocument(INPUTS)).length < SCP_MAX_CHARACTERS);
    });

    it("is created as an SCP attached to the logging account alone, from the management account's provider", async () => {
        const run = await runProgram("logging", {
            entrypoint: path.join(__dirname, "fixtures", "guardrailsProgram.ts"),
        });
        const policy = run.resources.find((r) => r.type === "aws:organizations/policy:Policy")!;
        assert.deepStrictEqual(
            [policy.inputs.name, policy.inputs.type, JSON.parse(policy.inputs.content)],
            ["central-waf-logs-archive-guardrails", "SERVICE_CONTROL_POLICY", archiveGuardrailsDocument(INPUTS)],
        );
        const attachment = run.resources.find((r) => r.type === "aws:organizations/policyAttachment:PolicyAttachment")!;
        assert.deepStrictEqual(attachment.inputs, { policyId: `${policy.name}-id`, targetId: "111111111111" });
    });
});
