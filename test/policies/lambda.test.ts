import { lambdaFunctionUrlAuth } from "../../policies/lambdaFunctionUrlAuth";
import { lambdaPermissionNoPublicInvoke } from "../../policies/lambdaPermissionNoPublicInvoke";
import { Case, resourceViolations, table } from "../support/policyArgs";

const PERMISSION = "aws:lambda/permission:Permission";
/** As committed: S3 invokes the copier for our own staging bucket. */
const BASELINE = {
    function: "copier",
    action: "lambda:InvokeFunction",
    principal: "s3.amazonaws.com",
    sourceArn: "arn:aws:s3:::waf-staging-bucket",
    sourceAccount: "222222222222",
};
const FIX_SERVICE = "set sourceAccount to your own account, and sourceArn to the exact source";
const FIX_PRINCIPAL = "name the principal, or set sourceAccount, sourceArn or principalOrgId";
const FIX_URL_NONE =
    "a function URL without authentication is open to anyone; set functionUrlAuthType to AWS_IAM (with the URL's authorizationType AWS_IAM) and name the principal";

describe("policy lambda-permission-no-public-invoke", () => {
    const cases: Case<Record<string, unknown>>[] = [
        { name: "accepts the baseline: S3 for our own bucket and account", input: {}, expected: [] },
        {
            name: "rejects S3 without sourceAccount (a deleted bucket's name can be claimed by anyone)",
            input: { sourceAccount: undefined },
            expected: [
                `Lambda permission r lets the service s3.amazonaws.com acting for any account call lambda:InvokeFunction on the function; ${FIX_SERVICE}.`,
            ],
        },
        {
            name: "rejects S3 with neither source",
            input: { sourceAccount: undefined, sourceArn: undefined },
            expected: [
                `Lambda permission r lets the service s3.amazonaws.com acting for any account call lambda:InvokeFunction on the function; ${FIX_SERVICE}.`,
            ],
        },
        {
            name: "rejects a wildcard sourceArn for S3, even with sourceAccount",
            input: { sourceArn: "arn:aws:s3:::*" },
            expected: [
                "Lambda permission r accepts s3.amazonaws.com events from any bucket matching arn:aws:s3:::*, and bucket names are global; name the exact bucket in sourceArn.",
            ],
        },
        {
            name: "rejects a wildcard sourceArn without sourceAccount with both messages",
            input: { sourceArn: "arn:aws:s3:::waf-*", sourceAccount: undefined },
            expected: [
                `Lambda permission r lets the service s3.amazonaws.com acting for any account call lambda:InvokeFunction on the function; ${FIX_SERVICE}.`,
                "Lambda permission r accepts s3.amazonaws.com events from any bucket matching arn:aws:s3:::waf-*, and bucket names are global; name the exact bucket in sourceArn.",
            ],
        },
        {
            name: "accepts SNS pinned by a topic ARN (the ARN names our account)",
            input: {
                principal: "sns.amazonaws.com",
                sourceArn: "arn:aws:sns:us-east-1:222222222222:alerts",
                sourceAccount: undefined,
            },
            expected: [],
        },
        {
            name: "rejects EventBridge pinned by a rule ARN of any account",
            input: {
                principal: "events.amazonaws.com",
                sourceArn: "arn:aws:events:us-east-1:*:rule/nightly",
                sourceAccount: undefined,
            },
            expected: [
                `Lambda permission r lets the service events.amazonaws.com acting for any account call lambda:InvokeFunction on the function; ${FIX_SERVICE}.`,
            ],
        },
        {
            name: "rejects a wildcard principal (Lambda's API takes only signed requests: any account)",
            input: { principal: "*", sourceArn: undefined, sourceAccount: undefined },
            expected: [
                `Lambda permission r lets principals of any AWS account call lambda:InvokeFunction on the function; ${FIX_PRINCIPAL}.`,
            ],
        },
        {
            name: "rejects a wildcard principal for a function URL without auth, advising AWS_IAM",
            input: {
                principal: "*",
                action: "lambda:InvokeFunctionUrl",
                functionUrlAuthType: "NONE",
                sourceArn: undefined,
                sourceAccount: undefined,
            },
            expected: [
                `Lambda permission r lets anonymous callers from the internet call lambda:InvokeFunctionUrl on the function; ${FIX_URL_NONE}.`,
            ],
        },
        {
            name: "rejects a wildcard principal for a function URL with IAM auth as any account (callers sign)",
            input: {
                principal: "*",
                action: "lambda:InvokeFunctionUrl",
                functionUrlAuthType: "AWS_IAM",
                sourceArn: undefined,
                sourceAccount: undefined,
            },
            expected: [
                "Lambda permission r lets principals of any AWS account call lambda:InvokeFunctionUrl on the function; name the principal, or set principalOrgId.",
            ],
        },
        {
            name: "accepts a function URL permission with IAM auth for the organization",
            input: {
                principal: "*",
                action: "lambda:InvokeFunctionUrl",
                functionUrlAuthType: "AWS_IAM",
                principalOrgId: "o-abc123",
                sourceArn: undefined,
                sourceAccount: undefined,
            },
            expected: [],
        },
        {
            name: "accepts a wildcard principal limited to the organization",
            input: { principal: "*", principalOrgId: "o-abc123", sourceArn: undefined, sourceAccount: undefined },
            expected: [],
        },
        {
            name: "accepts a wildcard principal limited to our account's sources",
            input: { principal: "*", sourceArn: undefined },
            expected: [],
        },
        {
            name: "accepts a named account",
            input: { principal: "333333333333", sourceArn: undefined, sourceAccount: undefined },
            expected: [],
        },
        {
            name: "rejects a role ARN with an account wildcard",
            input: { principal: "arn:aws:iam::*:role/invoker", sourceArn: undefined, sourceAccount: undefined },
            expected: [
                `Lambda permission r lets principals of any AWS account call lambda:InvokeFunction on the function; ${FIX_PRINCIPAL}.`,
            ],
        },
    ];
    table(cases, (change) =>
        resourceViolations(lambdaPermissionNoPublicInvoke, PERMISSION, { ...BASELINE, ...change }),
    );

    table<Record<string, unknown>>(
        [
            {
                name: "reads aws-native permissions the same way",
                input: {
                    functionName: "copier",
                    action: "lambda:InvokeFunction",
                    principal: "s3.amazonaws.com",
                    sourceArn: "arn:aws:s3:::b",
                },
                expected: [
                    `Lambda permission r lets the service s3.amazonaws.com acting for any account call lambda:InvokeFunction on the function; ${FIX_SERVICE}.`,
                ],
            },
        ],
        (props) => resourceViolations(lambdaPermissionNoPublicInvoke, "aws-native:lambda:Permission", props),
    );
});

describe("policy lambda-function-url-auth", () => {
    table<[string, Record<string, unknown>]>(
        [
            {
                name: "accepts AWS_IAM",
                input: ["aws:lambda/functionUrl:FunctionUrl", { functionName: "f", authorizationType: "AWS_IAM" }],
                expected: [],
            },
            {
                name: "rejects NONE",
                input: ["aws:lambda/functionUrl:FunctionUrl", { functionName: "f", authorizationType: "NONE" }],
                expected: [
                    "Lambda function URL r has authorizationType NONE: anyone on the internet can invoke the function; set authorizationType to AWS_IAM.",
                ],
            },
            {
                name: "rejects an aws-native URL with authType NONE",
                input: [
                    "aws-native:lambda:Url",
                    { targetFunctionArn: "arn:aws:lambda:us-east-1:111111111111:function:f", authType: "NONE" },
                ],
                expected: [
                    "Lambda function URL r has authType NONE: anyone on the internet can invoke the function; set authType to AWS_IAM.",
                ],
            },
            {
                name: "accepts an aws-native URL with AWS_IAM",
                input: ["aws-native:lambda:Url", { authType: "AWS_IAM" }],
                expected: [],
            },
        ],
        ([type, props]) => resourceViolations(lambdaFunctionUrlAuth, type, props),
    );
});
