import * as assert from "assert";
import { definitionsDigest } from "../handlers/bakedDefinitions";
import { applyDefinitions } from "../handlers/bootstrap";
import { searchDefinitions } from "../handlers/searchDefinitions";
import { SEARCH_BOOTSTRAP_FUNCTION } from "../names";
import { deployedHandler, deployedSource } from "../tools/local/deployedCode";
import { ProgramRun } from "../tools/local/mockEngine";
import { SearchServer, startSearchServer } from "../tools/local/aws/searchServer";
import { committedRun, failureOf, only, policyDocument, runWith } from "./support/program";

const P = "central-waf-logs";
const DOMAIN_ARN = "arn:aws:es:us-east-1:111111111111:domain/central-waf-logs";
const MASTER = "arn:aws:iam::111111111111:role/central-waf-logs-search-master";
const LOADER = "arn:aws:iam::111111111111:role/central-waf-logs-search-loader";
const ADMIN = "arn:aws:iam::111111111111:role/security-admin";

describe("logging stack: SearchDomain", () => {
    let run: ProgramRun;
    let domain: Record<string, any>;
    before(async () => {
        run = await committedRun("logging");
        domain = only(run, "aws:opensearch/domain:Domain").inputs;
    });

    it("places the domain in the isolated subnets of its own VPC, behind its own security group", () => {
        const vpc = only(run, "awsx:ec2:Vpc");
        assert.deepStrictEqual(vpc.inputs.subnetSpecs, [{ type: "Isolated" }]);
        assert.deepStrictEqual(vpc.inputs.natGateways, { strategy: "None" });
        assert.strictEqual(vpc.inputs.numberOfAvailabilityZones, 2);
        assert.deepStrictEqual(domain.vpcOptions.subnetIds, vpc.state.isolatedSubnetIds.slice(0, 2));
        const sg = only(run, "aws:ec2/securityGroup:SecurityGroup", "search-domain-sg");
        assert.deepStrictEqual(domain.vpcOptions.securityGroupIds, [sg.state.id ?? "search-domain-sg-id"]);
    });

    it("admits HTTPS from the search clients only; clients reach only the domain and S3", () => {
        const ingress = only(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").inputs;
        assert.deepStrictEqual(
            [
                ingress.securityGroupId,
                ingress.referencedSecurityGroupId,
                ingress.fromPort,
                ingress.toPort,
                ingress.cidrIpv4,
            ],
            ["search-domain-sg-id", "search-clients-sg-id", 443, 443, undefined],
        );
        const toS3 = only(
            run,
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            "search-clients-to-s3",
        ).inputs;
        assert.strictEqual(toS3.prefixListId, "pl-63a5400a");
        const endpoint = only(run, "aws:ec2/vpcEndpoint:VpcEndpoint").inputs;
        assert.deepStrictEqual(
            [endpoint.serviceName, endpoint.vpcEndpointType],
            ["com.amazonaws.us-east-1.s3", "Gateway"],
        );
    });

    it("encrypts at rest with the central key and between nodes, and accepts only TLS 1.2+ HTTPS", () => {
        assert.deepStrictEqual(domain.encryptAtRest, {
            enabled: true,
            kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/central-waf-logs-key-key-id",
        });
        assert.deepStrictEqual(domain.nodeToNodeEncryption, { enabled: true });
        assert.deepStrictEqual(domain.domainEndpointOptions, {
            enforceHttps: true,
            tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07",
        });
    });

    it("turns on fine-grained access control with the IAM master role and no internal users", () => {
        assert.deepStrictEqual(domain.advancedSecurityOptions, {
            enabled: true,
            internalUserDatabaseEnabled: false,
            masterUserOptions: { masterUserArn: MASTER },
        });
    });

    it("runs OpenSearch 2.x on gp3, zone-aware across two zones, with slow and error logs", () => {
        assert.strictEqual(domain.engineVersion, "OpenSearch_2.19");
        assert.deepStrictEqual(domain.clusterConfig, {
            instanceType: "r7g.large.search",
            instanceCount: 2,
            zoneAwarenessEnabled: true,
            zoneAwarenessConfig: { availabilityZoneCount: 2 },
        });
        assert.deepStrictEqual(domain.ebsOptions, { ebsEnabled: true, volumeType: "gp3", volumeSize: 100 });
        assert.deepStrictEqual(domain.logPublishingOptions.map((o: any) => [o.logType, o.enabled]).sort(), [
            ["ES_APPLICATION_LOGS", true],
            ["INDEX_SLOW_LOGS", true],
            ["SEARCH_SLOW_LOGS", true],
        ]);
    });

    it("names only the master, loader and admin roles in its access policy; never a bare *", () => {
        const HTTP = [
            "es:ESHttpDelete",
            "es:ESHttpGet",
            "es:ESHttpHead",
            "es:ESHttpPatch",
            "es:ESHttpPost",
            "es:ESHttpPut",
        ];
        const policy = policyDocument(domain.accessPolicies);
        assert.deepStrictEqual(policy.Statement, [
            {
                Sid: "AdministerDomain",
                Effect: "Allow",
                Principal: { AWS: MASTER },
                Action: HTTP,
                Resource: `${DOMAIN_ARN}/*`,
            },
            {
                Sid: "AdministerDomainAsAdmins",
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::111111111111:root" },
                Condition: { ArnEquals: { "aws:PrincipalArn": [ADMIN] } },
                Action: HTTP,
                Resource: `${DOMAIN_ARN}/*`,
            },
            {
                Sid: "LoaderBulkIndexes",
                Effect: "Allow",
                Principal: { AWS: LOADER },
                Action: ["es:ESHttpPost"],
                Resource: `${DOMAIN_ARN}/_bulk`,
            },
        ]);
    });

    it("lets OpenSearch deliver only this domain's slow and error logs, to its own log groups", () => {
        const policy = JSON.parse(
            only(run, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy").inputs.policyDocument,
        );
        const groups = run.resources
            .filter(
                (r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && r.inputs.name.startsWith("/aws/opensearch/"),
            )
            .map((r) => `${r.state.arn}:*`);
        assert.deepStrictEqual(policy.Statement, [
            {
                Effect: "Allow",
                Principal: { Service: "es.amazonaws.com" },
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: groups,
                Condition: {
                    StringEquals: { "aws:SourceAccount": "111111111111" },
                    ArnEquals: { "aws:SourceArn": DOMAIN_ARN },
                },
            },
        ]);
        assert.strictEqual(groups.length, 3);
    });

    it("lets the configured admins assume the master role", () => {
        const trust = JSON.parse(only(run, "aws:iam/role:Role", "search-master-role").inputs.assumeRolePolicy);
        // By account root and role ARN: IAM refuses a trust policy naming a role that does not exist yet.
        assert.deepStrictEqual(trust.Statement[1], {
            Sid: "AssumedByAdmins",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::111111111111:root" },
            Condition: { ArnEquals: { "aws:PrincipalArn": [ADMIN] } },
            Action: "sts:AssumeRole",
        });
    });

    it("gives the loader exactly: read logs, park rejects, use the key, post _bulk", () => {
        const bucket = `arn:aws:s3:::${run.outputs.centralBucketName}`;
        const statements = policyDocument(
            only(run, "aws:iam/rolePolicy:RolePolicy", "search-loader-policy").inputs.policy,
        ).Statement;
        assert.deepStrictEqual(statements.slice(0, 4), [
            { Sid: "ReadCentralLogs", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucket}/*` },
            { Sid: "ParkRejectedRecords", Effect: "Allow", Action: "s3:PutObject", Resource: `${bucket}/_errors/*` },
            {
                Sid: "UseCentralKey",
                Effect: "Allow",
                Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                Resource: "arn:aws:kms:us-east-1:111111111111:key/central-waf-logs-key-key-id",
            },
            { Sid: "BulkIndex", Effect: "Allow", Action: "es:ESHttpPost", Resource: `${DOMAIN_ARN}/_bulk` },
        ]);
        assert.deepStrictEqual(
            statements.map((s) => s.Sid),
            [
                "ReadCentralLogs",
                "ParkRejectedRecords",
                "UseCentralKey",
                "BulkIndex",
                "FindStaleReports",
                "RemoveStaleReports",
                "ParkFailedEvents",
                "WriteOwnLogs",
                "DescribeNetwork",
                "CreateInterfacesInOwnSubnets",
                "ManageInterfacesInOwnSubnets",
            ],
        );
    });

    it("lets the VPC functions create and manage network interfaces only in the domain's client subnets", () => {
        const ec2 = "arn:aws:ec2:us-east-1:111111111111";
        const subnets = ["a", "b", "c"].map((z) => `${ec2}:subnet/subnet-search-vpc-isolated-${z}`);
        for (const name of ["search-loader-policy", "search-bootstrap-policy"]) {
            const statements = policyDocument(only(run, "aws:iam/rolePolicy:RolePolicy", name).inputs.policy).Statement;
            assert.deepStrictEqual(
                statements.slice(-3),
                [
                    {
                        Sid: "DescribeNetwork",
                        Effect: "Allow",
                        Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                        Resource: "*",
                    },
                    {
                        Sid: "CreateInterfacesInOwnSubnets",
                        Effect: "Allow",
                        Action: "ec2:CreateNetworkInterface",
                        Resource: [
                            `${ec2}:network-interface/*`,
                            ...subnets,
                            `${ec2}:security-group/search-clients-sg-id`,
                        ],
                    },
                    {
                        Sid: "ManageInterfacesInOwnSubnets",
                        Effect: "Allow",
                        Action: [
                            "ec2:AssignPrivateIpAddresses",
                            "ec2:DeleteNetworkInterface",
                            "ec2:UnassignPrivateIpAddresses",
                        ],
                        Resource: `${ec2}:network-interface/*`,
                        Condition: { ArnEquals: { "ec2:Subnet": subnets } },
                    },
                ],
                name,
            );
        }
    });

    it("runs the loader and the bootstrap inside the VPC, with the clients security group", () => {
        for (const fn of ["central-waf-logs-search-loader", "central-waf-logs-search-bootstrap"]) {
            const inputs = run.resources.find(
                (r) => r.type === "aws:lambda/function:Function" && r.inputs.name === fn,
            )!.inputs;
            assert.deepStrictEqual(inputs.vpcConfig.securityGroupIds, ["search-clients-sg-id"], fn);
            assert.strictEqual(inputs.vpcConfig.subnetIds.length, 3, fn);
        }
    });

    it("triggers the loader on every object of the central bucket (it skips service prefixes itself)", () => {
        const notification = only(run, "aws:s3/bucketNotification:BucketNotification").inputs;
        assert.strictEqual(notification.bucket, run.outputs.centralBucketName);
        assert.deepStrictEqual(notification.lambdaFunctions[0].events, ["s3:ObjectCreated:*"]);
        assert.strictEqual(notification.lambdaFunctions[0].filterPrefix, undefined);
    });

    it("uses existing subnets and security groups when configured, creating no VPC", async () => {
        const search = {
            adminRoleArns: [ADMIN],
            subnetIds: ["subnet-0aaa", "subnet-0bbb"],
            securityGroupIds: ["sg-0ccc"],
        };
        const existing = await runWith("logging", { configOverrides: { [`${P}:search`]: JSON.stringify(search) } });
        assert.strictEqual(existing.resources.filter((r) => r.type === "awsx:ec2:Vpc").length, 0);
        const inputs = only(existing, "aws:opensearch/domain:Domain").inputs;
        assert.deepStrictEqual(inputs.vpcOptions, {
            subnetIds: ["subnet-0aaa", "subnet-0bbb"],
            securityGroupIds: ["sg-0ccc"],
        });
    });

    it("requires admin roles and paired subnet and security group settings", async () => {
        assert.strictEqual(
            await failureOf("logging", {
                configOverrides: { [`${P}:search`]: JSON.stringify({ subnetIds: ["subnet-0aaa", "subnet-0bbb"] }) },
            }),
            [
                `Invalid config ${P}:search.adminRoleArns in Pulumi.logging.yaml: is required: someone must be able to administer the search domain. Fix: list the IAM roles of your security operators, e.g. arn:aws:iam::111111111111:role/security-admin.`,
                `Invalid config ${P}:search.subnetIds in Pulumi.logging.yaml: and search.securityGroupIds must be set together. Fix: set both to use an existing VPC, or neither to create one.`,
            ].join("\n"),
        );
    });

    it("requires subnets in two zones for a zone-aware domain in an existing VPC", async () => {
        const search = { adminRoleArns: [ADMIN], subnetIds: ["subnet-0aaa"], securityGroupIds: ["sg-0ccc"] };
        assert.strictEqual(
            await failureOf("logging", { configOverrides: { [`${P}:search`]: JSON.stringify(search) } }),
            `Invalid config ${P}:search.subnetIds in Pulumi.logging.yaml: must list subnets in at least two zones when instanceCount is above 1 (zone awareness). Fix: add a subnet in another zone, or set instanceCount to 1.`,
        );
    });

    it("bakes the definitions into the bootstrap's code and passes only their digest, so a change re-applies them", async () => {
        const invocation = only(run, "aws:lambda/invocation:Invocation", "search-bootstrap-apply").inputs;
        assert.strictEqual(invocation.functionName, SEARCH_BOOTSTRAP_FUNCTION);
        assert.deepStrictEqual(JSON.parse(invocation.input), { digest: definitionsDigest(BAKED) });
        const source = await deployedSource(run, SEARCH_BOOTSTRAP_FUNCTION);
        assert.ok(source.includes("waf_logs_writer"), "the role mappings are in the deployed code");
        const changed = await runWith("logging", {
            configOverrides: { [`${P}:search`]: JSON.stringify({ adminRoleArns: [ADMIN], retentionDays: 7 }) },
        });
        const input = only(changed, "aws:lambda/invocation:Invocation", "search-bootstrap-apply").inputs.input;
        assert.notStrictEqual(input, invocation.input, "a changed retention changes the invocation's input");
    });
});

/** The definitions the committed logging stack bakes into its bootstrap. */
const BAKED = searchDefinitions({
    indexPrefix: "waf-logs",
    retentionDays: 30,
    masterRoleArn: MASTER,
    loaderRoleArn: LOADER,
    adminRoleArns: [ADMIN],
});

describe("bootstrap Lambda, as deployed, against a loopback OpenSearch", () => {
    let search: SearchServer;
    let event: { digest: string };
    let invoke: (event: unknown) => Promise<any>;

    before(async () => {
        const run = await committedRun("logging");
        search = await startSearchServer();
        event = JSON.parse(only(run, "aws:lambda/invocation:Invocation", "search-bootstrap-apply").inputs.input);
        invoke = await deployedHandler(run, SEARCH_BOOTSTRAP_FUNCTION, {
            OPENSEARCH_ENDPOINT: search.url,
            AWS_REGION: "us-east-1",
        });
    });
    after(() => search?.close());

    it("applies roles, template, retention and dashboards, signed with SigV4", async () => {
        const applied = await invoke(event);
        assert.deepStrictEqual(
            applied.map((a: { method: string; path: string }) => `${a.method} ${a.path}`),
            BAKED.map((r) => `${r.method} ${r.path}`),
        );
        const template = search.objects.get("/_index_template/waf-logs")!.body;
        assert.deepStrictEqual(template.template.mappings.properties.timestamp, {
            type: "date",
            format: "epoch_millis",
        });
        assert.deepStrictEqual(template.template.mappings.properties.clientIp, { type: "ip", ignore_malformed: true });
        assert.strictEqual(template.template.mappings.properties.headers.type, "nested");
        const ism = search.objects.get("/_plugins/_ism/policies/waf-logs-retention")!.body;
        assert.deepStrictEqual(ism.policy.states[0].transitions, [
            { state_name: "delete", conditions: { min_index_age: "30d" } },
        ]);
        assert.deepStrictEqual(search.objects.get("/_plugins/_security/api/rolesmapping/waf_logs_writer")!.body, {
            backend_roles: [LOADER],
        });
        const titles = [...search.objects.entries()]
            .filter(([path]) => path.startsWith("/_dashboards/"))
            .map(([, o]) => o.body.attributes.title);
        assert.deepStrictEqual(titles, [
            "waf-logs-*",
            "Requests per client IP over time",
            "Requests by country",
            "Top blocked client IPs",
            "Top JA4 fingerprints: one client behind many addresses",
            "WAF overview: who is hitting us, from where",
        ]);
        for (const request of search.requests) {
            assert.match(String(request.headers.authorization), /^AWS4-HMAC-SHA256 /, request.path);
            if (request.path.startsWith("/_dashboards/")) assert.strictEqual(request.headers["osd-xsrf"], "true");
        }
    });

    it("is idempotent: a second run overwrites, passing the ISM policy's sequence number", async () => {
        const before = new Map([...search.objects].map(([path, o]) => [path, JSON.stringify(o.body)]));
        search.requests.length = 0;
        await invoke(event);
        assert.deepStrictEqual(new Map([...search.objects].map(([path, o]) => [path, JSON.stringify(o.body)])), before);
        const ismPut = search.requests.find((r) => r.method === "PUT" && r.path.startsWith("/_plugins/_ism/"));
        assert.match(ismPut!.path, /\?if_seq_no=\d+&if_primary_term=1$/);
    });

    it("sends nothing but the baked definitions, whatever a hostile invocation carries", async () => {
        const hostile = [
            { method: "DELETE", path: "/waf-logs-*" },
            { method: "PUT", path: "/_plugins/_security/api/rolesmapping/all_access", body: { users: ["*"] } },
        ];
        const refusals: [unknown, string][] = [
            [
                { requests: hostile },
                "Refused: this function applies only the search definitions deployed with it, and its event may carry only { digest }; got the field(s) requests. Nothing was sent.",
            ],
            [
                { digest: event.digest, requests: hostile },
                "Refused: this function applies only the search definitions deployed with it, and its event may carry only { digest }; got the field(s) requests. Nothing was sent.",
            ],
            [
                { digest: definitionsDigest(hostile) },
                `Refused: digest "${definitionsDigest(hostile)}" is not the digest of the search definitions deployed with this function (${event.digest}). Nothing was sent; run \`pulumi up\` to change them.`,
            ],
            [
                hostile,
                `Refused: this function applies only the search definitions deployed with it, and its event may carry only { digest }; got ${JSON.stringify(hostile)}. Nothing was sent.`,
            ],
        ];
        for (const [hostileEvent, message] of refusals) {
            search.requests.length = 0;
            await assert.rejects(invoke(hostileEvent), { message });
            assert.strictEqual(search.requests.length, 0, "nothing reaches the domain");
        }
        // An empty event runs the baked definitions, and only them.
        search.requests.length = 0;
        await invoke({});
        const writes = search.requests
            .filter((r) => r.method !== "GET")
            .map((r) => `${r.method} ${r.path.replace(/[?&]if_seq_no=\d+&if_primary_term=\d+$/, "")}`);
        assert.deepStrictEqual(
            writes,
            BAKED.map((r) => `${r.method} ${r.path}`),
        );
    });

    it("fails the deployment when a request is refused, naming it", async () => {
        await assert.rejects(
            applyDefinitions([{ method: "PUT", path: "/_index_template/x", body: undefined }], async () => ({
                statusCode: 403,
                body: { error: "no permissions" },
            })),
            { message: 'PUT /_index_template/x was refused with HTTP 403: {"error":"no permissions"}' },
        );
    });
});
