// Counts the tokens of every tests/data/tokens/*.txt with OpenAI's real BPE tokenizers
// (js-tiktoken: o200k_base for gpt-4o and gpt-5, cl100k_base for gpt-4 and gpt-3.5) and prints
// { "file.txt": { "o200k_base": N, "cl100k_base": M, "bytes": B }, ... } with sorted keys.
//
//   node tests/node/count_tokens.mjs                 print the counts (redirect to counts.json)
//   node tests/node/count_tokens.mjs --check FILE    compare with FILE; exit 1 naming each difference
//
// core/tokens.hpp's estimator is tested against tests/data/tokens/counts.json; this script is how
// that file is made and how CTest checks it still says what the real tokenizers say.
// Install its one dependency first: npm ci --prefix tests/node
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getEncoding } from "js-tiktoken";

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = resolve(here, "..", "data", "tokens");
const encodings = ["o200k_base", "cl100k_base"];

function usage(message) {
    process.stderr.write(`count_tokens.mjs: ${message}\n`);
    process.stderr.write("usage: node tests/node/count_tokens.mjs [--check COUNTS.json]\n");
    process.exit(2);
}

const args = process.argv.slice(2);
let checkFile = null;
if (args.length === 2 && args[0] === "--check") {
    checkFile = args[1];
} else if (args.length !== 0) {
    usage(`unexpected arguments: ${args.join(" ")}`);
}

const encoders = Object.fromEntries(encodings.map((name) => [name, getEncoding(name)]));
const files = readdirSync(dataDir).filter((name) => name.endsWith(".txt")).sort();
if (files.length === 0) {
    usage(`no *.txt files in ${dataDir}`);
}

const counts = {};
for (const file of files) {
    const bytes = readFileSync(join(dataDir, file));
    const text = bytes.toString("utf8");
    const entry = {};
    for (const name of encodings) {
        // Text that looks like a special token (<|endoftext|>) is counted as plain text, as
        // it is when a prompt quotes it.
        entry[name] = encoders[name].encode(text, [], []).length;
    }
    entry.bytes = bytes.length;
    counts[file] = entry;
}

if (checkFile === null) {
    process.stdout.write(JSON.stringify(counts, null, 2) + "\n");
    process.exit(0);
}

let expected;
try {
    expected = JSON.parse(readFileSync(checkFile, "utf8"));
} catch (error) {
    usage(`cannot read ${checkFile}: ${error.message}`);
}

const differences = [];
for (const file of Object.keys(counts)) {
    if (!(file in expected)) {
        differences.push(`${file}: missing from ${checkFile}`);
        continue;
    }
    for (const key of [...encodings, "bytes"]) {
        if (expected[file][key] !== counts[file][key]) {
            differences.push(
                `${file}: ${key} is ${counts[file][key]}, ${checkFile} says ${expected[file][key]}`);
        }
    }
}
for (const file of Object.keys(expected).sort()) {
    if (!(file in counts)) {
        differences.push(`${file}: in ${checkFile} but not in ${dataDir}`);
    }
}
if (differences.length > 0) {
    process.stderr.write(`${differences.length} difference(s) from ${checkFile}:\n`);
    for (const line of differences) {
        process.stderr.write(`  ${line}\n`);
    }
    process.stderr.write(
        "regenerate it with: node tests/node/count_tokens.mjs > tests/data/tokens/counts.json\n");
    process.exit(1);
}
process.stdout.write(`${files.length} documents: counts match ${checkFile}\n`);
