// RFC 8785 canonical JSON and its SHA-256 by the npm `canonicalize` package (Samuel Erdtman's,
// listed by the RFC): reads one JSON document per line on stdin, prints one line per document.
import canonicalize from "canonicalize";
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const text = canonicalize(JSON.parse(line));
  const sha256 = createHash("sha256").update(text, "utf8").digest("hex");
  process.stdout.write(JSON.stringify({ text, sha256 }) + "\n");
}
