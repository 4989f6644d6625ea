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

// Start lobbyd with extra arguments, on the given ports (0: any);
// resolves with its ports once it has said where it listens.
function startLobbyd(lobbyd, extra = [], ports = { tcp: 0, web: 0 }) {
	return new Promise((resolve, reject) => {
		const child = spawn(lobbyd, ["-b", "127.0.0.1", "-p", String(ports.tcp),
		    "--web", "127.0.0.1:" + ports.web].concat(extra),
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

// Every visible text on the page, with its contrast ratio against what
// is behind it (backgrounds composited up the tree); pseudo-elements with
// text content too.
function contrastReport(p) {
	return p.evaluate(() => {
		const parse = (c) => (c.match(/[\d.]+/g) || []).map(Number);
		const lum = (rgb) => {
			const v = rgb.slice(0, 3).map((x) => {
				x /= 255;
				return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
			});
			return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
		};
		const over = (top, bottom) => {
			const a = top.length > 3 ? top[3] : 1;
			return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a));
		};
		const bgOf = (el) => {
			const layers = [];
			for (let e = el; e; e = e.parentElement) {
				const c = parse(getComputedStyle(e).backgroundColor);
				if (c.length > 3 && c[3] === 0) continue;
				layers.push(c);
				if (c.length === 3 || c[3] === 1) break;
			}
			let bg = [255, 255, 255];
			for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
			return bg;
		};
		const ratio = (fg, bg) => {
			const f = over(fg, bg);
			const x = lum(f), y = lum(bg);
			return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
		};
		const out = [];
		for (const el of document.body.querySelectorAll("*")) {
			if (el.closest(".sr-only") || !el.getClientRects().length) continue;
			const cs = getComputedStyle(el);
			if (cs.visibility === "hidden" || cs.display === "none") continue;
			const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
			const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
			    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") +
			    (el.parentElement && el.parentElement.className ? " in ." + String(el.parentElement.className).trim().split(/\s+/).join(".") : "");
			if (own) {
				if (parseFloat(cs.opacity) < 1) out.push({ name, ratio: 0, why: "opacity " + cs.opacity });
				out.push({ name, text: el.textContent.slice(0, 30), ratio: ratio(parse(cs.color), bgOf(el)) });
			}
			for (const pseudo of ["::before", "::after"]) {
				const ps = getComputedStyle(el, pseudo);
				if (ps.content && ps.content !== "none" && /[A-Za-z0-9]/.test(ps.content))
					out.push({ name: name + pseudo, text: ps.content, ratio: ratio(parse(ps.color), bgOf(el)) });
			}
		}
		return out;
	});
}

// Check every visible text reads at 4.5:1 or more, printing the lowest
// per kind of text; ok(cond, msg) counts and fails as the test does.
async function contrastCheck(p, theme, ok) {
	const all = await contrastReport(p);
	const worst = new Map();
	for (const r of all) {
		const key = r.name.replace(/\.(mention|delivered|failed|pending)/g, "");
		if (!worst.has(key) || worst.get(key).ratio > r.ratio) worst.set(key, r);
	}
	const bad = all.filter((r) => r.ratio < 4.5);
	console.log("contrast, " + theme + ": " + all.length + " texts, lowest " +
	    Math.min(...all.map((r) => r.ratio)).toFixed(2) + ":1");
	for (const [k, r] of [...worst].sort((a, b) => a[1].ratio - b[1].ratio).slice(0, 14))
		console.log("  " + r.ratio.toFixed(2) + ":1  " + k);
	ok(all.length > 20, "the contrast check found only " + all.length + " texts");
	ok(bad.length === 0, "texts under 4.5:1 (" + theme + "):\n  " +
	    bad.map((r) => r.ratio.toFixed(2) + " " + r.name + " " + JSON.stringify(r.text)).join("\n  "));
}

// Debian's chromium, headless; extra: more command-line switches.
function launch(chromium, extra = []) {
	return chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"].concat(extra),
	});
}

// Keep the context's WebSockets in window.__sockets, to drop one as a
// network would; while window.__block is set, new ones are refused.
function keepSockets(context) {
	return context.addInitScript(() => {
		const WS = window.WebSocket;
		window.__sockets = [];
		window.WebSocket = function (u, p) {
			if (window.__block) throw new Error("held back by the test");
			const s = p === undefined ? new WS(u) : new WS(u, p);
			window.__sockets.push(s);
			return s;
		};
		window.WebSocket.prototype = WS.prototype;
		Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
	});
}

// Collect the page's console errors and warnings and its errors into
// w.problems; while w.dropping is set, failed WebSocket connections are
// expected and left out. Returns w.
function watch(page, w = { problems: [], dropping: false }) {
	page.on("console", (m) => {
		if (w.dropping && /^WebSocket connection to .* failed/.test(m.text())) return;
		if (m.type() === "error" || m.type() === "warning")
			w.problems.push("console " + m.type() + ": " + m.text());
	});
	page.on("pageerror", (e) => w.problems.push("page error: " + e.message));
	return w;
}

// A phone-sized page (390x844) at url, connected; its errors go to
// problems. Resolves with { phone (the context), page }.
async function phonePage(browser, url, problems) {
	const phone = await browser.newContext({
		viewport: { width: 390, height: 844 }, deviceScaleFactor: 2,
		isMobile: true, hasTouch: true,
	});
	const p = await phone.newPage();
	p.on("pageerror", (e) => problems.push("phone page error: " + e.message));
	await p.goto(url);
	await until("the phone page to connect", async () =>
	    /^connected as guest\d+$/.test(await p.textContent("#status")));
	return { phone, page: p };
}

// After a failure: the error, lobbyd's log and what the page showed;
// more: further [label, async () => value] pairs of the page to print.
async function reportFailure(e, server, page, more = []) {
	console.error("FAIL: " + (e && e.stack ? e.stack : e));
	if (server) console.error("lobbyd's log:\n" + server.log());
	try {
		if (!page) return;
		let text = "the page showed:\n  " + (await shown(page)).join("\n  ") +
		    "\nstatus: " + (await page.textContent("#status"));
		for (const [label, value] of more) text += "\n" + label + ": " + (await value());
		console.error(text + "\ninput: " + (await page.inputValue("#input")));
	} catch (x) { /* no page */ }
}

// Run a test's main(). Passed: close the browser, then after() (if
// given; false fails the test). Failed: reportFailure() (with more(),
// if given), close what is open and exit 1. open() gives what is open
// now: { browser, server, page }.
function runTest(main, open, { after, more } = {}) {
	main().then(async () => {
		await open().browser.close();
		process.exit(after && !(await after()) ? 1 : 0);
	}, async (e) => {
		const { browser, server, page } = open();
		await reportFailure(e, server, page, more ? more() : []);
		try { if (browser) await browser.close(); } catch (x) { /* already gone */ }
		try { if (server) await stopLobbyd(server); } catch (x) { /* killed */ }
		process.exit(1);
	});
}

// Where the "!" that ends s lies, and the rest of s, in the last
// element matching sel that holds s; with the right edges of that
// element's time and nick (the element's own when it has none).
function ends(p, sel, s) {
	return p.$$eval(sel, (els, s) => {
		const el = els.filter((e) => e.textContent.includes(s)).pop();
		const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		let node;
		while ((node = walker.nextNode()) && !node.data.includes(s)) { /* on */ }
		const box = (a, b) => {
			const r = document.createRange();
			r.setStart(node, a);
			r.setEnd(node, b);
			return r.getBoundingClientRect();
		};
		const start = node.data.indexOf(s), end = start + s.length;
		const words = box(start, end - 1), bang = box(end - 1, end);
		return { bang: [bang.left, bang.right], words: [words.left, words.right],
		    time: (el.querySelector("time") || el).getBoundingClientRect().right,
		    nick: (el.querySelector(".nick") || el).getBoundingClientRect().right };
	}, s);
}

module.exports = { WAIT, fail, until, sleep, startLobbyd, stopLobbyd,
    tcpMember, shown, expectShown, contrastCheck, launch, keepSockets,
    watch, phonePage, reportFailure, runTest, ends };
