import { StackValidationPolicy } from "@pulumi/policy";

/** The engine names the providers it creates for resources without one `default` or `default_<version>`. */
export const isDefaultProvider = (name: string | undefined) =>
    name === "default" || (name ?? "").startsWith("default_");

export const pulumiExplicitProvider: StackValidationPolicy = {
    name: "pulumi-explicit-provider",
    description:
        "Every resource must be created through an explicit, account-pinned provider, never a default provider.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const resource of args.resources) {
            if (resource.type.startsWith("pulumi:")) continue;
            if (resource.provider && isDefaultProvider(resource.provider.name)) {
                report(
                    `${resource.type} ${resource.name} uses the default ${resource.provider.type.split(":").pop()} provider; pass the stack's provider (opts.provider or a parent's providers).`,
                    resource.urn,
                );
            }
        }
    },
};
