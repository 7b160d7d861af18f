import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

export const opensearchEncryptionAtRest: ResourceValidationPolicy = {
    name: "opensearch-encryption-at-rest",
    description: "OpenSearch domains must encrypt their data at rest.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TYPES.openSearchDomain, (props, args, report) => {
        // aws-native spells it encryptionAtRestOptions.
        if ((props.encryptAtRest ?? props.encryptionAtRestOptions)?.enabled !== true) {
            report(
                `The OpenSearch domain does not encrypt data at rest; set ${args.type.startsWith("aws-native:") ? "encryptionAtRestOptions" : "encryptAtRest"}.enabled to true, with a customer-managed key.`,
            );
        }
    }),
};
