// Runs one Pulumi operation on a TypeScript program as a Node.js Automation API inline program: the
// `pulumi` CLI on PATH connects back to this process's language server, so no Node.js language host is
// needed (the Go module proxy does not serve it).
//   node node.js <example dir> <work dir> <stack> preview|up|destroy
// <example dir> holds the built program (bin/index.js) and its node_modules; <work dir> holds Pulumi.yaml and
// the stack's settings. Prints one JSON line: the command's summary and its output.
"use strict";
const fs = require("fs");
const path = require("path");

function projectName(workDir) {
    const line = fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8").split("\n").find((l) => l.startsWith("name:"));
    return line.slice("name:".length).trim();
}

async function main() {
    const [exampleDir, workDir, stackName, op] = process.argv.slice(2);
    const fromExample = (name) => require(require.resolve(name, { paths: [exampleDir] }));
    const auto = fromExample("@pulumi/pulumi/automation");
    // the program's exports are the stack's outputs, as when the Node.js language host runs it
    const program = async () => ({ ...require(path.join(exampleDir, "bin", "index.js")) });
    const stack = await auto.LocalWorkspace.selectStack(
        { stackName, projectName: projectName(workDir), program }, { workDir });
    let result;
    if (op === "preview") {
        result = await stack.preview({ diff: true });
    } else if (op === "up") {
        result = await stack.up({ diff: true });
    } else if (op === "destroy") {
        result = await stack.destroy();
    } else {
        throw new Error(`unknown operation ${op}`);
    }
    const summary = result.summary ? { result: result.summary.result, resourceChanges: result.summary.resourceChanges }
        : { changeSummary: result.changeSummary };
    process.stdout.write(JSON.stringify({ ...summary, stdout: result.stdout, stderr: result.stderr }) + "\n");
}

main().catch((err) => {
    process.stderr.write(String((err && err.stack) || err) + "\n");
    process.exit(1);
});
