import { ResourceValidationPolicy } from "@pulumi/policy";
import { ALLOWED_CIDRS_SCHEMA } from "./lib/findings";
import { resourcePolicyValidation } from "./lib/resourcePolicy";

/**
 * An access point is another door to a bucket, with its own policy: judged as a bucket policy is,
 * whatever its public-access block says (a block that refuses a public policy at deploy time
 * fails the deployment instead; the pack says why before it runs).
 */
export const s3AccessPointNoPublicPolicy: ResourceValidationPolicy = {
    name: "s3-access-point-no-public-policy",
    description:
        "No S3 access point policy may let anyone outside the organization in: anonymous callers, principals of any account, or a service acting for any account.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ALLOWED_CIDRS_SCHEMA } },
    validateResource: resourcePolicyValidation({
        noun: "S3 access point policy",
        documents: {
            "aws:s3/accessPoint:AccessPoint": ["policy"],
            "aws:s3control/accessPointPolicy:AccessPointPolicy": ["policy"],
            "aws-native:s3:AccessPoint": ["policy"],
        },
        actionScope: "s3:*",
        signedOnly: false,
    }),
};
