import * as assert from "assert";
import { opensearchEncryptionAtRest } from "../../policies/opensearchEncryptionAtRest";
import { opensearchFineGrainedAccessControl } from "../../policies/opensearchFineGrainedAccessControl";
import { opensearchHttpsTls12 } from "../../policies/opensearchHttpsTls12";
import { opensearchNoPublicAccess } from "../../policies/opensearchNoPublicAccess";
import { opensearchNodeToNodeEncryption } from "../../policies/opensearchNodeToNodeEncryption";
import { opensearchServerlessNoPublicAccess } from "../../policies/opensearchServerlessNoPublicAccess";
import { Case, FixtureResource, resourceViolations, stackViolations, table } from "../support/policyArgs";
import { ANONYMOUS, ANY_ACCOUNT, FIX_PRINCIPALS, UNREADABLE, text } from "./fixtures";

const DOMAIN = "aws:opensearch/domain:Domain";
const DOMAIN_POLICY = "aws:opensearch/domainPolicy:DomainPolicy";
const ADMIN = "arn:aws:iam::111111111111:role/admin";
const policyWith = (statement: Record<string, unknown>) =>
    text({
        Sid: "Search",
        Effect: "Allow",
        Action: "es:ESHttpGet",
        Resource: "arn:aws:es:us-east-1:111111111111:domain/logs/*",
        ...statement,
    });

/** A compliant domain; each failing case changes one property. */
const compliantDomain = {
    domainName: "logs",
    vpcOptions: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] },
    encryptAtRest: { enabled: true, kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/k" },
    nodeToNodeEncryption: { enabled: true },
    domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" },
    advancedSecurityOptions: { enabled: true, internalUserDatabaseEnabled: false },
    accessPolicies: policyWith({ Principal: { AWS: ADMIN } }),
};

const NOT_IN_VPC =
    "The OpenSearch domain is not in a VPC. This product runs search domains in a VPC only, whatever their access policy says (a public endpoint is one policy edit away from the internet); set vpcOptions.subnetIds and vpcOptions.securityGroupIds.";
const ANONYMOUS_AUTH =
    "The OpenSearch domain lets anonymous users in (advancedSecurityOptions.anonymousAuthEnabled is true); set it to false.";
const ONLY_ALLOWED = "name only roles of the accounts in allowedPrincipalAccounts";
const ALLOWED = { allowedPrincipalAccounts: ["111111111111"] };
const outside = (subject: string, statement: string, action: string, account: string) =>
    `${subject}: statement ${statement} allows ${action} to principals of account ${account}, an account outside allowedPrincipalAccounts; ${ONLY_ALLOWED}.`;

describe("policy opensearch-no-public-access: domains", () => {
    const check = ([type, props, config]: [string, Record<string, unknown>, Record<string, unknown>?]) =>
        resourceViolations(opensearchNoPublicAccess, type, props, config ?? {});
    table<[string, Record<string, unknown>, Record<string, unknown>?]>(
        [
            { name: "accepts the compliant domain", input: [DOMAIN, compliantDomain], expected: [] },
            {
                name: "accepts a VPC domain with a wildcard access policy (reachable only from inside the VPC)",
                input: [DOMAIN, { ...compliantDomain, accessPolicies: policyWith({ Principal: "*" }) }],
                expected: [],
            },
            {
                name: "rejects a domain outside a VPC, however restricted its policy",
                input: [DOMAIN, { ...compliantDomain, vpcOptions: undefined }],
                expected: [NOT_IN_VPC],
            },
            {
                name: "rejects a domain outside a VPC even when its policy names the organization",
                input: [
                    DOMAIN,
                    {
                        ...compliantDomain,
                        vpcOptions: undefined,
                        accessPolicies: policyWith({
                            Principal: "*",
                            Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
                        }),
                    },
                ],
                expected: [NOT_IN_VPC],
            },
            {
                name: "rejects vpcOptions without subnets",
                input: [DOMAIN, { ...compliantDomain, vpcOptions: { subnetIds: [], securityGroupIds: ["sg-1"] } }],
                expected: [NOT_IN_VPC],
            },
            {
                name: "rejects anonymous authentication, even in a VPC",
                input: [
                    DOMAIN,
                    { ...compliantDomain, advancedSecurityOptions: { enabled: true, anonymousAuthEnabled: true } },
                ],
                expected: [ANONYMOUS_AUTH],
            },
            {
                name: "rejects principals of accounts outside allowedPrincipalAccounts, even in a VPC",
                input: [
                    DOMAIN,
                    {
                        ...compliantDomain,
                        accessPolicies: policyWith({ Principal: { AWS: [ADMIN, "arn:aws:iam::999999999999:role/x"] } }),
                    },
                    { allowedPrincipalAccounts: ["111111111111"] },
                ],
                expected: [
                    "The OpenSearch access policy names principals outside the allowed accounts (arn:aws:iam::999999999999:role/x); name only roles of the accounts in allowedPrincipalAccounts.",
                ],
            },
            {
                name: "rejects a wildcard principal that aws:PrincipalAccount limits to an account outside allowedPrincipalAccounts",
                input: [
                    DOMAIN,
                    {
                        ...compliantDomain,
                        accessPolicies: policyWith({
                            Principal: "*",
                            Condition: { StringEquals: { "aws:PrincipalAccount": "222222222222" } },
                        }),
                    },
                    ALLOWED,
                ],
                expected: [outside("The OpenSearch access policy", "Search", "es:ESHttpGet", "222222222222")],
            },
            {
                name: "rejects a wildcard principal that aws:PrincipalArn limits to a role of an account outside allowedPrincipalAccounts",
                input: [
                    DOMAIN,
                    {
                        ...compliantDomain,
                        accessPolicies: policyWith({
                            Principal: "*",
                            Condition: {
                                ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::222222222222:role/contractor" },
                            },
                        }),
                    },
                    ALLOWED,
                ],
                expected: [outside("The OpenSearch access policy", "Search", "es:ESHttpGet", "222222222222")],
            },
            {
                name: "accepts a wildcard principal that aws:PrincipalAccount limits to an allowed account",
                input: [
                    DOMAIN,
                    {
                        ...compliantDomain,
                        accessPolicies: policyWith({
                            Principal: "*",
                            Condition: { StringEquals: { "aws:PrincipalAccount": "111111111111" } },
                        }),
                    },
                    ALLOWED,
                ],
                expected: [],
            },
            {
                name: "rejects a master user of an account outside allowedPrincipalAccounts",
                input: [
                    DOMAIN,
                    {
                        ...compliantDomain,
                        advancedSecurityOptions: {
                            enabled: true,
                            masterUserOptions: { masterUserArn: "arn:aws:iam::222222222222:role/contractor" },
                        },
                    },
                    ALLOWED,
                ],
                expected: [
                    "The OpenSearch domain's master user arn:aws:iam::222222222222:role/contractor is outside the allowed accounts; make a role of an account in allowedPrincipalAccounts the master user.",
                ],
            },
            {
                name: "accepts a master user of an allowed account",
                input: [
                    DOMAIN,
                    {
                        ...compliantDomain,
                        advancedSecurityOptions: { enabled: true, masterUserOptions: { masterUserArn: ADMIN } },
                    },
                    ALLOWED,
                ],
                expected: [],
            },
            {
                name: "rejects an ambiguous access policy when allowedPrincipalAccounts must be checked",
                input: [
                    DOMAIN,
                    {
                        ...compliantDomain,
                        accessPolicies:
                            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Principal":"*","Action":"es:*"}]}',
                    },
                    ALLOWED,
                ],
                expected: [
                    "The OpenSearch access policy is ambiguous: statement #1 has the key Principal twice. AWS and this pack could read it differently, so it cannot be shown to be private; write each key once, spelled as AWS spells it (Access Analyzer reports this as an error).",
                ],
            },
            {
                name: "rejects a subnet ID that is empty (no subnet, no VPC)",
                input: [DOMAIN, { ...compliantDomain, vpcOptions: { subnetIds: [""], securityGroupIds: ["sg-1"] } }],
                expected: [NOT_IN_VPC],
            },
            {
                name: "accepts any named account when allowedPrincipalAccounts is empty",
                input: [
                    DOMAIN,
                    {
                        ...compliantDomain,
                        accessPolicies: policyWith({ Principal: { AWS: "arn:aws:iam::999999999999:role/x" } }),
                    },
                ],
                expected: [],
            },
            {
                name: "checks legacy Elasticsearch domains too",
                input: ["aws:elasticsearch/domain:Domain", { ...compliantDomain, vpcOptions: undefined }],
                expected: [NOT_IN_VPC],
            },
            {
                name: "checks aws-native domains (access policy as an object)",
                input: [
                    "aws-native:opensearchservice:Domain",
                    {
                        domainName: "logs",
                        accessPolicies: JSON.parse(policyWith({ Principal: "*" })),
                        advancedSecurityOptions: { enabled: true, anonymousAuthEnabled: true },
                    },
                ],
                expected: [NOT_IN_VPC, ANONYMOUS_AUTH],
            },
            {
                name: "accepts an aws-native domain in a VPC",
                input: [
                    "aws-native:opensearchservice:Domain",
                    { domainName: "logs", vpcOptions: { subnetIds: ["subnet-1"] } },
                ],
                expected: [],
            },
        ],
        check,
    );
});

describe("policy opensearch-no-public-access: VPC endpoint access for other accounts", () => {
    const ENDPOINT = "aws:opensearch/authorizeVpcEndpointAccess:AuthorizeVpcEndpointAccess";
    table<[Record<string, unknown>, Record<string, unknown>]>(
        [
            {
                name: "rejects an account outside allowedPrincipalAccounts (its endpoint into a VPC domain is its way in)",
                input: [{ domainName: "logs", account: "222222222222" }, ALLOWED],
                expected: [
                    "OpenSearch VPC endpoint access r (domain logs) lets account 222222222222 create VPC endpoints into the domain, and it is outside the allowed accounts; authorize only accounts in allowedPrincipalAccounts.",
                ],
            },
            {
                name: "accepts an allowed account",
                input: [{ domainName: "logs", account: "111111111111" }, ALLOWED],
                expected: [],
            },
            {
                name: "accepts a named account when allowedPrincipalAccounts is empty (a deliberate grant)",
                input: [{ domainName: "logs", account: "222222222222" }, {}],
                expected: [],
            },
            {
                name: "rejects a value that is not one account ID",
                input: [{ domainName: "logs", account: "*" }, {}],
                expected: [
                    'OpenSearch VPC endpoint access r (domain logs) authorizes "*", which is not one account ID; authorize one account of allowedPrincipalAccounts.',
                ],
            },
        ],
        ([props, config]) => resourceViolations(opensearchNoPublicAccess, ENDPOINT, props, config),
    );
});

describe("policy opensearch-no-public-access: a domain policy pairs with the domain of its account and Region", () => {
    const provider = (name: string, region: string, accounts?: string): FixtureResource => ({
        type: "pulumi:providers:aws",
        name,
        props: { region, ...(accounts ? { allowedAccountIds: accounts } : {}) },
    });
    const on = (name: string) => ({ type: "pulumi:providers:aws", name });
    const US = provider("aws-us", "us-east-1", '["111111111111"]');
    const EU = provider("aws-eu", "eu-west-1", '["111111111111"]');
    const domain = (name: string, via: string, props: Record<string, unknown> = {}): FixtureResource => ({
        type: DOMAIN,
        name,
        props: { ...compliantDomain, accessPolicies: undefined, ...props },
        provider: on(via),
    });
    const open = policyWith({ Principal: "*" });
    const domainPolicy = (via: string, props: Record<string, unknown> = {}): FixtureResource => ({
        type: DOMAIN_POLICY,
        name: "dp",
        props: { domainName: "logs", accessPolicies: open, ...props },
        provider: on(via),
    });
    const notInStack = `The OpenSearch domain policy dp: statement Search allows es:ESHttpGet to ${ANONYMOUS}, and its domain is not in this stack (in the same account and Region), so it cannot be shown to be in a VPC; ${FIX_PRINCIPALS}.`;
    const publicOne = (name: string) =>
        `The OpenSearch domain policy dp: statement Search allows es:ESHttpGet to ${ANONYMOUS}, and the domain ${name} is not in a VPC; ${FIX_PRINCIPALS}.`;
    table<FixtureResource[]>(
        [
            {
                name: "accepts a wildcard policy on the VPC domain of its own provider",
                input: [US, domain("logs", "aws-us"), domainPolicy("aws-us")],
                expected: [],
            },
            {
                name: "rejects a wildcard policy through another Region's provider, where no domain of that name is in the stack",
                input: [US, EU, domain("logs", "aws-us"), domainPolicy("aws-eu")],
                expected: [notInStack],
            },
            {
                name: "rejects a wildcard policy whose own region input points at another Region",
                input: [US, domain("logs", "aws-us"), domainPolicy("aws-us", { region: "eu-west-1" })],
                expected: [notInStack],
            },
            {
                name: "rejects a wildcard policy on the public domain of the same name in the other Region",
                input: [
                    US,
                    EU,
                    domain("logs", "aws-us"),
                    domain("logs-eu", "aws-eu", { vpcOptions: undefined }),
                    domainPolicy("aws-eu"),
                ],
                expected: [publicOne("logs-eu")],
            },
            {
                name: "rejects a wildcard policy on a public domain whose own region input matches the policy's",
                input: [
                    US,
                    domain("logs", "aws-us"),
                    domain("logs-eu", "aws-us", { vpcOptions: undefined, region: "eu-west-1" }),
                    domainPolicy("aws-us", { region: "eu-west-1" }),
                ],
                expected: [publicOne("logs-eu")],
            },
            {
                name: "pairs through two providers of the same Region and pinned account (one domain in AWS)",
                input: [US, { ...US, name: "aws-us-2" }, domain("logs", "aws-us"), domainPolicy("aws-us-2")],
                expected: [],
            },
            {
                name: "does not pair through two providers whose account is not pinned (they may be two accounts)",
                input: [provider("a", "us-east-1"), provider("b", "us-east-1"), domain("logs", "a"), domainPolicy("b")],
                expected: [notInStack],
            },
            {
                name: "accepts an account a condition names on a VPC domain while allowedPrincipalAccounts is empty (a deliberate grant)",
                input: [
                    US,
                    domain("logs", "aws-us"),
                    domainPolicy("aws-us", {
                        accessPolicies: policyWith({
                            Principal: "*",
                            Condition: { StringEquals: { "aws:PrincipalAccount": "222222222222" } },
                        }),
                    }),
                ],
                expected: [],
            },
        ],
        (fixtures) => stackViolations(opensearchNoPublicAccess, fixtures),
    );

    it("refuses the same condition-named account once allowedPrincipalAccounts is set", () => {
        const fixtures = [
            US,
            domain("logs", "aws-us"),
            domainPolicy("aws-us", {
                accessPolicies: policyWith({
                    Principal: "*",
                    Condition: { StringEquals: { "aws:PrincipalAccount": "222222222222" } },
                }),
            }),
        ];
        assert.deepStrictEqual(stackViolations(opensearchNoPublicAccess, fixtures, ALLOWED), [
            outside("The OpenSearch domain policy dp", "Search", "es:ESHttpGet", "222222222222"),
        ]);
    });
});

describe("policy opensearch-no-public-access: domain policies, judged with their domain", () => {
    const domain = (props: Record<string, unknown> = {}): FixtureResource => ({
        type: DOMAIN,
        name: "search",
        props: { ...compliantDomain, accessPolicies: undefined, ...props },
    });
    const domainPolicy = (accessPolicies: unknown, props: Record<string, unknown> = {}): FixtureResource => ({
        type: DOMAIN_POLICY,
        name: "search-policy",
        props: { domainName: "logs", accessPolicies, ...props },
    });
    const publicDomain = domain({ vpcOptions: undefined });
    const open = policyWith({ Principal: { AWS: "*" } });
    const check = (fixtures: FixtureResource[], config = {}) =>
        stackViolations(opensearchNoPublicAccess, fixtures, config);
    table<{ fixtures: FixtureResource[]; config?: Record<string, unknown> }>(
        [
            {
                name: "accepts a restricted policy on a VPC domain",
                input: { fixtures: [domain(), domainPolicy(policyWith({ Principal: { AWS: ADMIN } }))] },
                expected: [],
            },
            {
                name: "accepts a wildcard policy on a VPC domain",
                input: { fixtures: [domain(), domainPolicy(open)] },
                expected: [],
            },
            {
                name: "rejects a wildcard policy on a public domain",
                input: { fixtures: [publicDomain, domainPolicy(open)] },
                expected: [
                    `The OpenSearch domain policy search-policy: statement Search allows es:ESHttpGet to ${ANONYMOUS}, and the domain search is not in a VPC; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "accepts an organization-only policy on a public domain (the domain's own violation covers the endpoint)",
                input: {
                    fixtures: [
                        publicDomain,
                        domainPolicy(
                            policyWith({
                                Principal: "*",
                                Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
                            }),
                        ),
                    ],
                },
                expected: [],
            },
            {
                name: "rejects a source-IP range that covers the internet on a public domain",
                input: {
                    fixtures: [
                        publicDomain,
                        domainPolicy(
                            policyWith({
                                Principal: "*",
                                Condition: { IpAddress: { "aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"] } },
                            }),
                        ),
                    ],
                },
                expected: [
                    `The OpenSearch domain policy search-policy: statement Search allows es:ESHttpGet to ${ANONYMOUS}, and the domain search is not in a VPC; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "finds the domain through the domainName's dependency when the name is not known yet",
                input: {
                    fixtures: [
                        publicDomain,
                        {
                            ...domainPolicy(open, { domainName: undefined }),
                            propertyDependencies: { domainName: ["search"] },
                        },
                    ],
                },
                expected: [
                    `The OpenSearch domain policy search-policy: statement Search allows es:ESHttpGet to ${ANONYMOUS}, and the domain search is not in a VPC; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "rejects a wildcard policy whose domain is not in the stack",
                input: {
                    fixtures: [
                        domainPolicy(policyWith({ Principal: { AWS: "arn:aws:iam::*:root" } }), {
                            domainName: "elsewhere",
                        }),
                    ],
                },
                expected: [
                    `The OpenSearch domain policy search-policy: statement Search allows es:ESHttpGet to ${ANY_ACCOUNT}, and its domain is not in this stack (in the same account and Region), so it cannot be shown to be in a VPC; ${FIX_PRINCIPALS}.`,
                ],
            },
            {
                name: "rejects an unreadable policy on a public domain",
                input: { fixtures: [publicDomain, domainPolicy("{not json")] },
                expected: [
                    `The OpenSearch domain policy search-policy cannot be read as a policy document and the domain search is not in a VPC, so it cannot be shown to be private; ${UNREADABLE}.`,
                ],
            },
            {
                name: "rejects foreign principals in a domain policy, even on a VPC domain",
                input: {
                    fixtures: [
                        domain(),
                        domainPolicy(policyWith({ Principal: { AWS: "arn:aws:iam::999999999999:role/x" } })),
                    ],
                    config: { allowedPrincipalAccounts: ["111111111111"] },
                },
                expected: [
                    "The OpenSearch domain policy search-policy names principals outside the allowed accounts (arn:aws:iam::999999999999:role/x); name only roles of the accounts in allowedPrincipalAccounts.",
                ],
            },
        ],
        ({ fixtures, config }) => check(fixtures, config),
    );

    it("checks domain policies only at stack level (a resource check would judge them without their domain)", () => {
        assert.deepStrictEqual(
            resourceViolations(opensearchNoPublicAccess, DOMAIN_POLICY, domainPolicy(open).props),
            [],
        );
    });
});

describe("policies on OpenSearch encryption, TLS and access control", () => {
    const cases = [
        [
            opensearchEncryptionAtRest,
            DOMAIN,
            { encryptAtRest: { enabled: false } },
            "The OpenSearch domain does not encrypt data at rest; set encryptAtRest.enabled to true, with a customer-managed key.",
        ],
        [
            opensearchNodeToNodeEncryption,
            DOMAIN,
            { nodeToNodeEncryption: undefined },
            "The OpenSearch domain does not encrypt node-to-node traffic; set nodeToNodeEncryption.enabled to true.",
        ],
        [
            opensearchHttpsTls12,
            DOMAIN,
            { domainEndpointOptions: { enforceHttps: false, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" } },
            "The OpenSearch domain accepts plain HTTP; set domainEndpointOptions.enforceHttps to true.",
        ],
        [
            opensearchHttpsTls12,
            DOMAIN,
            { domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-0-2019-07" } },
            'The OpenSearch domain\'s TLS policy "Policy-Min-TLS-1-0-2019-07" allows TLS older than 1.2; set domainEndpointOptions.tlsSecurityPolicy to Policy-Min-TLS-1-2-2019-07.',
        ],
        [
            opensearchFineGrainedAccessControl,
            DOMAIN,
            { advancedSecurityOptions: { enabled: false } },
            "The OpenSearch domain has no fine-grained access control; set advancedSecurityOptions.enabled to true with an IAM master user.",
        ],
        [
            opensearchEncryptionAtRest,
            "aws-native:opensearchservice:Domain",
            { encryptAtRest: undefined, encryptionAtRestOptions: { enabled: false } },
            "The OpenSearch domain does not encrypt data at rest; set encryptionAtRestOptions.enabled to true, with a customer-managed key.",
        ],
        [
            opensearchNodeToNodeEncryption,
            "aws-native:opensearchservice:Domain",
            { nodeToNodeEncryption: undefined },
            "The OpenSearch domain does not encrypt node-to-node traffic; set nodeToNodeEncryptionOptions.enabled to true.",
        ],
    ] as const;

    it("accept the compliant domain, classic and aws-native", () => {
        const native = {
            ...compliantDomain,
            encryptAtRest: undefined,
            nodeToNodeEncryption: undefined,
            encryptionAtRestOptions: { enabled: true },
            nodeToNodeEncryptionOptions: { enabled: true },
        };
        for (const [policy, type] of cases) {
            assert.deepStrictEqual(
                resourceViolations(policy, type, type === DOMAIN ? compliantDomain : native),
                [],
                policy.name,
            );
        }
    });

    for (const [policy, type, change, message] of cases) {
        it(`${policy.name} rejects ${JSON.stringify(change)} on ${type}`, () => {
            assert.deepStrictEqual(resourceViolations(policy, type, { ...compliantDomain, ...change }), [message]);
        });
    }
});

describe("policy opensearch-serverless-no-public-access", () => {
    const network = (rules: unknown) => ({
        name: "net",
        type: "network",
        policy: typeof rules === "string" ? rules : JSON.stringify(rules),
    });
    const data = (rules: unknown) => ({ name: "data", type: "data", policy: JSON.stringify(rules) });
    const collection = { ResourceType: "collection", Resource: ["collection/logs"] };
    const dataRule = (principal: string[]) => [
        {
            Rules: [{ ResourceType: "index", Resource: ["index/logs/*"], Permission: ["aoss:ReadDocument"] }],
            Principal: principal,
        },
    ];
    const cases: Case<[string, Record<string, unknown>]>[] = [
        {
            name: "accepts a network policy limited to VPC endpoints",
            input: [
                "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy",
                network([{ Rules: [collection], AllowFromPublic: false, SourceVPCEs: ["vpce-1"] }]),
            ],
            expected: [],
        },
        {
            name: "ignores encryption policies",
            input: [
                "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy",
                { name: "enc", type: "encryption", policy: "{}" },
            ],
            expected: [],
        },
        {
            name: "rejects AllowFromPublic",
            input: [
                "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy",
                network([
                    {
                        Rules: [collection, { ResourceType: "dashboard", Resource: ["collection/logs"] }],
                        AllowFromPublic: true,
                    },
                ]),
            ],
            expected: [
                "OpenSearch Serverless network policy r (rule #1) allows public access (AllowFromPublic) to collection/logs, collection/logs; set AllowFromPublic to false and list SourceVPCEs instead.",
            ],
        },
        {
            name: "rejects AllowFromPublic in a second rule of an aws-native policy",
            input: [
                "aws-native:opensearchserverless:SecurityPolicy",
                network([
                    { Rules: [collection], SourceVPCEs: ["vpce-1"] },
                    { Rules: [{ ResourceType: "collection", Resource: ["collection/*"] }], AllowFromPublic: true },
                ]),
            ],
            expected: [
                "OpenSearch Serverless network policy r (rule #2) allows public access (AllowFromPublic) to collection/*; set AllowFromPublic to false and list SourceVPCEs instead.",
            ],
        },
        {
            name: "rejects a network policy that cannot be read",
            input: ["aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy", network("[{")],
            expected: [
                "OpenSearch Serverless network policy r cannot be read as a list of rules, so it cannot be shown to be private; give a JSON list of rules with AllowFromPublic false.",
            ],
        },
        {
            name: "rejects allowFromPublic spelled in lower case as ambiguous (AWS may read it, the pack would not)",
            input: [
                "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy",
                network([{ Rules: [collection], allowFromPublic: true }]),
            ],
            expected: [
                "OpenSearch Serverless network policy r is ambiguous: rule #1 spells AllowFromPublic as allowFromPublic. AWS and this pack could read it differently, so it cannot be shown to be private; write each key once, spelled as AWS spells it.",
            ],
        },
        {
            name: "rejects AllowFromPublic written twice as ambiguous",
            input: [
                "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy",
                network(
                    '[{"Rules":[{"ResourceType":"collection","Resource":["collection/logs"]}],"AllowFromPublic":true,"AllowFromPublic":false}]',
                ),
            ],
            expected: [
                "OpenSearch Serverless network policy r is ambiguous: a rule has the key AllowFromPublic twice. AWS and this pack could read it differently, so it cannot be shown to be private; write each key once, spelled as AWS spells it.",
            ],
        },
        {
            name: "accepts data access for named roles and our own SAML group",
            input: [
                "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy",
                data(dataRule([ADMIN, "saml/111111111111/corp/group/analysts"])),
            ],
            expected: [],
        },
        {
            name: "rejects data access for every principal",
            input: ["aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy", data(dataRule([ADMIN, "*"]))],
            expected: [
                "OpenSearch Serverless data access policy r (rule #1) grants aoss:ReadDocument to principals of any account (*); name roles of your own accounts.",
            ],
        },
        {
            name: "rejects data access for a role name in any account",
            input: ["aws-native:opensearchserverless:AccessPolicy", data(dataRule(["arn:aws:iam::*:role/reader"]))],
            expected: [
                "OpenSearch Serverless data access policy r (rule #1) grants aoss:ReadDocument to principals of any account (arn:aws:iam::*:role/reader); name roles of your own accounts.",
            ],
        },
    ];
    table(cases, ([type, props]) => resourceViolations(opensearchServerlessNoPublicAccess, type, props));
});
