import { ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";

/** A resource validation that runs only for the given type tokens (matched on `args.type`). */
export function forTypes(
    types: string | readonly string[],
    validate: (props: Record<string, any>, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
    const wanted = new Set(typeof types === "string" ? [types] : types);
    return (args, report) => {
        if (wanted.has(args.type)) validate(args.props, args, report);
    };
}
