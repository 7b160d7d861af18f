/**
 * The CrossGuard pack: `pulumi preview --policy-pack policies`. Only constructs the pack; the
 * policies live in their own modules (see pack.ts), which the tests and `npm run gate` import.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "./pack";

new PolicyPack(PACK_NAME, { policies: POLICIES, enforcementLevel: "mandatory" });
