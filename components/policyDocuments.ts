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
