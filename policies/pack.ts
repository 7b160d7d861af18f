/**
 * The policies of the pack, in one list that index.ts (the pack) and the offline gate share.
 * Tests import this module, never index.ts: constructing a PolicyPack starts a server.
 */
import { Policies } from "@pulumi/policy";
import { eventbridgeBusNoPublicAccess } from "./eventbridgeBusNoPublicAccess";
import { iamNoManagedFullAccess } from "./iamNoManagedFullAccess";
import { iamNoWildcardAllow } from "./iamNoWildcardAllow";
import { iamRoleTrustNoPublicAssume } from "./iamRoleTrustNoPublicAssume";
import { kmsKeyNoPublicAccess } from "./kmsKeyNoPublicAccess";
import { lambdaFunctionUrlAuth } from "./lambdaFunctionUrlAuth";
import { lambdaLayerNoPublicAccess } from "./lambdaLayerNoPublicAccess";
import { lambdaPermissionNoPublicInvoke } from "./lambdaPermissionNoPublicInvoke";
import { logsResourcePolicyNoPublicAccess } from "./logsResourcePolicyNoPublicAccess";
import { opensearchEncryptionAtRest } from "./opensearchEncryptionAtRest";
import { opensearchFineGrainedAccessControl } from "./opensearchFineGrainedAccessControl";
import { opensearchHttpsTls12 } from "./opensearchHttpsTls12";
import { opensearchNoPublicAccess } from "./opensearchNoPublicAccess";
import { opensearchNodeToNodeEncryption } from "./opensearchNodeToNodeEncryption";
import { opensearchServerlessNoPublicAccess } from "./opensearchServerlessNoPublicAccess";
import { pulumiExplicitProvider } from "./pulumiExplicitProvider";
import { pulumiProviderAllowedAccountIds } from "./pulumiProviderAllowedAccountIds";
import { s3AccessPointNoPublicPolicy } from "./s3AccessPointNoPublicPolicy";
import { s3BucketEncryption } from "./s3BucketEncryption";
import { s3BucketNoPublicAcl } from "./s3BucketNoPublicAcl";
import { s3BucketNoPublicPolicy } from "./s3BucketNoPublicPolicy";
import { s3BucketPublicAccessBlock } from "./s3BucketPublicAccessBlock";
import { s3BucketTlsOnly } from "./s3BucketTlsOnly";
import { s3ObjectLockDeniesBypass } from "./s3ObjectLockDeniesBypass";
import { secretsmanagerSecretNoPublicAccess } from "./secretsmanagerSecretNoPublicAccess";
import { snsTopicNoPublicAccess } from "./snsTopicNoPublicAccess";
import { sqsQueueNoPublicAccess } from "./sqsQueueNoPublicAccess";
import { wafLoggingDestinationPrefix } from "./wafLoggingDestinationPrefix";

export const PACK_NAME = "central-waf-logs";

export const POLICIES: Policies = [
    opensearchNoPublicAccess,
    opensearchEncryptionAtRest,
    opensearchNodeToNodeEncryption,
    opensearchHttpsTls12,
    opensearchFineGrainedAccessControl,
    opensearchServerlessNoPublicAccess,
    s3BucketPublicAccessBlock,
    s3BucketEncryption,
    s3BucketTlsOnly,
    s3ObjectLockDeniesBypass,
    s3BucketNoPublicPolicy,
    s3BucketNoPublicAcl,
    s3AccessPointNoPublicPolicy,
    kmsKeyNoPublicAccess,
    snsTopicNoPublicAccess,
    eventbridgeBusNoPublicAccess,
    logsResourcePolicyNoPublicAccess,
    sqsQueueNoPublicAccess,
    secretsmanagerSecretNoPublicAccess,
    wafLoggingDestinationPrefix,
    iamRoleTrustNoPublicAssume,
    iamNoWildcardAllow,
    iamNoManagedFullAccess,
    lambdaPermissionNoPublicInvoke,
    lambdaFunctionUrlAuth,
    lambdaLayerNoPublicAccess,
    pulumiExplicitProvider,
    pulumiProviderAllowedAccountIds,
];
