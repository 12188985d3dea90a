// The statement runner of scripts/ch-modern: one chDB session in a temporary directory, every
// statement of the file in order, a report line per statement.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { Session } = require("chdb");

const sql = fs.readFileSync(process.argv[2], "utf8");
const statements = sql
  .split(/;[ \t]*\r?\n|;[ \t]*$/)
  .map((s) => s.trim())
  .filter((s) => s.replace(/--[^\n]*/g, "").trim() !== "");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chatpulse-chdb-"));
const session = new Session(dir);
let failed = 0;
try {
  for (const q of statements) {
    // The head names the statement as the tests expect: white space folded, 100 characters.
    const head = q.replace(/\s+/g, " ").slice(0, 100);
    try {
      const out = String(session.query(q, "TSV")).trimEnd();
      console.log("ok    " + head + (out ? "\n" + out : ""));
    } catch (e) {
      failed++;
      console.log("FAIL  " + head + "\n      " + String(e.message).split("\n")[0].slice(0, 400));
    }
  }
} finally {
  session.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`${statements.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
