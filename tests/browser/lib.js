// lib.js: what the browser tests share: starting and stopping the lobbyd
// they test (only the child they started), TCP members, bounded waits.
"use strict";

const { spawn } = require("node:child_process");
const net = require("node:net");

const WAIT = 10000;	// the longest any single wait may take, ms

function fail(msg) {
	throw new Error(msg);
}

// Wait until cond() is true (polled), at most ms.
async function until(what, cond, ms = WAIT) {
	const end = Date.now() + ms;
	for (;;) {
		if (await cond()) return;
		if (Date.now() > end) fail("timed out waiting for " + what);
		await new Promise((r) => setTimeout(r, 25));
	}
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

// Start lobbyd with extra arguments; resolves with its ports once it has
// said where it listens.
function startLobbyd(lobbyd, extra = []) {
	return new Promise((resolve, reject) => {
		const child = spawn(lobbyd, ["-b", "127.0.0.1", "-p", "0",
		    "--web", "127.0.0.1:0"].concat(extra),
		    { stdio: ["ignore", "ignore", "pipe"] });
		let err = "";
		const timer = setTimeout(() => reject(new Error("lobbyd did not start: " + err)), WAIT);
		child.stderr.on("data", (d) => {
			err += d;
			const tcp = /listening on 127\.0\.0\.1:(\d+)\n/.exec(err);
			const web = /listening on http:\/\/127\.0\.0\.1:(\d+)\/\n/.exec(err);
			if (tcp && web) {
				clearTimeout(timer);
				resolve({ child, tcp: Number(tcp[1]), web: Number(web[1]), log: () => err });
			}
		});
		child.on("exit", (code) => {
			clearTimeout(timer);
			reject(new Error("lobbyd exited " + code + ": " + err));
		});
	});
}

// Stop our lobbyd with SIGTERM and wait for it (bounded).
function stopLobbyd(s) {
	return new Promise((resolve, reject) => {
		if (s.child.exitCode !== null) return resolve(s.child.exitCode);
		const timer = setTimeout(() => {
			s.child.kill("SIGKILL");
			reject(new Error("lobbyd did not stop"));
		}, WAIT);
		s.child.removeAllListeners("exit");
		s.child.on("exit", (code) => {
			clearTimeout(timer);
			resolve(code);
		});
		s.child.kill("SIGTERM");
	});
}

// A TCP member: lines arrive in .lines; expect() waits for one.
function tcpMember(port) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(port, "127.0.0.1");
		const m = { sock, lines: [], buf: "" };
		sock.setEncoding("utf8");
		sock.on("data", (d) => {
			m.buf += d;
			let i;
			while ((i = m.buf.indexOf("\n")) >= 0) {
				m.lines.push(m.buf.slice(0, i));
				m.buf = m.buf.slice(i + 1);
			}
		});
		sock.on("error", () => {});
		sock.on("connect", () => resolve(m));
		setTimeout(() => reject(new Error("cannot connect to lobbyd")), WAIT);
		m.send = (line) => sock.write(line + "\n");
		m.expect = (want) => until("TCP member to get " + JSON.stringify(want),
		    () => m.lines.includes(want));
	});
}

// The text of every line shown on the page.
function shown(page) {
	return page.$$eval("#log li", (lis) => lis.map((li) => li.textContent));
}

async function expectShown(page, re) {
	await until("the page to show " + re, async () =>
	    (await shown(page)).some((t) => re.test(t)));
}

module.exports = { WAIT, fail, until, sleep, startLobbyd, stopLobbyd,
    tcpMember, shown, expectShown };
