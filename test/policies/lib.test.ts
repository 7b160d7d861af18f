import * as assert from "assert";
import { publicAccess } from "../../policies/lib/access";
import { PUBLIC_ADDRESSES, parseCidr, parseCidrs } from "../../policies/lib/cidr";
import { parsePolicy, readPolicy } from "../../policies/lib/document";
import { readJson } from "../../policies/lib/json";
import { globCovers, globMatch, patternMatchesTemplate, patternsIntersect, template } from "../../policies/lib/glob";
import { parseOperator, truthWhenAbsent } from "../../policies/lib/operators";
import { coversEveryAction, isEveryResource } from "../../policies/lib/wildcards";
import { table } from "../support/policyArgs";
import { doc } from "./fixtures";

describe("IAM globs", () => {
    table<[string, string, boolean]>(
        [
            { name: "* matches anything", input: ["*", "arn:aws:s3:::b/k", true], expected: [] },
            { name: "? matches one character", input: ["s3:Get?bject", "s3:GetObject", true], expected: [] },
            { name: "? does not match two", input: ["a?c", "abbc", false], expected: [] },
            {
                name: "regex characters are literal",
                input: ["arn:aws:s3:::a.b", "arn:aws:s3:::aXb", false],
                expected: [],
            },
            { name: "${*} is a literal star", input: ["a${*}", "a*", true], expected: [] },
            { name: "${*} does not match other text", input: ["a${*}", "ab", false], expected: [] },
        ],
        ([pattern, value, matches]) => (globMatch(pattern, value) === matches ? [] : [`${pattern} vs ${value}`]),
    );

    table<[string, string, boolean]>(
        [
            { name: "s3:* covers s3:Get*", input: ["s3:*", "s3:Get*", true], expected: [] },
            { name: "* covers *", input: ["*", "*", true], expected: [] },
            { name: "s3:Get* does not cover s3:*", input: ["s3:Get*", "s3:*", false], expected: [] },
            {
                name: "arn:aws:s3:::b/* covers arn:aws:s3:::b/logs/*",
                input: ["arn:aws:s3:::b/*", "arn:aws:s3:::b/logs/*", true],
                expected: [],
            },
            { name: "? does not cover *", input: ["a?", "a*", false], expected: [] },
        ],
        ([outer, inner, covers]) => (globCovers(outer, inner) === covers ? [] : [`${outer} over ${inner}`]),
    );

    it("matches an adversary's account only through a wildcard", () => {
        const principal = template("arn:{any^:}:iam::{owned^:}:{any}");
        assert.strictEqual(patternMatchesTemplate("arn:aws:iam::111111111111:role/a", principal), false);
        assert.strictEqual(patternMatchesTemplate("arn:aws:iam::*:role/a", principal), true);
        assert.strictEqual(patternMatchesTemplate("arn:aws:iam::11111111111?:role/a", principal), true);
        assert.strictEqual(patternMatchesTemplate("arn:aws:iam::111111111111:*", principal), false);
        assert.strictEqual(patternMatchesTemplate("*", principal), true);
    });

    it("reads an account as exactly twelve owned digits: spelling all twelve names one account", () => {
        const principal = template("arn:{any^:}:iam::{account}:{any}");
        assert.deepStrictEqual(
            [
                "arn:aws:iam::111111111111*",
                "arn:aws:iam::111111111111:*",
                "arn:aws:iam::11111111111?*",
                "arn:aws:iam::1111111111*",
                "arn:aws:iam::1111111111111*",
                "arn:aws:iam::*",
            ].map((p) => patternMatchesTemplate(p, principal)),
            [false, false, true, true, false, true],
        );
    });

    it("reads the resource's own account, organization and path variables as ours: no adversary owns them", () => {
        const account = template("{account}");
        const chosen = template("{any}");
        assert.deepStrictEqual(
            ["${aws:ResourceAccount}", "${aws:resourceaccount}", "${aws:ResourceOrgID}", "${aws:username}"].map((p) =>
                patternMatchesTemplate(p, account),
            ),
            [false, false, false, true],
        );
        // A value the caller chooses can be anything, ours included.
        assert.strictEqual(patternMatchesTemplate("${aws:ResourceAccount}", chosen), true);
        // Under 2008-10-17 there are no variables: the text is literal.
        assert.strictEqual(
            globMatch("${aws:username}", "${aws:username}", false, { wildcards: true, variables: "literal" }),
            true,
        );
        assert.strictEqual(
            globMatch("${aws:username}", "bob", false, { wildcards: true, variables: "literal" }),
            false,
        );
    });

    it("intersects two patterns", () => {
        assert.strictEqual(patternsIntersect("s3:Get*", "s3:*Object"), true);
        assert.strictEqual(patternsIntersect("s3:Get*", "s3:Put*"), false);
        assert.strictEqual(patternsIntersect("S3:GETOBJECT", "s3:getobject", true), true);
    });

    it("tells every action and every resource by the glob, not the text", () => {
        assert.deepStrictEqual(
            ["*", "*:*", "s3:*", "s3:?*", "s3*", "s3:Get*", "iam:PassRole"].map((a) => coversEveryAction(a)),
            [true, true, true, true, true, false, false],
        );
        assert.deepStrictEqual(
            [
                "*",
                "arn:*",
                "arn:aws:s3:::*",
                "arn:aws:s3:::*/*",
                "arn:aws:s3:::b/*",
                "arn:aws:sqs:us-east-1:111111111111:q",
            ].map(isEveryResource),
            [true, true, true, true, false, false],
        );
    });
});

describe("CIDR coverage", () => {
    it("reads ranges as sets: host bits ignored, halves add up, mapped IPv6 is IPv4", () => {
        assert.deepStrictEqual(parseCidr("10.0.0.1/8"), parseCidr("10.0.0.0/8"));
        assert.deepStrictEqual(parseCidrs(["0.0.0.0/1", "128.0.0.0/1"]).v4, parseCidr("0.0.0.0/0")!.v4);
        assert.deepStrictEqual(parseCidr("::ffff:10.0.0.0/104"), parseCidr("10.0.0.0/8"));
    });

    it("refuses what is not a range (AWS does not read 010.0.0.0 as octal)", () => {
        assert.deepStrictEqual(
            ["010.0.0.0/8", "10/8", "10.0.0.0/33", "10.0.0.0/8/1", "fe80::1%eth0", "not-an-ip"].map(parseCidr),
            [undefined, undefined, undefined, undefined, undefined, undefined],
        );
    });

    it("counts private, shared, documentation and IPv6 non-global ranges as not public", () => {
        for (const range of ["10.0.0.0/8", "100.64.0.0/10", "192.0.2.0/24", "fd00::/8", "fe80::/10", "2001:db8::/32"]) {
            assert.ok(parseCidr(range)!.intersect(PUBLIC_ADDRESSES).isEmpty(), range);
        }
        for (const range of ["8.8.8.8", "52.94.0.0/16", "2600::/16", "2002::/16"]) {
            assert.ok(!parseCidr(range)!.intersect(PUBLIC_ADDRESSES).isEmpty(), range);
        }
        assert.strictEqual(
            parseCidrs(["0.0.0.0/0"])
                .subtract(parseCidrs(["0.0.0.0/1"]))
                .intersect(PUBLIC_ADDRESSES)
                .sample(),
            "128.0.0.0",
        );
    });
});

describe("condition operators", () => {
    table<[string, boolean]>(
        [
            { name: "StringEquals is false when the key is missing", input: ["StringEquals", false], expected: [] },
            { name: "StringNotEquals is true when the key is missing", input: ["StringNotEquals", true], expected: [] },
            { name: "NotIpAddress is true when the key is missing", input: ["NotIpAddress", true], expected: [] },
            {
                name: "...IfExists is true when the key is missing",
                input: ["StringEqualsIfExists", true],
                expected: [],
            },
            {
                name: "ForAllValues is true when the key is missing (the classic trap)",
                input: ["ForAllValues:StringEquals", true],
                expected: [],
            },
            {
                name: "ForAnyValue is false when the key is missing",
                input: ["ForAnyValue:StringLike", false],
                expected: [],
            },
            { name: "Bool is false when the key is missing", input: ["Bool", false], expected: [] },
        ],
        ([name, absent]) => (truthWhenAbsent(parseOperator(name)!, ["x"]) === absent ? [] : [name]),
    );

    it("reads Null by presence and refuses operators AWS does not define", () => {
        assert.strictEqual(truthWhenAbsent(parseOperator("Null")!, ["true"]), true);
        assert.strictEqual(truthWhenAbsent(parseOperator("Null")!, ["false"]), false);
        assert.deepStrictEqual(["StringEqualsAnyCase", "NullIfExists", "ForAnyValue:Null"].map(parseOperator), [
            undefined,
            undefined,
            undefined,
        ]);
    });
});

describe("policy documents", () => {
    it("normalizes a single statement, list-or-string elements and principal maps", () => {
        const [s] = parsePolicy({
            Statement: {
                Sid: "A",
                Effect: "Allow",
                Principal: { AWS: ["x", "y"], Service: "s3.amazonaws.com" },
                Action: "s3:GetObject",
                Condition: { Bool: { "aws:SecureTransport": true } },
            },
        })!;
        assert.deepStrictEqual(s, {
            index: 0,
            variables: "literal",
            sid: "A",
            effect: "Allow",
            principal: [
                { key: "AWS", value: "x" },
                { key: "AWS", value: "y" },
                { key: "Service", value: "s3.amazonaws.com" },
            ],
            notPrincipal: undefined,
            action: ["s3:GetObject"],
            notAction: undefined,
            resource: undefined,
            notResource: undefined,
            conditions: [{ operator: "Bool", key: "aws:SecureTransport", values: ["true"] }],
        });
    });

    it("reads variables only under Version 2012-10-17 (AWS's default, 2008-10-17, has none)", () => {
        const statement = { Effect: "Allow", Principal: "*", Action: "s3:GetObject" };
        assert.deepStrictEqual(
            [{ Version: "2012-10-17" }, { Version: "2008-10-17" }, {}].map(
                (v) => parsePolicy({ ...v, Statement: [statement] })![0].variables,
            ),
            ["wide", "literal", "literal"],
        );
    });

    table<unknown>(
        [
            {
                name: "refuses a key written twice in a statement (JSON.parse would keep the last)",
                input: '{"Statement":[{"Effect":"Allow","Condition":{"A":{}},"Condition":{"B":{}}}]}',
                expected: ["statement #1 has the key Condition twice"],
            },
            {
                name: "names the place of a key written twice deeper down, in a single statement",
                input: '{"Statement":{"Effect":"Allow","Condition":{"StringLike":{"k":"a","k":"b"}}}}',
                expected: ["statement #1's Condition.StringLike has the key k twice"],
            },
            {
                name: "refuses a document with two Statement keys",
                input: '{"Statement":[],"Statement":[{"Effect":"Allow"}]}',
                expected: ["the document has the key Statement twice"],
            },
            {
                name: "refuses element names that differ only in case",
                input: { Statement: [{ Effect: "Deny", effect: "Allow" }] },
                expected: ["statement #1 has the keys Effect and effect, which AWS reads as one"],
            },
            {
                name: "refuses an element name spelled in lower case",
                input: { Statement: [{ effect: "Allow", principal: "*" }] },
                expected: ["statement #1 spells Effect as effect"],
            },
            {
                name: "refuses a Statement element spelled in lower case (it would hide every statement)",
                input: { statement: [{ Effect: "Allow", Principal: "*" }] },
                expected: ["the document spells Statement as statement"],
            },
            {
                name: "refuses principal types that differ only in case",
                input: { Statement: [{ Effect: "Allow", Principal: { AWS: "111111111111", aws: "*" } }] },
                expected: ["statement #1's Principal has the keys AWS and aws, which AWS reads as one"],
            },
            {
                name: "refuses condition operators that differ only in case",
                input: { Statement: [{ Effect: "Allow", Condition: { StringEquals: {}, stringequals: {} } }] },
                expected: [
                    "statement #1's Condition has the operators StringEquals and stringequals, which AWS reads as one",
                ],
            },
            {
                name: "refuses condition keys equal ignoring case with different values",
                input: {
                    Statement: [
                        {
                            Effect: "Allow",
                            Condition: { StringLike: { "aws:PrincipalOrgID": "o-*", "aws:principalorgid": "o-abc" } },
                        },
                    ],
                },
                expected: [
                    "statement #1's Condition.StringLike has the keys aws:PrincipalOrgID and aws:principalorgid with different values, which AWS reads as one key",
                ],
            },
            {
                name: "reads condition keys equal ignoring case with the same values (one reading)",
                input: {
                    Statement: [
                        {
                            Effect: "Allow",
                            Condition: {
                                StringEquals: { "aws:PrincipalOrgID": "o-abc", "aws:principalorgid": "o-abc" },
                            },
                        },
                    ],
                },
                expected: ["read"],
            },
        ],
        (policy) => {
            const reading = readPolicy(policy);
            return [reading.kind === "ambiguous" ? reading.reason : reading.kind];
        },
    );

    it("reads JSON as JSON.parse does, listing duplicate keys and keeping __proto__ an ordinary key", () => {
        const text = '{"a":[1,2.5e1,true,null,"\\u00e9\\n"],"__proto__":{"x":1},"b":{"c":1,"c":2}}';
        const reading = readJson(text)!;
        assert.deepStrictEqual(JSON.stringify(reading.value), JSON.stringify(JSON.parse(text)));
        assert.deepStrictEqual(Object.getPrototypeOf(reading.value), Object.prototype);
        assert.deepStrictEqual(reading.duplicates, [{ key: "c", path: ["b"] }]);
        assert.deepStrictEqual(["{", '{"a":1,}', "[1 2]", '"\\x"', "01", '{"a":1} x', ""].map(readJson), [
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
        ]);
    });

    it("refuses documents it cannot read, and marks conditions it cannot read", () => {
        assert.deepStrictEqual(
            [parsePolicy("{"), parsePolicy(42), parsePolicy({ Statement: ["x"] })],
            [undefined, undefined, undefined],
        );
        assert.strictEqual(
            parsePolicy({ Statement: [{ Effect: "Allow", Condition: "yes" }] })![0].conditions,
            "unreadable",
        );
    });
});

describe("public access evaluation", () => {
    const ids = (policy: unknown, options = {}) => {
        const result = publicAccess(policy, options);
        return result.readable ? result.findings.map((f) => `${f.statement.index}:${f.adversary.id}`) : ["unreadable"];
    };

    it("reports one finding per reachable Allow, naming the first adversary that gets in", () => {
        assert.deepStrictEqual(
            ids(
                doc(
                    { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
                    {
                        Effect: "Allow",
                        Principal: { AWS: "arn:aws:iam::*:root" },
                        Action: "s3:PutObject",
                        Resource: "*",
                    },
                    { Effect: "Allow", Principal: { AWS: "111111111111" }, Action: "s3:*", Resource: "*" },
                ),
            ),
            ["0:anonymous-internet", "1:account-internet"],
        );
    });

    it("does not let a Deny count unless it surely applies (its own condition unreadable)", () => {
        assert.deepStrictEqual(
            ids(
                doc(
                    { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
                    { Effect: "Deny", Principal: "*", Action: "*", Resource: "*", Condition: "always" },
                ),
            ),
            ["0:anonymous-internet"],
        );
    });

    it("lets an unconditional Deny of everything close the policy", () => {
        assert.deepStrictEqual(
            ids(
                doc(
                    { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
                    { Effect: "Deny", Principal: "*", Action: "*", Resource: "*" },
                ),
            ),
            [],
        );
    });

    it("refuses an allowedCidrs setting it cannot read, naming the key and the fix", () => {
        assert.throws(() => publicAccess(doc(), { allowedCidrs: ["52.94.0.0/16", "corp-egress"] }), {
            message:
                "Policy config allowedCidrs has entries that are not CIDR ranges (corp-egress); list ranges such as 52.94.0.0/16 or 2600:1f00::/24 in policies/config.json.",
        });
    });

    it("treats an unreadable IpAddress range in an Allow as restricting nothing", () => {
        assert.deepStrictEqual(
            ids(
                doc({
                    Effect: "Allow",
                    Principal: "*",
                    Action: "s3:GetObject",
                    Resource: "*",
                    Condition: { IpAddress: { "aws:SourceIp": "10/8" } },
                }),
            ),
            ["0:anonymous-internet"],
        );
    });

    it("does not let a Deny with an unreadable NotIpAddress range close the policy", () => {
        assert.deepStrictEqual(
            ids(
                doc(
                    { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" },
                    {
                        Effect: "Deny",
                        Principal: "*",
                        Action: "*",
                        Resource: "*",
                        Condition: { NotIpAddress: { "aws:SourceIp": "10/8" } },
                    },
                ),
            ),
            ["0:anonymous-internet"],
        );
    });
});
