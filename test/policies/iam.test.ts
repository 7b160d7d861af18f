import { iamNoManagedFullAccess } from "../../policies/iamNoManagedFullAccess";
import { iamNoWildcardAllow } from "../../policies/iamNoWildcardAllow";
import { iamRoleTrustNoPublicAssume } from "../../policies/iamRoleTrustNoPublicAssume";
import { Case, resourceViolations, table } from "../support/policyArgs";
import { AMBIGUOUS_FIX, ANY_ACCOUNT, UNREADABLE, doc, text } from "./fixtures";

const FIX_TRUST = "name the trusted principals, or limit them with aws:PrincipalOrgID or aws:PrincipalArn";
/** Added only where the statement relies on sts:ExternalId. */
const FIX_TRUST_EXTERNAL_ID = `${FIX_TRUST} (sts:ExternalId is chosen by the caller and keeps no one out)`;
const FIX_GITHUB =
    "require token.actions.githubusercontent.com:sub to name your own organization (repo:<org>/<repo>:...; a wildcard may follow the organization, never cover it)";
const FIX_COGNITO = "require cognito-identity.amazonaws.com:aud to name your own identity pool";
const FIX_BUILDKITE =
    "require agent.buildkite.com:sub to name your own organization (organization:<org-slug>:pipeline:...; a wildcard may follow the organization, never cover it)";
const FIX_PULUMI =
    "require api.pulumi.com/oidc:aud to name your own Pulumi organization (or sub pulumi:<service>:org:<org>:...)";
const FIX_CODEFRESH =
    "require oidc.codefresh.io:sub to name your own identities exactly (the pack does not know this issuer's claim format, so a wildcard in sub may cover other customers)";
const oidc = (issuer: string) => `arn:aws:iam::111111111111:oidc-provider/${issuer}`;
const GITHUB = oidc("token.actions.githubusercontent.com");

describe("policy iam-role-trust-no-public-assume", () => {
    /** As committed: Lambda for our own account. Each case changes the one statement. */
    const TRUST = {
        Sid: "Trust",
        Effect: "Allow",
        Principal: { Service: "lambda.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "111111111111" } },
    };
    const message = (who: string, fix = FIX_TRUST, action = "sts:AssumeRole") =>
        `Role r's trust policy: statement Trust allows ${action} to ${who}; ${fix}.`;
    const cases: Case<Record<string, unknown>>[] = [
        { name: "accepts the baseline: a service for our own account", input: {}, expected: [] },
        {
            name: "accepts a service principal without conditions (passing the role needs iam:PassRole here)",
            input: { Condition: undefined },
            expected: [],
        },
        {
            name: "accepts a named role of another account",
            input: { Principal: { AWS: "arn:aws:iam::222222222222:role/deployer" }, Condition: undefined },
            expected: [],
        },
        {
            name: "accepts a role whose name ends in .amazonaws.com (an account principal, not a service)",
            input: { Principal: { AWS: "arn:aws:iam::222222222222:role/ci.amazonaws.com" }, Condition: undefined },
            expected: [],
        },
        {
            name: "rejects any principal",
            input: { Principal: { AWS: "*" }, Condition: undefined },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "rejects any principal behind an external ID (the caller chooses it), and says so",
            input: { Principal: { AWS: "*" }, Condition: { StringEquals: { "sts:ExternalId": "s3cr3t" } } },
            expected: [message(ANY_ACCOUNT, FIX_TRUST_EXTERNAL_ID)],
        },
        {
            name: "rejects the root of any account (arn:aws:iam::*:root)",
            input: { Principal: { AWS: "arn:aws:iam::*:root" }, Condition: undefined },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "rejects any principal limited by aws:PrincipalArn with an account wildcard",
            input: {
                Principal: { AWS: "*" },
                Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/deployer" } },
            },
            expected: [message(ANY_ACCOUNT)],
        },
        {
            name: "accepts any principal limited to the organization",
            input: { Principal: { AWS: "*" }, Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } } },
            expected: [],
        },
        {
            name: "rejects GitHub's OIDC provider with only an audience condition",
            input: {
                Principal: { Federated: GITHUB },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" } },
            },
            expected: [
                message(
                    "any identity of token.actions.githubusercontent.com",
                    FIX_GITHUB,
                    "sts:AssumeRoleWithWebIdentity",
                ),
            ],
        },
        {
            name: "rejects GitHub's OIDC provider with a sub of repo:*",
            input: {
                Principal: { Federated: GITHUB },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringLike: { "token.actions.githubusercontent.com:sub": "repo:*" } },
            },
            expected: [
                message(
                    "any identity of token.actions.githubusercontent.com",
                    FIX_GITHUB,
                    "sts:AssumeRoleWithWebIdentity",
                ),
            ],
        },
        {
            name: "accepts GitHub's OIDC provider limited to one organization's repositories",
            input: {
                Principal: { Federated: GITHUB },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringLike: { "token.actions.githubusercontent.com:sub": "repo:my-org/*" } },
            },
            expected: [],
        },
        {
            name: "rejects Cognito identities without an identity-pool audience",
            input: {
                Principal: { Federated: "cognito-identity.amazonaws.com" },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "authenticated" } },
            },
            expected: [
                message("any identity of cognito-identity.amazonaws.com", FIX_COGNITO, "sts:AssumeRoleWithWebIdentity"),
            ],
        },
        {
            name: "accepts Cognito identities of one identity pool",
            input: {
                Principal: { Federated: "cognito-identity.amazonaws.com" },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        "cognito-identity.amazonaws.com:aud": "us-east-1:12345678-1234-1234-1234-123456789012",
                    },
                },
            },
            expected: [],
        },
        {
            name: "rejects Buildkite's issuer with only an audience (every Buildkite organization shares it)",
            input: {
                Principal: { Federated: oidc("agent.buildkite.com") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { "agent.buildkite.com:aud": "sts.amazonaws.com" } },
            },
            expected: [message("any identity of agent.buildkite.com", FIX_BUILDKITE, "sts:AssumeRoleWithWebIdentity")],
        },
        {
            name: "rejects Buildkite's issuer with a sub wildcard over the organization (organization:acme* admits acme-evil)",
            input: {
                Principal: { Federated: oidc("agent.buildkite.com") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringLike: { "agent.buildkite.com:sub": "organization:acme*" } },
            },
            expected: [message("any identity of agent.buildkite.com", FIX_BUILDKITE, "sts:AssumeRoleWithWebIdentity")],
        },
        {
            name: "accepts Buildkite's issuer with sub pinned to one organization's pipelines",
            input: {
                Principal: { Federated: oidc("agent.buildkite.com") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringLike: { "agent.buildkite.com:sub": "organization:acme:pipeline:deploy:*" } },
            },
            expected: [],
        },
        {
            name: "rejects Pulumi Cloud's issuer without conditions (every Pulumi organization shares it)",
            input: {
                Principal: { Federated: oidc("api.pulumi.com/oidc") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: undefined,
            },
            expected: [message("any identity of api.pulumi.com/oidc", FIX_PULUMI, "sts:AssumeRoleWithWebIdentity")],
        },
        {
            name: "accepts Pulumi Cloud's issuer with the audience of one organization (aws:<org>)",
            input: {
                Principal: { Federated: oidc("api.pulumi.com/oidc") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { "api.pulumi.com/oidc:aud": "aws:acme" } },
            },
            expected: [],
        },
        {
            name: "rejects Pulumi Cloud's issuer with a wildcard audience",
            input: {
                Principal: { Federated: oidc("api.pulumi.com/oidc") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringLike: { "api.pulumi.com/oidc:aud": "aws:*" } },
            },
            expected: [message("any identity of api.pulumi.com/oidc", FIX_PULUMI, "sts:AssumeRoleWithWebIdentity")],
        },
        {
            name: "rejects Codefresh's shared issuer without conditions (an issuer the pack does not know is public)",
            input: {
                Principal: { Federated: oidc("oidc.codefresh.io") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: undefined,
            },
            expected: [message("any identity of oidc.codefresh.io", FIX_CODEFRESH, "sts:AssumeRoleWithWebIdentity")],
        },
        {
            name: "rejects an unknown issuer whose sub has a wildcard (its format is not known)",
            input: {
                Principal: { Federated: oidc("oidc.codefresh.io") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringLike: { "oidc.codefresh.io:sub": "account:0123abc:*" } },
            },
            expected: [message("any identity of oidc.codefresh.io", FIX_CODEFRESH, "sts:AssumeRoleWithWebIdentity")],
        },
        {
            name: "accepts an unknown issuer whose sub is exact",
            input: {
                Principal: { Federated: oidc("oidc.codefresh.io") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { "oidc.codefresh.io:sub": "account:0123abc:pipeline:deploy" } },
            },
            expected: [],
        },
        {
            name: "accepts CircleCI's issuer of one organization (its URL names the organization)",
            input: {
                Principal: { Federated: oidc("oidc.circleci.com/org/8f9c1a2b-0000-4000-8000-000000000000") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: undefined,
            },
            expected: [],
        },
        {
            name: "accepts GitHub Enterprise Cloud's issuer of one enterprise",
            input: {
                Principal: { Federated: oidc("token.actions.githubusercontent.com/acme") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringLike: { "token.actions.githubusercontent.com/acme:sub": "repo:acme/*" } },
            },
            expected: [],
        },
        {
            name: "accepts an EKS cluster's issuer with a service account subject",
            input: {
                Principal: { Federated: oidc("oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789") },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789:sub": "system:serviceaccount:ns:sa",
                    },
                },
            },
            expected: [],
        },
        {
            name: "rejects Google identities without an audience, with Google's fix",
            input: {
                Principal: { Federated: "accounts.google.com" },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: undefined,
            },
            expected: [
                message(
                    "any identity of accounts.google.com",
                    "require accounts.google.com:aud to name your own OAuth client (and sub your own users)",
                    "sts:AssumeRoleWithWebIdentity",
                ),
            ],
        },
        {
            name: "rejects Facebook identities without an app, with Facebook's fix",
            input: {
                Principal: { Federated: "graph.facebook.com" },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: undefined,
            },
            expected: [
                message(
                    "any identity of graph.facebook.com",
                    "require graph.facebook.com:app_id to name your own app",
                    "sts:AssumeRoleWithWebIdentity",
                ),
            ],
        },
        {
            name: "accepts a SAML provider of our own (a private identity provider)",
            input: {
                Principal: { Federated: "arn:aws:iam::111111111111:saml-provider/corp" },
                Action: "sts:AssumeRoleWithSAML",
                Condition: undefined,
            },
            expected: [],
        },
    ];
    table(cases, (trust) =>
        resourceViolations(iamRoleTrustNoPublicAssume, "aws:iam/role:Role", {
            assumeRolePolicy: text({ ...TRUST, ...trust }),
        }),
    );

    table<[string, Record<string, unknown>]>(
        [
            {
                name: "reads aws-native roles (assumeRolePolicyDocument as an object)",
                input: [
                    "aws-native:iam:Role",
                    { assumeRolePolicyDocument: doc({ ...TRUST, Principal: "*", Condition: undefined }) },
                ],
                expected: [message(ANY_ACCOUNT)],
            },
            {
                name: "rejects a trust policy that cannot be read",
                input: ["aws:iam/role:Role", { assumeRolePolicy: "{" }],
                expected: [
                    `Role r's trust policy cannot be read as a policy document, so it cannot be shown to be private; ${UNREADABLE}.`,
                ],
            },
        ],
        ([type, props]) => resourceViolations(iamRoleTrustNoPublicAssume, type, props),
    );
});

describe("policy iam-no-wildcard-allow", () => {
    const rolePolicy = (statement: Record<string, unknown>) => ({
        policy: text({ Sid: "S", Effect: "Allow", Resource: "*", ...statement }),
    });
    const check = (statement: Record<string, unknown>, type = "aws:iam/rolePolicy:RolePolicy") =>
        resourceViolations(iamNoWildcardAllow, type, rolePolicy(statement));
    const every = (actions: string) =>
        `Statement S allows ${actions} on every resource; list the actions the principal needs and the resources they apply to.`;
    table<Record<string, unknown>>(
        [
            {
                name: "accepts specific actions on every resource",
                input: { Action: ["ec2:DescribeNetworkInterfaces"] },
                expected: [],
            },
            {
                name: "accepts a service wildcard on a specific resource",
                input: { Action: "s3:*", Resource: "arn:aws:s3:::b/*" },
                expected: [],
            },
            {
                name: "accepts a partial wildcard (s3:Get*) on every resource",
                input: { Action: "s3:Get*" },
                expected: [],
            },
            { name: "accepts a Deny of everything", input: { Effect: "Deny", Action: "*" }, expected: [] },
            { name: 'rejects "*"', input: { Action: "*" }, expected: [every("*")] },
            { name: 'rejects "*:*"', input: { Action: "*:*" }, expected: [every("*:*")] },
            { name: "rejects s3:* in a list", input: { Action: ["s3:GetObject", "s3:*"] }, expected: [every("s3:*")] },
            {
                name: "rejects s3:?* (every S3 action has a name)",
                input: { Action: "s3:?*" },
                expected: [every("s3:?*")],
            },
            { name: "rejects S3:** whatever its case", input: { Action: "S3:**" }, expected: [every("S3:**")] },
            {
                name: "rejects s3* (every action of every s3-prefixed service)",
                input: { Action: "s3*" },
                expected: [every("s3*")],
            },
            {
                name: "rejects a service wildcard on arn:aws:s3:::*",
                input: { Action: "s3:*", Resource: "arn:aws:s3:::*" },
                expected: [every("s3:*")],
            },
            {
                name: "rejects a service wildcard on arn:*",
                input: { Action: "sqs:*", Resource: "arn:*" },
                expected: [every("sqs:*")],
            },
            {
                name: "rejects NotAction on every resource, naming what it allows",
                input: { Action: undefined, NotAction: "iam:*" },
                expected: [every("every action except iam:*")],
            },
            {
                name: "rejects a service wildcard with NotResource",
                input: { Action: "s3:*", Resource: undefined, NotResource: "arn:aws:s3:::b" },
                expected: [every("s3:*")],
            },
            {
                name: "rejects iam:PassRole on every resource",
                input: { Action: "iam:PassRole" },
                expected: ["Statement S allows iam:PassRole on every role; name the roles the principal may pass."],
            },
            {
                name: "rejects iam:Pass* on every role of an account",
                input: { Action: "iam:Pass*", Resource: "arn:aws:iam::111111111111:role/*" },
                expected: ["Statement S allows iam:Pass* on every role; name the roles the principal may pass."],
            },
            {
                name: "rejects iam:* on every role (a service wildcard that passes roles)",
                input: { Action: "iam:*", Resource: "arn:aws:iam::111111111111:role/*" },
                expected: ["Statement S allows iam:* on every role; name the roles the principal may pass."],
            },
            {
                name: "accepts iam:PassRole on one named role",
                input: { Action: "iam:PassRole", Resource: "arn:aws:iam::111111111111:role/app" },
                expected: [],
            },
        ],
        (statement) => check(statement),
    );

    table<[string, Record<string, unknown>]>(
        [
            {
                name: "reads a role's inline policies",
                input: ["aws:iam/role:Role", { inlinePolicies: [{ name: "x", ...rolePolicy({ Action: "*" }) }] }],
                expected: [every("*")],
            },
            {
                name: "reads aws-native role policies",
                input: [
                    "aws-native:iam:Role",
                    {
                        policies: [
                            {
                                policyName: "x",
                                policyDocument: doc({ Sid: "S", Effect: "Allow", Action: "*:*", Resource: "*" }),
                            },
                        ],
                    },
                ],
                expected: [every("*:*")],
            },
            {
                name: "reads IAM Identity Center permission set inline policies",
                input: [
                    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy",
                    { inlinePolicy: rolePolicy({ Action: "*" }).policy },
                ],
                expected: [every("*")],
            },
            {
                name: "rejects a document with Action written twice (AWS may keep the wildcard JSON.parse drops)",
                input: [
                    "aws:iam/policy:Policy",
                    {
                        policy: '{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Allow","Action":"*","Action":"s3:GetObject","Resource":"*"}]}',
                    },
                ],
                expected: [
                    `The policy document of aws:iam/policy:Policy r is ambiguous: statement #1 has the key Action twice; ${AMBIGUOUS_FIX}.`,
                ],
            },
            {
                name: "reads key policies",
                input: [
                    "aws:kms/key:Key",
                    rolePolicy({ Action: "kms:*", Principal: { AWS: "arn:aws:iam::111111111111:role/x" } }),
                ],
                expected: [every("kms:*")],
            },
        ],
        ([type, props]) => resourceViolations(iamNoWildcardAllow, type, props),
    );
});

describe("policy iam-no-managed-full-access", () => {
    const message = (type: string, arn: string) =>
        `${type} r attaches the AWS-managed policy ${arn}; grant the specific actions in an inline policy instead.`;
    table<[string, Record<string, unknown>]>(
        [
            {
                name: "accepts a narrow managed policy",
                input: [
                    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                    { policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" },
                ],
                expected: [],
            },
            {
                name: "accepts a customer-managed policy named like a broad one",
                input: [
                    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                    { policyArn: "arn:aws:iam::111111111111:policy/AdministratorAccess" },
                ],
                expected: [],
            },
            {
                name: "rejects a FullAccess attachment",
                input: [
                    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                    { policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" },
                ],
                expected: [
                    message(
                        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
                    ),
                ],
            },
            {
                name: "rejects AdministratorAccess in a role's managedPolicyArns",
                input: ["aws:iam/role:Role", { managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }],
                expected: [message("aws:iam/role:Role", "arn:aws:iam::aws:policy/AdministratorAccess")],
            },
            {
                name: "rejects a broad policy in RolePolicyAttachmentsExclusive",
                input: [
                    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
                    {
                        roleName: "x",
                        policyArns: [
                            "arn:aws:iam::aws:policy/ReadOnlyAccess",
                            "arn:aws:iam::aws:policy/PowerUserAccess",
                        ],
                    },
                ],
                expected: [
                    message(
                        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
                        "arn:aws:iam::aws:policy/PowerUserAccess",
                    ),
                ],
            },
            {
                name: "rejects a PolicyAttachment of a job-function policy",
                input: [
                    "aws:iam/policyAttachment:PolicyAttachment",
                    { roles: ["x"], policyArn: "arn:aws:iam::aws:policy/job-function/SystemAdministrator" },
                ],
                expected: [
                    message(
                        "aws:iam/policyAttachment:PolicyAttachment",
                        "arn:aws:iam::aws:policy/job-function/SystemAdministrator",
                    ),
                ],
            },
            {
                name: "rejects AdministratorAccess attached to an IAM Identity Center permission set",
                input: [
                    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
                    {
                        instanceArn: "arn:aws:sso:::instance/ssoins-1",
                        permissionSetArn: "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
                        managedPolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
                    },
                ],
                expected: [
                    message(
                        "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
                        "arn:aws:iam::aws:policy/AdministratorAccess",
                    ),
                ],
            },
            {
                name: "rejects AdministratorAccess in a permission set's exclusive attachments",
                input: [
                    "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive",
                    {
                        instanceArn: "arn:aws:sso:::instance/ssoins-1",
                        permissionSetArn: "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
                        managedPolicyArns: [
                            "arn:aws:iam::aws:policy/ReadOnlyAccess",
                            "arn:aws:iam::aws:policy/AdministratorAccess",
                        ],
                    },
                ],
                expected: [
                    message(
                        "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive",
                        "arn:aws:iam::aws:policy/AdministratorAccess",
                    ),
                ],
            },
            {
                name: "accepts ReadOnlyAccess on a permission set",
                input: [
                    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
                    { managedPolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
                ],
                expected: [],
            },
            {
                name: "rejects a FullAccess policy on an aws-native user",
                input: ["aws-native:iam:User", { managedPolicyArns: ["arn:aws:iam::aws:policy/IAMFullAccess"] }],
                expected: [message("aws-native:iam:User", "arn:aws:iam::aws:policy/IAMFullAccess")],
            },
        ],
        ([type, props]) => resourceViolations(iamNoManagedFullAccess, type, props),
    );
});
