import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

export const opensearchFineGrainedAccessControl: ResourceValidationPolicy = {
    name: "opensearch-fine-grained-access-control",
    description: "OpenSearch domains must use fine-grained access control.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TYPES.openSearchDomain, (props, _args, report) => {
        if (props.advancedSecurityOptions?.enabled !== true) {
            report(
                "The OpenSearch domain has no fine-grained access control; set advancedSecurityOptions.enabled to true with an IAM master user.",
            );
        }
    }),
};
