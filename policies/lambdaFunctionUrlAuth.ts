import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./lib/resources";
import { forTypes } from "./lib/validate";

export const lambdaFunctionUrlAuth: ResourceValidationPolicy = {
    name: "lambda-function-url-auth",
    description: "Every Lambda function URL must require IAM authentication (AWS_IAM), never NONE.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(TYPES.functionUrl, (props, args, report) => {
        // aws.lambda.FunctionUrl: authorizationType; aws-native lambda.Url: authType.
        const field = args.type.startsWith("aws-native:") ? "authType" : "authorizationType";
        const value = props[field];
        if (typeof value === "string" && value.toUpperCase() === "NONE") {
            report(
                `Lambda function URL ${args.name} has ${field} NONE: anyone on the internet can invoke the function; set ${field} to AWS_IAM.`,
            );
        }
    }),
};
