import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

export const opensearchNodeToNodeEncryption: ResourceValidationPolicy = {
    name: "opensearch-node-to-node-encryption",
    description: "OpenSearch domains must encrypt traffic between their nodes.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TYPES.openSearchDomain, (props, args, report) => {
        // aws-native spells it nodeToNodeEncryptionOptions.
        if ((props.nodeToNodeEncryption ?? props.nodeToNodeEncryptionOptions)?.enabled !== true) {
            report(
                `The OpenSearch domain does not encrypt node-to-node traffic; set ${args.type.startsWith("aws-native:") ? "nodeToNodeEncryptionOptions" : "nodeToNodeEncryption"}.enabled to true.`,
            );
        }
    }),
};
