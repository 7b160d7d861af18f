import { StackValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./lib/resources";

const PREFIX = "aws-waf-logs-";

/** The destination's name in an ARN: Firehose stream, S3 bucket or log group. */
export function destinationName(arn: string): string | undefined {
    return /(?:deliverystream\/|:::|log-group:)([^/:]+)/.exec(arn)?.[1];
}

export const wafLoggingDestinationPrefix: StackValidationPolicy = {
    name: "waf-logging-destination-prefix",
    description: "Every WAF logging destination must be named with the aws-waf-logs- prefix, as WAF requires.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const logging of args.resources.filter((r) => r.type === TYPES.wafLogging)) {
            const arns: unknown[] = Array.isArray(logging.props.logDestinationConfigs)
                ? logging.props.logDestinationConfigs
                : [];
            const names = arns.map((arn) => (typeof arn === "string" ? destinationName(arn) : undefined));
            // ARNs of streams created in the same update are unknown in a preview: check the streams themselves.
            const streams = (logging.propertyDependencies?.logDestinationConfigs ?? []).filter(
                (d) => d.type === TYPES.firehose,
            );
            for (const name of [...names, ...streams.map((s) => s.props.name)]) {
                if (typeof name === "string" && !name.startsWith(PREFIX)) {
                    report(
                        `WAF logging configuration ${logging.name} sends logs to "${name}", whose name does not start with ${PREFIX}; WAF rejects it. Rename the destination.`,
                        logging.urn,
                    );
                }
            }
        }
    },
};
