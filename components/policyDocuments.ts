/** IAM policy document types and the statements every bucket of this project shares. */

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: "*" | { AWS: string | string[] } | { Service: string | string[] };
    Action: string | string[];
    /** Absent only in trust policies, which must not have one. */
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: statements };
}

/** Refuses plain-HTTP access to a bucket and its objects, whoever asks. */
export function denyInsecureTransport(bucketArn: string): PolicyStatement {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/**
 * Limits a KMS grant to S3 using the key for one bucket. With S3 Bucket Keys (which every bucket
 * here enables) the encryption context is the bucket's ARN, not the object's.
 */
export function s3KeyUseCondition(bucketArn: string, region: string): Record<string, Record<string, string>> {
    return {
        StringEquals: {
            "kms:ViaService": `s3.${region}.amazonaws.com`,
            "kms:EncryptionContext:aws:s3:arn": bucketArn,
        },
    };
}

/**
 * Trust policy letting one AWS service assume a role only on behalf of `accountId` and only for
 * the resource `sourceArn` (confused-deputy protection: another customer's resource cannot make the
 * service act with this role).
 */
export function serviceTrustPolicy(
    service: string,
    accountId: string,
    sourceArn: string | readonly string[],
): PolicyDocument {
    return policyDocument([
        {
            Effect: "Allow",
            Principal: { Service: service },
            Action: "sts:AssumeRole",
            Condition: {
                StringEquals: { "aws:SourceAccount": accountId },
                ArnEquals: { "aws:SourceArn": typeof sourceArn === "string" ? sourceArn : [...sourceArn] },
            },
        },
    ]);
}

/**
 * Trust policy of a Lambda execution role, for functions of `accountId`. Lambda is the one
 * service here that assumes roles without a source ARN in the request (it assumes the role for the
 * function itself, not on behalf of another resource), so only the account is pinned.
 */
export function lambdaTrustPolicy(accountId: string): PolicyDocument {
    return policyDocument([
        {
            Effect: "Allow",
            Principal: { Service: "lambda.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        },
    ]);
}

/**
 * A grant to roles this stack does not create: their accounts' root with an `aws:PrincipalArn`
 * condition. IAM and the services reject a policy naming a role that does not exist ("Invalid
 * principal in policy"), and a named role that is recreated would silently lose the grant; the
 * condition admits exactly these roles, whenever they exist.
 */
export function rolesOutsideStack(
    roleArns: readonly string[],
): Pick<PolicyStatement, "Effect" | "Principal" | "Condition"> {
    const roots = [...new Set(roleArns.map((arn) => arn.replace(/^(arn:[\w-]+:iam::\d{12}):role\/.*$/, "$1:root")))];
    return {
        Effect: "Allow",
        Principal: { AWS: roots.length === 1 ? roots[0] : roots },
        Condition: { ArnEquals: { "aws:PrincipalArn": [...roleArns] } },
    };
}
