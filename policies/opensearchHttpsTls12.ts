import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

/** TLS security policies whose minimum is TLS 1.2 or newer. */
export const TLS12_POLICIES = ["Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10"];

export const opensearchHttpsTls12: ResourceValidationPolicy = {
    name: "opensearch-https-tls12",
    description: "OpenSearch domains must accept HTTPS only, with TLS 1.2 or newer.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TYPES.openSearchDomain, (props, _args, report) => {
        const endpoint = props.domainEndpointOptions ?? {};
        if (endpoint.enforceHttps !== true) {
            report("The OpenSearch domain accepts plain HTTP; set domainEndpointOptions.enforceHttps to true.");
        }
        if (!TLS12_POLICIES.includes(endpoint.tlsSecurityPolicy)) {
            report(
                `The OpenSearch domain's TLS policy ${JSON.stringify(endpoint.tlsSecurityPolicy ?? "(default)")} allows TLS older than 1.2; set domainEndpointOptions.tlsSecurityPolicy to Policy-Min-TLS-1-2-2019-07.`,
            );
        }
    }),
};
