/**
 * One validation for every resource policy the pack judges the same way: read the document a
 * resource carries (or the statement a permission-style resource stands for), ask the evaluation
 * core who outside can get in, and report each finding with its fix. KMS keys, SNS topics,
 * EventBridge buses, CloudWatch Logs, SQS queues, Lambda layers, Secrets Manager secrets and S3
 * access points all go through here, so a fix to the core reaches them all.
 */
import { ResourceValidation } from "@pulumi/policy";
import { publicAccess } from "./access";
import { AllowedCidrsConfig, findingSentence, fixFor, unreadableMessage } from "./findings";

export interface ResourcePolicySpec {
    /** How messages name the document: "SNS topic policy" gives "SNS topic policy r: ...". */
    readonly noun: string;
    /** Per resource type, the properties that may hold the document (the first one set is read). */
    readonly documents: Readonly<Record<string, readonly string[]>>;
    /**
     * Per resource type, the document a permission-style resource stands for (a principal and
     * conditions as properties), built as the service writes it into the resource's policy.
     */
    readonly statements?: Readonly<Record<string, (props: Record<string, any>) => unknown>>;
    /** The actions the resource answers to, e.g. `sns:*`. */
    readonly actionScope: string;
    /** The service takes only signed requests: "*" means principals of any AWS account. */
    readonly signedOnly: boolean;
    /** Advice for a service acting for any account, where aws:SourceAccount is not the fitting condition. */
    readonly serviceFix?: string;
    /** Advice for a wildcard principal, where the resource names its own settings (e.g. organizationId). */
    readonly principalsFix?: string;
}

const isSet = (value: unknown) => value !== undefined && value !== null && value !== "";

/** The validation of `spec`: runs for the types it names, on the document each carries. */
export function resourcePolicyValidation(spec: ResourcePolicySpec): ResourceValidation {
    return (args, report) => {
        const build = spec.statements?.[args.type];
        const properties = spec.documents[args.type];
        if (!build && !properties) return;
        const policy = build ? build(args.props) : properties!.map((p) => args.props[p]).find(isSet);
        // No document: AWS's default, the resource's own account only.
        if (!isSet(policy)) return;
        const subject = `${spec.noun} ${args.name}`;
        const { allowedCidrs } = args.getConfig<AllowedCidrsConfig>();
        const result = publicAccess(policy, {
            allowedCidrs,
            actionScope: spec.actionScope,
            signedOnly: spec.signedOnly,
        });
        if (!result.readable) {
            report(unreadableMessage(subject, result));
            return;
        }
        for (const f of result.findings) {
            const fix =
                spec.principalsFix && f.adversary.principal.kind !== "service"
                    ? spec.principalsFix
                    : fixFor(f, spec.serviceFix);
            report(`${subject}: ${findingSentence(f)}; ${fix}.`);
        }
    };
}

/** A permission's principal ("*" or an account ID) as a policy statement writes it. */
export const principalEntry = (principal: string) => (principal === "*" ? "*" : { AWS: principal });
