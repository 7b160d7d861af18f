/**
 * What a resource stack may point WAF at, read from ARNs: the Regional resources a web ACL can be
 * associated with, and existing web ACLs to adopt. Plain functions, so config validation and tests
 * share one reading of each ARN format.
 *
 * Resource types from the AWS WAF Developer Guide ("Resources that you can protect with AWS WAF"):
 * CloudFront distributions (CLOUDFRONT scope, set on the distribution itself), and, regionally,
 * Application Load Balancers, API Gateway REST APIs, AppSync GraphQL APIs, Cognito user pools, App
 * Runner services and Verified Access instances. Network and Gateway Load Balancers and API Gateway
 * HTTP APIs cannot have a web ACL.
 */

/** A Regional resource a web ACL can be associated with. */
export interface ProtectedArn {
    readonly arn: string;
    /** What it is, in words, for messages: `Application Load Balancer`, ... */
    readonly kind: string;
    /** A short, stable name for the association's resource name (an ALB's is its own name, as before). */
    readonly name: string;
    readonly partition: string;
    readonly region: string;
    /** Absent for API Gateway, whose ARNs carry no account. */
    readonly accountId?: string;
}

/** Why an ARN cannot be used, as a config problem's text and fix. */
export interface ArnProblem {
    readonly problem: string;
    readonly fix: string;
}

const PARTITIONS = ["aws", "aws-cn", "aws-us-gov"];
const ARN = /^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.+)$/;

export const PROTECTABLE =
    "an Application Load Balancer, API Gateway REST API stage, AppSync GraphQL API, Cognito user pool, App Runner service or Verified Access instance";

/** The Regional resource types, by service, with the resource part each ARN must have. */
const REGIONAL_TYPES: Record<
    string,
    { kind: string; resource: RegExp; name: (m: RegExpExecArray) => string; hasAccount: boolean; example: string }
> = {
    elasticloadbalancing: {
        kind: "Application Load Balancer",
        resource: /^loadbalancer\/app\/([\w-]+)\/[0-9a-f]+$/,
        name: (m) => m[1],
        hasAccount: true,
        example: "arn:aws:elasticloadbalancing:<region>:<account-id>:loadbalancer/app/<name>/<id>",
    },
    apigateway: {
        kind: "API Gateway REST API stage",
        resource: /^\/restapis\/([a-z0-9]+)\/stages\/([\w-]+)$/,
        name: (m) => `apigw-${m[1]}-${m[2]}`,
        hasAccount: false,
        example: "arn:aws:apigateway:<region>::/restapis/<api-id>/stages/<stage>",
    },
    appsync: {
        kind: "AppSync GraphQL API",
        resource: /^apis\/([a-z0-9]+)$/,
        name: (m) => `appsync-${m[1]}`,
        hasAccount: true,
        example: "arn:aws:appsync:<region>:<account-id>:apis/<api-id>",
    },
    "cognito-idp": {
        kind: "Cognito user pool",
        resource: /^userpool\/([a-z0-9-]+_[0-9A-Za-z]+)$/,
        name: (m) => `cognito-${m[1].replace("_", "-")}`,
        hasAccount: true,
        example: "arn:aws:cognito-idp:<region>:<account-id>:userpool/<pool-id>",
    },
    apprunner: {
        kind: "App Runner service",
        resource: /^service\/([\w-]+)\/[0-9a-f]+$/,
        name: (m) => `apprunner-${m[1]}`,
        hasAccount: true,
        example: "arn:aws:apprunner:<region>:<account-id>:service/<name>/<id>",
    },
    ec2: {
        kind: "Verified Access instance",
        resource: /^verified-access-instance\/(vai-[0-9a-f]+)$/,
        name: (m) => m[1],
        hasAccount: true,
        example: "arn:aws:ec2:<region>:<account-id>:verified-access-instance/<vai-id>",
    },
};

/** ARNs of resources WAF cannot protect by association, and why: refused with their reason. */
function unprotectable(service: string, resource: string): ArnProblem | undefined {
    if (service === "elasticloadbalancing" && /^loadbalancer\/(net|gwy)\//.test(resource)) {
        const kind = resource.startsWith("loadbalancer/net/") ? "a Network" : "a Gateway";
        return {
            problem: `is ${kind} Load Balancer, which AWS WAF cannot protect (it protects Application Load Balancers only)`,
            fix: "remove it; to filter its web traffic, put an Application Load Balancer or CloudFront in front of it",
        };
    }
    if (service === "apigateway" && /^\/apis\//.test(resource)) {
        return {
            problem: "is an API Gateway HTTP API (v2), which AWS WAF cannot protect (it protects REST API stages only)",
            fix: "remove it, or put CloudFront in front of the API and adopt the distribution's web ACL in this account's resource-global stack",
        };
    }
    if (service === "cloudfront") {
        return {
            problem:
                "is a CloudFront distribution, which takes its web ACL in its own settings, not by a WAF association",
            fix: "remove it; set the web ACL on the distribution and adopt that web ACL with existingWebAcls in this account's resource-global stack",
        };
    }
    return undefined;
}

/** Reads an ARN given in `protectedResourceArns`; a problem when WAF cannot protect it. */
export function parseProtectedArn(arn: unknown): ProtectedArn | ArnProblem {
    const m = typeof arn === "string" ? ARN.exec(arn) : null;
    if (!m) {
        return { problem: `${JSON.stringify(arn)} is not an ARN`, fix: `give the ARN of ${PROTECTABLE}` };
    }
    const [, partition, service, region, accountId, resource] = m;
    if (!PARTITIONS.includes(partition)) {
        return {
            problem: `"${arn}" has partition "${partition}", which is not an AWS partition`,
            fix: "use arn:aws:..., arn:aws-cn:... or arn:aws-us-gov:...",
        };
    }
    const refusal = unprotectable(service, resource);
    if (refusal) return { problem: `"${arn}" ${refusal.problem}`, fix: refusal.fix };
    const type = REGIONAL_TYPES[service];
    if (!type) {
        return {
            problem: `"${arn}" is not a resource AWS WAF can protect (service "${service}")`,
            fix: `give the ARN of ${PROTECTABLE}`,
        };
    }
    const r = type.resource.exec(resource);
    if (!r || (type.hasAccount ? !/^\d{12}$/.test(accountId) : accountId !== "")) {
        return { problem: `"${arn}" is not a valid ${type.kind} ARN`, fix: `use ${type.example}` };
    }
    return {
        arn: arn as string,
        kind: type.kind,
        name: type.name(r),
        partition,
        region,
        accountId: type.hasAccount ? accountId : undefined,
    };
}

/** An existing web ACL, read from its ARN. */
export interface WebAclArn {
    readonly arn: string;
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    /** `global` for CloudFront web ACLs (which live in us-east-1), `regional` otherwise. */
    readonly scope: "regional" | "global";
    readonly name: string;
}

const WEB_ACL_EXAMPLE = "arn:aws:wafv2:<region>:<account-id>:regional/webacl/<name>/<id>";

/** Reads an ARN given in `existingWebAcls`; a problem when it is not a web ACL of the current AWS WAF. */
export function parseWebAclArn(arn: unknown): WebAclArn | ArnProblem {
    const m = typeof arn === "string" ? ARN.exec(arn) : null;
    const fix = `use the web ACL's ARN (${WEB_ACL_EXAMPLE}, or global/webacl/... for CloudFront), as \`aws wafv2 list-web-acls\` prints it`;
    if (!m) return { problem: `${JSON.stringify(arn)} is not an ARN`, fix };
    const [, partition, service, region, accountId, resource] = m;
    if (!PARTITIONS.includes(partition)) {
        return {
            problem: `"${arn}" has partition "${partition}", which is not an AWS partition`,
            fix: "use arn:aws:..., arn:aws-cn:... or arn:aws-us-gov:...",
        };
    }
    if (service === "waf" || service === "waf-regional") {
        return {
            problem: `"${arn}" is an AWS WAF Classic web ACL, whose logging this stack does not configure`,
            fix: "migrate it to the current AWS WAF (wafv2) and adopt the new web ACL",
        };
    }
    const r = /^(regional|global)\/webacl\/([\w-]{1,128})\/[0-9a-f-]{36}$/.exec(resource);
    if (service !== "wafv2" || !r || !/^\d{12}$/.test(accountId)) {
        return { problem: `"${arn}" is not an AWS WAF web ACL ARN`, fix };
    }
    if (r[1] === "global" && region !== "us-east-1") {
        return {
            problem: `"${arn}" is not a valid CloudFront web ACL ARN: CloudFront web ACLs live in us-east-1`,
            fix: "copy the ARN again from `aws wafv2 list-web-acls --scope CLOUDFRONT --region us-east-1`",
        };
    }
    return { arn: arn as string, partition, region, accountId, scope: r[1] as "regional" | "global", name: r[2] };
}

export function isArnProblem<T extends object>(value: T | ArnProblem): value is ArnProblem {
    return "problem" in value;
}
