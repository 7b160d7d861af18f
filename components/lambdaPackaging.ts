import * as pulumi from "@pulumi/pulumi";
import * as packageJson from "../package.json";

/**
 * Code-path options that package only the npm packages a function needs. CallbackFunction
 * otherwise ships every production dependency; the Lambda runtime already provides the AWS SDK.
 */
export function packagesFor(needs: readonly string[]): pulumi.runtime.CodePathOptions {
    const all = Object.keys(packageJson.dependencies);
    const unknown = needs.filter((name) => !all.includes(name));
    if (unknown.length > 0) {
        throw new Error(`Lambda needs ${unknown.join(", ")}, which package.json does not list as a dependency.`);
    }
    return { extraExcludePackages: all.filter((name) => !needs.includes(name)) };
}
