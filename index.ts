/**
 * central-waf-logs: one Pulumi program, one stack per account and Region. The `logging` stack
 * owns the central bucket; each `resource-<region>` stack ships its Region's WAF logs into it.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./config";
import { buildStack } from "./stacks";

const config = parseStackConfig(pulumi.getStack(), pulumi.runtime.allConfig());

export = buildStack(config);
