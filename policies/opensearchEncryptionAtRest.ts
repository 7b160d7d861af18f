import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

export const opensearchEncryptionAtRest: ResourceValidationPolicy = {
    name: "opensearch-encryption-at-rest",
    description: "OpenSearch domains must encrypt their data at rest.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TYPES.openSearchDomain, (props, _args, report) => {
        if (props.encryptAtRest?.enabled !== true) {
            report(
                "The OpenSearch domain does not encrypt data at rest; set encryptAtRest.enabled to true, with a customer-managed key.",
            );
        }
    }),
};
