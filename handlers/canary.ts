/**
 * The canary of `npm run verify`: one synthetic, clearly labelled WAF record written through a
 * resource stack's Firehose stream and followed to the end of the pipeline. Defined here, free of
 * imports, because the detector (serialized into its Lambda) must recognise the canary's address.
 */

/** Every canary's request ID starts with this, then a random UUID. */
export const CANARY_REQUEST_ID_PREFIX = "central-waf-logs-canary-";
/** The label every canary record carries, as WAF writes labels (`labels[].name`). */
export const CANARY_LABEL = "central-waf-logs:canary";
/**
 * The canary's client IP: an address of TEST-NET-1 (192.0.2.0/24, RFC 5737, "for use in
 * documentation"), which no real client has. One address only: the rest of 192.0.2.0/24 stays
 * ordinary, so examples and tests that use it keep their meaning.
 */
export const CANARY_CLIENT_IP = "192.0.2.250";
/** The range the detector never blocks, whatever the allowlist: the canary's address. */
export const CANARY_RANGE = `${CANARY_CLIENT_IP}/32`;
