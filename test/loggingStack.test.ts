import * as assert from "assert";
import { ProgramRun } from "../tools/local/mockEngine";
import { committedRun, failureOf, only, policyDocument, runWith, statement } from "./support/program";

const BUCKET = "central-waf-logs-bucket-42f7b07";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/central-waf-logs-key-key-id";
const BREAK_GLASS = "arn:aws:iam::111111111111:role/central-waf-logs-break-glass";
const DEPLOYER = "arn:aws:iam::111111111111:role/central-waf-logs-deployer";
/** The committed choice: the deployer is named alongside the break-glass role, so `pulumi up` keeps working. */
const GUARDIANS = [BREAK_GLASS, DEPLOYER];

describe("logging stack: CentralLogBucket", () => {
    let run: ProgramRun;
    before(async () => {
        run = await committedRun("logging");
    });

    const bucketPolicy = () =>
        policyDocument(only(run, "aws:s3/bucketPolicy:BucketPolicy", "central-waf-logs-policy").inputs.policy);
    const keyPolicy = () => policyDocument(only(run, "aws:kms/key:Key", "central-waf-logs-key").inputs.policy);

    it("disables ACLs with BucketOwnerEnforced", () => {
        const ownership = only(
            run,
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "central-waf-logs-ownership",
        );
        assert.strictEqual(ownership.inputs.bucket, BUCKET);
        assert.deepStrictEqual(ownership.inputs.rule, { objectOwnership: "BucketOwnerEnforced" });
    });

    it("turns on all four public-access blocks", () => {
        const block = only(
            run,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "central-waf-logs-public-access",
        );
        assert.strictEqual(block.inputs.bucket, BUCKET);
        for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
            assert.strictEqual(block.inputs[flag], true, flag);
        }
    });

    it("encrypts with the customer-managed key, rotation on, with S3 Bucket Keys", () => {
        const key = only(run, "aws:kms/key:Key", "central-waf-logs-key");
        assert.strictEqual(key.inputs.enableKeyRotation, true);
        const sse = only(
            run,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "central-waf-logs-encryption",
        );
        assert.deepStrictEqual(sse.inputs.rules, [
            {
                applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN },
                bucketKeyEnabled: true,
            },
        ]);
    });

    it("versions objects", () => {
        const versioning = only(run, "aws:s3/bucketVersioning:BucketVersioning");
        assert.deepStrictEqual(versioning.inputs.versioningConfiguration, { status: "Enabled" });
    });

    it("locks every object version with S3 Object Lock (governance, 90 days by default), without replacing the bucket", () => {
        const lock = only(run, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
        assert.deepStrictEqual(
            [lock.name, lock.inputs.bucket, lock.inputs.objectLockEnabled, lock.inputs.rule],
            ["central-waf-logs-object-lock", BUCKET, "Enabled", { defaultRetention: { mode: "GOVERNANCE", days: 90 } }],
        );
        const versioning = only(run, "aws:s3/bucketVersioning:BucketVersioning");
        assert.ok(lock.dependsOn.includes(versioning.urn), "the lock is set once versioning is on");
        // Set by its own resource, which AWS accepts on an existing bucket: no replacement on upgrade.
        assert.strictEqual(
            only(run, "aws:s3/bucket:Bucket", "central-waf-logs-bucket").inputs.objectLockEnabled,
            undefined,
        );
    });

    it("takes Object Lock mode and retention from config, within the expiry", async () => {
        const compliance = await runWith("logging", {
            configOverrides: {
                "central-waf-logs:centralBucket": JSON.stringify({
                    objectLockMode: "COMPLIANCE",
                    objectLockRetentionDays: 365,
                }),
            },
        });
        assert.deepStrictEqual(
            only(compliance, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs.rule,
            { defaultRetention: { mode: "COMPLIANCE", days: 365 } },
        );
        assert.strictEqual(
            await failureOf("logging", {
                configOverrides: {
                    "central-waf-logs:centralBucket": JSON.stringify({
                        objectLockMode: "LEGAL",
                        objectLockRetentionDays: 500,
                    }),
                },
            }),
            [
                'Invalid config central-waf-logs:centralBucket.objectLockMode in Pulumi.logging.yaml: "LEGAL" is not an S3 Object Lock mode. Fix: use GOVERNANCE (deletable by users granted s3:BypassGovernanceRetention) or COMPLIANCE (deletable by no one until the retention ends).',
                "Invalid config central-waf-logs:centralBucket.objectLockRetentionDays in Pulumi.logging.yaml: 500 days is longer than expireAfterDays (400), so expired logs could not be removed. Fix: use at most expireAfterDays.",
            ].join("\n"),
        );
    });

    it("refuses a second write to a delivered key from any other account (conditional writes only)", () => {
        assert.deepStrictEqual(statement(bucketPolicy(), "DenyOverwritesFromOtherAccounts"), {
            Sid: "DenyOverwritesFromOtherAccounts",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: `${BUCKET_ARN}/*`,
            Condition: {
                Null: { "s3:if-none-match": "true" },
                StringNotEquals: { "aws:PrincipalAccount": "111111111111" },
            },
        });
        // No one but the logging account may delete: no Allow grants a delete action.
        const allowed = bucketPolicy()
            .Statement.filter((s) => s.Effect === "Allow")
            .flatMap((s) => [s.Action].flat());
        assert.ok(!allowed.some((a) => /Delete/.test(a)), allowed.join(", "));
    });

    it("applies the configured lifecycle transitions and expiry", () => {
        const [rule] = only(
            run,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "central-waf-logs-lifecycle",
        ).inputs.rules;
        assert.strictEqual(rule.status, "Enabled");
        assert.deepStrictEqual(rule.transitions, [
            { days: 30, storageClass: "STANDARD_IA" },
            { days: 90, storageClass: "GLACIER_IR" },
        ]);
        assert.deepStrictEqual(rule.expiration, { days: 400 });
        assert.deepStrictEqual(rule.noncurrentVersionExpiration, { noncurrentDays: 30 });
    });

    it("denies every request that is not over TLS", () => {
        assert.deepStrictEqual(statement(bucketPolicy(), "DenyInsecureTransport"), {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
    });

    it("lets each copier role write only under its own account and Region prefix", () => {
        const writes = bucketPolicy().Statement.filter((s) => s.Effect === "Allow");
        assert.deepStrictEqual(
            writes.map((s) => [s.Principal.AWS, s.Action, s.Resource, s.Condition.ArnEquals["aws:PrincipalArn"]]),
            [
                [
                    "arn:aws:iam::222222222222:root",
                    "s3:PutObject",
                    `${BUCKET_ARN}/222222222222/us-east-1/*`,
                    "arn:aws:iam::222222222222:role/central-waf-logs-copier-us-east-1",
                ],
                [
                    "arn:aws:iam::222222222222:root",
                    "s3:PutObject",
                    `${BUCKET_ARN}/222222222222/ap-southeast-2/*`,
                    "arn:aws:iam::222222222222:role/central-waf-logs-copier-ap-southeast-2",
                ],
                [
                    "arn:aws:iam::222222222222:root",
                    "s3:PutObject",
                    `${BUCKET_ARN}/222222222222/global/*`,
                    "arn:aws:iam::222222222222:role/central-waf-logs-copier-global",
                ],
                [
                    "arn:aws:iam::333333333333:root",
                    "s3:PutObject",
                    `${BUCKET_ARN}/333333333333/eu-west-1/*`,
                    "arn:aws:iam::333333333333:role/central-waf-logs-copier-eu-west-1",
                ],
            ],
        );
    });

    it("grants no account anything outside its own prefix, and nothing public", () => {
        for (const s of bucketPolicy().Statement.filter((st) => st.Effect === "Allow")) {
            const account = /iam::(\d{12}):root/.exec(s.Principal.AWS)?.[1];
            assert.ok(account, `allow statement ${s.Sid} must name one account`);
            assert.ok(String(s.Resource).startsWith(`${BUCKET_ARN}/${account}/`), `${s.Sid} escapes its prefix`);
            assert.notStrictEqual(s.Principal, "*");
        }
    });

    it("lets no one outside the logging account read or list the logs", () => {
        const deny = statement(bucketPolicy(), "DenyReadsOutsideLoggingAccount");
        assert.strictEqual(deny.Effect, "Deny");
        assert.deepStrictEqual(deny.Action, [
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:ListBucket",
            "s3:ListBucketVersions",
        ]);
        assert.deepStrictEqual(deny.Condition, { StringNotEquals: { "aws:PrincipalAccount": "111111111111" } });
        const allowedActions = bucketPolicy()
            .Statement.filter((s) => s.Effect === "Allow")
            .flatMap((s) => [s.Action].flat());
        assert.deepStrictEqual([...new Set(allowedActions)], ["s3:PutObject"]);
    });

    it("refuses objects encrypted with anything but the central key", () => {
        assert.deepStrictEqual(statement(bucketPolicy(), "DenyOtherKmsKeys").Condition, {
            StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN },
        });
        assert.deepStrictEqual(statement(bucketPolicy(), "DenyEncryptionOtherThanKms").Condition, {
            StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" },
        });
    });

    it("lets exactly the copier roles encrypt with the key, through S3 in the logging Region", () => {
        const doc = keyPolicy();
        const writers = doc.Statement.filter((s) => s.Sid.startsWith("CopierEncrypts"));
        assert.deepStrictEqual(
            writers.map((s) => [
                s.Principal.AWS,
                s.Action,
                s.Condition.ArnEquals["aws:PrincipalArn"],
                s.Condition.StringEquals,
            ]),
            [
                [
                    "arn:aws:iam::222222222222:root",
                    "kms:GenerateDataKey",
                    [
                        "arn:aws:iam::222222222222:role/central-waf-logs-copier-us-east-1",
                        "arn:aws:iam::222222222222:role/central-waf-logs-copier-ap-southeast-2",
                        "arn:aws:iam::222222222222:role/central-waf-logs-copier-global",
                    ],
                    { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
                ],
                [
                    "arn:aws:iam::333333333333:root",
                    "kms:GenerateDataKey",
                    ["arn:aws:iam::333333333333:role/central-waf-logs-copier-eu-west-1"],
                    { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
                ],
            ],
        );
    });

    it("names the key's administrators (break-glass and deployer), delegates only its use to IAM, and grants no kms:*", () => {
        const doc = keyPolicy();
        const admins = statement(doc, "GuardiansAdministerKey");
        assert.deepStrictEqual(
            [admins.Principal, admins.Condition],
            [{ AWS: "arn:aws:iam::111111111111:root" }, { ArnEquals: { "aws:PrincipalArn": GUARDIANS } }],
        );
        // The deployer must pass KMS's lockout safety check on every PutKeyPolicy.
        assert.ok(admins.Action.includes("kms:PutKeyPolicy"));
        assert.ok(!admins.Action.includes("kms:Decrypt"), "administrators do not read the logs");
        assert.deepStrictEqual(statement(doc, "LoggingAccountUsesKey"), {
            Sid: "LoggingAccountUsesKey",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::111111111111:root" },
            Action: [
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
            ],
            Resource: "*",
        });
        for (const s of doc.Statement) {
            for (const action of [s.Action].flat())
                assert.ok(!/^(\*|kms:\*)$/.test(action), `${s.Sid} grants ${action}`);
        }
    });

    it("lets no one but the break-glass role disable the key or schedule its deletion", () => {
        assert.deepStrictEqual(statement(keyPolicy(), "DenyKeyDestructionButBreakGlass"), {
            Sid: "DenyKeyDestructionButBreakGlass",
            Effect: "Deny",
            Principal: "*",
            Action: ["kms:DisableKey", "kms:ScheduleKeyDeletion"],
            Resource: "*",
            Condition: { ArnNotEquals: { "aws:PrincipalArn": BREAK_GLASS } },
        });
    });

    it("denies retention bypass, version deletes and changes to the bucket's protections to all but break-glass and the deployer", () => {
        assert.deepStrictEqual(statement(bucketPolicy(), "DenyArchiveTamperingButGuardians"), {
            Sid: "DenyArchiveTamperingButGuardians",
            Effect: "Deny",
            Principal: "*",
            Action: [
                "s3:BypassGovernanceRetention",
                "s3:DeleteBucketPolicy",
                "s3:DeleteObjectVersion",
                "s3:PutBucketObjectLockConfiguration",
                "s3:PutBucketPolicy",
                "s3:PutBucketVersioning",
                "s3:PutLifecycleConfiguration",
            ],
            Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
            Condition: { ArnNotEquals: { "aws:PrincipalArn": GUARDIANS } },
        });
    });

    it("exempts only the deployer when no break-glass role is named, and no one from key destruction; refuses neither", async () => {
        const noBreakGlass = await runWith("logging", {
            configOverrides: {
                "central-waf-logs:centralBucket": JSON.stringify({
                    infrequentAccessAfterDays: 30,
                    glacierAfterDays: 90,
                    expireAfterDays: 400,
                }),
            },
        });
        const key = policyDocument(only(noBreakGlass, "aws:kms/key:Key", "central-waf-logs-key").inputs.policy);
        assert.strictEqual(statement(key, "DenyKeyDestructionButBreakGlass").Condition, undefined);
        assert.deepStrictEqual(statement(key, "GuardiansAdministerKey").Condition, {
            ArnEquals: { "aws:PrincipalArn": [DEPLOYER] },
        });
        const message = await failureOf("logging", {
            configOverrides: {
                "central-waf-logs:deploymentRoleArn": undefined,
                "central-waf-logs:centralBucket": JSON.stringify({
                    breakGlassRoleArn: "arn:aws:iam::999999999999:role/x",
                }),
            },
        });
        assert.strictEqual(
            message,
            "Invalid config central-waf-logs:centralBucket.breakGlassRoleArn in Pulumi.logging.yaml: the role is in account 999999999999, not the logging account. Fix: name a role of the logging account.",
        );
        const neither = await failureOf("logging", {
            configOverrides: {
                "central-waf-logs:deploymentRoleArn": undefined,
                "central-waf-logs:centralBucket": "{}",
            },
        });
        assert.strictEqual(
            neither,
            "Invalid config central-waf-logs:centralBucket.breakGlassRoleArn in Pulumi.logging.yaml: is required when deploymentRoleArn is not set: the archive's bucket and key policies deny changes to everyone but these roles, so a deployment with ambient credentials would lock itself out. Fix: name the logging account's break-glass role (arn:aws:iam::<logging account>:role/<name>), or deploy through deploymentRoleArn.",
        );
    });

    it("exports what resource stacks need", () => {
        assert.deepStrictEqual(run.outputs, {
            loggingAccountId: "111111111111",
            loggingRegion: "us-east-1",
            partition: "aws",
            centralBucketName: BUCKET,
            centralBucketArn: BUCKET_ARN,
            centralKeyArn: KEY_ARN,
            objectKeyLayout: "<account_id>/<region>/<firehose_name>/<yyyy>/<MM>/<dd>/<HH>/<file>",
            searchEndpoint: "https://vpc-central-waf-logs-42f7b07.us-east-1.es.amazonaws.com",
            dashboardsUrl: "https://vpc-central-waf-logs-42f7b07.us-east-1.es.amazonaws.com/_dashboards",
            athenaWorkgroup: "central-waf-logs",
            allowedAccounts: {
                "222222222222": ["us-east-1", "ap-southeast-2", "global"],
                "333333333333": ["eu-west-1"],
            },
            responseMode: "block",
            blocklistPublisherRoleArn: "arn:aws:iam::111111111111:role/central-waf-logs-blocklist-publisher",
            blocklistTableName: "central-waf-logs-blocklist",
            blocklistAuditTableName: "central-waf-logs-blocklist-audit",
            blocklistOperatorPolicyArn: "arn:aws:iam::111111111111:policy/central-waf-logs-blocklist-operator",
            alertBusArn: "arn:aws:events:us-east-1:111111111111:event-bus/central-waf-logs-alerts",
            alertTopicArn: "arn:aws:sns:us-east-1:111111111111:central-waf-logs-alerts",
            healthDashboardUrl:
                "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=central-waf-logs-delivery",
            loaderFailureQueueUrl: "https://sqs.us-east-1.amazonaws.com/111111111111/search-loader-failures-42f7b07",
            coverageFunctionName: "central-waf-logs-coverage",
            coverageScannerRoleArn: "arn:aws:iam::111111111111:role/central-waf-logs-coverage",
        });
    });

    it("puts the bucket policy only after the public-access block exists", () => {
        const block = only(
            run,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "central-waf-logs-public-access",
        );
        assert.ok(
            only(run, "aws:s3/bucketPolicy:BucketPolicy", "central-waf-logs-policy").dependsOn.includes(block.urn),
        );
    });
});
