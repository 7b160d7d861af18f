import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

export const opensearchNodeToNodeEncryption: ResourceValidationPolicy = {
    name: "opensearch-node-to-node-encryption",
    description: "OpenSearch domains must encrypt traffic between their nodes.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TYPES.openSearchDomain, (props, _args, report) => {
        if (props.nodeToNodeEncryption?.enabled !== true) {
            report(
                "The OpenSearch domain does not encrypt node-to-node traffic; set nodeToNodeEncryption.enabled to true.",
            );
        }
    }),
};
