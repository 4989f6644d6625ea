// wss.test.js: the chat page over https and wss (lobbyd's --web-tls) in
// Debian's chromium, headless, with a throwaway CA made here at run time:
// chromium trusts exactly the test key (--ignore-certificate-errors-spki-list
// with its hash), nothing else. The page joins, and chats both ways with
// a TCP member.
"use strict";

const { execFileSync, execSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");
const { fail, until, startLobbyd, stopLobbyd, tcpMember, expectShown,
    launch } =
    require("./lib.js");

const LOBBYD = process.env.LOBBYD;
const OUT = process.env.OUTDIR || ".";

let server = null;
let browser = null;
let dir = null;

// A CA and a certificate for 127.0.0.1 it signed; the key is never kept.
function makeKeys() {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), "lobby-wss-"));
	const run = (args) => execFileSync("openssl", args,
	    { cwd: dir, stdio: "ignore" });
	run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
	    "-subj", "/CN=lobby-test-ca", "-keyout", "ca.key", "-out", "ca.pem"]);
	run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
	    "-keyout", "srv.key", "-out", "srv.csr"]);
	fs.writeFileSync(path.join(dir, "ext"),
	    "subjectAltName=IP:127.0.0.1\n");
	run(["x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey",
	    "ca.key", "-CAcreateserial", "-out", "srv.pem", "-days", "2",
	    "-extfile", "ext"]);
	// What chromium is told to trust: the hash of the server's key.
	return execSync("openssl x509 -in srv.pem -pubkey -noout | " +
	    "openssl pkey -pubin -outform der | " +
	    "openssl dgst -sha256 -binary | base64", { cwd: dir })
	    .toString().trim();
}

async function main() {
	if (!LOBBYD) fail("LOBBYD is not set");
	fs.mkdirSync(OUT, { recursive: true });
	const spki = makeKeys();
	server = await startLobbyd(LOBBYD, ["--web-tls", "127.0.0.1:0",
	    "--tls-cert", path.join(dir, "srv.pem"),
	    "--tls-key", path.join(dir, "srv.key")]);
	let port = 0;
	await until("the https listening line", () => {
		const m = /listening on https:\/\/127\.0\.0\.1:(\d+)\/\n/
		    .exec(server.log());
		if (m) port = Number(m[1]);
		return port > 0;
	});
	browser = await launch(chromium,
	    ["--ignore-certificate-errors-spki-list=" + spki]);
	const context = await browser.newContext();
	const page = await context.newPage();
	const problems = [];
	page.on("console", (m) => {
		if (m.type() === "error" || m.type() === "warning")
			problems.push("console " + m.type() + ": " + m.text());
	});
	page.on("pageerror", (e) => problems.push("page error: " + e.message));
	page.on("requestfailed", (r) => problems.push("request failed: " + r.url()));
	let wsUrl = null;
	page.on("websocket", (ws) => { wsUrl = ws.url(); });

	const tcp = await tcpMember(server.tcp);
	await tcp.expect("*** welcome to lobby, you are guest1 (1 online; /help for commands)");
	await page.goto("https://127.0.0.1:" + port + "/");
	await until("the page to connect over wss", async () =>
	    (await page.textContent("#status")) === "connected as guest2");
	if (wsUrl !== "wss://127.0.0.1:" + port + "/ws")
		fail("the page's WebSocket is " + wsUrl);
	await tcp.expect("*** guest2 joined");
	tcp.send("hello over tcp");
	await expectShown(page, /<guest1> hello over tcp$/);
	await page.keyboard.type("hello over wss");
	await page.keyboard.press("Enter");
	await tcp.expect("<guest2> hello over wss");
	await page.screenshot({ path: path.join(OUT, "browser-wss.png") });
	if (problems.length > 0) fail(problems.join("\n"));
	await browser.close();
	browser = null;
	tcp.sock.destroy();
	const code = await stopLobbyd(server);
	server = null;
	if (code !== 0) fail("lobbyd exited " + code + " at SIGTERM");
	console.log("wss.test.js: ok");
}

main().catch(async (e) => {
	console.error("wss.test.js: FAIL: " + e.message);
	if (server) console.error(server.log());
	process.exitCode = 1;
}).finally(async () => {
	if (browser) await browser.close().catch(() => {});
	if (server) await stopLobbyd(server).catch(() => {});
	if (dir) fs.rmSync(dir, { recursive: true, force: true });
});
