import * as path from "path";

/** What every npm script preloads to run TypeScript (ts-node with a shared transpile cache). */
export const REGISTER = path.join(__dirname, "..", "..", "tools", "register.js");
