/**
 * What `npm ci` installs, read from the lock files (the project's and the policy pack's, which
 * `pulumi preview --policy-pack policies` installs): licenses a user may run in their CI and
 * accounts, and no dependency install script left unreviewed (npm 11 warns about each one at
 * every `npm ci`; npm 12 blocks them, "npm-install-scripts" in npm's CLI documentation).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");

/** The licenses a direct dependency may have (the developers' brief). */
const DIRECT_LICENSES = new Set(["Apache-2.0", "MIT", "ISC", "BSD-2-Clause", "BSD-3-Clause"]);

/** Copyleft or non-commercial licenses no installed package may have, whatever pulls it in. */
const FORBIDDEN = /\b(A?GPL|LGPL|SSPL|EUPL|OSL|CC-BY-NC|CC-BY-SA|Commons-Clause|BUSL)/i;

interface LockedPackage {
    readonly name?: string;
    readonly license?: string;
    readonly hasInstallScript?: boolean;
    readonly dev?: boolean;
}

function project(dir: string) {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, dir, "package.json"), "utf8"));
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, dir, "package-lock.json"), "utf8"));
    const packages = Object.entries(lock.packages as Record<string, LockedPackage>)
        .filter(([where]) => where !== "")
        // An aliased package (`docker-classic` is npm:@pulumi/docker) is recorded under its alias.
        .map(([where, p]) => ({ where, name: p.name ?? where.split("node_modules/").pop()!, ...p }));
    return { manifest, packages };
}

for (const dir of [".", "policies"]) {
    const label = dir === "." ? "the project" : "the policy pack";
    describe(`dependencies of ${label} (${path.join(dir, "package-lock.json")})`, () => {
        const { manifest, packages } = project(dir);

        it("has only Apache-2.0, MIT, ISC or BSD direct dependencies", () => {
            const direct = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
            assert.ok(direct.length > 0);
            const wrong = direct
                .map((name) => [name, packages.find((p) => p.where === `node_modules/${name}`)?.license])
                .filter(([, license]) => !DIRECT_LICENSES.has(license ?? ""));
            assert.deepStrictEqual(wrong, []);
        });

        it("installs no package under a copyleft or non-commercial license, however deep", () => {
            assert.deepStrictEqual(
                packages.filter((p) => FORBIDDEN.test(p.license ?? "")).map((p) => [p.where, p.license]),
                [],
            );
        });

        it("has reviewed every dependency's install script (package.json allowScripts)", () => {
            const reviewed = manifest.allowScripts ?? {};
            const unreviewed = packages
                .filter((p) => p.hasInstallScript && !(p.name in reviewed))
                .map((p) => `${p.name} (${p.where})`);
            assert.deepStrictEqual(unreviewed, []);
            // None is needed: Pulumi plugins come with the CLI, classic-level ships prebuilt binaries
            // (node-gyp-build loads them), and protobufjs's only checks version ranges.
            assert.ok(
                Object.values(reviewed).every((allowed) => allowed === false),
                JSON.stringify(reviewed),
            );
        });
    });
}

describe("the license check itself", () => {
    it("refuses copyleft spellings and accepts the permissive ones", () => {
        for (const license of ["GPL-3.0", "AGPL-3.0-only", "LGPL-2.1-or-later", "(MIT OR GPL-2.0)", "SSPL-1.0"]) {
            assert.ok(FORBIDDEN.test(license), license);
        }
        for (const license of ["MIT", "Apache-2.0", "BSD-3-Clause", "ISC", "0BSD", "BlueOak-1.0.0", "CC0-1.0"]) {
            assert.ok(!FORBIDDEN.test(license), license);
        }
    });
});
