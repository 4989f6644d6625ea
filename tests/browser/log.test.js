// log.test.js: the message log under load and at its edges, on the real
// page in Debian's chromium against a real lobbyd started with --history
// 1000: a backlog of 1000 lines and a burst of 3000 arrive without
// freezing the page, the log keeps at most 2000 lines and stays at its
// bottom, or where the reader scrolled to; a double click on a room goes
// there without an error; right-to-left text keeps its punctuation on
// its own side. Screenshots (1280x800, 390x844) go to OUTDIR as log-*.png.
"use strict";

const path = require("node:path");
const fs = require("node:fs");
const { chromium } = require("playwright-core");
const { fail, until, sleep, startLobbyd, stopLobbyd, tcpMember, shown,
    expectShown, launch, watch, phonePage, runTest, ends } = require("./lib.js");

const LOBBYD = process.env.LOBBYD;
const OUT = process.env.OUTDIR || ".";
const LOG_MAX = 2000;	// the lines the page keeps

let server = null, browser = null, page = null;
let checks = 0;

function ok(cond, msg) {
	checks++;
	if (!cond) fail(msg);
}

function gap(p) {
	return p.$eval("#log", (l) => l.scrollHeight - l.scrollTop - l.clientHeight);
}

function lines(p) {
	return p.$eval("#log", (l) => l.childElementCount);
}

// Send n lines "PREFIX i ..." from m at once; resolves when the last one
// shows on p, with how long it took and the longest the page took to
// answer a question meanwhile (a page busy with the lines answers late,
// and so does its input line).
async function burst(p, m, prefix, n) {
	let text = "";
	for (let i = 0; i < n; i++)
		text += prefix + " " + i + " " + "lorem ipsum ".repeat(i % 9) + "\n";
	const last = prefix + " " + (n - 1) + " ";
	const t0 = Date.now();
	m.sock.write(text);
	let slowest = 0;
	await until("the burst's last line", async () => {
		const t = Date.now();
		const done = await p.$eval("#log", (l, s) => {
			const li = l.lastElementChild;
			return li !== null && li.textContent.includes(s);
		}, last);
		slowest = Math.max(slowest, Date.now() - t);
		return done;
	}, 30000);
	return { ms: Date.now() - t0, slowest };
}

async function main() {
	if (!LOBBYD) fail("LOBBYD is not set");
	fs.mkdirSync(OUT, { recursive: true });
	server = await startLobbyd(LOBBYD, ["--history", "1000"]);
	const url = "http://127.0.0.1:" + server.web + "/";

	// ---- A backlog of 1000 lines, there before the page comes.
	const bob = await tcpMember(server.tcp);
	bob.send("/nick bob");
	await bob.expect("*** guest1 is now bob");
	let text = "";
	for (let i = 0; i < 1000; i++) text += "backlog " + i + " " + "dolor sit amet ".repeat(i % 7) + "\n";
	bob.sock.write(text);
	// A /who answered after them: the server has all 1000.
	bob.send("/who");
	await until("the backlog in", () => bob.lines.some((l) => /^\*\*\* 1 online: bob$/.test(l)));

	browser = await launch(chromium);
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	page = await context.newPage();
	const w = watch(page);
	const t0 = Date.now();
	await page.goto(url);
	await expectShown(page, /^\d\d:\d\d\*\*\* end of history$/);
	const backlogMs = Date.now() - t0;
	const all = await shown(page);
	ok(all.filter((t) => /<bob> backlog \d+ /.test(t)).length === 1000,
	    "the backlog's lines shown: " + all.filter((t) => /backlog/.test(t)).length);
	await until("the log at its bottom after the backlog", async () => (await gap(page)) < 2);
	console.log("a backlog of 1000 lines shown in " + backlogMs + " ms");

	// ---- A burst of 3000 live lines: the page keeps up, stays at its
	// bottom, keeps 2000 lines. Laid out once a line, this took 10 s and
	// more, the page answering nothing meanwhile.
	const b1 = await burst(page, bob, "live", 3000);
	console.log("3000 live lines shown in " + b1.ms + " ms; the page answered within " +
	    b1.slowest + " ms");
	ok(b1.ms < 6000, "3000 lines took " + b1.ms + " ms to show");
	ok(b1.slowest < 2000, "the page answered nothing for " + b1.slowest + " ms of a burst");
	ok(await lines(page) <= LOG_MAX, "the log keeps " + await lines(page) + " lines");
	await until("the log at its bottom after the burst", async () => (await gap(page)) < 2);
	ok(await page.isHidden("#jump"), "the jump button shows at the bottom");

	// ---- Scrolled up, a burst leaves the reader where they are.
	await page.$eval("#log", (l) => { l.scrollTop = l.scrollHeight / 2; });
	await sleep(150);
	const before = await page.$eval("#log", (l) => {
		const r = l.getBoundingClientRect();
		return document.elementFromPoint(r.left + 100, r.top + r.height / 2).closest("li").textContent;
	});
	await burst(page, bob, "more", 500);
	await sleep(150);
	const after = await page.$eval("#log", (l) => {
		const r = l.getBoundingClientRect();
		return document.elementFromPoint(r.left + 100, r.top + r.height / 2).closest("li").textContent;
	});
	ok(before === after, "the line being read moved: " + JSON.stringify([before, after]));
	ok(await gap(page) > 1000, "a burst brought a reader scrolled up to the bottom");
	ok(!(await page.isHidden("#jump")), "no jump button for a reader scrolled up");
	await page.click("#jump");
	await until("the log at its bottom after the jump", async () => (await gap(page)) < 2);

	// ---- Right-to-left text: a line in Arabic that ends with "!" has
	// it at its left end, where its reader ends it; the nick before it
	// stays first.
	const rtl = "مرحبا بالجميع!";
	bob.send(rtl);
	await expectShown(page, new RegExp("<bob> " + rtl + "$"));
	const where = await ends(page, "#log li", rtl);
	ok(where.bang[1] <= where.words[0] + 1, "the \"!\" of a right-to-left line is not at its left end: " +
	    JSON.stringify(where));
	ok(where.nick <= where.bang[0], "the right-to-left line went before its nick: " + JSON.stringify(where));

	// ---- A double click on a room: one move, no error.
	const carol = await tcpMember(server.tcp);
	carol.send("/nick carol");
	carol.send("/join dev");
	await carol.expect("*** you are now in dev (1 online)");
	await page.fill("#input", "/rooms");
	await page.keyboard.press("Enter");
	await page.waitForSelector("#rooms button[data-room='dev']");
	await page.dblclick("#rooms button[data-room='dev']");
	await until("dev in the header", async () => (await page.textContent("#room")) === "dev");
	await carol.expect("*** " + (await page.textContent("#me")) + " joined");
	carol.send("after the double click");
	await expectShown(page, /<carol> after the double click$/);
	const errs = (await shown(page)).filter((t) => /!!! /.test(t));
	ok(errs.length === 0, "a double click on a room showed: " + JSON.stringify(errs));
	await page.screenshot({ path: path.join(OUT, "log-1280x800.png") });

	// The phone: the same log, cut to its width.
	const problems = w.problems;
	const { phone, page: p2 } = await phonePage(browser, url, problems);
	await expectShown(p2, /\*\*\* end of history$/);
	ok(await p2.evaluate(() => document.documentElement.scrollWidth) <= 390, "the phone page is too wide");
	await until("the phone log at its bottom", async () => (await gap(p2)) < 2);
	await p2.screenshot({ path: path.join(OUT, "log-390x844.png") });
	await phone.close();

	const real = problems.filter((p) => !/WebSocket connection to .* failed/.test(p));
	ok(real.length === 0, "the console reported:\n  " + real.join("\n  "));
	const code = await stopLobbyd(server);
	ok(code === 0, "lobbyd exited " + code);
	console.log("log test passed: " + checks + " checks; screenshots in " + OUT +
	    ": log-1280x800.png log-390x844.png");
}

runTest(main, () => ({ browser, server, page }));
