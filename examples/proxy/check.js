// check.js: lobbyd's page and WebSocket through a TLS reverse proxy.
// Usage: node check.js BASE_URL
// BASE_URL is where the proxy serves the page (https://127.0.0.1:PORT/ or
// a sub-path of it). Fetches the page and its config, then joins over
// wss:// the way the page does (the URL next to the page's, with the
// page's Origin) and checks the welcome and a /who answer. Node's own
// modules only.
"use strict";

const crypto = require("node:crypto");
const https = require("node:https");
const tls = require("node:tls");

const base = new URL(process.argv[2]);
const WAIT = 10000;

function fail(msg) {
	console.error("FAIL: " + base + ": " + msg);
	process.exit(1);
}

setTimeout(() => fail("timed out"), WAIT).unref();

// GET the page (or what is beside it) through the proxy (the certificate
// is a test one).
function getPage(url = base) {
	return new Promise((resolve, reject) => {
		https.get(url, { rejectUnauthorized: false }, (res) => {
			let body = "";
			res.setEncoding("utf8");
			res.on("data", (d) => { body += d; });
			res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
		}).on("error", reject);
	});
}

// A masked text frame, as a browser sends it.
function frame(text) {
	const p = Buffer.from(text, "utf8");
	const mask = crypto.randomBytes(4);
	const h = Buffer.from([0x81, 0x80 | p.length]);
	const m = Buffer.from(p.map((b, i) => b ^ mask[i % 4]));
	return Buffer.concat([h, mask, m]);
}

// Join over wss:// at the page's ws URL, with the page's Origin; resolve
// with the first text frames once /who is answered.
function join() {
	return new Promise((resolve, reject) => {
		const wsPath = base.pathname.replace(/[^/]*$/, "") + "ws";
		const key = crypto.randomBytes(16).toString("base64");
		const sock = tls.connect({ host: base.hostname, port: base.port,
		    rejectUnauthorized: false }, () => {
			sock.write("GET " + wsPath + " HTTP/1.1\r\n" +
			    "Host: " + base.host + "\r\n" +
			    "Origin: " + base.origin + "\r\n" +
			    "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
			    "Sec-WebSocket-Key: " + key + "\r\n" +
			    "Sec-WebSocket-Version: 13\r\n\r\n");
		});
		let buf = Buffer.alloc(0), head = null;
		const lines = [];
		sock.on("data", (d) => {
			buf = Buffer.concat([buf, d]);
			if (head === null) {
				const i = buf.indexOf("\r\n\r\n");
				if (i < 0) return;
				head = buf.subarray(0, i).toString();
				buf = buf.subarray(i + 4);
				if (!/^HTTP\/1\.1 101 /.test(head)) return reject(new Error("handshake: " + head));
				const want = crypto.createHash("sha1")
				    .update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
				const got = /^sec-websocket-accept:[ \t]*(\S+)[ \t]*$/im.exec(head);
				if (!got || got[1] !== want)
					return reject(new Error("bad accept key: " + head));
				sock.write(frame("/who"));
			}
			while (buf.length >= 2) {
				let len = buf[1] & 0x7f, off = 2;
				if (len === 126) { len = buf.readUInt16BE(2); off = 4; }
				if (buf.length < off + len) return;
				if ((buf[0] & 0x0f) === 1) lines.push(buf.subarray(off, off + len).toString());
				buf = buf.subarray(off + len);
				if (lines.some((l) => /^\*\*\* \d+ online:/.test(l))) {
					sock.end();
					return resolve(lines);
				}
			}
		});
		sock.on("error", reject);
	});
}

(async () => {
	const page = await getPage();
	if (page.status !== 200) fail("page: HTTP " + page.status);
	if (!page.body.includes("<title>lobby</title>")) fail("not the chat page");
	if (!/default-src 'none'/.test(page.headers["content-security-policy"] || ""))
		fail("the page lost its Content-Security-Policy");
	// The page finds the server's --max-line in "config" beside it.
	const config = await getPage(new URL("config", base));
	if (config.status !== 200) fail("config: HTTP " + config.status);
	let maxLine = null;
	try { maxLine = JSON.parse(config.body).max_line; } catch (e) { /* below */ }
	if (!Number.isInteger(maxLine) || maxLine <= 0) fail("config: " + config.body);
	const lines = await join();
	if (!/^\*\*\* welcome to lobby, you are guest\d+ /.test(lines[0]))
		fail("no welcome: " + lines[0]);
	console.log("ok: " + base + ": page and wss:// (" + lines[lines.length - 1] + ")");
})().catch((e) => fail(e.message));
