import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";

export interface DemoApplicationArgs {
    /** Availability zones of the demo VPC (an ALB needs two). Default 2. */
    readonly availabilityZones?: number;
}

/**
 * A stand-in application for accounts with no load balancer yet: a VPC with public subnets
 * only (no NAT gateway cost) and an ALB answering every request with a fixed 200, so WAF has
 * something to protect and logs appear as soon as traffic arrives.
 */
export class DemoApplication extends pulumi.ComponentResource {
    readonly loadBalancerArn: pulumi.Output<string>;
    readonly dnsName: pulumi.Output<string>;

    constructor(name: string, args: DemoApplicationArgs, opts: pulumi.ComponentResourceOptions) {
        super("central-waf-logs:index:DemoApplication", name, {}, opts);
        const zones = args.availabilityZones ?? 2;
        if (zones < 2) {
            throw new Error(
                `DemoApplication ${name}: args.availabilityZones must be at least 2; an ALB spans two zones.`,
            );
        }
        const vpc = new awsx.ec2.Vpc(
            `${name}-vpc`,
            {
                numberOfAvailabilityZones: zones,
                natGateways: { strategy: awsx.ec2.NatGatewayStrategy.None },
                subnetStrategy: awsx.ec2.SubnetAllocationStrategy.Auto,
                subnetSpecs: [{ type: awsx.ec2.SubnetType.Public }],
            },
            { parent: this },
        );
        const alb = new awsx.lb.ApplicationLoadBalancer(
            `${name}-alb`,
            {
                subnetIds: vpc.publicSubnetIds,
                dropInvalidHeaderFields: true,
                listener: {
                    port: 80,
                    protocol: "HTTP",
                    defaultActions: [
                        {
                            type: "fixed-response",
                            fixedResponse: {
                                contentType: "text/plain",
                                statusCode: "200",
                                messageBody: "protected by AWS WAF\n",
                            },
                        },
                    ],
                },
            },
            { parent: this },
        );
        // awsx returns the load balancer as a resource; its ARN is what WAF associates with.
        this.loadBalancerArn = alb.loadBalancer.apply((lb) => lb.arn);
        this.dnsName = alb.loadBalancer.apply((lb) => lb.dnsName);
        this.registerOutputs({ loadBalancerArn: this.loadBalancerArn, dnsName: this.dnsName });
    }
}
