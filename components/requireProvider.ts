import * as pulumi from "@pulumi/pulumi";

/**
 * Every component deploys through an explicit, account-pinned provider (Pulumi.yaml disables the
 * default one); a missing one is a programming error, named with the component and the account.
 */
export function requireProvider(
    component: string,
    name: string,
    opts: pulumi.ComponentResourceOptions,
    account: "logging" | "resource" | "management",
): void {
    if (!opts.provider) {
        throw new Error(`${component} ${name}: opts.provider is required; pass the ${account} account's aws.Provider.`);
    }
}
