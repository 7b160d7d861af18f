/**
 * Entry point of the blocklist operator Lambda in the logging account, behind a function URL
 * with AWS_IAM auth: `npm run blocklist -- add|remove|promote` signs a POST to it. Lambda puts the
 * authenticated caller in `requestContext.authorizer.iam`; that, not anything in the body, is the
 * actor of the audit record. The operator policy grants this URL and reading the tables, never a
 * write, so every change an operator makes passes `changeBlocklist`'s checks with its audit record.
 */
import { BlockPolicy } from "./blocklist";
import { changeBlocklist, isChangeRefused, parseChangeRequest } from "./blocklistChange";
import { BlocklistTables, dynamoBlocklistStore } from "./blocklistStore";

/** Largest request body read, bytes: a change is a few hundred. */
export const MAX_OPERATOR_BODY_BYTES = 4096;

export interface OperatorSettings {
    readonly tables: BlocklistTables;
    readonly policy: BlockPolicy;
}

/** The parts of a function URL event (payload format 2.0) the operator reads. */
interface FunctionUrlEvent {
    readonly body?: string;
    readonly isBase64Encoded?: boolean;
    readonly requestContext?: {
        readonly http?: { readonly method?: string };
        readonly authorizer?: { readonly iam?: { readonly userArn?: string; readonly accountId?: string } };
    };
}

export interface OperatorResponse {
    readonly statusCode: number;
    readonly headers: Record<string, string>;
    readonly body: string;
}

const answer = (statusCode: number, fields: Record<string, unknown>): OperatorResponse => ({
    statusCode,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fields),
});

/** What a request asks, or the answer refusing it: method, caller, size and JSON are checked first. */
function readRequest(event: FunctionUrlEvent): { actor: string; body: unknown } | OperatorResponse {
    const actor = event?.requestContext?.authorizer?.iam?.userArn;
    if (typeof actor !== "string" || actor === "") {
        // Only the function URL with AWS_IAM auth fills this in; the operator policy grants nothing else.
        return answer(403, { refused: "Call the blocklist operator through its IAM-authenticated function URL." });
    }
    if (event.requestContext?.http?.method !== "POST") return answer(405, { refused: "Use POST." });
    const raw = event.body ?? "";
    const text = event.isBase64Encoded ? Buffer.from(raw, "base64").toString("utf8") : raw;
    if (Buffer.byteLength(text) > MAX_OPERATOR_BODY_BYTES) {
        return answer(413, { refused: `The request is larger than ${MAX_OPERATOR_BODY_BYTES} bytes.` });
    }
    try {
        return { actor, body: JSON.parse(text) };
    } catch {
        return answer(400, { refused: "The request body is not JSON." });
    }
}

export function operatorCallbackFactory(
    settings: OperatorSettings,
): () => (event: unknown) => Promise<OperatorResponse> {
    return () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const dynamoSdk = require("@aws-sdk/client-dynamodb");
        const client = new dynamoSdk.DynamoDBClient({
            requestHandler: { connectionTimeout: 3000, requestTimeout: 10_000 },
        });
        const store = dynamoBlocklistStore(dynamoSdk, client, settings.tables);
        return async (event: unknown) => {
            const request = readRequest(event as FunctionUrlEvent);
            if ("statusCode" in request) return request;
            try {
                const change = parseChangeRequest(request.body);
                const message = await changeBlocklist(change, {
                    store,
                    actor: request.actor,
                    now: Date.now(),
                    policy: settings.policy,
                });
                console.log(JSON.stringify({ msg: "blocklist change", actor: request.actor, ...change, message }));
                return answer(200, { message });
            } catch (err: unknown) {
                if (isChangeRefused(err)) {
                    const refused = err.message;
                    console.log(JSON.stringify({ msg: "blocklist change refused", actor: request.actor, refused }));
                    return answer(400, { refused });
                }
                // A malformed stored item, DynamoDB unreachable: Lambda answers 502 and logs it.
                throw err;
            }
        };
    };
}
