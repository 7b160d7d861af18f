import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { iamNoManagedFullAccess } from "../policies/iamNoManagedFullAccess";
import { iamNoWildcardAllow } from "../policies/iamNoWildcardAllow";
import { lambdaPermissionNoPublicInvoke } from "../policies/lambdaPermissionNoPublicInvoke";
import { opensearchEncryptionAtRest } from "../policies/opensearchEncryptionAtRest";
import { opensearchFineGrainedAccessControl } from "../policies/opensearchFineGrainedAccessControl";
import { opensearchHttpsTls12 } from "../policies/opensearchHttpsTls12";
import { opensearchNoPublicAccess } from "../policies/opensearchNoPublicAccess";
import { opensearchNodeToNodeEncryption } from "../policies/opensearchNodeToNodeEncryption";
import { PACK_NAME, POLICIES } from "../policies/pack";
import { pulumiExplicitProvider } from "../policies/pulumiExplicitProvider";
import { s3BucketEncryption } from "../policies/s3BucketEncryption";
import { s3BucketPublicAccessBlock } from "../policies/s3BucketPublicAccessBlock";
import { s3BucketTlsOnly } from "../policies/s3BucketTlsOnly";
import { wafLoggingDestinationPrefix } from "../policies/wafLoggingDestinationPrefix";
import { FixtureResource, resourceViolations, stackViolations } from "./support/policyArgs";

const DOMAIN = "aws:opensearch/domain:Domain";
const policyWith = (statement: Record<string, unknown>) =>
    JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "es:ESHttpGet", Resource: "*", ...statement }],
    });

/** A compliant domain; each failing case changes one property. */
const compliantDomain = {
    domainName: "logs",
    vpcOptions: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] },
    encryptAtRest: { enabled: true, kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/k" },
    nodeToNodeEncryption: { enabled: true },
    domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" },
    advancedSecurityOptions: { enabled: true, internalUserDatabaseEnabled: false },
    accessPolicies: policyWith({ Principal: { AWS: "arn:aws:iam::111111111111:role/admin" } }),
};
const publicDomain = (accessPolicies: unknown) => ({ ...compliantDomain, vpcOptions: undefined, accessPolicies });

const PUBLIC_MESSAGE =
    "The OpenSearch domain is not in a VPC and its access policy grants a wildcard principal without a restricting condition (source VPC endpoint, a source IP range that is not open to the world, or the organization); place the domain in a VPC or name the principals.";

describe("policy opensearch-no-public-access", () => {
    const check = (props: Record<string, any>, config = {}, type = DOMAIN) =>
        resourceViolations(opensearchNoPublicAccess, type, props, config);

    it("accepts a domain in a VPC, whatever its access policy", () => {
        assert.deepStrictEqual(check({ ...compliantDomain, accessPolicies: policyWith({ Principal: "*" }) }), []);
    });

    it("accepts a public-endpoint domain whose policy names its principals or restricts a wildcard", () => {
        assert.deepStrictEqual(check(publicDomain(compliantDomain.accessPolicies)), []);
        for (const condition of [
            { StringEquals: { "aws:SourceVpce": "vpce-0123" } },
            { IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"] } },
            { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
        ]) {
            assert.deepStrictEqual(
                check(publicDomain(policyWith({ Principal: "*", Condition: condition }))),
                [],
                JSON.stringify(condition),
            );
        }
    });

    it('rejects Principal "*" given as JSON text', () => {
        assert.deepStrictEqual(check(publicDomain(policyWith({ Principal: "*" }))), [PUBLIC_MESSAGE]);
    });

    it('rejects {"AWS": "*"} given as an object, not text', () => {
        assert.deepStrictEqual(
            check(
                publicDomain({
                    Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "es:*", Resource: "*" }],
                }),
            ),
            [PUBLIC_MESSAGE],
        );
    });

    it("rejects a wildcard hidden in a principal list, a single statement object and NotPrincipal", () => {
        assert.strictEqual(
            check(publicDomain(policyWith({ Principal: { AWS: ["arn:aws:iam::111111111111:role/a", "*"] } }))).length,
            1,
        );
        assert.strictEqual(
            check(publicDomain({ Statement: { Effect: "Allow", Principal: "*", Action: "es:*", Resource: "*" } }))
                .length,
            1,
        );
        assert.strictEqual(
            check(publicDomain(policyWith({ NotPrincipal: { AWS: "arn:aws:iam::111111111111:role/a" } }))).length,
            1,
        );
    });

    it("rejects conditions that do not restrict: an open IP range, a wildcard organization", () => {
        assert.strictEqual(
            check(
                publicDomain(policyWith({ Principal: "*", Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } } })),
            ).length,
            1,
        );
        assert.strictEqual(
            check(
                publicDomain(policyWith({ Principal: "*", Condition: { StringLike: { "aws:PrincipalOrgID": "*" } } })),
            ).length,
            1,
        );
    });

    it("rejects an IP range outside the configured allowedCidrs", () => {
        const props = publicDomain(
            policyWith({ Principal: "*", Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }),
        );
        assert.deepStrictEqual(check(props), []);
        assert.strictEqual(check(props, { allowedCidrs: ["10.0.0.0/8"] }).length, 1);
    });

    it("rejects principals of accounts outside allowedPrincipalAccounts, even on a VPC domain", () => {
        const foreign = policyWith({
            Principal: { AWS: ["arn:aws:iam::111111111111:role/admin", "arn:aws:iam::999999999999:role/x"] },
        });
        assert.deepStrictEqual(check({ ...compliantDomain, accessPolicies: foreign }), []);
        assert.deepStrictEqual(
            check({ ...compliantDomain, accessPolicies: foreign }, { allowedPrincipalAccounts: ["111111111111"] }),
            [
                "The OpenSearch access policy names principals outside the allowed accounts (arn:aws:iam::999999999999:role/x); name only roles of the accounts in allowedPrincipalAccounts.",
            ],
        );
    });

    it("rejects a public-endpoint domain with no access policy, and one whose policy cannot be read", () => {
        assert.deepStrictEqual(check(publicDomain(undefined)), [
            "The OpenSearch domain is not in a VPC and has no access policy here; place it in a VPC (vpcOptions.subnetIds) so it is never public.",
        ]);
        assert.strictEqual(check(publicDomain("{not json")).length, 1);
    });

    it("checks separate domain-policy resources and legacy Elasticsearch domains too", () => {
        assert.deepStrictEqual(
            check({ accessPolicies: policyWith({ Principal: "*" }) }, {}, "aws:opensearch/domainPolicy:DomainPolicy"),
            [
                "The OpenSearch domain policy's access policy grants a wildcard principal without a restricting condition (source VPC endpoint, a source IP range that is not open to the world, or the organization); place the domain in a VPC or name the principals.",
            ],
        );
        assert.strictEqual(
            check(publicDomain(policyWith({ Principal: "*" })), {}, "aws:elasticsearch/domain:Domain").length,
            1,
        );
    });
});

describe("policies on OpenSearch encryption, TLS and access control", () => {
    const cases = [
        [
            opensearchEncryptionAtRest,
            { encryptAtRest: { enabled: false } },
            "The OpenSearch domain does not encrypt data at rest; set encryptAtRest.enabled to true, with a customer-managed key.",
        ],
        [
            opensearchNodeToNodeEncryption,
            { nodeToNodeEncryption: undefined },
            "The OpenSearch domain does not encrypt node-to-node traffic; set nodeToNodeEncryption.enabled to true.",
        ],
        [
            opensearchHttpsTls12,
            { domainEndpointOptions: { enforceHttps: false, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" } },
            "The OpenSearch domain accepts plain HTTP; set domainEndpointOptions.enforceHttps to true.",
        ],
        [
            opensearchHttpsTls12,
            { domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-0-2019-07" } },
            'The OpenSearch domain\'s TLS policy "Policy-Min-TLS-1-0-2019-07" allows TLS older than 1.2; set domainEndpointOptions.tlsSecurityPolicy to Policy-Min-TLS-1-2-2019-07.',
        ],
        [
            opensearchFineGrainedAccessControl,
            { advancedSecurityOptions: { enabled: false } },
            "The OpenSearch domain has no fine-grained access control; set advancedSecurityOptions.enabled to true with an IAM master user.",
        ],
    ] as const;

    it("accept the compliant domain", () => {
        for (const [policy] of cases)
            assert.deepStrictEqual(resourceViolations(policy, DOMAIN, compliantDomain), [], policy.name);
    });

    for (const [policy, change, message] of cases) {
        it(`${policy.name} rejects ${JSON.stringify(change)}`, () => {
            assert.deepStrictEqual(resourceViolations(policy, DOMAIN, { ...compliantDomain, ...change }), [message]);
        });
    }
});

describe("S3 bucket stack policies", () => {
    const bucket = (name: string): FixtureResource => ({
        type: "aws:s3/bucket:Bucket",
        name,
        props: { bucket: `${name}-123` },
    });
    const guards = (name: string, overrides: Partial<Record<string, Record<string, any>>> = {}): FixtureResource[] => [
        {
            type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            name: `${name}-block`,
            props: {
                bucket: `${name}-123`,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
                ...overrides.block,
            },
        },
        {
            type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            name: `${name}-sse`,
            props: {
                bucket: `${name}-123`,
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
                ...overrides.sse,
            },
        },
        {
            type: "aws:s3/bucketPolicy:BucketPolicy",
            name: `${name}-policy`,
            props: {
                bucket: `${name}-123`,
                policy: JSON.stringify({
                    Statement: [
                        {
                            Effect: "Deny",
                            Principal: "*",
                            Action: "s3:*",
                            Resource: "*",
                            Condition: { Bool: { "aws:SecureTransport": "false" } },
                        },
                    ],
                }),
                ...overrides.policy,
            },
        },
    ];
    const all = (fixtures: FixtureResource[]) =>
        [s3BucketPublicAccessBlock, s3BucketEncryption, s3BucketTlsOnly].flatMap((p) => stackViolations(p, fixtures));

    it("accept a bucket with all guards", () => {
        assert.deepStrictEqual(all([bucket("logs"), ...guards("logs")]), []);
    });

    it("pair a bucket with its guards through dependencies when its name is not known yet", () => {
        const unnamed = { ...bucket("logs"), props: {} };
        const linked = guards("logs").map((g) => ({
            ...g,
            props: { ...g.props, bucket: undefined },
            propertyDependencies: { bucket: ["logs"] },
        }));
        assert.deepStrictEqual(all([unnamed, ...linked]), []);
    });

    it("reject a bucket with no guards at all, one message per policy", () => {
        assert.deepStrictEqual(all([bucket("exports")]), [
            "Bucket exports (exports-123) has no public-access block; add an aws.s3.BucketPublicAccessBlock with all four settings true.",
            "Bucket exports (exports-123) declares no default encryption; add an aws.s3.BucketServerSideEncryptionConfiguration (aws:kms with a customer-managed key for logs).",
            'Bucket exports (exports-123) accepts requests without TLS; add a bucket policy statement denying s3:* to "*" when aws:SecureTransport is false.',
        ]);
    });

    it("reject a public-access block with one setting off", () => {
        assert.deepStrictEqual(
            stackViolations(s3BucketPublicAccessBlock, [
                bucket("logs"),
                ...guards("logs", { block: { restrictPublicBuckets: false } }),
            ]),
            ["Bucket logs (logs-123) has public-access settings turned off: restrictPublicBuckets; set them to true."],
        );
    });

    it("reject a bucket policy whose only Deny is not about TLS", () => {
        const policy = JSON.stringify({
            Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: "*" }],
        });
        assert.strictEqual(
            stackViolations(s3BucketTlsOnly, [bucket("logs"), ...guards("logs", { policy: { policy } })]).length,
            1,
        );
    });

    it("does not let one bucket's guards cover another bucket", () => {
        assert.strictEqual(
            stackViolations(s3BucketPublicAccessBlock, [bucket("logs"), bucket("exports"), ...guards("logs")]).length,
            1,
        );
    });
});

describe("policy waf-logging-destination-prefix", () => {
    const logging = (arn: string, streams: string[] = []): FixtureResource => ({
        type: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        name: "logging",
        props: { logDestinationConfigs: [arn] },
        propertyDependencies: { logDestinationConfigs: streams },
    });
    const stream = (name: string): FixtureResource => ({
        type: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        name: "stream",
        props: { name },
    });

    it("accepts Firehose, S3 and CloudWatch destinations named aws-waf-logs-*", () => {
        for (const arn of [
            "arn:aws:firehose:us-east-1:222222222222:deliverystream/aws-waf-logs-central-us-east-1",
            "arn:aws:s3:::aws-waf-logs-archive",
            "arn:aws:logs:us-east-1:222222222222:log-group:aws-waf-logs-app",
        ]) {
            assert.deepStrictEqual(stackViolations(wafLoggingDestinationPrefix, [logging(arn)]), [], arn);
        }
    });

    it("rejects a destination without the prefix, by ARN or, when the ARN is unknown, by the stream's name", () => {
        assert.deepStrictEqual(
            stackViolations(wafLoggingDestinationPrefix, [
                logging("arn:aws:firehose:us-east-1:222222222222:deliverystream/waf-logs"),
            ]),
            [
                'WAF logging configuration logging sends logs to "waf-logs", whose name does not start with aws-waf-logs-; WAF rejects it. Rename the destination.',
            ],
        );
        assert.strictEqual(
            stackViolations(wafLoggingDestinationPrefix, [stream("waf"), logging("unknown", ["stream"])]).length,
            1,
        );
    });
});

describe("IAM policies", () => {
    const rolePolicy = (statement: Record<string, unknown>) => ({
        policy: JSON.stringify({ Statement: [{ Effect: "Allow", Resource: "*", ...statement }] }),
    });

    it("iam-no-wildcard-allow accepts specific actions, and service wildcards on specific resources", () => {
        assert.deepStrictEqual(
            resourceViolations(
                iamNoWildcardAllow,
                "aws:iam/rolePolicy:RolePolicy",
                rolePolicy({ Action: ["s3:GetObject"] }),
            ),
            [],
        );
        assert.deepStrictEqual(
            resourceViolations(
                iamNoWildcardAllow,
                "aws:iam/rolePolicy:RolePolicy",
                rolePolicy({ Action: "s3:*", Resource: "arn:aws:s3:::b/*" }),
            ),
            [],
        );
    });

    it('iam-no-wildcard-allow rejects "*", "service:*" and NotAction on every resource, in role, inline and key policies', () => {
        assert.deepStrictEqual(
            resourceViolations(
                iamNoWildcardAllow,
                "aws:iam/rolePolicy:RolePolicy",
                rolePolicy({ Sid: "All", Action: "*" }),
            ),
            [
                "Statement All allows * on every resource; list the actions the principal needs and the resources they apply to.",
            ],
        );
        assert.strictEqual(
            resourceViolations(
                iamNoWildcardAllow,
                "aws:iam/policy:Policy",
                rolePolicy({ Action: ["s3:GetObject", "s3:*"] }),
            ).length,
            1,
        );
        assert.strictEqual(
            resourceViolations(iamNoWildcardAllow, "aws:iam/policy:Policy", rolePolicy({ NotAction: "iam:*" })).length,
            1,
        );
        assert.strictEqual(
            resourceViolations(iamNoWildcardAllow, "aws:iam/role:Role", {
                inlinePolicies: [{ name: "x", ...rolePolicy({ Action: "*" }) }],
            }).length,
            1,
        );
        assert.strictEqual(
            resourceViolations(
                iamNoWildcardAllow,
                "aws:kms/key:Key",
                rolePolicy({ Action: "kms:*", Principal: { AWS: "x" } }),
            ).length,
            1,
        );
    });

    it("iam-no-managed-full-access rejects FullAccess and admin policies, accepts narrow managed ones", () => {
        const attach = (policyArn: string) =>
            resourceViolations(iamNoManagedFullAccess, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", {
                policyArn,
            });
        assert.deepStrictEqual(attach("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"), []);
        assert.deepStrictEqual(attach("arn:aws:iam::aws:policy/AmazonS3FullAccess"), [
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment r attaches the AWS-managed policy arn:aws:iam::aws:policy/AmazonS3FullAccess; grant the specific actions in an inline policy instead.",
        ]);
        assert.strictEqual(
            resourceViolations(iamNoManagedFullAccess, "aws:iam/role:Role", {
                managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
            }).length,
            1,
        );
    });
});

describe("policy lambda-permission-no-public-invoke", () => {
    const check = (props: Record<string, unknown>) =>
        resourceViolations(lambdaPermissionNoPublicInvoke, "aws:lambda/permission:Permission", props);

    it("accepts a service principal scoped to a source ARN and account", () => {
        assert.deepStrictEqual(
            check({ principal: "s3.amazonaws.com", sourceArn: "arn:aws:s3:::b", sourceAccount: "222222222222" }),
            [],
        );
    });

    it("rejects a wildcard principal without conditions, and an unscoped service principal", () => {
        assert.deepStrictEqual(check({ principal: "*" }), [
            "Lambda permission r lets anyone invoke the function; name the principal, or set sourceAccount or sourceArn.",
        ]);
        assert.deepStrictEqual(check({ principal: "s3.amazonaws.com" }), [
            "Lambda permission r lets s3.amazonaws.com invoke the function for any account's resources; set sourceArn and sourceAccount.",
        ]);
    });
});

describe("policy pulumi-explicit-provider", () => {
    it("accepts resources with an explicit provider and rejects the default provider", () => {
        const explicit = {
            type: "aws:s3/bucket:Bucket",
            name: "a",
            props: {},
            provider: { type: "pulumi:providers:aws", name: "central-waf-logs-logging" },
        };
        const implicit = {
            type: "aws:s3/bucket:Bucket",
            name: "b",
            props: {},
            provider: { type: "pulumi:providers:aws", name: "default_7_12_0" },
        };
        assert.deepStrictEqual(stackViolations(pulumiExplicitProvider, [explicit]), []);
        assert.deepStrictEqual(stackViolations(pulumiExplicitProvider, [explicit, implicit]), [
            "aws:s3/bucket:Bucket b uses the default aws provider; pass the stack's provider (opts.provider or a parent's providers).",
        ]);
    });
});

describe("the policy pack", () => {
    const dir = path.join(__dirname, "..", "policies");

    it("names every policy in kebab case with a service prefix, uniquely", () => {
        const names = POLICIES.map((p) => p.name);
        assert.strictEqual(new Set(names).size, names.length);
        for (const name of names) assert.match(name, /^(opensearch|s3|waf|iam|lambda|pulumi)-[a-z0-9]+(-[a-z0-9]+)*$/);
    });

    it("describes every policy in a full sentence and makes each mandatory", () => {
        for (const policy of POLICIES) {
            assert.match(policy.description, /^[A-Z].{20,}\.$/, policy.name);
            assert.strictEqual(policy.enforcementLevel, "mandatory", policy.name);
        }
    });

    it("covers every rule the pack promises", () => {
        assert.deepStrictEqual(POLICIES.map((p) => p.name).sort(), [
            "iam-no-managed-full-access",
            "iam-no-wildcard-allow",
            "lambda-permission-no-public-invoke",
            "opensearch-encryption-at-rest",
            "opensearch-fine-grained-access-control",
            "opensearch-https-tls12",
            "opensearch-no-public-access",
            "opensearch-node-to-node-encryption",
            "pulumi-explicit-provider",
            "s3-bucket-public-access-block",
            "s3-bucket-server-side-encryption",
            "s3-bucket-tls-only",
            "waf-logging-destination-prefix",
        ]);
    });

    it("is a publishable pack: PulumiPolicy.yaml, a versioned package.json, an index.ts that builds the pack", () => {
        assert.match(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8"), /^runtime: nodejs$/m);
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
        assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
        assert.ok(pkg.dependencies["@pulumi/policy"]);
        assert.match(
            fs.readFileSync(path.join(dir, "index.ts"), "utf8"),
            /new PolicyPack\(PACK_NAME, \{ policies: POLICIES/,
        );
        assert.strictEqual(PACK_NAME, "central-waf-logs");
    });
});
