/**
 * Everything the search domain needs besides the domain itself, as code: index template, ISM
 * retention policy, fine-grained access control roles, and the Dashboards saved objects. Each is
 * an idempotent request; the bootstrap Lambda applies them at deploy time.
 */

export interface SearchRequest {
    readonly method: "PUT" | "POST";
    readonly path: string;
    readonly body: unknown;
    /** ISM policies refuse a blind overwrite: read the current seq_no/primary_term first. */
    readonly optimisticConcurrency?: boolean;
}

export interface SearchDefinitionInputs {
    readonly indexPrefix: string;
    readonly retentionDays: number;
    readonly masterRoleArn: string;
    readonly loaderRoleArn: string;
    readonly adminRoleArns: readonly string[];
}

const keyword = { type: "keyword", ignore_above: 1024 };

export function indexTemplate(indexPrefix: string): unknown {
    return {
        index_patterns: [`${indexPrefix}-*`],
        priority: 100,
        template: {
            settings: { number_of_shards: 1, number_of_replicas: 1, "index.refresh_interval": "10s" },
            mappings: {
                dynamic_templates: [{ strings_as_keywords: { match_mapping_type: "string", mapping: keyword } }],
                properties: {
                    timestamp: { type: "date", format: "epoch_millis" },
                    // Masked addresses (X.X.X.X) must not cost the document.
                    clientIp: { type: "ip", ignore_malformed: true },
                    headers: { type: "nested", properties: { name: keyword, value: keyword } },
                    ruleGroups: {
                        type: "nested",
                        properties: { ruleGroupId: keyword, terminatingRuleId: keyword, action: keyword },
                    },
                    rateBasedRules: {
                        properties: {
                            name: keyword,
                            limitKey: keyword,
                            limitValue: keyword,
                            maxRateAllowed: { type: "long" },
                            evaluationWindowSec: { type: "integer" },
                        },
                    },
                    responseCodeSent: { type: "integer" },
                    // Exact values to aggregate on (one client stack behind many addresses).
                    ja3Fingerprint: keyword,
                    ja4Fingerprint: keyword,
                    clientAsn: keyword,
                    cfDistributionTenantId: keyword,
                },
            },
        },
    };
}

export function retentionPolicy(indexPrefix: string, retentionDays: number): unknown {
    return {
        policy: {
            description: `Deletes ${indexPrefix} indices ${retentionDays} days after creation`,
            default_state: "hot",
            states: [
                {
                    name: "hot",
                    actions: [],
                    transitions: [{ state_name: "delete", conditions: { min_index_age: `${retentionDays}d` } }],
                },
                { name: "delete", actions: [{ delete: {} }], transitions: [] },
            ],
            ism_template: [{ index_patterns: [`${indexPrefix}-*`], priority: 100 }],
        },
    };
}

const indexPatternId = (prefix: string) => `${prefix}-index-pattern`;

function visualization(
    prefix: string,
    id: string,
    title: string,
    type: string,
    aggs: unknown[],
    query = "",
): SearchRequest {
    return {
        method: "POST",
        path: `/_dashboards/api/saved_objects/visualization/${id}?overwrite=true`,
        body: {
            attributes: {
                title,
                visState: JSON.stringify({ title, type, params: { addLegend: true, addTooltip: true }, aggs }),
                uiStateJSON: "{}",
                description: "",
                kibanaSavedObjectMeta: {
                    searchSourceJSON: JSON.stringify({
                        indexRefName: "kibanaSavedObjectMeta.searchSourceJSON.index",
                        query: { query, language: "kuery" },
                        filter: [],
                    }),
                },
            },
            references: [
                {
                    name: "kibanaSavedObjectMeta.searchSourceJSON.index",
                    type: "index-pattern",
                    id: indexPatternId(prefix),
                },
            ],
        },
    };
}

const count = { id: "1", type: "count", schema: "metric", params: {} };
const terms = (id: string, field: string, size: number, schema: string) => ({
    id,
    type: "terms",
    schema,
    params: { field, size, order: "desc", orderBy: "1" },
});

export const DASHBOARD_VISUALIZATIONS = [
    "requests-per-client-ip",
    "requests-by-country",
    "top-blocked-client-ips",
    "top-fingerprints",
] as const;

export function dashboardObjects(prefix: string): SearchRequest[] {
    const visualizations = [
        visualization(prefix, "requests-per-client-ip", "Requests per client IP over time", "line", [
            count,
            {
                id: "2",
                type: "date_histogram",
                schema: "segment",
                params: { field: "timestamp", interval: "auto", min_doc_count: 1 },
            },
            terms("3", "clientIp", 10, "group"),
        ]),
        visualization(prefix, "requests-by-country", "Requests by country", "horizontal_bar", [
            count,
            terms("2", "country", 25, "segment"),
        ]),
        visualization(
            prefix,
            "top-blocked-client-ips",
            "Top blocked client IPs",
            "table",
            [count, terms("2", "clientIp", 25, "bucket"), terms("3", "country", 1, "bucket")],
            'action:"BLOCK"',
        ),
        // As the top-fingerprints query: JA4s by distinct client IPs, with where they were seen.
        visualization(
            prefix,
            "top-fingerprints",
            "Top JA4 fingerprints: one client behind many addresses",
            "table",
            [
                { id: "1", type: "cardinality", schema: "metric", params: { field: "clientIp" } },
                { id: "2", type: "count", schema: "metric", params: {} },
                terms("3", "ja4Fingerprint", 25, "bucket"),
                terms("4", "accountId", 10, "bucket"),
                terms("5", "region", 10, "bucket"),
            ],
            "ja4Fingerprint:*",
        ),
    ];
    const panels = DASHBOARD_VISUALIZATIONS.map((_id, i) => ({
        panelIndex: String(i + 1),
        // The first panel across the top, then two to a row.
        gridData: {
            x: i === 0 ? 0 : ((i - 1) % 2) * 24,
            y: i === 0 ? 0 : 15 + Math.floor((i - 1) / 2) * 15,
            w: i === 0 ? 48 : 24,
            h: 15,
            i: String(i + 1),
        },
        panelRefName: `panel_${i}`,
        embeddableConfig: {},
        version: "2.19.0",
    }));
    return [
        {
            method: "POST",
            path: `/_dashboards/api/saved_objects/index-pattern/${indexPatternId(prefix)}?overwrite=true`,
            body: { attributes: { title: `${prefix}-*`, timeFieldName: "timestamp" } },
        },
        ...visualizations,
        {
            method: "POST",
            path: `/_dashboards/api/saved_objects/dashboard/waf-overview?overwrite=true`,
            body: {
                attributes: {
                    title: "WAF overview: who is hitting us, from where",
                    panelsJSON: JSON.stringify(panels),
                    optionsJSON: JSON.stringify({ useMargins: true, hidePanelTitles: false }),
                    timeRestore: true,
                    timeFrom: "now-24h",
                    timeTo: "now",
                    kibanaSavedObjectMeta: {
                        searchSourceJSON: JSON.stringify({ query: { query: "", language: "kuery" }, filter: [] }),
                    },
                },
                references: DASHBOARD_VISUALIZATIONS.map((id, i) => ({
                    name: `panel_${i}`,
                    type: "visualization",
                    id,
                })),
            },
        },
    ];
}

/** All requests, in the order they must be applied (roles before data, template before indices). */
export function searchDefinitions(p: SearchDefinitionInputs): SearchRequest[] {
    const admins = [p.masterRoleArn, ...p.adminRoleArns];
    return [
        { method: "PUT", path: "/_plugins/_security/api/rolesmapping/all_access", body: { backend_roles: admins } },
        {
            method: "PUT",
            path: "/_plugins/_security/api/rolesmapping/security_manager",
            body: { backend_roles: admins },
        },
        {
            method: "PUT",
            path: "/_plugins/_security/api/roles/waf_logs_writer",
            body: {
                cluster_permissions: ["indices:data/write/bulk"],
                index_permissions: [
                    {
                        index_patterns: [`${p.indexPrefix}-*`],
                        allowed_actions: ["create_index", "indices:data/write/index", "indices:data/write/bulk*"],
                    },
                ],
            },
        },
        {
            method: "PUT",
            path: "/_plugins/_security/api/rolesmapping/waf_logs_writer",
            body: { backend_roles: [p.loaderRoleArn] },
        },
        { method: "PUT", path: `/_index_template/${p.indexPrefix}`, body: indexTemplate(p.indexPrefix) },
        {
            method: "PUT",
            path: `/_plugins/_ism/policies/${p.indexPrefix}-retention`,
            body: retentionPolicy(p.indexPrefix, p.retentionDays),
            optimisticConcurrency: true,
        },
        ...dashboardObjects(p.indexPrefix),
    ];
}
