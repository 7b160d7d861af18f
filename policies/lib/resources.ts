/** Resource type tokens the policies look at, so a rename is one edit. */
export const TYPES = {
    openSearchDomain: [
        "aws:opensearch/domain:Domain",
        "aws:elasticsearch/domain:Domain",
        "aws-native:opensearchservice:Domain",
    ],
    openSearchDomainPolicy: ["aws:opensearch/domainPolicy:DomainPolicy", "aws:elasticsearch/domainPolicy:DomainPolicy"],
    openSearchEndpointAccess: "aws:opensearch/authorizeVpcEndpointAccess:AuthorizeVpcEndpointAccess",
    serverlessSecurityPolicy: [
        "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy",
        "aws-native:opensearchserverless:SecurityPolicy",
    ],
    serverlessAccessPolicy: [
        "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy",
        "aws-native:opensearchserverless:AccessPolicy",
    ],
    bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws-native:s3:Bucket"],
    nativeBucket: "aws-native:s3:Bucket",
    bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketEncryption: [
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    ],
    bucketPolicy: ["aws:s3/bucketPolicy:BucketPolicy", "aws-native:s3:BucketPolicy"],
    bucketAcl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
    bucketObject: [
        "aws:s3/bucketObject:BucketObject",
        "aws:s3/bucketObjectv2:BucketObjectv2",
        "aws:s3/objectCopy:ObjectCopy",
    ],
    role: ["aws:iam/role:Role", "aws-native:iam:Role"],
    wafLogging: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    firehose: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    lambdaPermission: ["aws:lambda/permission:Permission", "aws-native:lambda:Permission"],
    functionUrl: ["aws:lambda/functionUrl:FunctionUrl", "aws-native:lambda:Url"],
    accountPinnedProvider: ["pulumi:providers:aws", "pulumi:providers:aws-native"],
};

/** The bucket name a bucket, or a resource configuring one, refers to; undefined when not known. */
export function bucketNameOf(type: string, props: Record<string, any>): string | undefined {
    const name = type === TYPES.nativeBucket ? props.bucketName : props.bucket;
    return typeof name === "string" && name !== "" ? name : undefined;
}
