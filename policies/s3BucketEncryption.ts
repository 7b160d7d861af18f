import { StackValidationPolicy } from "@pulumi/policy";
import { bucketsIn, configurationsOf, describeBucket } from "./lib/buckets";
import { listProperty, objectProperty } from "./lib/props";
import { TYPES } from "./lib/resources";

const ALGORITHMS = ["aws:kms", "aws:kms:dsse", "AES256"];

/** The default algorithms an encryption setting declares, in the classic and aws-native shapes. */
function algorithmsOf(setting: { rules?: unknown; rule?: unknown; serverSideEncryptionConfiguration?: unknown }) {
    const rules = [...(listProperty(setting.rules) ?? []), ...(setting.rule ? [setting.rule] : [])];
    const native = listProperty(setting.serverSideEncryptionConfiguration) ?? [];
    return [
        ...rules.map((r: any) => r?.applyServerSideEncryptionByDefault?.sseAlgorithm),
        ...native.map((r: any) => r?.serverSideEncryptionByDefault?.sseAlgorithm),
    ];
}

export const s3BucketEncryption: StackValidationPolicy = {
    name: "s3-bucket-server-side-encryption",
    description: "Every S3 bucket must declare default server-side encryption, in every configuration that names it.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const bucket of bucketsIn(args.resources)) {
            const settings = configurationsOf(bucket, args.resources, TYPES.bucketEncryption).map((c) => ({
                where: `encryption configuration ${c.name}`,
                props: c.props,
            }));
            const inline =
                objectProperty(bucket.props.serverSideEncryptionConfiguration) ??
                objectProperty(bucket.props.bucketEncryption);
            if (inline) settings.push({ where: "its inline encryption setting", props: inline });
            if (settings.length === 0) {
                report(
                    `${describeBucket(bucket)} declares no default encryption; add an aws.s3.BucketServerSideEncryptionConfiguration (aws:kms with a customer-managed key for logs).`,
                    bucket.urn,
                );
                continue;
            }
            for (const { where, props } of settings) {
                if (!algorithmsOf(props).some((a) => ALGORITHMS.includes(a))) {
                    report(
                        `${describeBucket(bucket)} has ${where} without a default algorithm (aws:kms, aws:kms:dsse or AES256); set applyServerSideEncryptionByDefault.sseAlgorithm.`,
                        bucket.urn,
                    );
                }
            }
        }
    },
};
