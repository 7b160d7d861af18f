import { StackConfig } from "../config";
import { loggingStack } from "./logging";
import { resourceStack } from "./resource";

/** Builds the stack for its configured role and returns its outputs. */
export function buildStack(config: StackConfig): Promise<Record<string, unknown>> {
    return config.role === "logging" ? loggingStack(config) : resourceStack(config);
}
