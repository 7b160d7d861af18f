/** Resource type tokens the policies look at, so a rename is one edit. */
export const TYPES = {
    openSearchDomain: ["aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain"],
    openSearchDomainPolicy: ["aws:opensearch/domainPolicy:DomainPolicy", "aws:elasticsearch/domainPolicy:DomainPolicy"],
    bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
    bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketEncryption: [
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    ],
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    wafLogging: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    firehose: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    lambdaPermission: "aws:lambda/permission:Permission",
};

/** The bucket name a bucket-configuration resource (or a bucket) refers to. */
export function bucketNameOf(props: Record<string, any>): string | undefined {
    return typeof props.bucket === "string" ? props.bucket : undefined;
}
