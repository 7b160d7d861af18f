import { wafLoggingDestinationPrefix } from "../../policies/wafLoggingDestinationPrefix";
import { FixtureResource, stackViolations, table } from "../support/policyArgs";

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
    const rejected = (name: string) =>
        `WAF logging configuration logging sends logs to "${name}", whose name does not start with aws-waf-logs-; WAF rejects it. Rename the destination.`;
    table<FixtureResource[]>(
        [
            {
                name: "accepts a Firehose stream named aws-waf-logs-*",
                input: [
                    logging("arn:aws:firehose:us-east-1:222222222222:deliverystream/aws-waf-logs-central-us-east-1"),
                ],
                expected: [],
            },
            {
                name: "accepts an S3 bucket named aws-waf-logs-*",
                input: [logging("arn:aws:s3:::aws-waf-logs-archive")],
                expected: [],
            },
            {
                name: "accepts a log group named aws-waf-logs-*",
                input: [logging("arn:aws:logs:us-east-1:222222222222:log-group:aws-waf-logs-app")],
                expected: [],
            },
            {
                name: "rejects a destination without the prefix, by ARN",
                input: [logging("arn:aws:firehose:us-east-1:222222222222:deliverystream/waf-logs")],
                expected: [rejected("waf-logs")],
            },
            {
                name: "rejects a stream without the prefix when the ARN is not known yet",
                input: [stream("waf"), logging("unknown", ["stream"])],
                expected: [rejected("waf")],
            },
        ],
        (fixtures) => stackViolations(wafLoggingDestinationPrefix, fixtures),
    );
});
